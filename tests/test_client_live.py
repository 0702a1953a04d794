"""Live runs and native async on ScriptedRunner + FakeClock: start-up retries and telemetry."""

from __future__ import annotations

import asyncio

import pytest

from adapters.scripted_runner import ScriptedRun
from codex_local_sdk import (
    CodexExecFailedError,
    CodexExecRequest,
    CodexNotInstalledError,
    CodexSpawnError,
    CodexTimeoutError,
    RetryPolicy,
)
from tests.conftest import MakeHarness

OK = ScriptedRun.success("streamed")
EARLY_EXIT = ScriptedRun(stderr="provider refused\n", exit_code=1)
SPAWN_FAIL = ScriptedRun(spawn_error=CodexSpawnError("codex", "Resource temporarily unavailable"))
REQUEST = CodexExecRequest(prompt="p")


def test_live_run_keeps_only_the_summary_by_default(make_harness: MakeHarness) -> None:
    h = make_harness([OK])
    with h.client.run_live(REQUEST) as run:
        assert len(list(run.iter_events())) == 4
        result = run.result()
    assert (result.events, result.stdout) == ((), "")
    assert (result.thread_id, result.final_message, result.turn_status) == (
        "thread-1",
        "streamed",
        "completed",
    )
    assert result.usage is not None


def test_live_run_yields_every_event_and_can_keep_them(make_harness: MakeHarness) -> None:
    h = make_harness([OK])
    with h.client.run_live(REQUEST, keep_events=True) as run:
        types = [event.type for event in run.iter_events()]
        result = run.result()
    assert types == ["thread.started", "turn.started", "item.completed", "turn.completed"]
    assert [e.type for e in result.events] == types
    assert result.final_message == "streamed"
    assert h.event_types(exclude_live_events=False) == [
        "live.started",
        "live.event",
        "live.event",
        "live.event",
        "live.event",
    ]


def test_live_forces_json_output(make_harness: MakeHarness) -> None:
    h = make_harness([OK])
    with h.client.run_live(CodexExecRequest(prompt="p", json_output=False)) as run:
        run.result()
    assert "--json" in h.runner.calls[0].argv


def test_startup_failures_are_retried_transparently(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(max_attempts=3, initial_backoff_seconds=1, jitter_ratio=0)
    h = make_harness([SPAWN_FAIL, EARLY_EXIT, OK], retry_policy=policy)
    with h.client.run_live(REQUEST) as run:
        types = [event.type for event in run.iter_events()]
        result = run.result()
    assert types == ["thread.started", "turn.started", "item.completed", "turn.completed"]
    assert result.attempts == 3
    assert h.event_types() == [
        "live.startup_failed",
        "live.startup_retried",
        "live.started",
        "live.startup_failed",
        "live.startup_retried",
        "live.started",
    ]
    assert h.clock.sleeps == [1, 2]
    early = h.events[3]
    assert (early.attempt, early.return_code, early.error) == (2, 1, "provider refused")


def test_startup_failures_exhausted_give_the_last_failure(make_harness: MakeHarness) -> None:
    h = make_harness([EARLY_EXIT, EARLY_EXIT], retry_policy=RetryPolicy(max_attempts=2))
    run = h.client.run_live(REQUEST)
    assert list(run.iter_events()) == []
    with pytest.raises(CodexExecFailedError, match="provider refused"):
        run.result()


def test_no_retry_once_an_event_was_seen(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.failure("mid-turn"), OK], retry_policy=RetryPolicy(max_attempts=3))
    with h.client.run_live(REQUEST) as run:
        list(run.iter_events())
        with pytest.raises(CodexExecFailedError, match="mid-turn"):
            run.result()
    assert len(h.runner.calls) == 1


def test_not_installed_is_not_a_startup_retry(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.not_installed(), OK], retry_policy=RetryPolicy(max_attempts=3))
    with pytest.raises(CodexNotInstalledError):
        h.client.run_live(REQUEST)
    assert len(h.runner.calls) == 1


def test_terminate_sets_the_status(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[{"type": "turn.started"}], hang=True)], raise_on_error=False)
    with h.client.run_live(REQUEST, timeout_seconds=60) as run:
        assert next(iter(run.iter_events())).type == "turn.started"
        run.terminate()
        result = run.result()
    assert (result.turn_status, result.return_code, result.timed_out) == ("terminated", -15, False)


def test_kill_sets_the_status(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[{"type": "turn.started"}], hang=True)], raise_on_error=False)
    with h.client.run_live(REQUEST, timeout_seconds=60) as run:
        run.kill()
        assert run.result().turn_status == "killed"


def test_live_timeout(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[{"type": "turn.started"}], hang=True)])
    with h.client.run_live(REQUEST, timeout_seconds=10) as run:
        assert [e.type for e in run.iter_events()] == ["turn.started"]
        with pytest.raises(CodexTimeoutError):
            run.result()
    assert h.clock.monotonic() == 10


def test_wait_with_a_timeout_leaves_the_run_going(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[{"type": "turn.started"}], duration_seconds=10)])
    with h.client.run_live(REQUEST) as run:
        with pytest.raises(TimeoutError):
            run.wait(timeout=3)
        assert run.wait().return_code == 0
    assert h.clock.monotonic() == 10


def test_leaving_the_block_kills_a_running_process(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[{"type": "turn.started"}], hang=True)])
    with h.client.run_live(REQUEST):
        pass
    process = h.runner.processes[0]
    assert process.closed and process.returncode == -9


def test_session_aware_live_records_the_turn_exactly_once(make_harness: MakeHarness) -> None:
    h = make_harness([OK, OK])
    session, _ = h.client.start_thread("hello", session_name="s")
    with session.continue_live("more") as run:
        list(run.iter_events())
        run.result()
        run.result()
        run.wait()
    record = h.client.get_session_record("s")
    assert record is not None and record.turn_count == 2
    assert [t.operation for t in record.turns] == ["start_thread", "resume_live"]


# -- asyncio twins ---------------------------------------------------------------------------


def test_async_run_retries_like_the_sync_one(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.failure(), OK], retry_policy=RetryPolicy(max_attempts=2))
    result = asyncio.run(h.client.run_prompt_async("p"))
    assert (result.final_message, result.attempts) == ("streamed", 2)
    assert h.event_types() == [
        "attempt.started",
        "attempt.failed",
        "retry.scheduled",
        "attempt.started",
        "attempt.succeeded",
    ]


def test_async_sessions(make_harness: MakeHarness) -> None:
    h = make_harness([OK, OK, OK])

    async def scenario() -> int:
        session, _ = await h.client.start_thread_async("hello", session_name="s")
        await h.client.resume_async("more", session_name="s")
        await session.continue_prompt_async("again")
        record = h.client.get_session_record("s")
        return record.turn_count if record else 0

    assert asyncio.run(scenario()) == 3


def test_async_schema_run(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success('{"ok": true}')])
    result = asyncio.run(h.client.run_with_schema_async("p", {"type": "object"}))
    assert result.parse_json() == {"ok": True}


def test_async_live_with_startup_retry(make_harness: MakeHarness) -> None:
    h = make_harness([EARLY_EXIT, OK], retry_policy=RetryPolicy(max_attempts=2))

    async def scenario() -> list[str]:
        async with await h.client.run_live_async(REQUEST) as run:
            types = [event.type async for event in run.iter_events()]
            assert (await run.result()).attempts == 2
            return types

    assert asyncio.run(scenario()) == ["thread.started", "turn.started", "item.completed", "turn.completed"]
    assert h.event_types() == [
        "live.started",
        "live.startup_failed",
        "live.startup_retried",
        "live.started",
    ]


def test_async_continue_live_records_once(make_harness: MakeHarness) -> None:
    h = make_harness([OK, OK])

    async def scenario() -> None:
        session, _ = await h.client.start_thread_async("hello", session_name="s")
        async with await session.continue_live_async("more") as run:
            _ = [event async for event in run.iter_events()]
            await run.result()
            await run.wait()

    asyncio.run(scenario())
    record = h.client.get_session_record("s")
    assert record is not None and record.turn_count == 2
