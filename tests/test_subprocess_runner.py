"""SubprocessRunner against real processes: big outputs, stubborn children, stdin, cancellation."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest

from adapters.subprocess_runner import SubprocessHandle, SubprocessRunner
from codex_local_sdk import CodexNotInstalledError, CodexSpawnError
from codex_local_sdk.ports import ProcessSpec


def python(code: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> ProcessSpec:
    return ProcessSpec(argv=(sys.executable, "-c", textwrap.dedent(code)), stdin=stdin, env=env or {})


def drain(handle: SubprocessHandle, timeout: float = 60) -> Iterator[bytes]:
    while (lines := handle.read_lines(timeout)) is not None:
        assert lines != [], "read_lines timed out"
        yield from lines


def live_members(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are not dead (zombies are dead, waiting to be reaped)."""
    members = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still lives (SIGKILL is delivered within moments)."""
    deadline = time.monotonic() + 2
    while live_members(pgid):
        if time.monotonic() > deadline:
            return True
        time.sleep(0.01)
    return False


# A child that ignores SIGTERM and whose grandchild (same group) holds stdout and stderr open.
STUBBORN = """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    print("started", flush=True)
    time.sleep(60)
"""


def test_50_mb_on_stdout_and_stderr_at_once() -> None:
    code = """
        import sys
        line = b"x" * 1023 + b"\\n"
        for i in range(51200):
            sys.stdout.buffer.write(line)
            sys.stderr.buffer.write(line)
        sys.stderr.buffer.write(b"THE END")
    """
    runner = SubprocessRunner(stderr_limit_bytes=64 * 1024)
    handle = runner.start(python(code))
    try:
        count = sum(1 for line in drain(handle) if len(line) == 1023)
        assert handle.wait(30) == 0
    finally:
        handle.close()
    assert count == 51200
    tail = handle.stderr_tail()
    assert len(tail) == 64 * 1024 and tail.endswith(b"THE END")


def test_terminate_kills_a_stubborn_child_and_its_grandchild() -> None:
    handle = SubprocessRunner().start(python(STUBBORN))
    try:
        assert next(drain(handle)) == b"started"
        timeout, grace = 0.5, 0.5
        started = time.monotonic()
        assert handle.read_lines(timeout) == []
        handle.terminate(grace)
        elapsed = time.monotonic() - started
    finally:
        handle.close()
    assert elapsed < timeout + grace + 1
    assert handle.returncode == -9
    assert not group_alive(handle.pid)


def test_a_1_mb_prompt_starting_with_dashes_arrives_intact_on_stdin() -> None:
    prompt = b"--definitely-not-a-flag " + os.urandom(512 * 1024).hex().encode()[: 1024 * 1024 - 24]
    code = """
        import hashlib, sys
        data = sys.stdin.buffer.read()
        print(len(data), hashlib.sha256(data).hexdigest(), sys.argv[1:])
    """
    handle = SubprocessRunner().start(python(code, stdin=prompt))
    try:
        (line,) = list(drain(handle))
    finally:
        handle.close()
    assert line.decode() == f"{len(prompt)} {hashlib.sha256(prompt).hexdigest()} []"


def test_the_api_key_is_in_the_environment_not_in_argv() -> None:
    code = """
        import os
        print(os.environ["CODEX_API_KEY"], flush=True)
        key = os.environ["CODEX_API_KEY"].encode()
        print(key in open(f"/proc/{os.getpid()}/cmdline", "rb").read())
    """
    handle = SubprocessRunner().start(python(code, env={"CODEX_API_KEY": "sk-test-123"}))
    try:
        key, cmdline = list(drain(handle))
    finally:
        handle.close()
    assert key == b"sk-test-123"
    assert cmdline == b"False"


def test_a_grandchild_holding_the_pipes_does_not_hang_the_reader() -> None:
    code = """
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print("leader done", flush=True)
    """
    handle = SubprocessRunner(drain_seconds=0.2).start(python(code))
    try:
        assert list(drain(handle, timeout=20)) == [b"leader done"]
        assert handle.wait(5) == 0
    finally:
        handle.close()
    assert not group_alive(handle.pid)


def test_a_20_mb_line_arrives_whole() -> None:
    code = 'import sys; sys.stdout.write("{\\"big\\": \\"" + "y" * (20 * 1024 * 1024) + "\\"}\\n")'
    handle = SubprocessRunner().start(python(code))
    try:
        lines = list(drain(handle))
    finally:
        handle.close()
    assert len(lines) == 1 and len(lines[0]) == 20 * 1024 * 1024 + 11


def test_missing_binary_and_missing_cwd_are_told_apart(tmp_path: object) -> None:
    runner = SubprocessRunner()
    with pytest.raises(CodexNotInstalledError, match="no-such-codex"):
        runner.start(ProcessSpec(argv=("no-such-codex-binary", "exec")))
    with pytest.raises(CodexSpawnError, match="/does/not/exist"):
        runner.start(ProcessSpec(argv=(sys.executable, "-c", "pass"), cwd="/does/not/exist"))


def test_lines_arrive_while_the_child_still_runs() -> None:
    code = """
        import time
        print("first", flush=True)
        time.sleep(2)
        print("second", flush=True)
    """
    handle = SubprocessRunner().start(python(code))
    try:
        assert handle.read_lines(10) == [b"first"]
        assert handle.returncode is None  # the child is still sleeping
        assert list(drain(handle)) == [b"second"]
    finally:
        handle.close()


def test_close_of_a_running_process_leaves_nothing() -> None:
    handle = SubprocessRunner().start(python(STUBBORN))
    assert next(drain(handle)) == b"started"
    handle.close()
    handle.close()
    assert handle.returncode == -9 and not group_alive(handle.pid)


# -- asyncio ---------------------------------------------------------------------------------


async def adrain(runner: SubprocessRunner, spec: ProcessSpec) -> tuple[list[bytes], int | None]:
    handle = await runner.start_async(spec)
    lines: list[bytes] = []
    try:
        while (batch := await handle.read_lines(60)) is not None:
            assert batch != [], "read_lines timed out"
            lines += batch
        return lines, await handle.wait(10)
    finally:
        await handle.close()


def test_async_lines_arrive_while_the_child_still_runs() -> None:
    async def scenario() -> None:
        code = "import time; print('first', flush=True); time.sleep(2); print('second', flush=True)"
        handle = await SubprocessRunner().start_async(python(code))
        try:
            assert await handle.read_lines(10) == [b"first"]
            assert handle.returncode is None
            assert await handle.read_lines(10) == [b"second"]
            assert await handle.read_lines(10) is None
        finally:
            await handle.close()

    asyncio.run(scenario())


def test_async_20_mb_line_and_big_stdin() -> None:
    stdin = b"z" * (4 * 1024 * 1024)
    code = """
        import sys
        data = sys.stdin.buffer.read()
        sys.stdout.write("y" * (20 * 1024 * 1024) + "\\n")
        print(len(data))
    """
    lines, code_ = asyncio.run(adrain(SubprocessRunner(), python(code, stdin=stdin)))
    assert [len(line) for line in lines] == [20 * 1024 * 1024, 7]
    assert lines[1] == str(len(stdin)).encode() and code_ == 0


def test_async_terminate_of_a_stubborn_child() -> None:
    async def scenario() -> int:
        handle = await SubprocessRunner().start_async(python(STUBBORN))
        try:
            assert await handle.read_lines(30) == [b"started"]
            await handle.terminate(0.5)
            return handle.pid
        finally:
            await handle.close()

    assert not group_alive(asyncio.run(scenario()))


def test_async_cancellation_leaves_no_process() -> None:
    pids: list[int] = []

    async def reader() -> None:
        handle = await SubprocessRunner().start_async(python(STUBBORN))
        pids.append(handle.pid)
        try:
            while await handle.read_lines(None) is not None:
                pass
        finally:
            await handle.close()

    async def scenario() -> None:
        task = asyncio.create_task(reader())
        while not pids:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert not group_alive(pids[0])


def test_200_concurrent_async_runs_without_a_thread_each() -> None:
    peak = threading.active_count()

    async def sample_threads(stop: asyncio.Event) -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, threading.active_count())
            await asyncio.sleep(0.02)

    async def scenario() -> list[tuple[list[bytes], int | None]]:
        runner = SubprocessRunner()
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_threads(stop))
        code = "import sys, time; time.sleep(0.5); print(sys.argv[1])"
        results = await asyncio.gather(
            *(adrain(runner, ProcessSpec(argv=(sys.executable, "-c", code, str(i)))) for i in range(200))
        )
        stop.set()
        await sampler
        return results

    results = asyncio.run(scenario())
    assert [lines for lines, _ in results] == [[str(i).encode()] for i in range(200)]
    assert all(code == 0 for _, code in results)
    assert peak < 10
