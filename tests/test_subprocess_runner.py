"""SubprocessRunner against real processes: big outputs, stubborn children, stdin, cancellation.

The children are small ``python -c`` programs. Nothing here sleeps to synchronise: each test
waits on a real condition (a line, an exit) with a generous upper bound. The only timing
assertions are the bounds the runner promises (terminate within timeout + grace + 1 s, and
a leader's end noticed within seconds although a grandchild holds its pipes for 60 s).

After every run that had a process group, the test checks that no process of the group is
alive (``live_members``) and hands the group id to ``gone_groups``, which at the end of the
module waits for ``os.killpg(pgid, 0)`` to raise ``ProcessLookupError``. That last step is
deferred because the orphaned grandchildren we SIGKILLed are reaped by init, which here does
so only every couple of seconds.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from adapters import _process_group
from adapters.subprocess_runner import AsyncSubprocessHandle, SubprocessHandle, SubprocessRunner
from codex_local_sdk.errors import CodexNotInstalledError, CodexSpawnError
from codex_local_sdk.ports import ProcessHandle, ProcessRunner, ProcessSpec

T = TypeVar("T")
MB = 1024 * 1024


def python(code: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> ProcessSpec:
    return ProcessSpec(argv=(sys.executable, "-c", textwrap.dedent(code)), stdin=stdin, env=env or {})


def run(main: Callable[[], Awaitable[T]]) -> T:
    async def wrapper() -> T:
        return await main()

    return asyncio.run(wrapper())


def drain(handle: SubprocessHandle, timeout: float = 60) -> Iterator[bytes]:
    while (lines := handle.read_lines(timeout)) is not None:
        assert lines != [], "read_lines timed out"
        yield from lines


async def adrain(handle: AsyncSubprocessHandle, timeout: float = 60) -> list[bytes]:
    lines: list[bytes] = []
    while (batch := await handle.read_lines(timeout)) is not None:
        assert batch != [], "read_lines timed out"
        lines += batch
    return lines


def collect(spec: ProcessSpec, runner: SubprocessRunner | None = None) -> tuple[list[bytes], int | None]:
    handle = (runner or SubprocessRunner()).start(spec)
    try:
        return list(drain(handle)), handle.wait(30)
    finally:
        handle.close()


async def acollect(
    spec: ProcessSpec, runner: SubprocessRunner | None = None
) -> tuple[list[bytes], int | None]:
    handle = await (runner or SubprocessRunner()).start_async(spec)
    try:
        return await adrain(handle), await handle.wait(30)
    finally:
        await handle.close()


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


def group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def gone_groups() -> Iterator[list[int]]:
    """Group ids that must vanish entirely (``killpg(pgid, 0)`` -> ``ProcessLookupError``)."""
    pgids: list[int] = []
    yield pgids
    deadline = time.monotonic() + 20
    while (left := [pgid for pgid in pgids if group_exists(pgid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"process groups still exist: {left}"


def assert_no_process_left(pgid: int, gone_groups: list[int]) -> None:
    assert not group_alive(pgid), f"group {pgid} still has live processes: {live_members(pgid)}"
    gone_groups.append(pgid)


# The child ignores SIGTERM; its grandchild (same group, inherited pipes) ignores it too.
STUBBORN = """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
    print("started", flush=True)
    time.sleep(60)
"""

# The leader exits 0 at once; its grandchild keeps stdout and stderr open for 60 s.
LEADER_LEAVES_GRANDCHILD = """
    import subprocess, sys
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    print("leader done", flush=True)
"""

BOTH_STREAMS_50_MB = """
    import sys
    line = b"x" * 1023 + b"\\n"
    for i in range(51200):
        sys.stdout.buffer.write(line)
        sys.stderr.buffer.write(line)
    sys.stderr.buffer.write(b"THE END")
"""

ECHO_STDIN_DIGEST = """
    import hashlib, sys
    data = sys.stdin.buffer.read()
    print(len(data), hashlib.sha256(data).hexdigest(), sys.argv[1:])
"""

TWENTY_MB_LINE = 'import sys; sys.stdout.write("{\\"big\\": \\"" + "y" * (20 * 1024 * 1024) + "\\"}\\n")'

FIRST_THEN_SECOND = """
    import time
    print("first", flush=True)
    time.sleep(2)
    print("second", flush=True)
"""

PROMPT = b"--definitely-not-a-flag " + os.urandom(MB // 2).hex().encode()[: MB - 24]


# -- volume and framing ------------------------------------------------------------------


def test_50_mb_on_stdout_and_stderr_at_once() -> None:
    lines, code = collect(python(BOTH_STREAMS_50_MB), SubprocessRunner(stderr_limit_bytes=64 * 1024))
    assert code == 0
    assert len(lines) == 51200 and all(line == b"x" * 1023 for line in lines)


def test_stderr_tail_is_bounded_and_ends_with_the_last_bytes() -> None:
    handle = SubprocessRunner(stderr_limit_bytes=64 * 1024).start(python(BOTH_STREAMS_50_MB))
    try:
        assert sum(1 for _ in drain(handle)) == 51200
    finally:
        handle.close()
    tail = handle.stderr_tail()
    assert len(tail) == 64 * 1024 and tail.endswith(b"x\nTHE END")


def test_async_50_mb_on_stdout_and_stderr_at_once() -> None:
    async def main() -> tuple[int, bytes]:
        handle = await SubprocessRunner(stderr_limit_bytes=64 * 1024).start_async(python(BOTH_STREAMS_50_MB))
        try:
            return len(await adrain(handle)), handle.stderr_tail()
        finally:
            await handle.close()

    count, tail = run(main)
    assert count == 51200
    assert len(tail) == 64 * 1024 and tail.endswith(b"x\nTHE END")


def test_a_20_mb_line_arrives_whole() -> None:
    (line,), code = collect(python(TWENTY_MB_LINE))
    assert code == 0 and len(line) == 20 * MB + 11 and line.startswith(b'{"big": "yyy')


def test_async_a_20_mb_line_arrives_whole() -> None:
    (line,), code = run(lambda: acollect(python(TWENTY_MB_LINE)))
    assert code == 0 and len(line) == 20 * MB + 11 and line.endswith(b'yyy"}')


def test_a_last_line_without_newline_and_crlf_endings() -> None:
    code = "import sys; sys.stdout.write('one\\r\\ntwo\\n\\nthree')"
    assert collect(python(code)) == ([b"one", b"two", b"", b"three"], 0)


def test_wait_without_reading_does_not_deadlock_and_keeps_the_lines() -> None:
    handle = SubprocessRunner().start(python("for i in range(200000): print(i)"))
    try:
        assert handle.wait(60) == 0
        assert list(drain(handle)) == [str(i).encode() for i in range(200000)]
    finally:
        handle.close()


# -- stdin and environment ----------------------------------------------------------------


def test_a_1_mb_prompt_starting_with_dashes_arrives_intact_on_stdin() -> None:
    (line,), code = collect(python(ECHO_STDIN_DIGEST, stdin=PROMPT))
    assert code == 0 and line.decode() == f"{len(PROMPT)} {hashlib.sha256(PROMPT).hexdigest()} []"


def test_async_a_1_mb_prompt_arrives_intact_on_stdin() -> None:
    (line,), code = run(lambda: acollect(python(ECHO_STDIN_DIGEST, stdin=PROMPT)))
    assert code == 0 and line.decode() == f"{len(PROMPT)} {hashlib.sha256(PROMPT).hexdigest()} []"


# The child writes 8 MB (far more than a pipe holds) before it reads its 1 MB of stdin.
TALKS_BEFORE_READING = """
    import hashlib, sys
    for i in range(8192):
        sys.stdout.write("z" * 1023 + "\\n")
    sys.stdout.flush()
    data = sys.stdin.buffer.read()
    print(len(data), hashlib.sha256(data).hexdigest())
"""


def test_big_stdin_to_a_child_that_prints_a_lot_before_reading_it() -> None:
    lines, code = collect(python(TALKS_BEFORE_READING, stdin=PROMPT))
    assert code == 0 and len(lines) == 8193
    assert lines[-1].decode() == f"{len(PROMPT)} {hashlib.sha256(PROMPT).hexdigest()}"


def test_async_big_stdin_to_a_child_that_prints_a_lot_before_reading_it() -> None:
    lines, code = run(lambda: acollect(python(TALKS_BEFORE_READING, stdin=PROMPT)))
    assert code == 0 and len(lines) == 8193
    assert lines[-1].decode() == f"{len(PROMPT)} {hashlib.sha256(PROMPT).hexdigest()}"


def test_a_child_that_never_reads_stdin_is_not_an_error() -> None:
    code = "import os; print('bye', flush=True); os._exit(3)"
    assert collect(python(code, stdin=PROMPT)) == ([b"bye"], 3)
    assert run(lambda: acollect(python(code, stdin=PROMPT))) == ([b"bye"], 3)


def test_stdin_is_never_inherited() -> None:
    code = "import sys; print(len(sys.stdin.buffer.read()))"
    assert collect(python(code)) == ([b"0"], 0)


def test_the_env_overlay_reaches_the_child_and_never_argv() -> None:
    code = """
        import os, sys
        print(os.environ["CODEX_API_KEY"], os.environ["PATH"] == sys.argv[1], flush=True)
        sys.stdin.read()
        import time; time.sleep(60)
    """
    spec = python(code, env={"CODEX_API_KEY": "sk-test-123"})
    spec = ProcessSpec(argv=(*spec.argv, os.environ["PATH"]), env=spec.env)
    handle = SubprocessRunner().start(spec)
    try:
        assert handle.read_lines(30) == [b"sk-test-123 True"]  # the parent's variables are kept
        cmdline = Path(f"/proc/{handle.pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{handle.pid}/environ").read_bytes().split(b"\0")
    finally:
        handle.close()
    assert b"sk-test-123" not in cmdline
    assert b"CODEX_API_KEY=sk-test-123" in environ


# -- the end of a run: exits, grandchildren, terminate, kill, close -----------------------


def test_lines_arrive_while_the_child_still_runs() -> None:
    handle = SubprocessRunner().start(python(FIRST_THEN_SECOND))
    try:
        assert handle.read_lines(10) == [b"first"]
        assert handle.returncode is None  # the child is still sleeping before its second print
        assert handle.wait(0) is None
        assert list(drain(handle)) == [b"second"]
        assert handle.wait(10) == 0
    finally:
        handle.close()


def test_async_lines_arrive_while_the_child_still_runs() -> None:
    async def main() -> None:
        handle = await SubprocessRunner().start_async(python(FIRST_THEN_SECOND))
        try:
            assert await handle.read_lines(10) == [b"first"]
            assert handle.returncode is None
            assert await handle.wait(0) is None
            assert await adrain(handle) == [b"second"]
        finally:
            await handle.close()

    run(main)


def test_a_grandchild_holding_the_pipes_does_not_hang_the_reader(gone_groups: list[int]) -> None:
    handle = SubprocessRunner().start(python(LEADER_LEAVES_GRANDCHILD))
    try:
        started = time.monotonic()
        assert list(drain(handle, timeout=20)) == [b"leader done"]
        assert time.monotonic() - started < 5  # not the grandchild's 60 s
        assert handle.wait(5) == 0
    finally:
        handle.close()
    assert_no_process_left(handle.pid, gone_groups)


def test_async_a_grandchild_holding_the_pipes_does_not_hang_the_reader(gone_groups: list[int]) -> None:
    async def main() -> tuple[list[bytes], int | None, float, int]:
        started = time.monotonic()
        handle = await SubprocessRunner().start_async(python(LEADER_LEAVES_GRANDCHILD))
        try:
            lines = await adrain(handle, timeout=20)
            return lines, await handle.wait(5), time.monotonic() - started, handle.pid
        finally:
            await handle.close()

    lines, code, elapsed, pgid = run(main)
    assert (lines, code) == ([b"leader done"], 0) and elapsed < 5
    assert_no_process_left(pgid, gone_groups)


# The leader fills most of a pipe, then exits; it is done, but its output is still unread.
LEAVES_60_KB_UNREAD = "import sys; sys.stdout.write(''.join(f'{i:09}\\n' for i in range(6000)))"
EXPECTED_60_KB = [f"{i:09}".encode() for i in range(6000)]


def test_a_slow_reader_gets_everything_the_leader_wrote() -> None:
    runner = SubprocessRunner(drain_seconds=0.05, read_chunk_bytes=4096)
    handle = runner.start(python(LEAVES_60_KB_UNREAD))
    try:
        os.waitid(os.P_PID, handle.pid, os.WEXITED | os.WNOWAIT)  # the leader has exited
        lines = handle.read_lines(10)  # sees the exit, reads one small chunk
        assert lines
        time.sleep(0.3)  # the caller is busy for longer than the drain window
        lines += list(drain(handle))
    finally:
        handle.close()
    assert lines == EXPECTED_60_KB


def test_async_a_busy_loop_still_gets_everything_the_leader_wrote() -> None:
    async def main() -> list[bytes]:
        runner = SubprocessRunner(drain_seconds=0.05, read_chunk_bytes=4096)
        handle = await runner.start_async(python(LEAVES_60_KB_UNREAD))
        try:
            os.waitid(os.P_PID, handle.pid, os.WEXITED | os.WNOWAIT)
            lines = await handle.read_lines(10)
            assert lines
            time.sleep(0.3)  # blocks the loop: the drain timer and the reader fire together
            return lines + await adrain(handle)
        finally:
            await handle.close()

    assert run(main) == EXPECTED_60_KB


@pytest.mark.parametrize("read_timeout", [None, 0.5], ids=["terminate", "read_timeout_then_terminate"])
def test_terminate_kills_a_stubborn_child_and_its_grandchild(
    read_timeout: float | None, gone_groups: list[int]
) -> None:
    grace = 0.5
    handle = SubprocessRunner().start(python(STUBBORN))
    try:
        assert next(drain(handle)) == b"started"
        started = time.monotonic()
        if read_timeout is not None:
            assert handle.read_lines(read_timeout) == []
        handle.terminate(grace)
        elapsed = time.monotonic() - started
    finally:
        handle.close()
    assert elapsed < (read_timeout or 0) + grace + 1
    assert handle.returncode == -9
    assert_no_process_left(handle.pid, gone_groups)


def test_async_terminate_kills_a_stubborn_child_and_its_grandchild(gone_groups: list[int]) -> None:
    timeout, grace = 0.5, 0.5

    async def main() -> tuple[float, int | None, int]:
        handle = await SubprocessRunner().start_async(python(STUBBORN))
        try:
            assert await handle.read_lines(30) == [b"started"]
            started = time.monotonic()
            assert await handle.read_lines(timeout) == []
            await handle.terminate(grace)
            return time.monotonic() - started, handle.returncode, handle.pid
        finally:
            await handle.close()

    elapsed, code, pgid = run(main)
    assert elapsed < timeout + grace + 1 and code == -9
    assert_no_process_left(pgid, gone_groups)


def test_terminate_of_a_cooperative_child_is_sigterm() -> None:
    handle = SubprocessRunner().start(python("import time; print('up', flush=True); time.sleep(60)"))
    try:
        assert next(drain(handle)) == b"up"
        handle.terminate(30)
    finally:
        handle.close()
    assert handle.returncode == -15


def test_kill_and_close_of_a_running_process_leave_nothing(gone_groups: list[int]) -> None:
    runner = SubprocessRunner()
    killed, closed = runner.start(python(STUBBORN)), runner.start(python(STUBBORN))
    try:
        assert next(drain(killed)) == b"started" and next(drain(closed)) == b"started"
        killed.kill()
        assert killed.returncode == -9 and killed.read_lines(0) is None
    finally:
        killed.close()
        closed.close()
        closed.close()  # idempotent
    assert closed.returncode == -9 and closed.read_lines(0) is None
    assert_no_process_left(killed.pid, gone_groups)
    assert_no_process_left(closed.pid, gone_groups)


def test_no_pipe_or_pidfd_is_left_open() -> None:
    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    gc.collect()  # what earlier tests left to the collector closes its fds now, not below
    before = open_fds()
    for _ in range(5):
        collect(python("print('hi')"))
        SubprocessRunner().start(python(STUBBORN)).close()
        run(lambda: acollect(python("print('hi')")))
    assert open_fds() == before


@pytest.mark.parametrize("missing", [("pidfd",), ("pidfd", "waitid")], ids=["no_pidfd", "no_pidfd_no_waitid"])
def test_without_a_pidfd_the_exit_is_polled(
    missing: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, gone_groups: list[int]
) -> None:
    """Where the OS lacks a pidfd (or, as on macOS, ``os.waitid``) the same rules hold."""
    monkeypatch.setattr(_process_group, "_open_pidfd", lambda pid: None)
    if "waitid" in missing:
        monkeypatch.delattr(os, "waitid")
    assert collect(python(LEADER_LEAVES_GRANDCHILD)) == ([b"leader done"], 0)
    lines, code = run(lambda: acollect(python(LEADER_LEAVES_GRANDCHILD)))
    assert (lines, code) == ([b"leader done"], 0)
    handle = SubprocessRunner().start(python(STUBBORN))
    try:
        assert next(drain(handle)) == b"started"
        handle.terminate(0.1)
    finally:
        handle.close()
    assert handle.returncode == -9
    assert_no_process_left(handle.pid, gone_groups)


# -- spawn errors -------------------------------------------------------------------------


def test_missing_binary_is_not_installed(tmp_path: Path) -> None:
    runner = SubprocessRunner()
    with pytest.raises(CodexNotInstalledError, match=r"no-such-codex.*PATH searched") as error:
        runner.start(ProcessSpec(argv=("no-such-codex-binary", "exec"), env={"PATH": str(tmp_path)}))
    assert error.value.binary == "no-such-codex-binary" and error.value.search_path == str(tmp_path)
    with pytest.raises(CodexNotInstalledError, match=r"codex.? was not found \(no such file\)"):
        runner.start(ProcessSpec(argv=(str(tmp_path / "codex"), "exec")))
    with pytest.raises(CodexNotInstalledError):
        run(lambda: runner.start_async(ProcessSpec(argv=("no-such-codex-binary",))))


def test_a_bad_cwd_or_a_non_executable_is_a_spawn_error(tmp_path: Path) -> None:
    runner = SubprocessRunner()
    missing = str(tmp_path / "does-not-exist")
    with pytest.raises(CodexSpawnError, match="does-not-exist"):
        runner.start(ProcessSpec(argv=(sys.executable, "-c", "pass"), cwd=missing))
    with pytest.raises(CodexSpawnError, match="does-not-exist"):
        run(lambda: runner.start_async(ProcessSpec(argv=(sys.executable, "-c", "pass"), cwd=missing)))
    a_file = tmp_path / "file"
    a_file.write_text("#!/bin/sh\n")
    with pytest.raises(CodexSpawnError, match="file"):
        runner.start(ProcessSpec(argv=(sys.executable, "-c", "pass"), cwd=str(a_file)))
    with pytest.raises(CodexSpawnError, match="permission denied"):
        runner.start(ProcessSpec(argv=(str(a_file),)))


def test_the_runner_keeps_the_port() -> None:
    runner: ProcessRunner = SubprocessRunner()  # mypy checks the structural match
    handle: ProcessHandle = runner.start(python("print('ok')"))
    try:
        assert handle.read_lines(30) == [b"ok"] and handle.pid is not None
    finally:
        handle.close()


def test_invalid_arguments_fail_at_once() -> None:
    with pytest.raises(ValueError):
        SubprocessRunner(stderr_limit_bytes=-1)
    with pytest.raises(ValueError):
        SubprocessRunner(read_chunk_bytes=0)
    with pytest.raises(ValueError):
        SubprocessRunner().start(ProcessSpec(argv=()))


# -- asyncio: cancellation and scale -------------------------------------------------------


@pytest.mark.parametrize("cancels", [1, 2], ids=["cancel", "cancel_close_too"])
def test_async_cancellation_then_close_leaves_no_process(cancels: int, gone_groups: list[int]) -> None:
    handles: list[AsyncSubprocessHandle] = []
    reading = asyncio.Event()

    async def reader() -> None:
        handle = await SubprocessRunner().start_async(python(STUBBORN))
        handles.append(handle)
        try:
            assert await handle.read_lines(30) == [b"started"]
            reading.set()
            while await handle.read_lines(None) is not None:
                pass
        finally:
            await handle.close()

    async def main() -> None:
        task = asyncio.create_task(reader())
        await reading.wait()
        await asyncio.sleep(0)  # let the reader block in read_lines again
        for _ in range(cancels):  # the second one lands inside close()
            task.cancel()
            await asyncio.sleep(0)
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main)
    (handle,) = handles
    assert handle.returncode == -9
    assert_no_process_left(handle.pid, gone_groups)


def test_200_concurrent_async_runs_without_a_thread_each() -> None:
    peak = threading.active_count()

    async def sample_threads(stop: asyncio.Event) -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, threading.active_count())
            await asyncio.sleep(0.02)

    async def main() -> list[tuple[list[bytes], int | None]]:
        runner = SubprocessRunner()
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_threads(stop))
        code = "import sys, time; time.sleep(0.5); print(sys.argv[1])"
        results = await asyncio.gather(
            *(acollect(ProcessSpec(argv=(sys.executable, "-c", code, str(i))), runner) for i in range(200))
        )
        stop.set()
        await sampler
        return results

    results = run(main)
    assert [lines for lines, _ in results] == [[str(i).encode()] for i in range(200)]
    assert all(code == 0 for _, code in results)
    assert peak < 10


# -- stops from elsewhere, stdout closed early, handles nobody closed ---------------------

LINGERS_AFTER_CLOSING_STDOUT = """
    import os, time
    print("bye", flush=True)
    os.close(1)
    time.sleep(30)
"""


def test_read_lines_ends_at_stdout_eof_while_the_leader_lingers(gone_groups: list[int]) -> None:
    handle = SubprocessRunner().start(python(LINGERS_AFTER_CLOSING_STDOUT))
    try:
        assert handle.read_lines(10) == [b"bye"]
        assert handle.read_lines(5) is None
        assert handle.wait(0) is None  # still running: the caller decides how long to give it
    finally:
        handle.close()
    assert_no_process_left(handle.pid, gone_groups)


def test_async_read_lines_ends_at_stdout_eof_while_the_leader_lingers(gone_groups: list[int]) -> None:
    async def main() -> tuple[list[bytes] | None, int | None, int]:
        handle = await SubprocessRunner().start_async(python(LINGERS_AFTER_CLOSING_STDOUT))
        try:
            assert await handle.read_lines(10) == [b"bye"]
            return await handle.read_lines(5), await handle.wait(0), handle.pid
        finally:
            await handle.close()

    end, code, pgid = run(main)
    assert end is None and code is None
    assert_no_process_left(pgid, gone_groups)


@pytest.mark.parametrize("stop", ["terminate", "kill", "close"])
@pytest.mark.parametrize("stopper", ["signal_handler", "other_thread"])
def test_a_stop_from_a_signal_handler_or_a_thread_ends_a_blocked_read(
    stopper: str, stop: str, gone_groups: list[int]
) -> None:
    grace = 0.5
    handle = SubprocessRunner().start(python(STUBBORN))
    errors: list[BaseException] = []

    def stop_it(*_: object) -> None:
        try:
            handle.terminate(grace) if stop == "terminate" else getattr(handle, stop)()
        except BaseException as exc:
            errors.append(exc)

    try:
        assert next(drain(handle)) == b"started"
        if stopper == "signal_handler":
            previous = signal.signal(signal.SIGALRM, stop_it)
            signal.setitimer(signal.ITIMER_REAL, 0.2)
        else:
            threading.Timer(0.2, stop_it).start()
        started = time.monotonic()
        try:
            end = handle.read_lines(10)  # a regression returns [] after these 10 s
        finally:
            if stopper == "signal_handler":
                signal.signal(signal.SIGALRM, previous)
        elapsed = time.monotonic() - started
        assert handle.wait(5) == -signal.SIGKILL  # STUBBORN ignores SIGTERM
    finally:
        handle.close()
    assert end is None and elapsed < 0.2 + grace + 2
    assert errors == []
    assert_no_process_left(handle.pid, gone_groups)


def test_a_handle_collected_unclosed_kills_its_group_and_closes_its_fds(gone_groups: list[int]) -> None:
    gc.collect()  # earlier tests' garbage (an unclosed SQLite connection) closes its fds now, not below
    before = set(os.listdir("/proc/self/fd"))
    handle = SubprocessRunner().start(python(STUBBORN))
    assert next(drain(handle)) == b"started"
    pgid = handle.pid
    del handle
    gc.collect()
    assert set(os.listdir("/proc/self/fd")) == before
    assert_no_process_left(pgid, gone_groups)


def test_async_a_handle_whose_loop_closed_is_killed_when_collected(gone_groups: list[int]) -> None:
    before = set(os.listdir("/proc/self/fd"))
    handles: list[AsyncSubprocessHandle] = []

    async def main() -> None:
        handles.append(await SubprocessRunner().start_async(python(STUBBORN)))
        assert await handles[0].read_lines(30) == [b"started"]

    run(main)
    pgid = handles[0].pid
    assert live_members(pgid)
    handles.clear()
    gc.collect()
    assert set(os.listdir("/proc/self/fd")) == before
    assert_no_process_left(pgid, gone_groups)


@pytest.mark.parametrize("caller", ["the_loop", "another_thread"])
def test_async_discard_ends_the_run_without_awaiting(caller: str, gone_groups: list[int]) -> None:
    """On the loop's thread at once; from another thread, the kill at once and the fds on the
    loop (only its thread may touch what it watches). A task waiting on the handle sees the end."""

    async def main() -> tuple[set[str], set[str], int | None, int]:
        before = set(os.listdir("/proc/self/fd"))
        handle = await SubprocessRunner().start_async(python(STUBBORN))
        assert await handle.read_lines(30) == [b"started"]
        waiting = asyncio.ensure_future(handle.wait())
        await asyncio.sleep(0)
        if caller == "the_loop":
            handle.discard()
            left = set(os.listdir("/proc/self/fd"))  # at once, before the loop runs again
            code = await asyncio.wait_for(waiting, 5)
        else:
            await asyncio.to_thread(handle.discard)
            code = await asyncio.wait_for(waiting, 5)
            left = set(os.listdir("/proc/self/fd"))
        return before, left, code, handle.pid

    before, left, code, pgid = run(main)
    assert left == before
    assert code == -signal.SIGKILL
    assert_no_process_left(pgid, gone_groups)


def test_discard_from_a_finaliser_amid_the_release_closes_each_fd_once(gone_groups: list[int]) -> None:
    """A garbage collection may run a finaliser that discards the run while the same thread is
    releasing it: the interrupted release must not close a pipe the finaliser closed."""
    popen = _process_group.spawn(python(STUBBORN))
    nested: list[_process_group.RunState] = []

    def unwatch(fd: int) -> None:
        if nested:
            nested.pop().discard()  # the finaliser, run in the middle of the outer release

    state = _process_group.RunState(
        popen, b"", unwatch=unwatch, stderr_limit_bytes=1024, read_chunk_bytes=1024, drain_seconds=0.1
    )
    nested.append(state)
    state.discard()
    assert state.finished and popen.returncode == -signal.SIGKILL and state.pidfd is None
    assert all(pipe is not None and pipe.closed for pipe in (popen.stdin, popen.stdout, popen.stderr))
    assert_no_process_left(popen.pid, gone_groups)
