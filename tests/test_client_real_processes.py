"""The client over the real SubprocessRunner: live streaming, cancellation, interrupts, scale.

The CLI is played by small Python scripts, so these tests are about the SDK's process
handling, not about Codex.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from codex_local_sdk import CodexExecRequest, CodexLocalClient, RetryPolicy
from tests.test_subprocess_runner import group_alive

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
import sys
from codex_local_sdk import CodexExecRequest, CodexLocalClient
client = CodexLocalClient(
    codex_bin=sys.argv[1], event_hook=lambda e: e.type == "live.event" or print(e.type, flush=True)
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
        "live.started", "live.startup_failed", "live.startup_retried",
        "live.started", "live.startup_failed", "live.startup_retried",
        "live.started", "live.event", "live.event",
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
