"""Telemetry hooks: coroutine hooks in sync and async runs, and timeouts after a slow hook."""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from pathlib import Path

import pytest

from adapters.scripted_runner import ScriptedRun, ScriptedRunner
from adapters.sinks import CallbackSink
from codex_local_sdk import CodexClientEvent, CodexExecRequest, CodexLocalClient
from tests.conftest import MakeHarness, sync_only
from tests.test_client_real_processes import emit, fake_cli

REQUEST = CodexExecRequest(prompt="p")
RUN_EVENTS = ["operation.started", "attempt.started", "attempt.succeeded", "operation.finished"]


@sync_only
def test_a_coroutine_hook_runs_to_its_end_in_a_sync_run(make_harness: MakeHarness) -> None:
    seen: list[str] = []

    async def hook(event: CodexClientEvent) -> None:
        await asyncio.sleep(0)
        seen.append(event.type)

    h = make_harness([ScriptedRun.success()], event_hook=hook)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine ... was never awaited" fails the test
        h.client.run(REQUEST)
    assert seen == RUN_EVENTS


def test_a_coroutine_hook_is_a_task_on_the_loop_of_an_async_run(make_harness: MakeHarness) -> None:
    seen: list[tuple[str, asyncio.AbstractEventLoop]] = []

    async def hook(event: CodexClientEvent) -> None:
        seen.append((event.type, asyncio.get_running_loop()))

    h = make_harness([ScriptedRun.success()], event_hook=hook)

    async def scenario() -> asyncio.AbstractEventLoop:
        await h.client.run_async(REQUEST)
        await asyncio.sleep(0)  # one turn of the loop: the last event's task runs
        return asyncio.get_running_loop()

    loop = asyncio.run(scenario())
    assert seen == [(event_type, loop) for event_type in RUN_EVENTS]


def test_an_event_sink_whose_emit_is_a_coroutine_gets_every_event(make_harness: MakeHarness) -> None:
    class AsyncSink:
        def __init__(self) -> None:
            self.seen: list[str] = []

        async def emit(self, event: CodexClientEvent) -> None:
            self.seen.append(event.type)

    sink = AsyncSink()
    make_harness([ScriptedRun.success()], event_hook=sink.emit).client.run(REQUEST)
    assert sink.seen == RUN_EVENTS


@sync_only
def test_what_a_coroutine_hook_raises_is_logged(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    async def hook(event: CodexClientEvent) -> None:
        raise RuntimeError(f"hook broke on {event.type}")

    h = make_harness([ScriptedRun.success(), ScriptedRun.success()], event_hook=hook)
    with caplog.at_level(logging.ERROR, logger="codex_local_sdk.telemetry"):
        h.client.run(REQUEST)

        async def scenario() -> None:
            await h.client.run_async(REQUEST)
            await asyncio.sleep(0)

        asyncio.run(scenario())
    assert [r.exc_info[1].args[0] for r in caplog.records if r.exc_info and r.exc_info[1]] == [
        "hook broke on operation.started",
        "hook broke on attempt.started",
        "hook broke on attempt.succeeded",
        "hook broke on operation.finished",
    ] * 2


def test_a_callback_sink_keeps_its_tasks_until_they_are_done() -> None:
    release = asyncio.Event()

    async def hook(event: CodexClientEvent) -> None:
        await release.wait()

    sink = CallbackSink(hook)

    async def scenario() -> tuple[int, int]:
        sink.emit(CodexClientEvent(type="attempt.started", operation="run", timestamp=0.0))
        await asyncio.sleep(0)
        pending = len(sink._tasks)
        (task,) = sink._tasks
        release.set()
        await task  # its done callback, registered first, has run
        return pending, len(sink._tasks)

    assert asyncio.run(scenario()) == (1, 0)


def test_the_timeout_is_enforced_right_after_a_slow_hook(make_harness: MakeHarness) -> None:
    started = [{"type": "thread.started", "thread_id": "t-1"}, {"type": "turn.started"}, {"type": "x"}]
    h = make_harness([ScriptedRun(stdout=started, hang=True)])

    def slow(event: CodexClientEvent) -> None:
        if event.type == "live.event":
            h.clock.advance(10)  # the hook took 10 s: the run is past its 5 s limit

    h.client = CodexLocalClient(runner=h.runner, clock=h.clock, event_hook=slow, raise_on_error=False)
    with h.client.run_live(REQUEST, timeout_seconds=5) as run:
        events = run.iter_events()
        assert next(events).type == "thread.started"
        assert h.runner.processes[0].returncode == -15  # stopped before the first event went out
        assert [e.type for e in events] == ["turn.started", "x"]  # what it printed still comes
        assert run.result().timed_out


def test_a_slow_coroutine_hook_does_not_stall_async_runs(tmp_path: Path) -> None:
    """Real processes: three runs with 0.5 s timeouts and a hook that takes 3 s per event
    end within the timeout plus the grace period, not after the hook."""
    cli = fake_cli(tmp_path, emit({"type": "thread.started", "thread_id": "t"}) + "time.sleep(30)\n")
    seen: list[str] = []

    async def hook(event: CodexClientEvent) -> None:
        seen.append(event.type)
        await asyncio.sleep(3)

    client = CodexLocalClient(
        codex_bin=cli, raise_on_error=False, event_hook=hook, terminate_grace_seconds=0.5
    )

    async def scenario() -> list[str | None]:
        runs = [client.run_async(REQUEST, timeout_seconds=0.5) for _ in range(3)]
        results = await asyncio.gather(*runs)
        await asyncio.sleep(0)
        return [r.turn_status for r in results]

    began = time.monotonic()
    assert asyncio.run(scenario()) == ["timed_out"] * 3
    assert time.monotonic() - began < 3  # the hook's 3 s did not hold the runs
    assert sorted(seen) == sorted(
        ["operation.started", "attempt.started", "attempt.failed", "operation.finished"] * 3
    )


def test_a_sink_that_wants_no_live_events_gets_the_others_and_none_is_built() -> None:
    class Choosy:
        def __init__(self) -> None:
            self.seen: list[str] = []
            self.asked: list[str] = []

        def wants(self, event_type: str) -> bool:
            self.asked.append(event_type)
            return False

        def emit(self, event: CodexClientEvent) -> None:
            self.seen.append(event.type)

    sink = Choosy()
    client = CodexLocalClient(runner=ScriptedRunner([ScriptedRun.success("hi")]), event_sink=sink)
    with client.run_live(REQUEST) as run:
        events = list(run.iter_events())
    assert events and "live.event" not in sink.seen
    assert "live.started" in sink.seen
    assert sink.asked == ["live.event"]  # once, as the run starts


def test_the_logging_sink_wants_events_only_when_its_logger_would_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from adapters.sinks import FanOutSink, LoggingSink

    sink = LoggingSink(logging.getLogger("codex_local_sdk.telemetry.test"), level=logging.DEBUG)
    caplog.set_level(logging.INFO, logger="codex_local_sdk.telemetry.test")
    assert not sink.wants("live.event")
    assert FanOutSink([sink, CallbackSink(lambda event: None)]).wants("live.event")
    caplog.set_level(logging.DEBUG, logger="codex_local_sdk.telemetry.test")
    assert sink.wants("live.event")
