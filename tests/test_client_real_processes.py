"""The client over the real SubprocessRunner: live streaming, cancellation, interrupts, scale.

The CLI is played by small Python scripts, so these tests are about the SDK's process
handling, not about Codex.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from codex_local_sdk import (
    AsyncCodexLiveRun,
    CodexExecRequest,
    CodexExecResult,
    CodexLiveRun,
    CodexLocalClient,
    RetryPolicy,
    Usage,
)
from tests.test_subprocess_runner import group_alive, live_members

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[1]
REQUEST = CodexExecRequest(prompt="go")


def fake_cli(tmp_path: Path, body: str, name: str = "codex") -> str:
    """An executable that plays the CLI with ``body`` (Python, after reading stdin)."""
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\nimport json, sys, time\nsys.stdin.read()\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return str(path)


def emit(event: dict[str, object]) -> str:
    return f"print(json.dumps({event!r}), flush=True)\n"


SLOW_TURN = (
    emit({"type": "thread.started", "thread_id": "t-live"})
    + "time.sleep(2)\n"
    + emit({"type": "turn.completed", "usage": {"input_tokens": 1}})
)


def test_the_first_event_arrives_while_the_cli_still_works(tmp_path: Path) -> None:
    client = CodexLocalClient(codex_bin=fake_cli(tmp_path, SLOW_TURN))
    with client.run_live(REQUEST) as run:
        events = run.iter_events()
        first = next(events)
        assert first.thread_id == "t-live"
        assert run._attempt.handle.returncode is None  # the CLI is still sleeping
        assert [e.type for e in events] == ["turn.completed"]
        assert run.result().turn_status == "completed"


def test_async_first_event_arrives_while_the_cli_still_works(tmp_path: Path) -> None:
    client = CodexLocalClient(codex_bin=fake_cli(tmp_path, SLOW_TURN))

    async def scenario() -> None:
        async with await client.run_live_async(REQUEST) as run:
            events = run.iter_events()
            first = await events.__anext__()
            assert first.thread_id == "t-live"
            assert run._attempt.handle.returncode is None
            assert [e.type async for e in events] == ["turn.completed"]

    asyncio.run(scenario())


STUBBORN = """
import signal, subprocess
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(json.dumps({"type": "turn.started"}), flush=True)
time.sleep(60)
"""


def test_live_terminate_ends_a_stubborn_group_within_the_grace(tmp_path: Path) -> None:
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, STUBBORN), raise_on_error=False, terminate_grace_seconds=1
    )
    with client.run_live(REQUEST) as run:
        assert next(iter(run.iter_events())).type == "turn.started"
        started = time.monotonic()
        run.terminate()
        assert time.monotonic() - started < 1 + 1
        result = run.result()
    assert (result.turn_status, result.return_code) == ("terminated", -9)
    assert run.pid is not None and not group_alive(run.pid)


def test_timeout_ends_a_stubborn_group(tmp_path: Path) -> None:
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, STUBBORN), raise_on_error=False, terminate_grace_seconds=0.5
    )
    pids: list[int] = []
    started = time.monotonic()
    with client.run_live(REQUEST, timeout_seconds=1) as run:
        pids.append(run.pid or 0)
        result = run.result()
    assert time.monotonic() - started < 1 + 0.5 + 1
    assert result.timed_out and result.turn_status == "timed_out"
    assert not group_alive(pids[0])


INTERRUPTED_RUN = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # a test run in the background ignores it
from codex_local_sdk import CodexExecRequest, CodexLocalClient
client = CodexLocalClient(
    codex_bin=sys.argv[1],
    event_hook=lambda e: e.type in ("live.event", "operation.started") or print(e.type, flush=True),
)
try:
    {statement}
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


SILENT = """
import signal, subprocess
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
time.sleep(60)
"""
PID_THEN_STUBBORN = (
    "print(json.dumps({'type': 'pid', 'pid': __import__('os').getpid()}), flush=True)\n" + STUBBORN
)


LIVE = "client.run_live(CodexExecRequest(prompt='go'))"


@pytest.mark.parametrize(
    ("statement", "body"),
    [
        ("client.run(CodexExecRequest(prompt='go'))", PID_THEN_STUBBORN),
        (f"{LIVE}.result()", PID_THEN_STUBBORN),
        (f"for e in {LIVE}.iter_events(): print(e.type, flush=True)", PID_THEN_STUBBORN),
        (LIVE, SILENT),  # waiting for the first event
    ],
)
def test_keyboard_interrupt_kills_the_group(tmp_path: Path, statement: str, body: str) -> None:
    cli = fake_cli(tmp_path, body)
    caller = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_RUN.format(statement=statement), cli],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert caller.stdout is not None
    assert caller.stdout.readline().strip() in {"attempt.started", "live.started"}
    pgid = _wait_for_group_of(cli)
    if "iter_events" in statement:  # interrupt the loop itself, not the start-up
        assert caller.stdout.readline().strip() == "pid"
        assert caller.stdout.readline().strip() == "turn.started"
    caller.send_signal(signal.SIGINT)
    out, _ = caller.communicate(timeout=30)
    assert "interrupted" in out
    assert not group_alive(pgid)


def _wait_for_group_of(cli: str) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for entry in os.listdir("/proc"):
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cli.encode() in cmdline[:2]:
                return os.getpgid(int(entry))
        time.sleep(0.02)
    raise AssertionError(f"{cli} never started")


async def cancel_when_running(call: Awaitable[object], group: Callable[[], int]) -> int:
    """Run ``call`` as a task and cancel it once ``group()`` found the run's process group."""
    task = asyncio.ensure_future(call)
    pgid = await asyncio.to_thread(group)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return pgid


@pytest.mark.parametrize(
    ("method", "body"),
    [("run_async", STUBBORN), ("run_live_async", SILENT)],  # run_live_async waits for a first event
)
def test_cancelling_an_async_run_kills_the_group(tmp_path: Path, method: str, body: str) -> None:
    cli = fake_cli(tmp_path, body)
    client = CodexLocalClient(codex_bin=cli)
    call = getattr(client, method)(REQUEST)
    assert not group_alive(asyncio.run(cancel_when_running(call, lambda: _wait_for_group_of(cli))))


def test_cancelling_an_async_live_iteration_kills_the_group(tmp_path: Path) -> None:
    client = CodexLocalClient(codex_bin=fake_cli(tmp_path, STUBBORN))
    pids: list[int] = []

    async def consume() -> None:
        run = await client.run_live_async(REQUEST)
        pids.append(run.pid or 0)
        async for _ in run.iter_events():
            pass

    async def scenario() -> None:
        task = asyncio.create_task(consume())
        while not pids:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert not group_alive(pids[0])


def test_cancelling_an_async_live_wait_kills_the_group(tmp_path: Path) -> None:
    client = CodexLocalClient(codex_bin=fake_cli(tmp_path, STUBBORN))

    async def scenario() -> int | None:
        run = await client.run_live_async(REQUEST)
        task = asyncio.create_task(run.wait())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return run.pid

    pid = asyncio.run(scenario())
    assert pid is not None and not group_alive(pid)


def test_cancelling_an_async_run_in_its_second_attempt_kills_the_group(tmp_path: Path) -> None:
    counter, group_file = tmp_path / "starts", tmp_path / "second-group"
    first_fails = f"""
        import os
        from pathlib import Path
        if not Path({str(counter)!r}).exists():
            Path({str(counter)!r}).write_text("1")
            sys.exit(1)
        Path({str(group_file)!r}).write_text(str(os.getpgid(0)))
    """
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, textwrap.dedent(first_fails) + STUBBORN),
        retry_policy=RetryPolicy(max_attempts=2, initial_backoff_seconds=0.05),
    )

    def second_group() -> int:
        while not group_file.exists() or not group_file.read_text():
            time.sleep(0.02)
        return int(group_file.read_text())

    assert not group_alive(asyncio.run(cancel_when_running(client.run_async(REQUEST), second_group)))


def test_a_20_mb_event_line_is_one_event(tmp_path: Path) -> None:
    big_message = "{'type': 'item.completed', 'item': {'type': 'agent_message', 'text': 'y' * (20 << 20)}}"
    body = emit({"type": "thread.started", "thread_id": "t"}) + f"print(json.dumps({big_message}))\n"
    result = CodexLocalClient(codex_bin=fake_cli(tmp_path, body)).run(REQUEST)
    assert [e.type for e in result.events] == ["thread.started", "item.completed"]
    assert result.final_message is not None and len(result.final_message) == 20 << 20


def test_startup_failing_twice_then_working_streams_cleanly(tmp_path: Path) -> None:
    counter = tmp_path / "starts"
    body = textwrap.dedent(f"""
        from pathlib import Path
        counter = Path({str(counter)!r})
        n = int(counter.read_text()) if counter.exists() else 0
        counter.write_text(str(n + 1))
        if n < 2:
            sys.stderr.write("provider not ready\\n")
            sys.exit(1)
    """) + SLOW_TURN.replace("time.sleep(2)", "")
    events: list[str] = []
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, body),
        retry_policy=RetryPolicy(max_attempts=3, initial_backoff_seconds=0.05),
        event_hook=lambda e: events.append(e.type),
    )
    with client.run_live(REQUEST) as run:
        assert [e.type for e in run.iter_events()] == ["thread.started", "turn.completed"]
        assert run.result().attempts == 3
    assert events == [
        "operation.started",
        "live.started", "live.startup_failed", "live.startup_retried",
        "live.started", "live.startup_failed", "live.startup_retried",
        "live.started", "live.event", "live.event", "operation.finished",
    ]  # fmt: skip


def test_a_relative_codex_bin_runs_from_a_request_cwd_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "work").mkdir()
    fake_cli(tmp_path / "bin", emit({"type": "thread.started", "thread_id": "t-rel"}))
    monkeypatch.chdir(tmp_path)
    client = CodexLocalClient(codex_bin="./bin/codex")
    result = client.run(CodexExecRequest(prompt="go", cwd=str(tmp_path / "work")))
    assert result.thread_id == "t-rel"


def test_200_concurrent_run_async_calls_on_one_loop(tmp_path: Path) -> None:
    cli = fake_cli(tmp_path, "time.sleep(0.5)\nprint(json.dumps({'type': 'turn.completed'}))\n")
    client = CodexLocalClient(codex_bin=cli)
    peak = threading.active_count()

    async def scenario() -> list[str | None]:
        nonlocal peak
        tasks = [asyncio.create_task(client.run_async(REQUEST)) for _ in range(200)]
        while not all(t.done() for t in tasks):
            peak = max(peak, threading.active_count())
            await asyncio.sleep(0.02)
        return [(await t).turn_status for t in tasks]

    assert asyncio.run(scenario()) == ["completed"] * 200
    assert peak < 10


# -- stopping a run from elsewhere, lingering CLIs, runs nobody closed ---------------------

GRACE = 0.5
STOPS = {"terminate": "terminated", "kill": "killed", "close": "interrupted"}


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def read_to_the_end(run: CodexLiveRun, reader: str) -> CodexExecResult:
    if reader == "iter_events":
        for _ in run.iter_events():
            pass
    return run.result()


@pytest.mark.parametrize("reader", ["iter_events", "result"])
@pytest.mark.parametrize("stop", sorted(STOPS))
@pytest.mark.parametrize("stopper", ["signal_handler", "other_thread"])
def test_stopping_a_live_run_from_a_signal_handler_or_a_thread_ends_the_read(
    tmp_path: Path, stopper: str, stop: str, reader: str
) -> None:
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, STUBBORN), raise_on_error=False, terminate_grace_seconds=GRACE
    )
    fds = open_fds()
    errors: list[BaseException] = []

    def stop_it(*_: object) -> None:
        try:
            getattr(run, stop)()
        except BaseException as exc:  # the stopping side must not see an error
            errors.append(exc)

    stopping_thread = threading.Timer(0.2, stop_it)
    # A regression hangs until the run's own timeout, well past the bound asserted below.
    with client.run_live(REQUEST, timeout_seconds=20) as run:
        assert run.pid is not None
        if stopper == "signal_handler":
            previous = signal.signal(signal.SIGALRM, stop_it)
            signal.setitimer(signal.ITIMER_REAL, 0.2)
        else:
            stopping_thread.start()
        started = time.monotonic()
        try:
            result = read_to_the_end(run, reader)
        finally:
            if stopper == "signal_handler":
                signal.signal(signal.SIGALRM, previous)
        elapsed = time.monotonic() - started
    if stopping_thread.is_alive():
        stopping_thread.join(5)
    assert elapsed < 0.2 + GRACE + 2
    assert errors == []
    assert result.turn_status == STOPS[stop] and not result.timed_out
    assert not group_alive(run.pid)
    assert open_fds() == fds


def gone_within(pgid: int, seconds: float) -> bool:
    """Whether every process of group ``pgid`` is dead within ``seconds``."""
    deadline = time.monotonic() + seconds
    while live_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def bounded(call: Callable[[], T], seconds: float) -> T:
    """``call()`` in a thread; fails (instead of hanging the suite) if it takes over ``seconds``."""
    results: list[T] = []
    thread = threading.Thread(target=lambda: results.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    return results[0]


LINGERING = (
    emit({"type": "thread.started", "thread_id": "t-linger"})
    + emit({"type": "turn.completed", "usage": {"input_tokens": 1}})
    + "import os\nos.close(1)\ntime.sleep(30)\n"
)


def _run_live_to_the_end(client: CodexLocalClient) -> CodexExecResult:
    with client.run_live(REQUEST) as run:
        assert [e.type for e in run.iter_events()] == ["thread.started", "turn.completed"]
        return run.result()


@pytest.mark.parametrize("entry", ["run", "run_async", "run_live"])
def test_a_cli_that_closes_stdout_and_lingers_is_terminated_after_the_grace(
    tmp_path: Path, entry: str
) -> None:
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, LINGERING), raise_on_error=False, terminate_grace_seconds=GRACE
    )
    calls: dict[str, Callable[[], CodexExecResult]] = {
        "run": lambda: client.run(REQUEST),
        "run_async": lambda: asyncio.run(client.run_async(REQUEST)),
        "run_live": lambda: _run_live_to_the_end(client),
    }
    result = bounded(calls[entry], GRACE + GRACE + 5)
    assert (result.turn_status, result.thread_id, result.usage) == (
        "completed",
        "t-linger",
        Usage(input_tokens=1),
    )
    assert result.timed_out and result.return_code == -signal.SIGTERM
    assert not any(_cli_processes(tmp_path))


def _cli_processes(tmp_path: Path) -> list[int]:
    """Live processes running a script under ``tmp_path``."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(tmp_path).encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


def test_a_live_run_nobody_reads_is_timed_out(tmp_path: Path) -> None:
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, STUBBORN), raise_on_error=False, terminate_grace_seconds=GRACE
    )
    with client.run_live(REQUEST, timeout_seconds=1) as run:
        for _ in run.iter_events():
            break
        assert run.pid is not None and gone_within(run.pid, 1 + GRACE + 3)  # nobody reads meanwhile
        result = run.result()
    assert result.timed_out and result.turn_status == "timed_out"


def test_async_a_live_run_nobody_reads_is_timed_out(tmp_path: Path) -> None:
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, STUBBORN), raise_on_error=False, terminate_grace_seconds=GRACE
    )

    async def scenario() -> tuple[bool, CodexExecResult]:
        async with await client.run_live_async(REQUEST, timeout_seconds=1) as run:
            async for _ in run.iter_events():
                break
            assert run.pid is not None
            deadline = time.monotonic() + 1 + GRACE + 3
            while live_members(run.pid) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            return not live_members(run.pid), await run.result()

    gone, result = asyncio.run(scenario())
    assert gone
    assert result.timed_out and result.turn_status == "timed_out"


ABANDONED_RUN = """
import asyncio, sys
from codex_local_sdk import CodexExecRequest, CodexLocalClient
client = CodexLocalClient(codex_bin=sys.argv[1])
{body}
print(run.pid, flush=True)
"""

ABANDONED = {
    "sync": """
run = client.run_live(CodexExecRequest(prompt="go"), timeout_seconds=60)
for event in run.iter_events():
    break
""",
    "async": """
async def main():
    return await client.run_live_async(CodexExecRequest(prompt="go"), timeout_seconds=60)
run = asyncio.run(main())  # the loop is closed; the run is still held
""",
}


@pytest.mark.parametrize("kind", sorted(ABANDONED))
def test_a_live_run_never_closed_does_not_outlive_the_interpreter(tmp_path: Path, kind: str) -> None:
    script = ABANDONED_RUN.format(body=ABANDONED[kind])
    caller = subprocess.run(
        [sys.executable, "-W", "always::ResourceWarning", "-c", script, fake_cli(tmp_path, STUBBORN)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    pgid = int(caller.stdout)
    try:
        assert gone_within(pgid, 3)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    assert f"unclosed live run <{'Async' if kind == 'async' else ''}CodexLiveRun pid={pgid}>" in caller.stderr


def test_a_collected_live_run_warns_and_kills_its_group(tmp_path: Path) -> None:
    client = CodexLocalClient(codex_bin=fake_cli(tmp_path, STUBBORN))
    run = client.run_live(REQUEST)
    pgid = run.pid
    assert pgid is not None
    with pytest.warns(ResourceWarning, match=rf"unclosed live run <CodexLiveRun pid={pgid}>"):
        del run
        gc.collect()
    assert not group_alive(pgid)


def test_async_a_live_run_collected_after_its_loop_closed_warns_and_kills_its_group(tmp_path: Path) -> None:
    client = CodexLocalClient(codex_bin=fake_cli(tmp_path, STUBBORN))
    runs: list[AsyncCodexLiveRun] = []

    async def scenario() -> None:
        runs.append(await client.run_live_async(REQUEST))

    asyncio.run(scenario())
    pgid = runs[0].pid
    assert pgid is not None and live_members(pgid)  # the loop is closed; the run is still held
    with pytest.warns(ResourceWarning, match=rf"unclosed live run <AsyncCodexLiveRun pid={pgid}>"):
        runs.clear()
        gc.collect()
    assert not group_alive(pgid)


@pytest.mark.parametrize("where", ["in_a_task", "between_loop_runs"])
def test_async_a_collected_live_run_releases_its_fds_before_the_loop_runs_again(
    tmp_path: Path, where: str
) -> None:
    """No close is left to a coroutine: the loop may close before one finishes (asyncio.run
    closes it just after the clean-up of an async generator, which may free the run), and a
    close cut short after its kill kept the run's pidfd open."""
    client = CodexLocalClient(codex_bin=fake_cli(tmp_path, STUBBORN))
    loop = asyncio.new_event_loop()
    before = open_fds()
    runs: list[AsyncCodexLiveRun] = []

    def drop() -> tuple[int | None, set[str]]:
        pgid = runs[0].pid
        with pytest.warns(ResourceWarning, match=rf"unclosed live run <AsyncCodexLiveRun pid={pgid}>"):
            runs.clear()
        return pgid, open_fds()

    async def start_and_drop() -> tuple[int | None, set[str]]:
        runs.append(await client.run_live_async(REQUEST))
        return drop()

    try:
        if where == "in_a_task":
            pgid, left = loop.run_until_complete(start_and_drop())
        else:
            runs.append(loop.run_until_complete(client.run_live_async(REQUEST)))
            pgid, left = drop()
    finally:
        loop.close()
    assert left == before
    assert pgid is not None and not group_alive(pgid)


@pytest.mark.parametrize("stop", sorted(STOPS))
def test_async_stopping_a_live_run_from_another_task_ends_its_iteration(tmp_path: Path, stop: str) -> None:
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, STUBBORN), raise_on_error=False, terminate_grace_seconds=GRACE
    )

    async def scenario() -> tuple[float, CodexExecResult, int]:
        async with await client.run_live_async(REQUEST, timeout_seconds=20) as run:
            assert run.pid is not None
            stopping: list[asyncio.Future[None]] = []
            asyncio.get_running_loop().call_later(
                0.2, lambda: stopping.append(asyncio.ensure_future(getattr(run, stop)()))
            )
            started = time.monotonic()
            async for _ in run.iter_events():
                pass
            return time.monotonic() - started, await run.result(), run.pid

    elapsed, result, pgid = asyncio.run(scenario())
    assert elapsed < 0.2 + GRACE + 2
    assert result.turn_status == STOPS[stop]
    assert not group_alive(pgid)


QUICK_TURN = emit({"type": "thread.started", "thread_id": "t-quick"}) + emit(
    {"type": "turn.completed", "usage": {"input_tokens": 1}}
)


@pytest.mark.parametrize("read_first", [True, False], ids=["read_then_late_result", "read_late"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_live_run_that_ended_in_time_but_was_read_late_did_not_time_out(
    tmp_path: Path, mode: str, read_first: bool
) -> None:
    client = CodexLocalClient(codex_bin=fake_cli(tmp_path, QUICK_TURN), terminate_grace_seconds=GRACE)
    late = 0.5 + 1.0  # the CLI exits at once; the caller comes back after the 0.5 s deadline

    if mode == "sync":
        with client.run_live(REQUEST, timeout_seconds=0.5) as run:
            if read_first:
                assert [e.type for e in run.iter_events()] == ["thread.started", "turn.completed"]
            time.sleep(late)
            result = run.result()
    else:

        async def scenario() -> CodexExecResult:
            async with await client.run_live_async(REQUEST, timeout_seconds=0.5) as run:
                if read_first:
                    assert [e.type async for e in run.iter_events()] == ["thread.started", "turn.completed"]
                await asyncio.sleep(late)
                return await run.result()

        result = asyncio.run(scenario())
    assert not result.timed_out and result.succeeded and result.turn_status == "completed"
