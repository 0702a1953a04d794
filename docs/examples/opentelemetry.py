"""OpenTelemetry: a span per call, a child span per attempt (the ``otel`` extra)."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

from codex_local_sdk import CodexExecRequest, CodexLocalClient, OpenTelemetrySink, RetryPolicy


def console_tracing() -> TracerProvider:
    """A tracer provider that prints each span as it ends; a service sets up its OTLP
    exporter once instead, and passes no provider (the sink then uses the global one)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    return provider


def make_client(tracer_provider: TracerProvider | None = None, **ports: Any) -> CodexLocalClient:
    return CodexLocalClient(
        retry_policy=RetryPolicy(max_attempts=2, initial_backoff_seconds=1, jitter_ratio=0),
        event_sink=OpenTelemetrySink(tracer_provider=tracer_provider),
        **ports,
    )


def main(client: CodexLocalClient | None = None) -> None:
    client = client or make_client(console_tracing())
    client.run(CodexExecRequest(prompt="Find the flaky test", model="gpt-5-codex"))


if __name__ == "__main__":
    main()
