"""OpenTelemetrySink, read back through the OpenTelemetry SDK's in-memory span exporter."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from codex_local_sdk import (
    CodexClientEvent,
    CodexExecFailedError,
    CodexExecRequest,
    CodexLocalClient,
    OpenTelemetrySink,
    RetryPolicy,
)
from codex_local_sdk.testing import FakeClock, InMemorySessionStore, ScriptedRun, ScriptedRunner

PROMPT = "summarise the secret plan"
API_KEY = "sk-test-do-not-leak"
OVERLOADED = ScriptedRun.failure("the model provider is overloaded")
FINE = ScriptedRun.success("done", usage={"input_tokens": 120, "output_tokens": 30})
RETRY_ONCE = RetryPolicy(max_attempts=2, initial_backoff_seconds=3, jitter_ratio=0)


def traced(script: list[ScriptedRun], **options: object) -> tuple[CodexLocalClient, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    clock = FakeClock()
    client = CodexLocalClient(
        runner=ScriptedRunner(script, clock=clock),
        clock=clock,
        session_store=InMemorySessionStore(clock=clock),
        event_sink=OpenTelemetrySink(tracer_provider=provider),
        **options,  # type: ignore[arg-type]
    )
    return client, exporter


def named(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def test_a_retried_run_is_one_operation_span_with_two_attempt_children_and_a_retry_event() -> None:
    client, exporter = traced([OVERLOADED, FINE], retry_policy=RETRY_ONCE)
    client.run(CodexExecRequest(prompt=PROMPT, model="gpt-5-codex"))
    spans = exporter.get_finished_spans()
    [operation] = named(spans, "codex.run")
    attempts = named(spans, "codex.attempt")
    assert len(spans) == 3
    assert [a.parent.span_id for a in attempts if a.parent] == [operation.context.span_id] * 2
    assert [a.attributes["codex.attempt"] for a in attempts if a.attributes] == [1, 2]
    assert [a.status.status_code for a in attempts] == [StatusCode.ERROR, StatusCode.UNSET]
    assert attempts[0].attributes is not None
    assert attempts[0].attributes["codex.failure_kind"] == "provider_unavailable"
    [retry] = operation.events
    assert retry.name == "codex.retry"
    assert dict(retry.attributes or {})["codex.retry_delay_seconds"] == 3
    assert dict(operation.attributes or {}) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-5-codex",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 30,
        "codex.operation_id": operation.attributes["codex.operation_id"] if operation.attributes else None,
        "codex.thread_id": "thread-1",
        "codex.exit_code": 0,
        "codex.turn_status": "completed",
    }
    assert operation.status.status_code is StatusCode.UNSET


def test_a_failed_run_ends_its_span_with_status_error_and_the_failure_kind() -> None:
    client, exporter = traced([OVERLOADED])
    with pytest.raises(CodexExecFailedError):
        client.start_thread(PROMPT, session_name="nightly")
    [operation] = named(exporter.get_finished_spans(), "codex.start_thread")
    attributes = dict(operation.attributes or {})
    assert operation.status.status_code is StatusCode.ERROR
    assert operation.status.description == "the model provider is overloaded"
    assert attributes["codex.failure_kind"] == attributes["error.type"] == "provider_unavailable"
    assert attributes["codex.session_name"] == "nightly"


def test_the_usage_is_the_turns_own_not_the_threads_running_total() -> None:
    first = ScriptedRun.success("one", usage={"input_tokens": 100, "output_tokens": 10})
    second = ScriptedRun.success("two", usage={"input_tokens": 250, "output_tokens": 25})
    client, exporter = traced([first, second])
    thread, _ = client.start_thread("a", session_name="s")
    thread.continue_prompt("b")
    [resumed] = named(exporter.get_finished_spans(), "codex.resume")
    attributes = dict(resumed.attributes or {})
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (150, 15)


def test_no_attribute_holds_the_prompt_the_key_or_the_command() -> None:
    client, exporter = traced([OVERLOADED, FINE, OVERLOADED, OVERLOADED], retry_policy=RETRY_ONCE)
    client.run(CodexExecRequest(prompt=PROMPT), api_key=API_KEY)
    with pytest.raises(CodexExecFailedError):
        client.run(CodexExecRequest(prompt=PROMPT), api_key=API_KEY)
    dumped = json.dumps(
        [
            [dict(span.attributes or {}), [dict(event.attributes or {}) for event in span.events]]
            for span in exporter.get_finished_spans()
        ]
    )
    assert "secret plan" not in dumped and API_KEY not in dumped and sys.executable not in dumped
    assert "codex.run" in [span.name for span in exporter.get_finished_spans()]


def test_a_client_that_captures_prompts_puts_the_prompt_on_the_operation_span_only() -> None:
    client, exporter = traced([FINE], capture_prompts=True)
    client.run(CodexExecRequest(prompt=PROMPT), api_key=API_KEY)
    (operation,) = named(exporter.get_finished_spans(), "codex.run")
    messages = json.loads(str((operation.attributes or {})["gen_ai.input.messages"]))
    assert messages == [{"role": "user", "parts": [{"type": "text", "content": PROMPT}]}]
    (attempt,) = named(exporter.get_finished_spans(), "codex.attempt")
    assert "secret plan" not in json.dumps(dict(attempt.attributes or {}))
    assert API_KEY not in json.dumps([dict(span.attributes or {}) for span in exporter.get_finished_spans()])


def test_capture_prompts_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="capture_prompts"):
        CodexLocalClient(capture_prompts="yes")  # type: ignore[arg-type]


def test_overlapping_async_calls_get_a_span_each_with_their_own_attempts() -> None:
    client, exporter = traced([FINE, FINE, FINE])

    async def three() -> None:
        await asyncio.gather(*(client.run_async(CodexExecRequest(prompt=PROMPT)) for _ in range(3)))

    asyncio.run(three())
    spans = exporter.get_finished_spans()
    operations = named(spans, "codex.run")  # the async twins report under the same names
    assert len(operations) == 3
    for operation in operations:
        children = [
            s for s in spans if s.parent is not None and s.parent.span_id == operation.context.span_id
        ]
        assert len(children) == 1


def test_a_live_run_is_a_span_too() -> None:
    client, exporter = traced([FINE])
    with client.run_live(CodexExecRequest(prompt=PROMPT)) as run:
        run.result()
    [operation] = named(exporter.get_finished_spans(), "codex.run_live")
    assert len(named(exporter.get_finished_spans(), "codex.attempt")) == 1
    assert dict(operation.attributes or {})["gen_ai.usage.output_tokens"] == 30


def test_without_the_extra_the_package_imports_and_the_sink_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [
        name for name in sys.modules if name == "opentelemetry" or name.startswith("opentelemetry.")
    ]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # as if not installed
    namespace: dict[str, object] = {}
    exec("from codex_local_sdk import *", namespace)
    with pytest.raises(ImportError, match=r"codex-local-sdk\[otel\]"):
        OpenTelemetrySink()


def test_a_live_run_builds_no_live_event_for_the_sink_and_is_still_traced() -> None:
    class Recording(OpenTelemetrySink):
        def __init__(self, tracer_provider: TracerProvider) -> None:
            super().__init__(tracer_provider=tracer_provider)
            self.types: list[str] = []

        def emit(self, event: CodexClientEvent) -> None:
            self.types.append(event.type)
            super().emit(event)

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    clock = FakeClock()
    sink = Recording(provider)
    client = CodexLocalClient(runner=ScriptedRunner([FINE], clock=clock), clock=clock, event_sink=sink)
    with client.run_live(CodexExecRequest(prompt=PROMPT)) as live:
        assert len(list(live.iter_events())) > 1
        assert live.result().succeeded
    assert "live.event" not in sink.types and "operation.finished" in sink.types
    assert [span.name for span in exporter.get_finished_spans()].count("codex.run_live") == 1
