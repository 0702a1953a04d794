"""ScriptedRunner's pauses: time between a scripted run's lines, on a FakeClock or a real one."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from adapters.clock import FakeClock, SystemClock
from adapters.scripted_runner import Pause, ScriptedProcess, ScriptedRun, ScriptedRunner, codex_turn_events
from codex_local_sdk import CodexExecRequest, CodexLocalClient, CodexTimeoutError
from codex_local_sdk.ports import ProcessSpec
from tests.conftest import MakeHarness

EVENTS = codex_turn_events(message="after the pause")
PAUSED = ScriptedRun(stdout=[*EVENTS[:2], Pause(10), *EVENTS[2:]])
SPEC = ProcessSpec(argv=("codex", "exec", "--json", "-"))


def test_a_timeout_ends_a_run_mid_pause_and_keeps_the_first_events(make_harness: MakeHarness) -> None:
    h = make_harness([PAUSED])
    with pytest.raises(CodexTimeoutError) as caught:
        h.client.run_prompt("p", timeout_seconds=5)
    result = caught.value.result
    assert (result.turn_status, result.timed_out) == ("timed_out", True)
    assert [dict(e.raw) for e in result.events] == EVENTS[:2]
    assert h.clock.monotonic() == 5
    assert h.runner.processes[0].returncode == -15


def test_without_a_timeout_the_run_completes_after_the_pause(make_harness: MakeHarness) -> None:
    h = make_harness([PAUSED])
    result = h.client.run_prompt("p")
    assert (result.turn_status, result.final_message) == ("completed", "after the pause")
    assert [dict(e.raw) for e in result.events] == EVENTS
    assert h.clock.monotonic() == 10
    assert h.clock.sleeps == []  # a pause advances the clock; it is not a sleep of the client's


def test_a_live_run_sees_each_event_when_it_is_printed(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[EVENTS[0], Pause(2), EVENTS[1], Pause(3), *EVENTS[2:]])])
    seen = []
    with h.client.run_live(CodexExecRequest(prompt="p")) as run:
        seen = [(event.type, h.clock.monotonic()) for event in run.iter_events()]
        assert run.result().turn_status == "completed"
    assert seen == [("thread.started", 0), ("turn.started", 2), ("item.completed", 5), ("turn.completed", 5)]


def test_the_asyncio_side_pauses_and_times_out_the_same(make_harness: MakeHarness) -> None:
    h = make_harness([PAUSED, PAUSED], raise_on_error=False)
    timed_out = asyncio.run(h.client.run_prompt_async("p", timeout_seconds=5))
    assert (timed_out.turn_status, len(timed_out.events), h.clock.monotonic()) == ("timed_out", 2, 5)
    completed = asyncio.run(h.client.run_prompt_async("p"))
    assert (completed.turn_status, len(completed.events), h.clock.monotonic()) == ("completed", 4, 15)


def test_reads_honour_their_timeout_during_a_pause() -> None:
    clock = FakeClock()
    process = ScriptedRunner(
        [ScriptedRun(stdout=["a", Pause(10), "b", Pause(1)], duration_seconds=2)], clock=clock
    )
    handle = process.start(SPEC)
    assert handle.read_lines(3) == [b"a"]
    assert (handle.read_lines(3), clock.monotonic()) == ([], 3)
    assert (handle.read_lines(3), clock.monotonic()) == ([], 6)
    assert (handle.read_lines(None), clock.monotonic()) == ([b"b"], 10)
    assert (handle.read_lines(0.5), handle.returncode, clock.monotonic()) == ([], None, 10.5)
    assert (handle.read_lines(None), handle.returncode, clock.monotonic()) == (None, 0, 13)


def test_waiting_lets_the_pauses_pass_and_keeps_the_lines() -> None:
    clock = FakeClock()
    handle = ScriptedRunner(
        [ScriptedRun(stdout=["a", Pause(4), "b"], duration_seconds=1)], clock=clock
    ).start(SPEC)
    assert (handle.wait(2), clock.monotonic()) == (None, 2)
    assert (handle.wait(), clock.monotonic()) == (0, 5)
    assert handle.read_lines(None) == [b"a", b"b"]  # printed before the exit: still in the pipe
    assert handle.read_lines(None) is None


def test_a_stopped_process_prints_nothing_after_the_stop() -> None:
    clock = FakeClock()
    handle = ScriptedRunner([ScriptedRun(stdout=["a", Pause(4), "b"])], clock=clock).start(SPEC)
    assert handle.read_lines(1) == [b"a"]
    assert handle.read_lines(1) == []
    handle.terminate(grace_seconds=5)
    assert (handle.read_lines(10), handle.returncode, clock.monotonic()) == (None, -15, 1)


def test_a_pause_takes_real_time_on_the_system_clock() -> None:
    client = CodexLocalClient(
        runner=ScriptedRunner([ScriptedRun(stdout=[EVENTS[0], Pause(0.2), *EVENTS[1:]])], clock=SystemClock())
    )
    started = time.monotonic()
    result = client.run_prompt("p", timeout_seconds=30)
    assert result.final_message == "after the pause"
    assert time.monotonic() - started >= 0.2


def test_a_real_time_pause_ends_when_another_thread_stops_the_process() -> None:
    handle = ScriptedRunner([ScriptedRun(stdout=["a", Pause(60), "b"])], clock=SystemClock()).start(SPEC)
    assert handle.read_lines(None) == [b"a"]
    stopper = threading.Timer(0.1, handle.terminate, kwargs={"grace_seconds": 1})
    stopper.start()
    started = time.monotonic()
    assert handle.read_lines(None) is None
    assert time.monotonic() - started < 30  # a hang check, not a speed claim
    assert handle.returncode == -15
    stopper.join()


def test_a_real_time_pause_does_not_block_the_event_loop() -> None:
    async def main() -> tuple[Any, int]:
        runner = ScriptedRunner([ScriptedRun(stdout=["a", Pause(0.3), "b"])], clock=SystemClock())
        handle = await runner.start_async(SPEC)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        lines = [await handle.read_lines(None), await handle.read_lines(None)]
        ticker.cancel()
        return lines, ticks

    lines, ticks = asyncio.run(main())
    assert lines == [[b"a"], [b"b"]]
    assert ticks > 3  # the loop ran other tasks during the pause


def test_an_async_stop_ends_a_real_time_pause() -> None:
    async def main() -> tuple[list[bytes] | None, int | None]:
        handle = await ScriptedRunner(
            [ScriptedRun(stdout=["a", Pause(60)])], clock=SystemClock()
        ).start_async(SPEC)
        assert await handle.read_lines(None) == [b"a"]
        reader = asyncio.create_task(handle.read_lines(None))
        await asyncio.sleep(0.05)
        await handle.kill()
        return await asyncio.wait_for(reader, 30), handle.returncode

    assert asyncio.run(main()) == (None, -9)


@pytest.mark.parametrize(
    ("seconds", "error"),
    [(-1, ValueError), (float("nan"), ValueError), (float("inf"), ValueError), ("1", TypeError)],
)
def test_a_pause_must_be_a_finite_number_of_seconds(seconds: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="Pause seconds must be"):
        Pause(seconds)


def test_scripted_process_is_still_the_handle_type() -> None:
    assert isinstance(ScriptedRunner([ScriptedRun()]).start(SPEC), ScriptedProcess)


@pytest.mark.parametrize(
    ("seconds", "error"), [(-1, ValueError), (float("nan"), ValueError), (None, TypeError)]
)
def test_a_run_duration_must_be_a_finite_number_of_seconds(seconds: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="ScriptedRun duration_seconds must be"):
        ScriptedRun(duration_seconds=seconds)
