"""Failure kinds: what the CLI 0.169.0 says (messages measured against it offline, pinned here),
the kind each becomes, the error it raises, and the retries that follow (ScriptedRunner +
FakeClock, sync and async)."""

from __future__ import annotations

import datetime
from typing import Any

import attrs
import pytest

from adapters.scripted_runner import Pause, ScriptedRun
from codex_local_sdk import (
    CodexExecFailedError,
    CodexExecRequest,
    CodexNotInstalledError,
    CodexOutputError,
    CodexSpawnError,
    CodexTimeoutError,
    RetryPolicy,
)
from codex_local_sdk.errors import (
    CodexAuthError,
    CodexRateLimitError,
    CodexUsageLimitError,
    classify_failure,
    failure_kind_of,
    usage_limit_resets_at,
)
from codex_local_sdk.results import CodexExecResult, FailureKind
from tests.conftest import MakeHarness

URL = "url: http://127.0.0.1:35905/v1/responses"
# turn.failed messages of 0.169.0, by what the loopback provider answered.
TURN_FAILURES = {
    "401": (f"unexpected status 401 Unauthorized: Incorrect API key provided, {URL}", FailureKind.AUTH),
    "403": (f"unexpected status 403 Forbidden: forbidden, {URL}", FailureKind.AUTH),
    "no key": ("Missing environment variable: `FAKE_KEY`.", FailureKind.AUTH),
    "429": ("exceeded retry limit, last status: 429 Too Many Requests", FailureKind.RATE_LIMITED),
    "500": (
        "We\u2019re currently experiencing high demand, which may cause temporary errors.",
        FailureKind.PROVIDER_UNAVAILABLE,
    ),
    "503": (
        f"unexpected status 503 Service Unavailable: service unavailable, {URL}",
        FailureKind.PROVIDER_UNAVAILABLE,
    ),
    "usage, no time": ("You\u2019ve hit your usage limit. Try again later.", FailureKind.USAGE_LIMIT),
    "usage, plus plan, no time": (
        "You\u2019ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit "
        "https://chatgpt.com/settings/usage to purchase more credits or try again later.",
        FailureKind.USAGE_LIMIT,
    ),
}
# stderr and exit codes of 0.169.0 for what fails before a turn.
STDERR_FAILURES = {
    "not a git repo": (
        "Not inside a trusted directory and --skip-git-repo-check was not specified.\n",
        1,
        FailureKind.NOT_A_GIT_REPO,
    ),
    "bad -c value": (
        "Error loading config.toml: unknown variant `nonsense`, expected one of `read-only`, "
        "`workspace-write`, `danger-full-access`\nin `sandbox_mode`\n",
        1,
        FailureKind.INVALID_REQUEST,
    ),
    "unknown flag": (
        "error: unexpected argument '--full-auto' found\n\nUsage: codex exec [OPTIONS] [PROMPT]\n",
        2,
        FailureKind.INVALID_REQUEST,
    ),
    "unknown thread": (
        "Error: thread/resume: no rollout found for thread id t-9\n",
        1,
        FailureKind.UNKNOWN_THREAD,
    ),
    "thread busy": ("Error: thread t-9 already has an active writer\n", 1, FailureKind.THREAD_BUSY),
    "SIGKILL from outside": ("", -9, FailureKind.KILLED),
    "SIGKILL via the launcher": ("", 137, FailureKind.KILLED),
    "SIGINT": ("", -2, FailureKind.INTERRUPTED),
    "nothing said": ("", 1, FailureKind.UNKNOWN),
}
NEVER = RetryPolicy(max_attempts=1)
WALL = 1_700_000_000.0  # the FakeClock's wall time at its start


def failing(h: Any, **options: Any) -> CodexExecFailedError:
    with pytest.raises(CodexExecFailedError) as info:
        h.client.run_prompt("p", **options)
    return info.value


@pytest.mark.parametrize("case", TURN_FAILURES)
def test_each_turn_failure_gets_its_kind(make_harness: MakeHarness, case: str) -> None:
    message, kind = TURN_FAILURES[case]
    error = failing(make_harness([ScriptedRun.failure(message)], retry_policy=NEVER))
    assert error.failure_kind == kind == error.result.failure_kind


@pytest.mark.parametrize("case", STDERR_FAILURES)
def test_each_cli_failure_gets_its_kind(make_harness: MakeHarness, case: str) -> None:
    stderr, exit_code, kind = STDERR_FAILURES[case]
    error = failing(make_harness([ScriptedRun(stderr=stderr, exit_code=exit_code)], retry_policy=NEVER))
    assert error.failure_kind == kind


@pytest.mark.parametrize(
    ("case", "error_type"),
    [
        ("401", CodexAuthError),
        ("no key", CodexAuthError),
        ("429", CodexRateLimitError),
        ("usage, no time", CodexUsageLimitError),
    ],
)
def test_kinds_callers_branch_on_have_their_error(
    make_harness: MakeHarness, case: str, error_type: type[CodexExecFailedError]
) -> None:
    error = failing(make_harness([ScriptedRun.failure(TURN_FAILURES[case][0])], retry_policy=NEVER))
    assert type(error) is error_type


def test_the_sdks_own_stops_have_their_kinds(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[{"type": "turn.started"}], hang=True)] * 2, raise_on_error=False)
    assert h.client.run_prompt("p", timeout_seconds=1).failure_kind == FailureKind.TIMEOUT
    with h.client.run_live(CodexExecRequest(prompt="p")) as run:
        run.terminate()
        assert run.result().failure_kind == FailureKind.STOPPED


def test_a_keyboard_interrupt_is_interrupted_and_a_close_is_stopped() -> None:
    stopped = CodexExecResult(
        return_code=-15,
        command=("codex",),
        stdout="",
        stderr="",
        final_message=None,
        turn_status="interrupted",
    )
    assert classify_failure(stopped) == FailureKind.STOPPED
    assert classify_failure(stopped, keyboard_interrupt=True) == FailureKind.INTERRUPTED


def test_exceptions_have_kinds_too() -> None:
    assert failure_kind_of(CodexSpawnError("codex", "EAGAIN")) == FailureKind.SPAWN_FAILED
    unfit = CodexExecResult(
        return_code=0,
        command=("codex",),
        stdout="",
        stderr="",
        final_message="three",
        turn_status="completed",
        output_errors=('expected an integer, got "three" @ Answer.count',),
    )
    error = CodexOutputError(result=unfit)
    assert (error.failure_kind, failure_kind_of(error)) == (FailureKind.INVALID_OUTPUT,) * 2
    assert failure_kind_of(RuntimeError()) is None


# -- retries by kind -----------------------------------------------------------------------


def test_a_kind_set_retries_exactly_those_kinds(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(max_attempts=3, retry_on_failures={"provider_unavailable"})
    h = make_harness(
        [ScriptedRun.failure(TURN_FAILURES["500"][0]), ScriptedRun.success("ok")], retry_policy=policy
    )
    assert h.client.run_prompt("p").attempts == 2
    h = make_harness([ScriptedRun.failure(TURN_FAILURES["401"][0])] * 3, retry_policy=policy)
    assert failing(h).result.attempts == 1


def test_with_a_kind_set_retry_on_timeouts_does_not_apply(make_harness: MakeHarness) -> None:
    hang = ScriptedRun(stdout=[{"type": "turn.started"}], hang=True)
    policy = RetryPolicy(max_attempts=3, retry_on_timeouts=True, retry_on_failures={"rate_limited"})
    h = make_harness([hang] * 3, retry_policy=policy)
    with pytest.raises(CodexTimeoutError):
        h.client.run_prompt("p", timeout_seconds=1)
    assert len(h.runner.calls) == 1


def test_transient_retries_what_passes_and_not_what_does_not(make_harness: MakeHarness) -> None:
    stall = ScriptedRun(stdout=[{"type": "turn.started"}], hang=True)
    script = [
        ScriptedRun.failure(TURN_FAILURES["503"][0]),
        ScriptedRun.failure(TURN_FAILURES["429"][0]),
        stall,
        ScriptedRun(stderr=STDERR_FAILURES["bad -c value"][0], exit_code=1),
    ]
    h = make_harness(script, retry_policy=RetryPolicy.transient(max_attempts=5, initial_backoff_seconds=0))
    error = failing(h, idle_timeout_seconds=1)
    assert (error.failure_kind, error.result.attempts) == (FailureKind.INVALID_REQUEST, 4)
    assert RetryPolicy.transient().retry_on_failures == frozenset(
        {
            FailureKind.PROVIDER_UNAVAILABLE,
            FailureKind.RATE_LIMITED,
            FailureKind.THREAD_BUSY,
            FailureKind.TIMEOUT,
        }
    )


def test_a_kind_set_decides_for_spawn_errors(make_harness: MakeHarness) -> None:
    spawn = ScriptedRun(spawn_error=CodexSpawnError("codex", "Resource temporarily unavailable"))
    h = make_harness([spawn, ScriptedRun.success()], retry_policy=RetryPolicy.transient())
    with pytest.raises(CodexSpawnError):
        h.client.run_prompt("p")
    h = make_harness(
        [spawn, ScriptedRun.success()],
        retry_policy=RetryPolicy(max_attempts=2, retry_on_failures={"spawn_failed"}),
    )
    assert h.client.run_prompt("p").attempts == 2


def test_bad_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown failure kind.*known: provider_unavailable"):
        RetryPolicy(retry_on_failures={"flaky"})
    with pytest.raises(TypeError, match="a set of failure kinds"):
        RetryPolicy(retry_on_failures="timeout")


# -- the usage limit's reset time ----------------------------------------------------------


def local(seconds_since_epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds_since_epoch).astimezone()


def cli_time(at: datetime.datetime, *, with_date: bool) -> str:
    """``at`` as 0.169.0 prints it: ``1:53 PM``, or ``Dec 8th, 2026 12:53 PM``."""
    day = at.day
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    clock = f"{at.hour % 12 or 12}:{at.minute:02d} {'PM' if at.hour >= 12 else 'AM'}"
    return f"{at:%b} {day}{suffix}, {at.year} {clock}" if with_date else clock


def usage_limit(at: datetime.datetime, *, with_date: bool) -> ScriptedRun:
    if with_date:
        return ScriptedRun.failure(
            f"You\u2019ve hit your usage limit. Try again at {cli_time(at, with_date=True)}."
        )
    return ScriptedRun.failure(
        "You\u2019ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit "
        "https://chatgpt.com/settings/usage to purchase more credits or try again at "
        f"{cli_time(at, with_date=False)}."
    )


@pytest.mark.parametrize(("ahead", "with_date"), [(3600, False), (5 * 86400, True)])
def test_a_usage_limit_waits_until_the_time_it_gives(
    make_harness: MakeHarness, ahead: int, with_date: bool
) -> None:
    reset = local(WALL + ahead).replace(second=0, microsecond=0)
    policy = RetryPolicy(max_attempts=2, retry_on_failures={"usage_limit"}, initial_backoff_seconds=1)
    h = make_harness([usage_limit(reset, with_date=with_date), ScriptedRun.success()], retry_policy=policy)
    assert h.clock.time() == WALL
    assert h.client.run_prompt("p").attempts == 2
    assert h.clock.sleeps == [reset.timestamp() - WALL]  # the failed attempt took no time


def test_a_usage_limit_past_the_cap_ends_the_retries_at_once(make_harness: MakeHarness) -> None:
    reset = local(WALL + 5 * 86400).replace(second=0, microsecond=0)
    policy = RetryPolicy(max_attempts=3, retry_on_failures={"usage_limit"}, max_total_retry_seconds=600)
    h = make_harness([usage_limit(reset, with_date=True), ScriptedRun.success()], retry_policy=policy)
    error = failing(h)
    assert isinstance(error, CodexUsageLimitError) and error.resets_at == reset
    assert (error.result.attempts, h.clock.sleeps) == (1, [])


def test_a_usage_limit_without_a_time_waits_the_backoff_only(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(
        max_attempts=2, retry_on_failures={"usage_limit"}, initial_backoff_seconds=3, jitter_ratio=0
    )
    h = make_harness(
        [ScriptedRun.failure(TURN_FAILURES["usage, no time"][0]), ScriptedRun.success()], retry_policy=policy
    )
    assert h.client.run_prompt("p").attempts == 2
    assert h.clock.sleeps == [3]


def test_a_time_of_day_already_past_is_tomorrows() -> None:
    now = datetime.datetime(2030, 3, 17, 18, 0).astimezone()
    assert (
        usage_limit_resets_at("try again at 5:46 PM.", now)
        == datetime.datetime(2030, 3, 18, 17, 46).astimezone()
    )
    assert (
        usage_limit_resets_at("Try again at Mar 17th, 2030 5:46 PM.", now)
        == datetime.datetime(2030, 3, 17, 17, 46).astimezone()
    )
    assert usage_limit_resets_at("Try again later.", now) is None


# -- side effects --------------------------------------------------------------------------


def ran(item_type: str) -> ScriptedRun:
    """A turn that failed (a 503) after an item of ``item_type``."""
    message = TURN_FAILURES["503"][0]
    return ScriptedRun(
        stdout=[
            {"type": "thread.started", "thread_id": "t-1"},
            {"type": "turn.started"},
            {"type": "item.completed", "item": {"id": "i", "type": item_type, "status": "completed"}},
            {"type": "turn.failed", "error": {"message": message}},
        ],
        exit_code=1,
    )


@pytest.mark.parametrize("item_type", ["command_execution", "file_change", "mcp_tool_call"])
def test_an_attempt_with_side_effects_is_not_retried(make_harness: MakeHarness, item_type: str) -> None:
    h = make_harness([ran(item_type), ScriptedRun.success()], retry_policy=RetryPolicy.transient())
    error = failing(h)
    assert error.result.attempts == 1
    assert f"not retried: the attempt had side effects ({item_type})" in str(error)
    assert "retry_after_side_effects=True" in str(error)


def test_side_effects_are_retried_when_the_policy_says_so(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(max_attempts=2, retry_after_side_effects=True)
    h = make_harness([ran("command_execution"), ScriptedRun.success()], retry_policy=policy)
    assert h.client.run_prompt("p").attempts == 2


def test_other_items_are_no_side_effects(make_harness: MakeHarness) -> None:
    h = make_harness([ran("reasoning"), ScriptedRun.success()], retry_policy=RetryPolicy(max_attempts=2))
    assert h.client.run_prompt("p").attempts == 2


# -- telemetry -----------------------------------------------------------------------------


def test_a_retried_new_thread_reports_the_thread_it_abandoned(make_harness: MakeHarness) -> None:
    failed = ScriptedRun.failure(TURN_FAILURES["503"][0], thread_id="t-abandoned")
    h = make_harness([failed, ScriptedRun.success(thread_id="t-2")], retry_policy=RetryPolicy.transient())
    assert h.client.run_prompt("p").thread_id == "t-2"
    data = {e.type: e.data for e in h.events if e.type in ("attempt.failed", "retry.scheduled")}
    assert data["attempt.failed"] == {
        "failure_kind": "provider_unavailable",
        "abandoned_thread_id": "t-abandoned",
    }
    assert data["retry.scheduled"] == {"next_attempt": 2, **data["attempt.failed"]}


def test_a_failed_resume_abandons_no_thread(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.failure("boom", thread_id="t-1")], retry_policy=NEVER)
    with pytest.raises(CodexExecFailedError):
        h.client.resume("p", session_id="t-1")
    assert [e.data for e in h.events if e.type == "attempt.failed"] == [{"failure_kind": "unknown"}]


def test_a_pause_is_no_failure(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[Pause(1)], exit_code=0)])
    assert h.client.run_prompt("p").failure_kind is None


def test_a_ctrl_c_while_reading_a_live_run_is_interrupted(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[{"type": "turn.started"}], hang=True)], raise_on_error=False)
    with pytest.raises(KeyboardInterrupt), h.client.run_live(CodexExecRequest(prompt="p")) as run:
        raise KeyboardInterrupt
    assert run.result().failure_kind == FailureKind.INTERRUPTED


def test_a_missing_cli_is_never_retried_even_by_kind(make_harness: MakeHarness) -> None:
    policy = RetryPolicy(max_attempts=3, retry_on_failures={"spawn_failed"})
    h = make_harness([ScriptedRun.not_installed(), ScriptedRun.success()], retry_policy=policy)
    with pytest.raises(CodexNotInstalledError):
        h.client.run_prompt("p")
    assert len(h.runner.calls) == 1


def test_the_turn_error_outranks_the_log_lines_on_stderr(make_harness: MakeHarness) -> None:
    message = TURN_FAILURES["503"][0]
    noisy = ScriptedRun(
        stdout=[{"type": "turn.started"}, {"type": "turn.failed", "error": {"message": message}}],
        stderr="WARN retrying after 429 Too Many Requests\n",
        exit_code=1,
    )
    assert failing(make_harness([noisy], retry_policy=NEVER)).failure_kind == FailureKind.PROVIDER_UNAVAILABLE


def test_a_run_whose_lease_was_lost_is_never_said_to_be_stopped_by_its_side_effects(
    make_harness: MakeHarness,
) -> None:
    from codex_local_sdk._retrying import is_retryable_result, side_effects_stopped_retry

    ended = failing(make_harness([ran("command_execution")])).result
    lost = attrs.evolve(ended, turn_status="lease_lost", return_code=-9)
    policy = RetryPolicy(max_attempts=3, retry_on_exit_codes=None)
    assert lost.has_side_effects and not is_retryable_result(policy, lost)
    assert side_effects_stopped_retry(policy, lost) is None
    assert side_effects_stopped_retry(policy, ended) is not None  # the same turn, not lost
