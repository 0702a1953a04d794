"""The retry loop: :class:`RetryPolicy` + :class:`Clock` -> tenacity's decisions, as steps.

:func:`with_retries` asks a tenacity ``Retrying`` what to do next with ``iter()`` — attempt,
sleep, or stop with the last outcome — and does it as :mod:`steps <codex_local_sdk._steps>`,
so one loop serves both drivers. tenacity is imported only for a policy that allows more
than one attempt.

Every clock is injected: the sleeps are :class:`~codex_local_sdk._steps.Sleep` steps on the
client's clock, and the ``max_total_retry_seconds`` cap is a stop rule of ours that reads the
same clock (tenacity's ``stop_after_delay`` reads ``time.monotonic`` itself and could not be
faked).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._steps import Sleep, Steps
from .activity import acts_on_the_world
from .errors import (
    CodexNotInstalledError,
    CodexSpawnError,
    failure_kind_of,
    failure_text,
    usage_limit_resets_at,
)
from .models import CodexExecResult, FailureKind, RetryPolicy
from .ports import Clock

if TYPE_CHECKING:
    import tenacity

_T = TypeVar("_T")

RetryHook = Callable[[int, float, CodexExecResult | None, BaseException | None], None]
"""Told of each retry before its sleep: the attempt that failed, the delay, and that attempt's
result (``None`` if it had none) or exception."""


def side_effects(result: CodexExecResult) -> str | None:
    """What ``result``'s turn did that a retry would repeat (see
    :attr:`CodexExecResult.has_side_effects`), said for an error; ``None`` when nothing. A run
    without JSON output has no items, so nothing."""
    if not result.has_side_effects:
        return None
    kinds = sorted({str(item.type) for item in result.items if acts_on_the_world(item)})
    if result.dropped_items:
        kinds.append(f"{result.dropped_items} earlier items not kept")
    return ", ".join(kinds)


def is_retryable_result(policy: RetryPolicy, result: CodexExecResult) -> bool:
    """Whether ``policy`` retries a finished attempt that produced ``result``.

    Never one whose turn completed, however its process ended (a non-zero exit, or ended by
    the SDK after it lingered), nor one whose thread's lease was lost (another worker holds
    the thread), nor, unless the policy allows it, one that had side effects: a retry would
    run the turn, and repeat them, again.
    """
    if _never_retried(result):
        return False
    if result.has_side_effects and not policy.retry_after_side_effects:
        return False
    return would_retry_kind(policy, result)


def _never_retried(result: CodexExecResult) -> bool:
    """Whether no policy retries ``result``: it succeeded, its turn completed, or its thread's
    lease was lost."""
    return result.succeeded or result.turn_status in ("completed", "lease_lost")


def would_retry_kind(policy: RetryPolicy, result: CodexExecResult) -> bool:
    """Whether ``policy`` retries a failure like ``result``'s, side effects aside."""
    if policy.retry_on_failures is not None:
        return result.failure_kind in policy.retry_on_failures
    if result.timed_out:
        return policy.retry_on_timeouts
    return policy.should_retry_exit_code(result.return_code)


def side_effects_stopped_retry(policy: RetryPolicy, result: CodexExecResult) -> str | None:
    """Why ``result``'s run was not retried when only its side effects stopped it (the
    policy would have retried the failure, and had attempts left); else ``None``."""
    if policy.retry_after_side_effects or result.attempts >= policy.max_attempts:
        return None
    if _never_retried(result) or not would_retry_kind(policy, result):
        return None
    kinds = side_effects(result)
    if kinds is None:
        return None
    return (
        f"not retried: the attempt had side effects ({kinds}), which a retry would repeat; "
        "RetryPolicy(retry_after_side_effects=True) retries anyway"
    )


def is_retryable_error(policy: RetryPolicy, error: BaseException) -> bool:
    """Whether ``policy`` retries an attempt that raised ``error`` (a start that failed).
    Never a missing CLI: it will not appear by waiting."""
    if isinstance(error, CodexNotInstalledError):
        return False
    if policy.retry_on_failures is not None:
        return failure_kind_of(error) in policy.retry_on_failures
    return isinstance(error, CodexSpawnError)


def usage_limit_wait(result: CodexExecResult, clock: Clock) -> float:
    """Seconds until a ``usage_limit`` failure says to come back, on ``clock``'s wall time;
    ``0`` when it is another failure or gives no time."""
    if result.failure_kind != FailureKind.USAGE_LIMIT:
        return 0.0
    now = datetime.datetime.fromtimestamp(clock.time(), datetime.timezone.utc)
    resets_at = usage_limit_resets_at(failure_text(result), now)
    return 0.0 if resets_at is None else max(0.0, (resets_at - now).total_seconds())


def with_retries(
    policy: RetryPolicy,
    clock: Clock,
    attempt: Callable[[int], Steps[_T]],
    *,
    result_of: Callable[[_T], CodexExecResult | None],
    on_retry: RetryHook,
) -> Steps[_T]:
    """``attempt(number)``, retried per ``policy``: attempts whose result is retryable (see
    :func:`is_retryable_result`; ``result_of`` finds it) and
    :class:`~codex_local_sdk.errors.CodexSpawnError` are tried again. When the policy gives
    up, the last attempt's value is returned (or its exception raised)."""
    if policy.max_attempts == 1:  # nothing to retry: no tenacity at all
        return (yield from attempt(1))
    import tenacity

    retrying = _retrying(policy, clock, result_of)
    retrying.begin()
    state = tenacity.RetryCallState(retrying, fn=None, args=(), kwargs={})
    while True:
        action = retrying.iter(state)
        if isinstance(action, tenacity.DoAttempt):
            try:
                state.set_result((yield from attempt(state.attempt_number)))
            except Exception as exc:  # not BaseException: an interrupt or a cancel is never retried
                state.set_exception((type(exc), exc, exc.__traceback__))
        elif isinstance(action, tenacity.DoSleep):
            _report(state, result_of, on_retry)
            state.prepare_for_next_attempt()
            yield Sleep(float(action))
        else:
            last: _T = action
            return last


def _report(
    state: tenacity.RetryCallState, result_of: Callable[[Any], CodexExecResult | None], on_retry: RetryHook
) -> None:
    outcome = state.outcome
    assert outcome is not None  # tenacity sleeps only after an attempt
    failure = outcome.exception() if outcome.failed else None
    result = None if failure is not None else result_of(outcome.result())
    on_retry(state.attempt_number, state.upcoming_sleep, result, failure)


def _retrying(
    policy: RetryPolicy, clock: Clock, result_of: Callable[[Any], CodexExecResult | None]
) -> tenacity.Retrying:
    import tenacity

    def retryable(value: Any) -> bool:
        result = result_of(value)
        return result is not None and is_retryable_result(policy, result)

    return tenacity.Retrying(
        stop=_stop(policy, clock),
        wait=_waiting(policy, clock, result_of),
        retry=tenacity.retry_if_result(retryable)
        | tenacity.retry_if_exception(lambda error: is_retryable_error(policy, error)),
        retry_error_callback=_return_last_outcome,
    )


def _waiting(
    policy: RetryPolicy, clock: Clock, result_of: Callable[[Any], CodexExecResult | None]
) -> Callable[[tenacity.RetryCallState], float]:
    """The backoff, or longer: until the time a usage-limit failure says to come back."""
    backoff = _jittered_backoff(policy)

    def wait(retry_state: tenacity.RetryCallState) -> float:
        delay = backoff(retry_state)
        outcome = retry_state.outcome
        result = None if outcome is None or outcome.failed else result_of(outcome.result())
        return delay if result is None else max(delay, usage_limit_wait(result, clock))

    return wait


def _stop(policy: RetryPolicy, clock: Clock) -> Callable[[tenacity.RetryCallState], bool]:
    """Stop after ``max_attempts``, or when the next sleep would end more than
    ``max_total_retry_seconds`` after the first attempt began."""
    start, limit = clock.monotonic(), policy.max_total_retry_seconds

    def stop(retry_state: tenacity.RetryCallState) -> bool:
        if retry_state.attempt_number >= policy.max_attempts:
            return True
        return limit is not None and clock.monotonic() - start + retry_state.upcoming_sleep > limit

    return stop


def _jittered_backoff(policy: RetryPolicy) -> Callable[[tenacity.RetryCallState], float]:
    """tenacity's exponential backoff, then a random factor in ``[1 - ratio, 1 + ratio]``."""
    import tenacity

    backoff = tenacity.wait_exponential(
        multiplier=policy.initial_backoff_seconds,
        exp_base=policy.backoff_multiplier,
        max=policy.max_backoff_seconds,
    )
    ratio = policy.jitter_ratio

    def wait(retry_state: tenacity.RetryCallState) -> float:
        delay = backoff(retry_state)
        return delay * random.uniform(1 - ratio, 1 + ratio) if ratio else delay

    return wait


def _return_last_outcome(retry_state: tenacity.RetryCallState) -> Any:
    assert retry_state.outcome is not None  # tenacity calls this only after an attempt
    return retry_state.outcome.result()
