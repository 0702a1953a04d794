"""Bad arguments to the client fail at once, before any process starts, on every entry point.

The timeouts also run against real processes: a huge but finite value must never crash once
the CLI is running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.scripted_runner import ScriptedRun
from codex_local_sdk import CodexExecRequest, CodexLocalClient, CodexThreadSession
from tests.conftest import MakeHarness
from tests.test_client_real_processes import emit, fake_cli

Call = Callable[[CodexLocalClient, dict[str, Any]], object]
REQUEST = CodexExecRequest(prompt="p")


def _live(run: Any) -> object:
    with run:
        return run.result()


async def _live_async(start: Any) -> object:
    async with await start as run:
        return await run.result()


# Every public way to run a turn, each taking the same keyword arguments.
ENTRY_POINTS: dict[str, Call] = {
    "run": lambda c, kw: c.run(CodexExecRequest(prompt="p"), **kw),
    "run_prompt": lambda c, kw: c.run_prompt("p", **kw),
    "run_with_schema": lambda c, kw: c.run_with_schema("p", {"type": "object"}, **kw),
    "start_thread": lambda c, kw: c.start_thread("p", **kw),
    "resume": lambda c, kw: c.resume("p", session_id="t-1", **kw),
    "run_live": lambda c, kw: _live(c.run_live(CodexExecRequest(prompt="p"), **kw)),
    "resume_live": lambda c, kw: _live(c.resume_live("p", session_id="t-1", **kw)),
    "continue_prompt": lambda c, kw: CodexThreadSession(c, "t-1").continue_prompt("p", **kw),
    "continue_live": lambda c, kw: _live(CodexThreadSession(c, "t-1").continue_live("p", **kw)),
    "run_async": lambda c, kw: asyncio.run(c.run_async(CodexExecRequest(prompt="p"), **kw)),
    "run_prompt_async": lambda c, kw: asyncio.run(c.run_prompt_async("p", **kw)),
    "run_with_schema_async": lambda c, kw: asyncio.run(c.run_with_schema_async("p", {}, **kw)),
    "start_thread_async": lambda c, kw: asyncio.run(c.start_thread_async("p", **kw)),
    "resume_async": lambda c, kw: asyncio.run(c.resume_async("p", session_id="t-1", **kw)),
    "run_live_async": lambda c, kw: asyncio.run(_live_async(c.run_live_async(REQUEST, **kw))),
    "resume_live_async": lambda c, kw: asyncio.run(_live_async(c.resume_live_async("p", last=True, **kw))),
    "continue_prompt_async": lambda c, kw: asyncio.run(
        CodexThreadSession(c, "t").continue_prompt_async("p", **kw)
    ),
    "continue_live_async": lambda c, kw: asyncio.run(
        _live_async(CodexThreadSession(c, "t-1").continue_live_async("p", **kw))
    ),
}


# -- timeouts and the grace period -------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("timeout", [float("inf"), float("-inf")])
def test_an_infinite_timeout_fails_before_any_process(
    make_harness: MakeHarness, entry: str, timeout: float
) -> None:
    h = make_harness([ScriptedRun.success()])
    with pytest.raises(ValueError, match=r"timeout_seconds must be a finite number > 0.*None"):
        ENTRY_POINTS[entry](h.client, {"timeout_seconds": timeout})
    assert h.runner.calls == []


@pytest.mark.parametrize("grace", [float("inf"), float("nan"), -1])
def test_an_infinite_or_negative_grace_period_fails_at_construction(grace: float) -> None:
    with pytest.raises(ValueError, match="terminate_grace_seconds must be a finite number >= 0"):
        CodexLocalClient(terminate_grace_seconds=grace)


def test_a_grace_period_that_is_not_a_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="terminate_grace_seconds must be a number"):
        CodexLocalClient(terminate_grace_seconds="5")  # type: ignore[arg-type]


QUICK_TURN = emit({"type": "thread.started", "thread_id": "t-1"}) + emit(
    {"type": "turn.completed", "usage": {"input_tokens": 1}}
)
THIRTY_DAYS = 30 * 86400.0  # past what select() and epoll accept (about 24.8 days)


@pytest.mark.parametrize("entry", ["run_prompt", "run_live", "run_prompt_async", "run_live_async"])
@pytest.mark.parametrize("timeout", [THIRTY_DAYS, 1e300])
def test_a_huge_finite_timeout_runs_to_the_end(tmp_path: Path, entry: str, timeout: float) -> None:
    client = CodexLocalClient(codex_bin=fake_cli(tmp_path, QUICK_TURN))
    result = ENTRY_POINTS[entry](client, {"timeout_seconds": timeout})
    assert getattr(result, "turn_status", None) == "completed"


@pytest.mark.parametrize("entry", ["run_prompt", "run_prompt_async"])
def test_a_huge_grace_period_still_ends_a_timed_out_run(tmp_path: Path, entry: str) -> None:
    slow = emit({"type": "thread.started", "thread_id": "t-1"}) + "time.sleep(30)\n"
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, slow), terminate_grace_seconds=THIRTY_DAYS, raise_on_error=False
    )
    result = ENTRY_POINTS[entry](client, {"timeout_seconds": 0.3})
    assert getattr(result, "turn_status", None) == "timed_out"  # SIGTERM ended it; no crash
