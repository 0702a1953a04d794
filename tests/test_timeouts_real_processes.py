"""The idle and first-event timeouts over the real SubprocessRunner, in the four ways to run:
sync, asyncio, live and async live. The CLI is played by small Python scripts that stall
(holding a child that keeps the pipes open), stay silent, or make steady progress."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codex_local_sdk import CodexExecRequest, CodexExecResult, CodexLocalClient, CodexTimeoutError, _attempt
from tests.test_client_real_processes import emit, fake_cli
from tests.test_subprocess_runner import group_alive

GRACE = 0.5
REQUEST = CodexExecRequest(prompt="go")
ITEM: dict[str, object] = {
    "type": "item.completed",
    "item": {"id": "i", "type": "reasoning", "text": "thinking"},
}
RECORD_GROUP = "import os, subprocess\nopen(os.environ['PID_FILE'], 'w').write(str(os.getpid()))\n"
HOLD_PIPES = "subprocess.Popen(['sleep', '60'])\ntime.sleep(60)\n"  # a child holds stdout open too

STALL = (
    RECORD_GROUP
    + emit({"type": "thread.started", "thread_id": "t-stall"})
    + emit({"type": "turn.started"})
    + emit(ITEM)
    + emit({"type": "error", "message": "Reconnecting... 1/5"})
    + HOLD_PIPES
)
SILENT = RECORD_GROUP + HOLD_PIPES
NEVER_EXITS = (  # the turn ends, and the CLI goes on, as one waiting for an MCP server to stop
    RECORD_GROUP
    + emit({"type": "thread.started", "thread_id": "t-done"})
    + emit({"type": "item.completed", "item": {"id": "m", "type": "agent_message", "text": "done"}})
    + emit({"type": "turn.completed", "usage": {"input_tokens": 1}})
    + HOLD_PIPES
)
STEADY = (
    RECORD_GROUP
    + emit({"type": "thread.started", "thread_id": "t-steady"})
    + "for _ in range(10):\n    time.sleep(0.3)\n    "
    + emit(ITEM)
    + emit({"type": "turn.completed", "usage": {"input_tokens": 1}})
)


def run_sync(client: CodexLocalClient, limits: dict[str, Any]) -> CodexExecResult:
    return client.run(REQUEST, **limits)


def run_async(client: CodexLocalClient, limits: dict[str, Any]) -> CodexExecResult:
    return asyncio.run(client.run_async(REQUEST, **limits))


def run_live(client: CodexLocalClient, limits: dict[str, Any]) -> CodexExecResult:
    with client.run_live(REQUEST, keep_events=True, **limits) as run:
        for _ in run.iter_events():
            pass
        return run.result()


def run_live_async(client: CodexLocalClient, limits: dict[str, Any]) -> CodexExecResult:
    async def scenario() -> CodexExecResult:
        async with await client.run_live_async(REQUEST, keep_events=True, **limits) as run:
            async for _ in run.iter_events():
                pass
            return await run.result()

    return asyncio.run(scenario())


WAYS: dict[str, Callable[[CodexLocalClient, dict[str, Any]], CodexExecResult]] = {
    "sync": run_sync,
    "async": run_async,
    "live": run_live,
    "live_async": run_live_async,
}


def client_for(tmp_path: Path, body: str, monkeypatch: pytest.MonkeyPatch) -> tuple[CodexLocalClient, Path]:
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("PID_FILE", str(pid_file))
    return CodexLocalClient(codex_bin=fake_cli(tmp_path, body), terminate_grace_seconds=GRACE), pid_file


def timed_out(way: str, client: CodexLocalClient, limits: dict[str, Any]) -> tuple[CodexTimeoutError, float]:
    started = time.monotonic()
    with pytest.raises(CodexTimeoutError) as info:
        WAYS[way](client, limits)
    return info.value, time.monotonic() - started


@pytest.mark.parametrize("way", WAYS)
def test_a_cli_that_stalls_after_an_event_ends_by_the_idle_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    client, pid_file = client_for(tmp_path, STALL, monkeypatch)
    error, seconds = timed_out(way, client, {"timeout_seconds": 60, "idle_timeout_seconds": 1})
    assert seconds < 1 + GRACE + 1
    assert error.timeout_kind == "idle" and error.result.thread_id == "t-stall"
    assert [e.type for e in error.result.events] == [
        "thread.started",
        "turn.started",
        "item.completed",
        "error",
    ]
    assert not group_alive(int(pid_file.read_text()))


@pytest.mark.parametrize("way", WAYS)
def test_a_silent_cli_ends_by_the_first_event_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    client, pid_file = client_for(tmp_path, SILENT, monkeypatch)
    error, seconds = timed_out(way, client, {"first_event_timeout_seconds": 1})
    assert seconds < 1 + GRACE + 1
    assert error.timeout_kind == "first_event" and error.result.events == ()
    assert not group_alive(int(pid_file.read_text()))


@pytest.mark.parametrize("way", WAYS)
def test_a_cli_making_steady_progress_completes_under_the_idle_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    client, _ = client_for(tmp_path, STEADY, monkeypatch)
    result = WAYS[way](client, {"idle_timeout_seconds": 1, "first_event_timeout_seconds": 1})
    assert result.succeeded and len(result.events) == 12


@pytest.mark.parametrize("way", WAYS)
def test_a_cli_that_never_exits_after_its_turn_ends_is_ended_a_grace_later_and_the_turn_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    monkeypatch.setattr(_attempt, "AFTER_TURN_SECONDS", 1.0)  # 10 s in use
    client, pid_file = client_for(tmp_path, NEVER_EXITS, monkeypatch)
    error, seconds = timed_out(way, client, {})  # no limit of the caller's: the turn's end is enough
    assert seconds < 1 + GRACE + 5  # the 1 s after the turn, the grace, a loaded machine's start-up
    assert (error.result.turn_status, error.result.final_message) == ("completed", "done")
    assert not group_alive(int(pid_file.read_text()))
