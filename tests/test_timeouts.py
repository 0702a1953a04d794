"""The three timeouts (total, idle, first event) on ScriptedRunner + FakeClock, sync and async.

Progress is an item event or the turn's end; ``thread.started``, ``turn.started``, ``error``
events and non-JSON lines are not (an unreachable provider prints those for ever).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from adapters.scripted_runner import Pause, ScriptedRun, StdoutLine, codex_turn_events
from codex_local_sdk import CodexExecRequest, CodexLocalClient, CodexThreadSession, CodexTimeoutError
from tests.conftest import MakeHarness

STARTED = [{"type": "thread.started", "thread_id": "t-stall"}, {"type": "turn.started"}]
ITEM = {"type": "item.completed", "item": {"id": "i", "type": "reasoning", "text": "thinking"}}
RECONNECTING = {"type": "error", "message": "Reconnecting... 1/5"}
# What 0.169.0 prints with the provider unreachable: the turn starts, then only "Reconnecting...".
UNREACHABLE = ScriptedRun(
    stdout=[*STARTED, Pause(0.3), RECONNECTING, Pause(5.1), RECONNECTING, Pause(10), RECONNECTING], hang=True
)
REQUEST = CodexExecRequest(prompt="p")


def timeout_error(h: Any, **limits: float) -> CodexTimeoutError:
    with pytest.raises(CodexTimeoutError) as info:
        h.client.run_prompt("p", **limits)
    return info.value


def test_an_unreachable_provider_ends_by_the_idle_timeout(make_harness: MakeHarness) -> None:
    h = make_harness([UNREACHABLE])
    error = timeout_error(h, timeout_seconds=3600, idle_timeout_seconds=2)
    assert (error.timeout_kind, error.timeout_seconds) == ("idle", 2)
    assert h.clock.monotonic() == pytest.approx(2)  # the error events did not count as progress
    assert error.result.thread_id == "t-stall"  # the partial result
    assert [e.type for e in error.result.events] == ["thread.started", "turn.started", "error"]
    assert error.failure_kind == "timeout"
    assert "no progress within the idle timeout of 2 s" in str(error)


def test_an_unreachable_provider_ends_by_the_first_event_timeout(make_harness: MakeHarness) -> None:
    h = make_harness([UNREACHABLE])
    error = timeout_error(h, first_event_timeout_seconds=7)
    assert (error.timeout_kind, error.timeout_seconds) == ("first_event", 7)
    assert h.clock.monotonic() == pytest.approx(7)
    assert error.result.timeout_kind == "first_event"


def test_the_idle_timeout_counts_from_the_last_progress(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[*STARTED, Pause(0.5), ITEM, Pause(0.9), ITEM], hang=True)])
    error = timeout_error(h, idle_timeout_seconds=1)
    assert error.timeout_kind == "idle"
    assert h.clock.monotonic() == pytest.approx(0.5 + 0.9 + 1)
    assert [e.type for e in error.result.events][-2:] == ["item.completed", "item.completed"]


def test_steady_progress_completes_under_an_idle_timeout(make_harness: MakeHarness) -> None:
    steady: list[StdoutLine] = [*STARTED]
    for _ in range(10):
        steady += [Pause(0.3), ITEM]
    events = codex_turn_events(thread_id="t-stall")
    h = make_harness([ScriptedRun(stdout=[*steady, Pause(0.3), *events[2:]])])
    result = h.client.run_prompt("p", idle_timeout_seconds=1, first_event_timeout_seconds=1)
    assert result.succeeded and result.final_message == "done"
    assert result.failure_kind is None and result.timeout_kind is None
    assert len(result.events) == 2 + 10 + 2


def test_the_first_event_timeout_does_not_fire_after_progress(make_harness: MakeHarness) -> None:
    events = codex_turn_events()
    h = make_harness([ScriptedRun(stdout=[*events[:2], Pause(0.5), events[2], Pause(5), events[3]])])
    assert h.client.run_prompt("p", first_event_timeout_seconds=1).succeeded


def test_the_total_timeout_says_its_kind(make_harness: MakeHarness) -> None:
    h = make_harness([UNREACHABLE])
    error = timeout_error(h, timeout_seconds=4, idle_timeout_seconds=100)
    assert (error.timeout_kind, error.timeout_seconds) == ("total", 4)


def test_without_json_output_every_line_is_progress(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=["a", Pause(0.8), "b", Pause(0.8), "c"], duration_seconds=0.5)])
    result = h.client.run(CodexExecRequest(prompt="p", json_output=False), idle_timeout_seconds=1)
    assert result.succeeded and result.stdout == "a\nb\nc\n"


def test_the_clients_defaults_apply_and_a_call_overrides_them(make_harness: MakeHarness) -> None:
    h = make_harness([UNREACHABLE, UNREACHABLE], idle_timeout_seconds=3, first_event_timeout_seconds=9)
    assert timeout_error(h).timeout_kind == "idle"
    assert h.clock.monotonic() == pytest.approx(3)
    assert timeout_error(h, idle_timeout_seconds=60).timeout_kind == "first_event"
    assert h.clock.monotonic() == pytest.approx(3 + 9)


def test_thread_turns_take_the_timeouts(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success(thread_id="t-1"), UNREACHABLE])
    thread, _ = h.client.start_thread("p")
    with pytest.raises(CodexTimeoutError) as info:
        thread.continue_prompt("again", first_event_timeout_seconds=2)
    assert info.value.timeout_kind == "first_event"


def test_a_live_run_enforces_the_idle_timeout_while_iterating(make_harness: MakeHarness) -> None:
    h = make_harness([UNREACHABLE])
    with h.client.run_live(REQUEST, idle_timeout_seconds=2) as run:
        assert [e.type for e in run.iter_events()] == ["thread.started", "turn.started", "error"]
        with pytest.raises(CodexTimeoutError) as info:
            run.result()
    assert info.value.timeout_kind == "idle"
    assert h.clock.monotonic() == pytest.approx(2)


def test_a_live_run_enforces_the_first_event_timeout_while_waiting(make_harness: MakeHarness) -> None:
    h = make_harness([UNREACHABLE])
    with (
        h.client.run_live(REQUEST, first_event_timeout_seconds=4) as run,
        pytest.raises(CodexTimeoutError) as info,
    ):
        run.wait()
    assert info.value.timeout_kind == "first_event"
    assert h.clock.monotonic() == pytest.approx(4)


@pytest.mark.parametrize(
    ("limits", "error", "message"),
    [
        ({"idle_timeout_seconds": 0}, ValueError, "idle_timeout_seconds must be a finite number > 0"),
        ({"first_event_timeout_seconds": "5"}, TypeError, "first_event_timeout_seconds must be a number"),
        ({"timeout_seconds": float("inf")}, ValueError, "timeout_seconds must be a finite number > 0"),
    ],
)
def test_bad_limits_fail_before_anything_runs(
    make_harness: MakeHarness, limits: dict[str, Any], error: type[Exception], message: str
) -> None:
    h = make_harness([])
    with pytest.raises(error, match=message):
        h.client.run_prompt("p", **limits)
    with pytest.raises(error, match=message):
        CodexLocalClient(**limits)
    assert h.runner.calls == []


def test_every_operation_that_takes_a_total_timeout_takes_the_other_two() -> None:
    for owner in (CodexLocalClient, CodexThreadSession):
        for name, method in inspect.getmembers(owner, inspect.isfunction):
            parameters = inspect.signature(method).parameters
            if "timeout_seconds" in parameters:
                missing = {"idle_timeout_seconds", "first_event_timeout_seconds"} - set(parameters)
                assert not missing, f"{owner.__name__}.{name} lacks {sorted(missing)}"


def fork(h: Any, **limits: float) -> None:
    h.client.fork_thread("p", session_id="t-1", **limits)


def fork_a_thread_session(h: Any, **limits: float) -> None:
    h.store.set("work", "t-1")
    h.client.open_session("work").fork("p", **limits)


def review(h: Any, **limits: float) -> None:
    h.client.review(uncommitted=True, **limits)


def review_live(h: Any, **limits: float) -> None:
    with h.client.review_live(uncommitted=True, **limits) as run:
        run.wait()


@pytest.mark.parametrize("operation", [fork, fork_a_thread_session, review, review_live])
def test_forks_and_reviews_end_by_the_idle_and_first_event_timeouts(
    make_harness: MakeHarness, operation: Callable[..., None]
) -> None:
    h = make_harness([UNREACHABLE, UNREACHABLE])
    with pytest.raises(CodexTimeoutError) as idle:
        operation(h, idle_timeout_seconds=2)
    with pytest.raises(CodexTimeoutError) as first_event:
        operation(h, first_event_timeout_seconds=3)
    assert (idle.value.timeout_kind, first_event.value.timeout_kind) == ("idle", "first_event")
    assert h.clock.monotonic() == pytest.approx(2 + 3)
