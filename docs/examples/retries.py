"""Retries and timeouts: what a RetryPolicy does, seen through telemetry."""

from __future__ import annotations

from codex_local_sdk import (
    CodexClientEvent,
    CodexExecRequest,
    CodexLocalClient,
    CodexTimeoutError,
    RetryPolicy,
)

POLICY = RetryPolicy(
    max_attempts=4,
    initial_backoff_seconds=1.0,  # delays: 1 s, 2 s, 4 s ...
    backoff_multiplier=2.0,
    max_backoff_seconds=30.0,  # ... each capped at 30 s
    jitter_ratio=0.0,  # or 0.1 to spread each delay by +-10 %
    retry_on_exit_codes=None,  # any non-zero exit; e.g. (1,) for failed turns only
    max_total_retry_seconds=3600.0,  # attempts included: a 900 s timeout counts
    retry_on_timeouts=True,
)


def print_retries(event: CodexClientEvent) -> None:
    if event.type == "attempt.failed":
        print(f"attempt {event.attempt} failed: {event.error}")
    elif event.type == "retry.scheduled":
        print(f"retrying in {event.delay_seconds:g} s")


def main(client: CodexLocalClient) -> None:
    request = CodexExecRequest(prompt="Run the test suite and report", skip_git_repo_check=True)
    try:
        result = client.run(request, timeout_seconds=900)
    except CodexTimeoutError as exc:
        print(f"gave up after {exc.result.attempts} attempts; the process group was killed")
        return
    print(f"done after {result.attempts} attempt(s): {result.final_message}")


if __name__ == "__main__":
    main(CodexLocalClient(retry_policy=POLICY, event_hook=print_retries))
