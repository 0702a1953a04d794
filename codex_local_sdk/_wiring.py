"""The composition root: each port the caller left as ``None`` gets its default adapter.

This is the only core module that imports :mod:`adapters` (the import-linter contract in
``pyproject.toml`` holds it to that), and it does so when a client is built, not when the
package is imported.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ._engine import RunEngine
from .events import CodexClientEvent
from .models import RetryPolicy
from .ports import Clock, EventSink, ProcessRunner, SessionStore

EventHook = Callable[[CodexClientEvent], None] | Callable[[CodexClientEvent], Awaitable[None]]


def session_store(store: SessionStore | None) -> SessionStore:
    """``store``, or a new :class:`~adapters.memory_store.InMemorySessionStore`."""
    from adapters.memory_store import InMemorySessionStore

    return store if store is not None else InMemorySessionStore()


def engine(
    *,
    runner: ProcessRunner | None,
    clock: Clock | None,
    event_sink: EventSink | None,
    event_hook: EventHook | None,
    retry_policy: RetryPolicy | None,
    grace_seconds: float,
    raise_on_error: bool,
    strict_cli_version: bool,
    max_concurrent_runs: int | None = None,
    capture_prompts: bool = False,
) -> RunEngine:
    """The client's :class:`RunEngine`, on the given ports or their defaults: the
    :class:`~adapters.subprocess_runner.SubprocessRunner` (a runner written before the port
    took the run's files is wrapped to handle them locally), the system clock, and telemetry to
    ``event_sink`` then ``event_hook`` (each guarded by a
    :class:`~adapters.sinks.CallbackSink`) or, with neither, to the logger."""
    from adapters.clock import SystemClock
    from adapters.local_files import handling_run_files
    from adapters.subprocess_runner import SubprocessRunner

    return RunEngine(
        runner=handling_run_files(runner) if runner is not None else SubprocessRunner(),
        clock=clock if clock is not None else SystemClock(),
        sink=_sink(event_sink, event_hook),
        retry_policy=retry_policy if retry_policy is not None else RetryPolicy(),
        grace_seconds=grace_seconds,
        raise_on_error=raise_on_error,
        strict_cli_version=strict_cli_version,
        max_concurrent_runs=max_concurrent_runs,
        capture_prompts=capture_prompts,
    )


def _sink(event_sink: EventSink | None, event_hook: EventHook | None) -> EventSink:
    from adapters.sinks import CallbackSink, FanOutSink, LoggingSink

    # CallbackSink logs what a receiver raises: telemetry never breaks a run.
    receivers = [CallbackSink(event_hook)] if event_hook is not None else []
    if event_sink is not None:
        receivers.insert(0, CallbackSink(event_sink.emit, wants=getattr(event_sink, "wants", None)))
    return FanOutSink(receivers) if receivers else LoggingSink()
