"""Retries and timeouts, seen on a timeline built from the client's telemetry."""

from __future__ import annotations

from typing import Any

from codex_local_sdk import CodexClientEvent, CodexExecFailedError, CodexLocalClient, RetryPolicy

POLICY = RetryPolicy(
    max_attempts=4,  # the first attempt and up to three retries
    initial_backoff_seconds=1.0,  # delays: 1 s, 3 s, 9 s ...
    backoff_multiplier=3.0,
    max_backoff_seconds=5.0,  # ... each capped at 5 s (so 1, 3, 5, 5 ...)
    jitter_ratio=0.0,  # e.g. 0.2 spreads each delay over +-20 %
    retry_on_exit_codes=None,  # any non-zero exit; (1,) would retry failed turns only
    max_total_retry_seconds=1800.0,  # no retry that would start 30 min after the first attempt
    retry_on_timeouts=True,  # a run ended by timeout_seconds counts as retryable
)
TIMEOUT = 600.0  # per attempt


class Timeline:
    """An event hook that prints each attempt and retry, in seconds since the first event."""

    def __init__(self) -> None:
        self.start: float | None = None

    def __call__(self, event: CodexClientEvent) -> None:
        if self.start is None:
            self.start = event.timestamp
        at = f"{event.timestamp - self.start:6.1f} s"
        if event.type == "attempt.started":
            print(f"{at}  attempt {event.attempt} starts")
        elif event.type == "attempt.failed":
            print(f"{at}  attempt {event.attempt} failed (exit {event.return_code}): {event.error}")
        elif event.type == "attempt.succeeded":
            print(f"{at}  attempt {event.attempt} succeeded")
        elif event.type == "retry.scheduled":
            print(f"{at}  retry in {event.delay_seconds:g} s")


def make_client(**ports: Any) -> CodexLocalClient:
    return CodexLocalClient(retry_policy=POLICY, event_hook=Timeline(), **ports)


def main(client: CodexLocalClient | None = None) -> None:
    client = client or make_client()
    try:
        result = client.run_prompt("Run the test suite and report", timeout_seconds=TIMEOUT)
    except CodexExecFailedError as exc:  # CodexTimeoutError too, when the last attempt timed out
        print(f"gave up after {exc.result.attempts} attempts: {exc}")
        return
    print(f"done after {result.attempts} attempts: {result.final_message}")


if __name__ == "__main__":
    main()
