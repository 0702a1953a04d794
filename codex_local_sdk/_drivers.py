"""The run core's two drivers: :func:`drive` on the calling thread, :func:`drive_async` on asyncio.

Each runs a generator of :mod:`steps <codex_local_sdk._steps>` to its return value: it
performs each step on the client's ports, sends the result back, and throws the step's
exception in — any exception, ``KeyboardInterrupt`` and a cancelled task's
``CancelledError`` included — so the core's cleanup runs, and can still yield steps
(close the process), whatever ended a wait. These two functions and the two ``_perform``
functions are the only place where the sync and the asyncio paths differ.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

from ._steps import Acquire, Blocking, Call, Start, Step, Steps
from .ports import Clock, ProcessRunner

_T = TypeVar("_T")


def drive(steps: Steps[_T], runner: ProcessRunner, clock: Clock) -> _T:
    """Run ``steps`` on the calling thread, blocking in each step; their return value."""
    stepper = _Stepper(steps)
    try:
        for step in stepper:
            with stepper.sending():
                stepper.result = _perform(step, runner, clock)
    finally:
        steps.close()
    return stepper.value


async def drive_async(steps: Steps[_T], runner: ProcessRunner, clock: Clock) -> _T:
    """Run ``steps`` on the running event loop, awaiting each step; their return value."""
    stepper = _Stepper(steps)
    try:
        for step in stepper:
            with stepper.sending():
                stepper.result = await _perform_async(step, runner, clock)
    finally:
        steps.close()
    return stepper.value


def _perform(step: Step, runner: ProcessRunner, clock: Clock) -> Any:
    if isinstance(step, Call):
        return getattr(step.handle, step.method)(*step.args)
    if isinstance(step, Start):
        return runner.start(step.spec)
    if isinstance(step, Acquire):
        return step.slots.acquire(step.timeout)
    if isinstance(step, Blocking):
        return step.fn()
    return clock.sleep(step.seconds)


async def _perform_async(step: Step, runner: ProcessRunner, clock: Clock) -> Any:
    if isinstance(step, Call):
        return await getattr(step.handle, step.method)(*step.args)
    if isinstance(step, Start):
        return await runner.start_async(step.spec)
    if isinstance(step, Acquire):
        return await step.slots.acquire_async(step.timeout)
    if isinstance(step, Blocking):
        return await _blocking(step)
    return await clock.sleep_async(step.seconds)


async def _blocking(step: Blocking) -> Any:
    """``step.fn()`` on a worker thread; if the task is cancelled meanwhile, what ``fn`` then
    returns goes to ``step.undo``."""
    future = asyncio.ensure_future(asyncio.to_thread(step.fn))
    try:
        return await asyncio.shield(future)
    except BaseException:
        if step.undo is not None:
            future.add_done_callback(functools.partial(_undo, step.undo))
        raise


def _undo(undo: Callable[[Any], None], future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is None:  # off the loop: undo may block too
        threading.Thread(target=undo, args=(future.result(),), name="undo-blocking", daemon=True).start()


class _Stepper(Generic[_T]):
    """Iterates a generator's steps; what a step gave or raised goes back into the generator.

    Iteration ends when the generator returns (its value is then :attr:`value`) or raises.
    """

    def __init__(self, steps: Steps[_T]) -> None:
        self._steps = steps
        self._failed = False
        self.result: Any = None
        self.value: _T

    def __iter__(self) -> _Stepper[_T]:
        return self

    def __next__(self) -> Step:
        outcome, self.result = self.result, None  # hold no exception (and its frames) longer
        try:
            return self._steps.throw(outcome) if self._failed else self._steps.send(outcome)
        except StopIteration as stop:
            self.value = stop.value
            raise StopIteration from None

    def sending(self) -> _Stepper[_T]:
        """A context in which :attr:`result` is set, or whose exception is kept to throw in."""
        self._failed = False
        return self

    def __enter__(self) -> None:
        pass

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is not None:  # KeyboardInterrupt and CancelledError too: the core closes the process
            self.result, self._failed = exc, True
        return True
