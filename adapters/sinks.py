"""Telemetry sinks: a callback (the client's ``event_hook``), ``logging``, and a fan-out."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from codex_local_sdk.events import CodexClientEvent
from codex_local_sdk.ports import EventSink

_log = logging.getLogger("codex_local_sdk.telemetry")


class CallbackSink:
    """Calls ``hook(event)`` for each event. An ``Exception`` the hook raises is logged (on
    the ``codex_local_sdk.telemetry`` logger), never propagated: telemetry must not break a
    run.

    Args:
        hook: the function to call.
    """

    def __init__(self, hook: Callable[[CodexClientEvent], None]) -> None:
        self._hook = hook

    def emit(self, event: CodexClientEvent) -> None:
        """Pass ``event`` to the hook."""
        try:
            self._hook(event)
        except Exception:
            _log.exception("the telemetry hook %r raised on a %s event", self._hook, event.type)


class LoggingSink:
    """Writes each event as one log record (``extra={"codex_event": event}``).

    Args:
        logger: where to log; default the ``codex_local_sdk.telemetry`` logger.
        level: the level of the records; default DEBUG.
    """

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.DEBUG) -> None:
        self._logger = logger or _log
        self._level = level

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

    def emit(self, event: CodexClientEvent) -> None:
        """Pass ``event`` to every sink."""
        for sink in self._sinks:
            sink.emit(event)
