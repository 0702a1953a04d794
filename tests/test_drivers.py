"""The run core's drivers: steps performed on both, results sent back, exceptions thrown in."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from adapters.clock import FakeClock
from adapters.scripted_runner import ScriptedRun, ScriptedRunner
from codex_local_sdk._drivers import drive, drive_async
from codex_local_sdk._steps import Call, Sleep, Start, Steps, closing
from codex_local_sdk.ports import ProcessSpec

SPEC = ProcessSpec(argv=("codex",))


class FakeHandle:
    """A handle whose ``read_lines`` raises ``failure``; it records the calls it gets."""

    def __init__(self, failure: BaseException | None = None) -> None:
        self.failure = failure
        self.calls: list[str] = []

    def read_lines(self, timeout: float | None) -> list[bytes] | None:
        self.calls.append("read_lines")
        if self.failure is not None:
            raise self.failure
        return [b"line"]

    def close(self) -> None:
        self.calls.append("close")


class AsyncHandle(FakeHandle):
    async def read_lines(self, timeout: float | None) -> list[bytes] | None:  # type: ignore[override]
        return super().read_lines(timeout)

    async def close(self) -> None:  # type: ignore[override]
        super().close()


def call(handle: FakeHandle, method: str, *args: Any) -> Call:
    return Call(cast(Any, handle), method, args)  # a fake with only the methods these steps call


def run(mode: str, steps: Steps[Any], clock: FakeClock | None = None) -> Any:
    runner = ScriptedRunner([ScriptedRun.success("hi")])
    clock = clock or FakeClock()
    if mode == "sync":
        return drive(steps, runner, clock)
    return asyncio.run(drive_async(steps, runner, clock))


def handle_for(mode: str, failure: BaseException | None = None) -> FakeHandle:
    return FakeHandle(failure) if mode == "sync" else AsyncHandle(failure)


def read_then_close(handle: FakeHandle) -> Steps[Any]:
    def read() -> Steps[Any]:
        return (yield call(handle, "read_lines", 1.0))

    def close() -> Steps[None]:
        yield call(handle, "close")

    return closing(read(), close)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_each_step_is_performed_and_its_result_sent_back(mode: str) -> None:
    clock = FakeClock()

    def steps() -> Steps[tuple[Any, ...]]:
        handle = yield Start(SPEC)
        lines = yield Call(handle, "read_lines", (5.0,))
        yield Sleep(3)
        return handle.pid, lines

    pid, lines = run(mode, steps(), clock)
    assert pid is None and lines is not None
    assert clock.sleeps == [3]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_steps_exception_is_thrown_in_and_the_cleanup_still_runs_steps(mode: str) -> None:
    handle = handle_for(mode, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run(mode, read_then_close(handle))
    assert handle.calls == ["read_lines", "close"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_error_the_generator_catches_does_not_end_it(mode: str) -> None:
    handle = handle_for(mode, ValueError("bad read"))

    def steps() -> Steps[str]:
        try:
            yield call(handle, "read_lines", 1.0)
        except ValueError as exc:
            return f"caught {exc}"
        return "not reached"

    assert run(mode, steps()) == "caught bad read"


def test_a_cancelled_task_still_awaits_the_cleanup() -> None:
    handle = AsyncHandle()
    read_started = asyncio.Event()

    async def slow_read(timeout: float | None) -> list[bytes] | None:
        handle.calls.append("read_lines")
        read_started.set()
        await asyncio.sleep(60)
        return None

    handle.read_lines = slow_read  # type: ignore[method-assign]

    async def scenario() -> None:
        task = asyncio.create_task(drive_async(read_then_close(handle), ScriptedRunner([]), FakeClock()))
        await read_started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert handle.calls == ["read_lines", "close"]


def test_a_closed_generator_runs_no_cleanup_step_and_does_not_complain() -> None:
    handle = FakeHandle()
    steps = read_then_close(handle)
    assert next(steps) == call(handle, "read_lines", 1.0)
    steps.close()  # no driver: nothing can run, and yielding now would be a RuntimeError
    assert handle.calls == []
