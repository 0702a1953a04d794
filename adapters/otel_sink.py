"""Telemetry as OpenTelemetry traces: a span per call, a child span per attempt.

Needs the ``otel`` extra (``pip install 'codex-local-sdk[otel]'``, which brings
``opentelemetry-api`` only); this module imports without it, and :class:`OpenTelemetrySink`
says which extra to install when built without it.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import attrs

from codex_local_sdk.events import CodexClientEvent

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

_ATTEMPT_STARTS = frozenset({"attempt.started", "live.started"})
_ATTEMPT_ENDS = frozenset({"attempt.succeeded", "attempt.failed", "live.startup_failed"})
_RETRIES = frozenset({"retry.scheduled", "live.startup_retried"})
_TRACED = frozenset(
    {"operation.started", "operation.finished", "run.queued", "session.updated"}
    | _ATTEMPT_STARTS
    | _ATTEMPT_ENDS
    | _RETRIES
)
"""The event types that make or change a span: the client builds no other for this sink (not
a ``live.event`` per line of a live run)."""


@attrs.define
class _Call:
    """The spans of one call in flight: its own, and those of its attempts not yet ended."""

    span: Span
    attempts: dict[int, Span] = attrs.field(factory=dict)


class OpenTelemetrySink:
    """Sends the client's telemetry to OpenTelemetry; pass it as ``event_sink=``.

    Each call is a span named ``codex.<operation>`` (``codex.run``, ``codex.resume``,
    ``codex.run_live``...), from ``operation.started`` to ``operation.finished``; each
    attempt is a child span ``codex.attempt``; a retry's wait is a span event
    ``codex.retry`` and a wait for a slot ``codex.queued``. Times are the client clock's.

    Attributes follow the OpenTelemetry GenAI semantic conventions where they fit:
    ``gen_ai.operation.name`` (``invoke_agent``), ``gen_ai.provider.name`` (the request's
    ``model_provider`` setting, else ``openai``), ``gen_ai.request.model`` (when the request
    names one), ``gen_ai.usage.input_tokens`` and ``gen_ai.usage.output_tokens`` (the turn's
    own usage, ``turn_usage``), ``error.type``; and the SDK's own: ``codex.operation_id``,
    ``codex.thread_id``, ``codex.session_name``, ``codex.attempt``, ``codex.exit_code``,
    ``codex.turn_status``, ``codex.failure_kind``. A call or attempt that failed ends with
    status ERROR, its reason as the description. No attribute holds the API key or the
    command line, nor the prompt unless the client captures prompts
    (``CodexLocalClient(capture_prompts=True)``): the operation span then has
    ``gen_ai.input.messages``.

    Args:
        tracer_provider: where the spans go; default the global tracer provider.

    Raises:
        ImportError: ``opentelemetry-api`` is not installed (the ``otel`` extra).
    """

    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        try:
            from opentelemetry import trace
        except ImportError as exc:
            raise ImportError(
                "OpenTelemetrySink needs opentelemetry-api: pip install 'codex-local-sdk[otel]'"
            ) from exc
        self._trace = trace
        self._tracer: Tracer = trace.get_tracer("codex_local_sdk", tracer_provider=tracer_provider)
        self._calls: dict[str, _Call] = {}
        self._lock = threading.Lock()  # calls overlap, in threads too

    def wants(self, event_type: str) -> bool:
        """Whether events of ``event_type`` make or change a span."""
        return event_type in _TRACED

    def emit(self, event: CodexClientEvent) -> None:
        """Turn ``event`` into a span, a span's end or a span event."""
        if event.operation_id is None:
            return
        with self._lock:
            if event.type == "operation.started":
                self._start_call(event.operation_id, event)
                return
            call = self._calls.get(event.operation_id)
            if call is None:
                return  # a call that began before this sink saw it, or already ended
            if event.type == "operation.finished":
                del self._calls[event.operation_id]
                self._finish_call(call, event)
            elif event.type in _ATTEMPT_STARTS:
                self._attempt(call, event)
            elif event.type in _ATTEMPT_ENDS:
                self._end_attempt(call, event)
            elif event.type in _RETRIES:
                call.span.add_event("codex.retry", _retry_attributes(event), _nanoseconds(event))
            elif event.type == "run.queued":
                waited = {"codex.queued_seconds": event.duration_seconds or 0.0}
                call.span.add_event("codex.queued", waited, _nanoseconds(event))
            elif event.type == "session.updated" and event.session_name is not None:
                call.span.set_attribute("codex.session_name", event.session_name)

    def _start_call(self, operation_id: str, event: CodexClientEvent) -> None:
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.provider.name": event.data.get("model_provider", "openai"),
            "codex.operation_id": operation_id,
        }
        if "model" in event.data:
            attributes["gen_ai.request.model"] = event.data["model"]
        if "prompt" in event.data:  # the client captures prompts: the caller opted in
            attributes["gen_ai.input.messages"] = json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": event.data["prompt"]}]}]
            )
        attributes.update(
            _present({"codex.session_name": event.session_name, "codex.thread_id": event.session_id})
        )
        span = self._tracer.start_span(
            f"codex.{event.operation}",
            kind=self._trace.SpanKind.CLIENT,
            attributes=attributes,
            start_time=_nanoseconds(event),
        )
        self._calls[operation_id] = _Call(span)

    def _attempt(self, call: _Call, event: CodexClientEvent) -> Span:
        """The span of ``event``'s attempt, started now unless it is running."""
        number = event.attempt or 0
        span = call.attempts.get(number)
        if span is None:
            span = self._tracer.start_span(
                "codex.attempt",
                context=self._trace.set_span_in_context(call.span),
                attributes={"codex.attempt": number},
                start_time=_nanoseconds(event),
            )
            call.attempts[number] = span
        return span

    def _end_attempt(self, call: _Call, event: CodexClientEvent) -> None:
        span = self._attempt(call, event)
        del call.attempts[event.attempt or 0]
        span.set_attributes(_outcome(event))
        if event.type != "attempt.succeeded":
            self._fail(span, event)
        span.end(_nanoseconds(event))

    def _finish_call(self, call: _Call, event: CodexClientEvent) -> None:
        for span in call.attempts.values():  # an attempt the call's error cut short
            span.end(_nanoseconds(event))
        call.span.set_attributes(_outcome(event))
        usage = {
            "gen_ai.usage.input_tokens": event.data.get("input_tokens"),
            "gen_ai.usage.output_tokens": event.data.get("output_tokens"),
        }
        call.span.set_attributes(_present(usage))
        if not event.data.get("succeeded", False):
            self._fail(call.span, event)
        call.span.end(_nanoseconds(event))

    def _fail(self, span: Span, event: CodexClientEvent) -> None:
        kind = event.data.get("failure_kind") or event.data.get("error_type") or "unknown"
        span.set_attribute("error.type", kind)
        span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, event.error))


def _outcome(event: CodexClientEvent) -> dict[str, Any]:
    """The attributes of how an attempt or a call ended, those that are known."""
    return _present(
        {
            "codex.exit_code": event.return_code,
            "codex.turn_status": event.turn_status,
            "codex.failure_kind": event.data.get("failure_kind"),
            "codex.thread_id": event.session_id,
        }
    )


def _retry_attributes(event: CodexClientEvent) -> dict[str, Any]:
    return _present(
        {
            "codex.attempt": event.attempt,
            "codex.next_attempt": event.data.get("next_attempt"),
            "codex.retry_delay_seconds": event.delay_seconds,
            "codex.failure_kind": event.data.get("failure_kind"),
        }
    )


def _present(attributes: dict[str, Any]) -> dict[str, Any]:
    """``attributes`` without those whose value is unknown (OpenTelemetry takes no ``None``)."""
    return {key: value for key, value in attributes.items() if value is not None}


def _nanoseconds(event: CodexClientEvent) -> int:
    return int(event.timestamp * 1_000_000_000)
