"""The operation.started / operation.finished pair around each call, and its operation id."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from codex_local_sdk import (
    CodexClientEvent,
    CodexExecFailedError,
    CodexExecRequest,
    CodexLocalClient,
    CodexNotInstalledError,
)
from codex_local_sdk.events import CLIENT_EVENT_TYPES
from codex_local_sdk.testing import FakeClock, InMemorySessionStore, ScriptedRun, ScriptedRunner

from .conftest import MakeHarness

FINE = ScriptedRun.success("done", usage={"input_tokens": 40, "output_tokens": 8})


def test_the_seeds_event_types_stay_and_the_operation_pair_joins_them() -> None:
    assert CLIENT_EVENT_TYPES[:2] == ("operation.started", "operation.finished")
    assert "attempt.started" in CLIENT_EVENT_TYPES and "session.updated" in CLIENT_EVENT_TYPES


def test_a_call_is_framed_by_the_pair_and_every_event_carries_its_id(make_harness: MakeHarness) -> None:
    h = make_harness([FINE])
    h.client.start_thread("p", session_name="s", model="gpt-5-codex")
    assert h.event_types(operations=True) == [
        "operation.started",
        "attempt.started",
        "attempt.succeeded",
        "session.updated",
        "operation.finished",
    ]
    started, finished = h.recorded[0], h.recorded[-1]
    assert len({e.operation_id for e in h.recorded}) == 1 and started.operation_id
    assert (started.session_name, dict(started.data)) == ("s", {"model": "gpt-5-codex"})
    assert (finished.return_code, finished.turn_status, finished.session_id) == (0, "completed", "thread-1")
    assert dict(finished.data) == {"succeeded": True, "input_tokens": 40, "output_tokens": 8}


def test_a_failed_call_finishes_with_its_failure_kind(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.failure("the model provider is overloaded")])
    with pytest.raises(CodexExecFailedError):
        h.client.run_prompt("p")
    finished = h.recorded[-1]
    assert finished.type == "operation.finished"
    assert dict(finished.data) == {"succeeded": False, "failure_kind": "provider_unavailable"}
    assert finished.error == "the model provider is overloaded"


def test_a_call_that_raises_before_any_result_still_finishes(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.not_installed()])
    with pytest.raises(CodexNotInstalledError):
        h.client.run_prompt("p")
    assert h.event_types(operations=True)[-1] == "operation.finished"
    finished = h.recorded[-1]
    assert finished.data["error_type"] == "CodexNotInstalledError" and finished.data["succeeded"] is False


def test_a_live_run_finishes_when_its_result_is_taken(make_harness: MakeHarness) -> None:
    h = make_harness([FINE])
    with h.client.run_live(CodexExecRequest(prompt="p")) as run:
        for _ in run.iter_events():
            pass
        run.result()
    types = h.event_types(operations=True, exclude_live_events=False)
    assert (types[0], types[-1], types.count("operation.finished")) == (
        "operation.started",
        "operation.finished",
        1,
    )
    assert len({e.operation_id for e in h.recorded}) == 1  # live.event too


def test_overlapping_calls_are_told_apart_by_their_ids() -> None:
    clock = FakeClock()
    events: list[CodexClientEvent] = []
    client = CodexLocalClient(
        runner=ScriptedRunner([FINE] * 3, clock=clock),
        clock=clock,
        session_store=InMemorySessionStore(clock=clock),
        event_hook=events.append,
    )

    async def three() -> None:
        await asyncio.gather(*(client.run_async(CodexExecRequest(prompt="p")) for _ in range(3)))

    asyncio.run(three())
    calls: dict[str | None, list[str]] = defaultdict(list)
    for event in events:
        calls[event.operation_id].append(event.type)
    assert None not in calls
    assert (
        sorted(calls.values())
        == [["operation.started", "attempt.started", "attempt.succeeded", "operation.finished"]] * 3
    )
