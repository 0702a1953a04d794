"""Every RetryPolicy field's effect, and the telemetry of retries (ScriptedRunner + FakeClock)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adapters.scripted_runner import ScriptedRun, codex_turn_events
from codex_local_sdk import CodexExecFailedError, CodexSpawnError, CodexTimeoutError, RetryPolicy
from tests.conftest import MakeHarness

FAIL = ScriptedRun.failure("boom")
OK = ScriptedRun.success("fine")
REPO = Path(__file__).resolve().parents[1]


def test_max_attempts_counts_the_first_attempt(make_harness: MakeHarness) -> None:
    h = make_harness([FAIL, FAIL, FAIL], retry_policy=RetryPolicy(max_attempts=3))
    with pytest.raises(CodexExecFailedError) as info:
        h.client.run_prompt("p")
    assert len(h.runner.calls) == 3
    assert info.value.result.attempts == 3


def test_retry_then_success(make_harness: MakeHarness) -> None:
    h = make_harness([FAIL, OK], retry_policy=RetryPolicy(max_attempts=3))
    result = h.client.run_prompt("p")
    assert (result.final_message, result.attempts) == ("fine", 2)


def test_exponential_backoff_is_capped(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(
        max_attempts=5, initial_backoff_seconds=1, backoff_multiplier=3, max_backoff_seconds=5, jitter_ratio=0
    )
    h = make_harness([FAIL] * 5, retry_policy=policy)
    with pytest.raises(CodexExecFailedError):
        h.client.run_prompt("p")
    assert h.clock.sleeps == [1, 3, 5, 5]


def test_jitter_spreads_each_delay_within_the_ratio(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(
        max_attempts=30,
        initial_backoff_seconds=10,
        max_backoff_seconds=10,
        backoff_multiplier=1,
        jitter_ratio=0.2,
    )
    h = make_harness([FAIL] * 30, retry_policy=policy)
    with pytest.raises(CodexExecFailedError):
        h.client.run_prompt("p")
    assert all(8 <= s <= 12 for s in h.clock.sleeps)
    assert len(set(h.clock.sleeps)) > 1


def test_without_jitter_delays_are_exact(make_harness: MakeHarness) -> None:
    h = make_harness(
        [FAIL] * 3,
        retry_policy=RetryPolicy(
            max_attempts=3, initial_backoff_seconds=2, backoff_multiplier=1, jitter_ratio=0
        ),
    )
    with pytest.raises(CodexExecFailedError):
        h.client.run_prompt("p")
    assert h.clock.sleeps == [2, 2]


def test_only_listed_exit_codes_are_retried(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(max_attempts=3, retry_on_exit_codes=(75,), initial_backoff_seconds=0)
    h = make_harness([ScriptedRun(exit_code=75), ScriptedRun(exit_code=1), OK], retry_policy=policy)
    with pytest.raises(CodexExecFailedError) as info:
        h.client.run_prompt("p")
    assert info.value.return_code == 1
    assert len(h.runner.calls) == 2


def test_none_retries_any_non_zero_exit(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(max_attempts=3, initial_backoff_seconds=0)
    h = make_harness([ScriptedRun(exit_code=2), ScriptedRun(exit_code=137), OK], retry_policy=policy)
    assert h.client.run_prompt("p").attempts == 3


def test_total_retry_time_caps_retries_including_the_next_sleep(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(
        max_attempts=10,
        initial_backoff_seconds=4,
        backoff_multiplier=1,
        max_total_retry_seconds=20,
        jitter_ratio=0,
    )
    runs = [ScriptedRun.failure(duration_seconds=3)] * 10
    h = make_harness(runs, retry_policy=policy)
    with pytest.raises(CodexExecFailedError):
        h.client.run_prompt("p")
    # attempts end at 3, 10, 17; a sleep of 4 after the third would end at 21 > 20
    assert len(h.runner.calls) == 3
    assert h.clock.sleeps == [4, 4]


def test_timeouts_are_not_retried_when_asked_not_to(make_harness: MakeHarness) -> None:
    h = make_harness(
        [ScriptedRun(hang=True), OK], retry_policy=RetryPolicy(max_attempts=2, retry_on_timeouts=False)
    )
    with pytest.raises(CodexTimeoutError):
        h.client.run_prompt("p", timeout_seconds=5)
    assert len(h.runner.calls) == 1


def test_timeouts_are_retried_when_asked(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(max_attempts=2, retry_on_timeouts=True, initial_backoff_seconds=1, jitter_ratio=0)
    h = make_harness([ScriptedRun(hang=True), OK], retry_policy=policy)
    result = h.client.run_prompt("p", timeout_seconds=5)
    assert (result.final_message, result.attempts) == ("fine", 2)
    assert h.clock.monotonic() == 6  # the timed-out attempt, then the backoff


EVERYTHING_RETRIED = RetryPolicy(max_attempts=3, retry_on_timeouts=True, retry_on_exit_codes=None)


def test_a_completed_turn_is_not_retried_whatever_its_exit_code(make_harness: MakeHarness) -> None:
    completed_then_failed = ScriptedRun(stdout=codex_turn_events(message="edited"), exit_code=1)
    h = make_harness([completed_then_failed, OK, OK], retry_policy=EVERYTHING_RETRIED)
    with pytest.raises(CodexExecFailedError) as info:
        h.client.run_prompt("p")
    assert (info.value.result.turn_status, info.value.result.attempts) == ("completed", 1)
    assert len(h.runner.calls) == 1
    assert h.clock.sleeps == []


def test_a_completed_turn_is_not_retried_when_its_process_outlived_the_deadline(
    make_harness: MakeHarness,
) -> None:
    completed_then_hung = ScriptedRun(stdout=codex_turn_events(message="edited"), hang=True)
    h = make_harness([completed_then_hung, OK, OK], retry_policy=EVERYTHING_RETRIED)
    with pytest.raises(CodexTimeoutError) as info:
        h.client.run_prompt("p", timeout_seconds=5)
    assert (info.value.result.turn_status, info.value.result.timed_out) == ("completed", True)
    assert len(h.runner.calls) == 1


def test_spawn_errors_are_retried(make_harness: MakeHarness) -> None:
    spawn_fail = ScriptedRun(spawn_error=CodexSpawnError("codex", "Too many open files"))
    h = make_harness([spawn_fail, OK], retry_policy=RetryPolicy(max_attempts=2))
    assert h.client.run_prompt("p").attempts == 2


def test_telemetry_for_a_plain_success(make_harness: MakeHarness) -> None:
    h = make_harness([OK])
    h.client.run_prompt("p")
    assert h.event_types() == ["attempt.started", "attempt.succeeded"]
    done = h.events[-1]
    assert (done.operation, done.attempt, done.return_code, done.turn_status) == ("run", 1, 0, "completed")
    assert done.command == ("codex", "exec", "--json", "-")


def test_telemetry_for_retry_then_success(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(max_attempts=2, initial_backoff_seconds=7, jitter_ratio=0)
    h = make_harness([FAIL, OK], retry_policy=policy)
    h.client.run_prompt("p")
    assert h.event_types() == [
        "attempt.started",
        "attempt.failed",
        "retry.scheduled",
        "attempt.started",
        "attempt.succeeded",
    ]
    failed, scheduled = h.events[1], h.events[2]
    assert (failed.attempt, failed.return_code, failed.turn_status, failed.error) == (1, 1, "failed", "boom")
    assert (scheduled.attempt, scheduled.delay_seconds, scheduled.return_code) == (1, 7, 1)
    assert h.events[3].attempt == 2


def test_telemetry_for_exhausted_retries(make_harness: MakeHarness) -> None:
    h = make_harness([FAIL, FAIL], retry_policy=RetryPolicy(max_attempts=2, initial_backoff_seconds=0))
    with pytest.raises(CodexExecFailedError):
        h.client.run_prompt("p")
    assert h.event_types() == [
        "attempt.started",
        "attempt.failed",
        "retry.scheduled",
        "attempt.started",
        "attempt.failed",
    ]


IMPORTS_AFTER_RUNS = """
import sys
from adapters.clock import FakeClock
from adapters.scripted_runner import ScriptedRun, ScriptedRunner
from codex_local_sdk import CodexLocalClient, RetryPolicy

def client(policy):
    clock = FakeClock()
    runner = ScriptedRunner([ScriptedRun.success()] * 2, clock=clock)
    return CodexLocalClient(runner=runner, clock=clock, retry_policy=policy)

client(RetryPolicy()).run_prompt("p")
print("tenacity" in sys.modules)
client(RetryPolicy(max_attempts=2)).run_prompt("p")
print("tenacity" in sys.modules)
"""


def test_tenacity_is_imported_only_for_a_policy_that_retries() -> None:
    out = subprocess.run(
        [sys.executable, "-c", IMPORTS_AFTER_RUNS], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert out.split() == ["False", "True"]
