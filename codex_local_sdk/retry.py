"""RetryPolicy + Clock -> a tenacity ``Retrying`` / ``AsyncRetrying``.

Every clock is injected: tenacity sleeps through :meth:`Clock.sleep`, and the
``max_total_retry_seconds`` cap is a stop rule of ours that reads the same clock (tenacity's
``stop_after_delay`` reads ``time.monotonic`` itself and could not be faked).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import tenacity

from .errors import CodexSpawnError
from .models import CodexExecResult, RetryPolicy
from .ports import Clock

RetryHook = Callable[[tenacity.RetryCallState], None]


def is_retryable_result(policy: RetryPolicy, result: CodexExecResult) -> bool:
    """Whether ``policy`` retries a finished attempt that produced ``result``.

    Never one whose turn completed, however its process ended (a non-zero exit, or ended by
    the SDK after it lingered): a retry would run the turn, and repeat its side effects, again.
    """
    if result.succeeded or result.turn_status == "completed":
        return False
    if result.timed_out:
        return policy.retry_on_timeouts
    return policy.should_retry_exit_code(result.return_code)


class _StopAfterTotal(tenacity.stop.stop_base):
    """Stop when the next sleep would end past ``limit`` seconds after the first attempt began."""

    def __init__(self, limit: float, clock: Clock) -> None:
        self._limit = limit
        self._clock = clock
        self._start = clock.monotonic()

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        elapsed = self._clock.monotonic() - self._start
        return elapsed + retry_state.upcoming_sleep > self._limit


class _JitteredBackoff(tenacity.wait.wait_base):
    """tenacity's exponential backoff, then a random factor in ``[1 - ratio, 1 + ratio]``."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = tenacity.wait_exponential(
            multiplier=policy.initial_backoff_seconds,
            exp_base=policy.backoff_multiplier,
            max=policy.max_backoff_seconds,
        )
        self._ratio = policy.jitter_ratio

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        delay = self._backoff(retry_state)
        if self._ratio:
            delay *= random.uniform(1 - self._ratio, 1 + self._ratio)
        return delay


def _return_last_outcome(retry_state: tenacity.RetryCallState) -> Any:
    assert retry_state.outcome is not None  # tenacity calls this only after an attempt
    return retry_state.outcome.result()


def _options(
    policy: RetryPolicy,
    clock: Clock,
    retry_result: Callable[[Any], bool],
    on_retry: RetryHook,
) -> dict[str, Any]:
    stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(policy.max_attempts)
    if policy.max_total_retry_seconds is not None:
        stop = stop | _StopAfterTotal(policy.max_total_retry_seconds, clock)
    return {
        "stop": stop,
        "wait": _JitteredBackoff(policy),
        "retry": tenacity.retry_if_result(retry_result) | tenacity.retry_if_exception_type(CodexSpawnError),
        "before_sleep": on_retry,
        "retry_error_callback": _return_last_outcome,
    }


def sync_retrying(
    policy: RetryPolicy,
    clock: Clock,
    *,
    retry_result: Callable[[Any], bool],
    on_retry: RetryHook,
) -> tenacity.Retrying:
    """A ``Retrying`` for one call: attempts whose outcome ``retry_result`` accepts (and
    :class:`~codex_local_sdk.errors.CodexSpawnError`) are retried per ``policy``; when the
    policy gives up, the last outcome is returned (or its exception raised)."""
    return tenacity.Retrying(sleep=clock.sleep, **_options(policy, clock, retry_result, on_retry))


def async_retrying(
    policy: RetryPolicy,
    clock: Clock,
    *,
    retry_result: Callable[[Any], bool],
    on_retry: RetryHook,
) -> tenacity.AsyncRetrying:
    """The asyncio twin of :func:`sync_retrying`, sleeping with :meth:`Clock.sleep_async`."""
    return tenacity.AsyncRetrying(sleep=clock.sleep_async, **_options(policy, clock, retry_result, on_retry))
