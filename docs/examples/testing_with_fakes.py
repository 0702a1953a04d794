"""Testing your own code with the SDK's fakes: no CLI, no network, no waiting.

Run it with pytest: ``pytest docs/examples/testing_with_fakes.py``.
"""

from __future__ import annotations

from codex_local_sdk import CodexExecFailedError, CodexLocalClient, RetryPolicy
from codex_local_sdk.testing import FakeClock, InMemorySessionStore, ScriptedRun, ScriptedRunner


def summarize_repo(client: CodexLocalClient, path: str) -> str:
    """The code under test: a function of yours that uses the SDK."""
    result = client.run_prompt(f"Summarise the repository at {path}", cwd=path, timeout_seconds=600)
    return (result.final_message or "").strip()


def make_client(*runs: ScriptedRun) -> tuple[CodexLocalClient, ScriptedRunner, FakeClock]:
    clock = FakeClock()
    runner = ScriptedRunner(list(runs), clock=clock)
    client = CodexLocalClient(
        runner=runner,
        clock=clock,
        session_store=InMemorySessionStore(),
        retry_policy=RetryPolicy(max_attempts=2, initial_backoff_seconds=30),
    )
    return client, runner, clock


def test_summary_is_the_final_message() -> None:
    client, runner, _ = make_client(ScriptedRun.success("  A CLI for widgets.  "))
    assert summarize_repo(client, "/src/widgets") == "A CLI for widgets."
    assert runner.calls[0].cwd == "/src/widgets"
    assert runner.calls[0].stdin.startswith(b"Summarise")


def test_a_flaky_provider_is_retried_without_waiting() -> None:
    client, runner, clock = make_client(ScriptedRun.failure("overloaded"), ScriptedRun.success("ok"))
    assert summarize_repo(client, "/src") == "ok"
    assert len(runner.calls) == 2
    assert clock.sleeps == [30]  # the backoff happened on the fake clock


def test_a_hung_cli_times_out() -> None:
    client, _, clock = make_client(ScriptedRun(hang=True), ScriptedRun(hang=True))
    try:
        summarize_repo(client, "/src")
    except CodexExecFailedError as exc:
        assert exc.result.timed_out
    assert clock.monotonic() == 600  # one timed-out attempt; timeouts are not retried by default


def main(client: CodexLocalClient | None = None) -> None:
    for test in (
        test_summary_is_the_final_message,
        test_a_flaky_provider_is_retried_without_waiting,
        test_a_hung_cli_times_out,
    ):
        test()
        print("passed:", test.__name__)


if __name__ == "__main__":
    main()
