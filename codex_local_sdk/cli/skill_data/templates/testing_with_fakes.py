"""Testing code that uses codex_local_sdk with its fakes: no CLI, no network, no waiting.

Copy this file into your tests and run ``pytest`` (or run it: ``python testing_with_fakes.py``).
``ScriptedRunner`` replays scripted ``codex exec`` runs and records every start (argv, stdin,
cwd, env); ``FakeClock`` makes retries and timeouts take no wall time.
"""

from __future__ import annotations

import sys

from codex_local_sdk import CodexClientEvent, CodexLocalClient, CodexTimeoutError, RetryPolicy
from codex_local_sdk.testing import (
    FakeClock,
    InMemorySessionStore,
    Pause,
    ScriptedRun,
    ScriptedRunner,
    codex_turn_events,
)


# --8<-- [start:code]
def summarize_repo(client: CodexLocalClient, path: str, api_key: str | None = None) -> str:
    """The code under test (yours): a function that uses the SDK."""
    result = client.run_prompt(
        f"Summarise the repository at {path}", cwd=path, api_key=api_key, timeout_seconds=600
    )
    return (result.final_message or "").strip()


# --8<-- [end:code]


# --8<-- [start:harness]
def make_fake_client(
    *runs: ScriptedRun, events: list[CodexClientEvent] | None = None
) -> tuple[CodexLocalClient, ScriptedRunner, FakeClock]:
    """A client on scripted runs (one per process started), with fake time everywhere."""
    clock = FakeClock()  # shared by the runner and the client: scripted time, no sleeping
    runner = ScriptedRunner(list(runs), clock=clock)
    client = CodexLocalClient(
        runner=runner,
        clock=clock,
        session_store=InMemorySessionStore(clock=clock),
        # explicit, so the tests below do not depend on the defaults
        retry_policy=RetryPolicy(
            max_attempts=2,
            initial_backoff_seconds=10,
            max_backoff_seconds=30,
            jitter_ratio=0,
            retry_on_timeouts=False,
        ),
        event_hook=events.append if events is not None else None,
    )
    return client, runner, clock


# --8<-- [end:harness]


# --8<-- [start:tests]
def test_the_summary_is_the_final_message() -> None:
    client, runner, _clock = make_fake_client(ScriptedRun.success("  A CLI for widgets.  "))
    assert summarize_repo(client, "/src/widgets") == "A CLI for widgets."
    spec = runner.calls[0]  # what was started: argv, stdin, cwd, env
    assert spec.cwd == "/src/widgets"
    assert spec.stdin.startswith(b"Summarise")  # the prompt goes on stdin, never in argv


def test_the_api_key_goes_to_the_environment_only() -> None:
    client, runner, _clock = make_fake_client(ScriptedRun.success("ok"))
    summarize_repo(client, "/src", api_key="sk-test")
    assert runner.calls[0].env["CODEX_API_KEY"] == "sk-test"
    assert not any("sk-test" in arg for arg in runner.calls[0].argv)


def test_a_failed_run_is_retried_without_waiting() -> None:
    events: list[CodexClientEvent] = []
    client, runner, clock = make_fake_client(
        ScriptedRun.failure("overloaded"), ScriptedRun.success("ok"), events=events
    )
    assert summarize_repo(client, "/src") == "ok"
    assert len(runner.calls) == 2
    assert clock.sleeps == [10]  # the backoff happened in fake time
    assert [e.type for e in events] == [
        "attempt.started", "attempt.failed", "retry.scheduled", "attempt.started", "attempt.succeeded"
    ]  # fmt: skip


def test_a_hung_cli_times_out() -> None:
    client, runner, clock = make_fake_client(ScriptedRun(hang=True))
    try:
        summarize_repo(client, "/src")
    except CodexTimeoutError as exc:
        assert exc.result.turn_status == "timed_out"
    else:
        raise AssertionError("no CodexTimeoutError")
    assert clock.monotonic() == 600  # the whole timeout, in fake time
    assert runner.processes[0].closed  # the process was ended and released


def test_a_cli_that_stalls_mid_turn_times_out_with_what_it_printed() -> None:
    events = codex_turn_events(message="too late")
    client, _runner, clock = make_fake_client(ScriptedRun(stdout=[*events[:2], Pause(900), *events[2:]]))
    try:
        summarize_repo(client, "/src")
    except CodexTimeoutError as exc:
        assert [e.type for e in exc.result.events] == ["thread.started", "turn.started"]
    else:
        raise AssertionError("no CodexTimeoutError")
    assert clock.monotonic() == 600  # ended mid-pause by the timeout, in fake time


# --8<-- [end:tests]


def main() -> int:
    """Run the tests above without pytest."""
    tests = [value for name, value in globals().items() if name.startswith("test_")]
    for test in tests:
        test()
        print(f"passed: {test.__name__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
