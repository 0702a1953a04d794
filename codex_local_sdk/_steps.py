"""Steps: the run core's I/O, as values.

The core (attempts, retries, live runs) is written once, as generators that yield a step —
start a process, call a handle's method, sleep — and receive its result (or have its
exception thrown in). :mod:`codex_local_sdk._drivers` performs the steps, on the calling
thread or on asyncio; nothing else in the core differs between the two. Accessors that never
block (a handle's ``pid``, ``returncode`` and ``stderr_tail()``) are read by the core itself.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

import attrs

from ._slots import RunSlots
from .ports import AsyncProcessHandle, ProcessHandle, ProcessSpec

Handle = ProcessHandle | AsyncProcessHandle


@attrs.frozen
class Start:
    """Start ``spec``: ``runner.start(spec)`` or ``await runner.start_async(spec)``; the handle."""

    spec: ProcessSpec


@attrs.frozen
class Call:
    """Call ``handle.<method>(*args)``, awaiting it on asyncio; its return value."""

    handle: Handle
    method: str
    args: tuple[Any, ...] = ()


@attrs.frozen
class Sleep:
    """Sleep ``seconds`` on the clock: ``clock.sleep`` or ``await clock.sleep_async``."""

    seconds: float


@attrs.frozen
class Acquire:
    """Take one of ``slots``, waiting up to ``timeout`` seconds: ``slots.acquire`` or
    ``await slots.acquire_async``; whether one was taken, at once or after a wait (a
    :data:`~codex_local_sdk._slots.Taken`)."""

    slots: RunSlots
    timeout: float | None


@attrs.frozen
class Blocking:
    """Call ``fn()``, which may block on I/O: on the calling thread, or on a worker thread
    under asyncio (``asyncio.to_thread``); its return value.

    A task cancelled while the worker thread runs ``fn`` cannot stop it: ``fn`` goes on, and
    what it returns never reaches the core. ``undo``, when given, is then called with that
    value (on a thread of its own), to give back what ``fn`` took.
    """

    fn: Callable[[], Any]
    undo: Callable[[Any], None] | None = None


Step = Start | Call | Sleep | Acquire | Blocking

_T = TypeVar("_T")

Steps = Generator[Step, Any, _T]
"""A piece of the core: yields steps, is sent their results, returns a ``_T``."""


def closing(
    steps: Steps[_T],
    cleanup: Callable[[], Steps[None]],
    *,
    only_on_error: bool = False,
    except_for: tuple[type[BaseException], ...] = (),
) -> Steps[_T]:
    """``steps``, then the steps of ``cleanup()`` however they ended: with ``only_on_error``,
    only when they raised; never when they raised one of ``except_for``.

    A driver throws every exception into the generator, so the cleanup can still yield steps
    then. A generator that is closed instead (``GeneratorExit``: its driver was abandoned)
    can run no step; the handle's own finalisation is left to do its part.
    """
    passing: tuple[type[BaseException], ...] = (GeneratorExit, *except_for)
    try:
        result = yield from steps
    except passing:
        raise
    except BaseException:
        yield from cleanup()
        raise
    if not only_on_error:
        yield from cleanup()
    return result
