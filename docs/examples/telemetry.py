"""Telemetry: a hook that prints every event, and the logging sink for production."""

from __future__ import annotations

import logging
from typing import Any

from adapters.sinks import LoggingSink
from codex_local_sdk import CodexClientEvent, CodexLocalClient, RetryPolicy


def trace(event: CodexClientEvent) -> None:
    """An event hook. If it raised, the SDK would log the error and carry on with the run."""
    fields = {
        "attempt": event.attempt,
        "exit": event.return_code,
        "status": event.turn_status,
        "delay": event.delay_seconds,
        "error": event.error,
        "session": event.session_name,
        "cli_event": event.event.type if event.event else None,
        **event.data,
    }
    shown = " ".join(f"{key}={value}" for key, value in fields.items() if value is not None)
    print(f"{event.type:<20} {event.operation:<12} {shown}".rstrip())


def make_client(**ports: Any) -> CodexLocalClient:
    return CodexLocalClient(
        retry_policy=RetryPolicy(max_attempts=2, initial_backoff_seconds=1, jitter_ratio=0),
        event_hook=trace,
        # Every event also goes to a logger of yours, as one record each, with the event in
        # `record.codex_event`. (With no hook and no sink: logger "codex_local_sdk.telemetry",
        # at DEBUG.)
        event_sink=LoggingSink(logging.getLogger("my_service.codex"), level=logging.INFO),
        **ports,
    )


def main(client: CodexLocalClient | None = None) -> None:
    client = client or make_client()
    client.start_thread("Find the flaky test", session_name="flaky")
    with client.resume_live("Now fix it", session_name="flaky") as run:
        for _ in run.iter_events():
            pass
        run.result()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
