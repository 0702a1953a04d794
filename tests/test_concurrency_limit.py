"""``max_concurrent_runs``: one limit on a client's CLI processes, shared by threads and asyncio
tasks; the wait for a slot is reported (``run.queued``) and counts against ``timeout_seconds``.

The scripted runs here take real (short) time on the system clock, so that they overlap.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from adapters.clock import FakeClock, SystemClock
from adapters.scripted_runner import Pause, ScriptedProcess, ScriptedRun, ScriptedRunner, codex_turn_events
from adapters.sinks import CallbackSink
from codex_local_sdk import CodexClientEvent, CodexExecRequest, CodexLocalClient, CodexTimeoutError
from codex_local_sdk.ports import ProcessSpec

LIMIT = 2
EVENTS = codex_turn_events()
SLOW = ScriptedRun(stdout=[*EVENTS[:2], Pause(0.05), *EVENTS[2:]])


class CountingRunner(ScriptedRunner):
    """A ScriptedRunner that records the most processes alive at once (started, not exited)."""

    def __init__(self, run: ScriptedRun, clock: Any) -> None:
        super().__init__(lambda spec: run, clock=clock)
        self.most_alive = 0
        self._lock = threading.Lock()

    def start(self, spec: ProcessSpec) -> ScriptedProcess:
        with self._lock:
            process = super().start(spec)
            alive = sum(1 for p in self.processes if p.returncode is None)
            self.most_alive = max(self.most_alive, alive)
        return process


def limited_client(
    run: ScriptedRun = SLOW, clock: Any = None, **options: Any
) -> tuple[CodexLocalClient, CountingRunner, list[CodexClientEvent]]:
    clock = clock or SystemClock()
    runner = CountingRunner(run, clock)
    events: list[CodexClientEvent] = []
    client = CodexLocalClient(
        runner=runner,
        clock=clock,
        event_sink=CallbackSink(events.append),
        max_concurrent_runs=LIMIT,
        **options,
    )
    return client, runner, events


def test_threads_never_run_more_than_the_limit() -> None:
    client, runner, events = limited_client()
    with ThreadPoolExecutor(LIMIT + 5) as pool:
        results = list(pool.map(lambda _: client.run_prompt("p"), range(LIMIT + 5)))
    assert all(r.succeeded for r in results)
    assert len(runner.calls) == LIMIT + 5
    assert runner.most_alive == LIMIT
    assert any(
        e.type == "run.queued" and e.data == {"max_concurrent_runs": LIMIT, "started": True} for e in events
    )


def test_asyncio_tasks_never_run_more_than_the_limit() -> None:
    client, runner, _ = limited_client()

    async def main() -> list[Any]:
        return await asyncio.gather(*(client.run_prompt_async("p") for _ in range(LIMIT + 5)))

    assert all(r.succeeded for r in asyncio.run(main()))
    assert runner.most_alive == LIMIT


def test_threads_and_tasks_share_one_limit() -> None:
    client, runner, _ = limited_client()

    async def tasks() -> list[Any]:
        return await asyncio.gather(*(client.run_prompt_async("p") for _ in range(4)))

    with ThreadPoolExecutor(4) as pool:
        threads = [pool.submit(client.run_prompt, "p") for _ in range(3)]
        in_loop = pool.submit(asyncio.run, tasks())
        results = [f.result() for f in threads] + in_loop.result()
    assert len(results) == 7 and all(r.succeeded for r in results)
    assert runner.most_alive == LIMIT


def test_the_wait_for_a_slot_counts_against_the_timeout() -> None:
    hang = ScriptedRun(stdout=[{"type": "turn.started"}], hang=True)
    client, runner, events = limited_client(hang, clock=FakeClock())
    holders = [client.run_live(CodexExecRequest(prompt="p")) for _ in range(LIMIT)]
    with pytest.raises(CodexTimeoutError) as info:
        client.run_prompt("p", timeout_seconds=0.2)  # real seconds: the slot waits on a thread
    assert info.value.timeout_kind == "total" and info.value.result.return_code is None
    assert len(runner.calls) == LIMIT  # it never started
    assert [e.data for e in events if e.type == "run.queued"] == [
        {"max_concurrent_runs": LIMIT, "started": False}
    ]
    for run in holders:
        run.close()
    with pytest.raises(CodexTimeoutError):  # the slots came back: this one starts (and hangs)
        client.run_prompt("p", timeout_seconds=1)
    assert len(runner.calls) == LIMIT + 1


def test_a_live_run_frees_its_slot_when_its_process_ends() -> None:
    client, _, _ = limited_client(ScriptedRun.success(), clock=FakeClock())
    live = [client.run_live(CodexExecRequest(prompt="p")) for _ in range(LIMIT)]
    for run in live:
        assert run.result().succeeded  # read to the end, not closed
    assert client.run_prompt("p", timeout_seconds=5).succeeded
    for run in live:
        run.close()


@pytest.mark.parametrize(("limit", "error"), [(0, ValueError), ("2", TypeError), (True, TypeError)])
def test_a_bad_limit_is_refused(limit: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_concurrent_runs"):
        CodexLocalClient(max_concurrent_runs=limit)


def test_a_run_that_finds_a_free_slot_on_the_system_clock_reports_no_wait() -> None:
    events: list[CodexClientEvent] = []
    clock = SystemClock()
    client = CodexLocalClient(
        runner=ScriptedRunner([ScriptedRun.success(), ScriptedRun.success()], clock=clock),
        clock=clock,
        max_concurrent_runs=LIMIT,
        event_sink=CallbackSink(events.append),
    )
    assert client.run(CodexExecRequest(prompt="one")).succeeded
    assert asyncio.run(client.run_async(CodexExecRequest(prompt="two"))).succeeded
    assert [e for e in events if e.type == "run.queued"] == []
