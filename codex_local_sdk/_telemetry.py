"""The client's telemetry: each :class:`~codex_local_sdk.events.CodexClientEvent` it emits,
built in one place (the event types are listed in
:data:`~codex_local_sdk.events.CLIENT_EVENT_TYPES`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from ._retrying import RetryHook
from .errors import failure_reason
from .events import CodexClientEvent, CodexEvent
from .models import CodexExecResult, FailureKind
from .ports import Clock, EventSink, ProcessSpec
from .sessions import SessionRecord


class Telemetry:
    """Builds the events of one call of an operation (``"run"``, ``"resume_live"``...) and
    sends them to ``sink``, timestamped by ``clock``, each with the call's ``operation_id``
    (a fresh one per instance). For an operation that starts a new thread (``new_thread``), a
    failed attempt that got a thread id reports it as ``data["abandoned_thread_id"]``: a
    retry starts another thread, and what the agent did in that one stays findable."""

    def __init__(self, sink: EventSink, clock: Clock, operation: str, *, new_thread: bool = False) -> None:
        self._sink = sink
        self._clock = clock
        self._operation = operation
        self._new_thread = new_thread
        self.operation_id = uuid.uuid4().hex

    def emit(self, type: str, **fields: Any) -> None:
        """Send one event of ``type`` with ``fields``."""
        self._sink.emit(
            CodexClientEvent(
                type=type,
                operation=self._operation,
                operation_id=self.operation_id,
                timestamp=self._clock.time(),
                **fields,
            )
        )

    def operation_started(
        self,
        *,
        session_name: str | None,
        thread_id: str | None,
        model: str | None,
        model_provider: str | None,
        prompt: str | None = None,
    ) -> None:
        """The call began: it runs ``model`` of ``model_provider`` (each ``None`` when the
        request leaves it to the CLI), on thread ``thread_id`` when it resumes one; its
        ``prompt`` only when the client captures prompts."""
        data = {"model": model, "model_provider": model_provider, "prompt": prompt}
        self.emit(
            "operation.started",
            session_name=session_name,
            session_id=thread_id,
            data={key: value for key, value in data.items() if value is not None},
        )

    def operation_finished(self, result: CodexExecResult | None, error: BaseException | None = None) -> None:
        """The call ended with ``result`` (its last attempt's, as the caller gets it), or
        raised ``error`` (with the result it carries, if any)."""
        if result is None and error is not None:
            carried = getattr(error, "result", None)
            result = carried if isinstance(carried, CodexExecResult) else None
        succeeded = error is None and result is not None and result.succeeded
        data: dict[str, Any] = {"succeeded": succeeded}
        if result is not None:
            if not result.succeeded:
                data["failure_kind"] = str(result.failure_kind or FailureKind.UNKNOWN)
            if result.turn_usage is not None:
                data["input_tokens"] = result.turn_usage.input_tokens
                data["output_tokens"] = result.turn_usage.output_tokens
        if error is not None:
            data["error_type"] = type(error).__name__
        self.emit(
            "operation.finished",
            attempt=None if result is None else result.attempts,
            return_code=None if result is None else result.return_code,
            turn_status=None if result is None else result.turn_status,
            duration_seconds=None if result is None else result.duration_seconds,
            session_id=None if result is None else result.thread_id,
            error=_reason(result, error),
            data=data,
        )

    def attempt_started(self, number: int, spec: ProcessSpec) -> None:
        self.emit("attempt.started", attempt=number, command=spec.argv)

    def attempt_finished(self, result: CodexExecResult) -> None:
        self.emit(
            "attempt.succeeded" if result.succeeded else "attempt.failed",
            attempt=result.attempts,
            command=result.command,
            return_code=result.return_code,
            turn_status=result.turn_status,
            duration_seconds=result.duration_seconds,
            session_id=result.thread_id,
            error=None if result.succeeded else failure_reason(result),
            data=self._failure(result),
        )

    def _failure(self, result: CodexExecResult | None) -> dict[str, Any]:
        """What a failed attempt's events carry in ``data``: its ``failure_kind``, and the
        thread it abandoned (see the class)."""
        if result is None or result.succeeded:
            return {}
        data: dict[str, Any] = {"failure_kind": str(result.failure_kind or FailureKind.UNKNOWN)}
        if self._new_thread and result.thread_id is not None:
            data["abandoned_thread_id"] = result.thread_id
        return data

    def run_queued(self, number: int, waited: float, limit: int, *, taken: bool) -> None:
        """Attempt ``number`` waited ``waited`` seconds for one of the client's ``limit``
        slots; ``taken``: it got one (else its ``timeout_seconds`` passed first)."""
        self.emit(
            "run.queued",
            attempt=number,
            duration_seconds=waited,
            data={"max_concurrent_runs": limit, "started": taken},
        )

    def start_failed(self, type: str, number: int, spec: ProcessSpec, error: Exception) -> None:
        """The process of attempt ``number`` could not be started (``attempt.failed`` or
        ``live.startup_failed``)."""
        self.emit(type, attempt=number, command=spec.argv, error=str(error))

    def retry_scheduled(self, type: str) -> RetryHook:
        """A retry hook that reports each retry as ``type`` (``retry.scheduled`` or
        ``live.startup_retried``)."""

        def report(
            number: int, delay: float, result: CodexExecResult | None, failure: BaseException | None
        ) -> None:
            self.emit(
                type,
                attempt=number,
                delay_seconds=delay,
                return_code=result.return_code if result is not None else None,
                turn_status=result.turn_status if result is not None else None,
                error=str(failure) if failure is not None else None,
                data={"next_attempt": number + 1, **self._failure(result)},
            )

        return report

    def live_started(self, number: int, spec: ProcessSpec, pid: int | None) -> None:
        self.emit("live.started", attempt=number, command=spec.argv, data={"pid": pid})

    def live_event(self) -> Callable[[CodexEvent], None] | None:
        """A callback that reports each event of a live run as ``live.event``; ``None`` when
        the sink does not want them (asked once, as the run starts: see
        :class:`~codex_local_sdk.ports.EventSink`)."""
        wants = getattr(self._sink, "wants", None)
        if wants is not None and not wants("live.event"):
            return None
        emit, now = self._sink.emit, self._clock.time  # looked up once, not per event
        operation, operation_id = self._operation, self.operation_id

        def report(event: CodexEvent) -> None:
            emit(
                CodexClientEvent(
                    type="live.event",
                    operation=operation,
                    operation_id=operation_id,
                    timestamp=now(),
                    event=event,
                )
            )

        return report

    def startup_ended(self, result: CodexExecResult) -> None:
        """A live run ended before its first event: ``live.startup_failed`` unless it succeeded."""
        if not result.succeeded:
            self.emit(
                "live.startup_failed",
                attempt=result.attempts,
                command=result.command,
                return_code=result.return_code,
                turn_status=result.turn_status,
                duration_seconds=result.duration_seconds,
                error=failure_reason(result),
                data=self._failure(result),
            )

    def session_updated(self, name: str, record: SessionRecord, result: CodexExecResult) -> None:
        self.emit(
            "session.updated",
            session_name=name,
            session_id=record.session_id,
            return_code=result.return_code,
            turn_status=result.turn_status,
            data={
                "turn_count": record.turn_count,
                "success_count": record.success_count,
                "failure_count": record.failure_count,
            },
        )

    def thread_restored(self, thread_id: str, size: int, seconds: float) -> None:
        self.emit("thread.restored", session_id=thread_id, duration_seconds=seconds, data={"bytes": size})

    def thread_archived(self, thread_id: str, size: int, seconds: float) -> None:
        self.emit("thread.archived", session_id=thread_id, duration_seconds=seconds, data={"bytes": size})

    def thread_lease_waited(self, thread_id: str, seconds: float, *, taken: bool) -> None:
        self.emit(
            "thread.lease_waited", session_id=thread_id, duration_seconds=seconds, data={"taken": taken}
        )


def _reason(result: CodexExecResult | None, error: BaseException | None) -> str | None:
    """What ``operation.finished`` says went wrong: the exception, else why ``result`` failed."""
    if error is not None:
        return str(error) or type(error).__name__
    if result is None or result.succeeded:
        return None
    return failure_reason(result)
