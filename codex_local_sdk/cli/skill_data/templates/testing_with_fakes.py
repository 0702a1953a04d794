"""Testing code that uses codex_local_sdk with its fakes: no CLI, no network, no waiting.

Copy this file into your tests and run ``pytest``. ``ScriptedRunner`` replays scripted
``codex exec`` runs and records every start (argv, stdin, cwd, env); ``FakeClock`` makes
retries and timeouts take no wall time.
"""

from __future__ import annotations

import sys
from typing import Any

from codex_local_sdk import CodexLocalClient, CodexTimeoutError, RetryPolicy
from codex_local_sdk.testing import FakeClock, InMemorySessionStore, ScriptedRun, ScriptedRunner

LABELS = ("bug", "feature", "question")


def label_issue(client: CodexLocalClient, text: str, *, api_key: str | None = None) -> str:
    """The code under test (yours): which label an issue gets."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"label": {"type": "string", "enum": list(LABELS)}},
        "required": ["label"],
        "additionalProperties": False,
    }
    result = client.run_with_schema(
        f"Label this issue:\n\n{text}", schema, api_key=api_key, timeout_seconds=120
    )
    label = result.parse_json()["label"]
    return str(label)


def make_fake_client(*runs: ScriptedRun) -> tuple[CodexLocalClient, ScriptedRunner, FakeClock]:
    """A client on scripted runs (one per process started), with fake time everywhere."""
    clock = FakeClock()
    runner = ScriptedRunner(list(runs), clock=clock)
    client = CodexLocalClient(
        runner=runner,
        clock=clock,
        session_store=InMemorySessionStore(clock=clock),
        # explicit, so the tests below do not depend on the defaults
        retry_policy=RetryPolicy(
            max_attempts=2, initial_backoff_seconds=10, jitter_ratio=0, retry_on_timeouts=False
        ),
    )
    return client, runner, clock


def test_the_label_is_read_from_the_json_answer() -> None:
    client, runner, _clock = make_fake_client(ScriptedRun.success('{"label": "bug"}'))
    assert label_issue(client, "It crashes on start") == "bug"
    assert runner.calls[0].stdin.decode().endswith("It crashes on start")  # the prompt, on stdin
    assert "--output-schema" in runner.calls[0].argv


def test_the_api_key_goes_to_the_environment_only() -> None:
    client, runner, _clock = make_fake_client(ScriptedRun.success('{"label": "question"}'))
    label_issue(client, "How do I?", api_key="sk-test")
    assert runner.calls[0].env["CODEX_API_KEY"] == "sk-test"
    assert not any("sk-test" in arg for arg in runner.calls[0].argv)


def test_a_failed_run_is_retried_without_waiting() -> None:
    client, runner, clock = make_fake_client(
        ScriptedRun.failure("overloaded"), ScriptedRun.success('{"label": "bug"}')
    )
    assert label_issue(client, "Crash") == "bug"
    assert len(runner.calls) == 2
    assert clock.sleeps == [10]  # the backoff happened in fake time


def test_a_hung_cli_times_out() -> None:
    client, runner, clock = make_fake_client(ScriptedRun(hang=True))
    try:
        label_issue(client, "Crash")
    except CodexTimeoutError as exc:
        assert exc.result.turn_status == "timed_out"
    else:
        raise AssertionError("no CodexTimeoutError")
    assert clock.monotonic() == 120  # the whole timeout, in fake time
    assert runner.processes[0].closed  # the process was ended and released


def main() -> int:
    """Run the tests above without pytest."""
    tests = [value for name, value in globals().items() if name.startswith("test_")]
    for test in tests:
        test()
        print(f"passed: {test.__name__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
