"""Telemetry sinks: a callback (the client's ``event_hook``), ``logging``, and a fan-out."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from codex_local_sdk.events import CodexClientEvent
from codex_local_sdk.ports import EventSink

_log = logging.getLogger("codex_local_sdk.telemetry")


class CallbackSink:
    """Calls ``hook(event)`` for each event; ``hook`` may be a coroutine function.

    An ``Exception`` the hook raises (or its coroutine raises) is logged on the
    ``codex_local_sdk.telemetry`` logger, never propagated: telemetry must not break a run.

    A plain function is called inline, in the thread that emits: on an event loop it blocks
    the loop, and every run on it, while it runs. A coroutine (any awaitable the hook
    returns) does not hold the run up:

    - with an event loop running in the emitting thread (async runs), it is scheduled there
      as a task, and the run goes on at once. Tasks start in the order of the events; the
      sink keeps a reference to each until it is done. One may still be running when the
      run returns; one left pending when the loop closes is cancelled, as any task.
    - with none (sync runs), it is run to its end on a private event loop in the emitting
      thread, before the run goes on. It cannot deadlock on that loop, but it must not
      await objects of another loop (a loop in another thread): asyncio rejects them, and
      the error is logged.

    Args:
        hook: the function or coroutine function to call.
        wants: which event types the hook wants (see
            :class:`~codex_local_sdk.ports.EventSink`); default every type.
    """

    def __init__(
        self, hook: Callable[[CodexClientEvent], object], *, wants: Callable[[str], bool] | None = None
    ) -> None:
        self._hook = hook
        self._wants = wants
        self._tasks: set[asyncio.Task[Any]] = set()

    def wants(self, event_type: str) -> bool:
        """Whether the hook wants events of ``event_type``."""
        return self._wants is None or self._wants(event_type)

    def emit(self, event: CodexClientEvent) -> None:
        """Pass ``event`` to the hook (see the class for when a coroutine runs)."""
        try:
            outcome = self._hook(event)
            if inspect.isawaitable(outcome):
                self._await(outcome, event)
        except Exception:
            _log.exception("the telemetry hook %r raised on a %s event", self._hook, event.type)

    def _await(self, outcome: Awaitable[Any], event: CodexClientEvent) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a sync run: nothing else can drive the coroutine
            _run_to_end(outcome)
            return
        task = loop.create_task(_awaited(outcome))
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._task_done, event))

    def _task_done(self, event: CodexClientEvent, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _log.error(
                "the telemetry hook %r raised on a %s event",
                self._hook,
                event.type,
                exc_info=(type(error), error, error.__traceback__),
            )


async def _awaited(outcome: Awaitable[Any]) -> None:
    await outcome


def _run_to_end(outcome: Awaitable[Any]) -> None:
    """Run ``outcome`` on a new event loop, closed afterwards (this thread's loop is untouched)."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_awaited(outcome))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


class LoggingSink:
    """Writes each event as one log record (``extra={"codex_event": event}``).

    Args:
        logger: where to log; default the ``codex_local_sdk.telemetry`` logger.
        level: the level of the records; default DEBUG.
    """

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.DEBUG) -> None:
        self._logger = logger or _log
        self._level = level

    def wants(self, event_type: str) -> bool:
        """Whether the logger is enabled for the sink's level (so the client builds no event
        it would not log)."""
        return self._logger.isEnabledFor(self._level)

    def emit(self, event: CodexClientEvent) -> None:
        """Log ``event`` when the logger is enabled for the sink's level."""
        if self._logger.isEnabledFor(self._level):
            self._logger.log(
                self._level,
                "%s operation=%s attempt=%s return_code=%s turn_status=%s",
                event.type,
                event.operation,
                event.attempt,
                event.return_code,
                event.turn_status,
                extra={"codex_event": event},
            )


class FanOutSink:
    """Sends each event to several sinks, in order. A sink that raises stops the fan-out
    and the exception propagates (wrap such a sink in :class:`CallbackSink`).

    Args:
        sinks: the sinks, in the order they get each event.
    """

    def __init__(self, sinks: Iterable[EventSink]) -> None:
        self._sinks = tuple(sinks)

    def wants(self, event_type: str) -> bool:
        """Whether any of its sinks wants events of ``event_type`` (a sink without ``wants``
        wants every event)."""
        return any(_wants(sink, event_type) for sink in self._sinks)

    def emit(self, event: CodexClientEvent) -> None:
        """Pass ``event`` to every sink."""
        for sink in self._sinks:
            sink.emit(event)


def _wants(sink: EventSink, event_type: str) -> bool:
    wants = getattr(sink, "wants", None)
    return wants is None or bool(wants(event_type))
