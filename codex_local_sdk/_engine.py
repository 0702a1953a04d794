"""Running a prepared process spec: attempts, retries, timeouts and telemetry.

:class:`RunEngine` is what the client's public methods share. It owns no policy of its own:
the retry loop is tenacity built from the client's :class:`~codex_local_sdk.models.RetryPolicy`
(:mod:`codex_local_sdk._retrying`), one attempt is an :class:`~codex_local_sdk._attempt.Attempt`,
and every step is reported to the :class:`~codex_local_sdk.ports.EventSink`.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import tenacity

from ._attempt import AsyncAttempt, Attempt
from ._jsonl import OutputCollector
from ._retrying import async_retrying, is_retryable_result, sync_retrying
from .errors import (
    CodexError,
    CodexExecFailedError,
    CodexThreadBusyError,
    CodexTimeoutError,
    CodexUnknownThreadError,
    cli_error_line,
)
from .events import CodexClientEvent, CodexEvent
from .models import CodexExecRequest, CodexExecResult, RetryPolicy
from .ports import AsyncProcessHandle, Clock, EventSink, ProcessHandle, ProcessRunner, ProcessSpec

# What the CLI's stderr says when a resume cannot open the thread it names.
_RESUME_ERRORS: tuple[tuple[str, type[CodexExecFailedError]], ...] = (
    ("no rollout found", CodexUnknownThreadError),
    ("already has an active writer", CodexThreadBusyError),
)

_T = TypeVar("_T")


class RunEngine:
    """Runs process specs on the client's ports. One per client; holds no per-run state."""

    def __init__(
        self,
        *,
        runner: ProcessRunner,
        clock: Clock,
        sink: EventSink,
        retry_policy: RetryPolicy,
        grace_seconds: float,
        raise_on_error: bool,
    ) -> None:
        self.runner = runner
        self.clock = clock
        self.sink = sink
        self.retry_policy = retry_policy
        self.grace_seconds = grace_seconds
        self.raise_on_error = raise_on_error

    # -- telemetry -------------------------------------------------------------------------

    def emit(self, type: str, operation: str, **fields: Any) -> None:
        """Send one :class:`CodexClientEvent` to the sink."""
        self.sink.emit(
            CodexClientEvent(type=type, operation=operation, timestamp=self.clock.time(), **fields)
        )

    def _attempt_finished(self, operation: str, result: CodexExecResult) -> None:
        self.emit(
            "attempt.succeeded" if result.succeeded else "attempt.failed",
            operation,
            attempt=result.attempts,
            command=result.command,
            return_code=result.return_code,
            turn_status=result.turn_status,
            duration_seconds=result.duration_seconds,
            session_id=result.thread_id,
            error=None if result.succeeded else describe_failure(result),
        )

    def _on_retry(self, operation: str, event_type: str) -> Callable[[tenacity.RetryCallState], None]:
        def report(retry_state: tenacity.RetryCallState) -> None:
            outcome = retry_state.outcome
            failure = outcome.exception() if outcome is not None and outcome.failed else None
            last = None if outcome is None or failure is not None else outcome.result()
            result = last.result if isinstance(last, (Attempt, AsyncAttempt)) else last
            self.emit(
                event_type,
                operation,
                attempt=retry_state.attempt_number,
                delay_seconds=retry_state.upcoming_sleep,
                return_code=result.return_code if result is not None else None,
                turn_status=result.turn_status if result is not None else None,
                error=str(failure) if failure is not None else None,
                data={"next_attempt": retry_state.attempt_number + 1},
            )

        return report

    # -- finished runs ---------------------------------------------------------------------

    def execute(
        self, operation: str, spec: ProcessSpec, request: CodexExecRequest, timeout: float | None
    ) -> CodexExecResult:
        """Run ``spec`` to its end, retrying per the policy; the last attempt's result."""
        numbers = itertools.count(1)

        def attempt() -> CodexExecResult:
            number = next(numbers)
            self.emit("attempt.started", operation, attempt=number, command=spec.argv)
            handle = self._start(operation, number, spec, "attempt.failed")
            run = Attempt(
                handle,
                spec,
                request,
                self.clock,
                timeout=timeout,
                grace_seconds=self.grace_seconds,
                attempt_number=number,
            )
            try:
                result = run.finish()
            finally:
                run.close()
            self._attempt_finished(operation, result)
            return result

        return self._with_retries(attempt, operation, self._retry_result, "retry.scheduled")

    async def execute_async(
        self, operation: str, spec: ProcessSpec, request: CodexExecRequest, timeout: float | None
    ) -> CodexExecResult:
        """The asyncio twin of :meth:`execute`."""
        numbers = itertools.count(1)

        async def attempt() -> CodexExecResult:
            number = next(numbers)
            self.emit("attempt.started", operation, attempt=number, command=spec.argv)
            handle = await self._start_async(operation, number, spec, "attempt.failed")
            run = AsyncAttempt(
                handle,
                spec,
                request,
                self.clock,
                timeout=timeout,
                grace_seconds=self.grace_seconds,
                attempt_number=number,
            )
            try:
                result = await run.finish()
            finally:
                await run.close()
            self._attempt_finished(operation, result)
            return result

        return await self._with_retries_async(attempt, operation, self._retry_result, "retry.scheduled")

    def _with_retries(
        self, call: Callable[[], _T], operation: str, retry_result: Callable[[Any], bool], retry_event: str
    ) -> _T:
        """``call()``, retried per the policy; each retry is reported as ``retry_event``."""
        if self.retry_policy.max_attempts == 1:  # nothing to retry: skip tenacity's per-call setup
            return call()
        retrying = sync_retrying(
            self.retry_policy,
            self.clock,
            retry_result=retry_result,
            on_retry=self._on_retry(operation, retry_event),
        )
        return retrying(call)

    async def _with_retries_async(
        self,
        call: Callable[[], Awaitable[_T]],
        operation: str,
        retry_result: Callable[[Any], bool],
        retry_event: str,
    ) -> _T:
        """The asyncio twin of :meth:`_with_retries`."""
        if self.retry_policy.max_attempts == 1:
            return await call()
        retrying = async_retrying(
            self.retry_policy,
            self.clock,
            retry_result=retry_result,
            on_retry=self._on_retry(operation, retry_event),
        )
        return await retrying(call)

    def _retry_result(self, result: CodexExecResult) -> bool:
        return is_retryable_result(self.retry_policy, result)

    def _start(self, operation: str, number: int, spec: ProcessSpec, failure: str) -> ProcessHandle:
        """Start ``spec``; a start that fails is reported as a ``failure`` event, then raised."""
        try:
            return self.runner.start(spec)
        except CodexError as exc:
            self.emit(failure, operation, attempt=number, command=spec.argv, error=str(exc))
            raise

    async def _start_async(
        self, operation: str, number: int, spec: ProcessSpec, failure: str
    ) -> AsyncProcessHandle:
        """As :meth:`_start`, on asyncio."""
        try:
            return await self.runner.start_async(spec)
        except CodexError as exc:
            self.emit(failure, operation, attempt=number, command=spec.argv, error=str(exc))
            raise

    # -- live runs -------------------------------------------------------------------------

    def start_live(
        self,
        operation: str,
        spec: ProcessSpec,
        request: CodexExecRequest,
        timeout: float | None,
        keep_events: bool,
    ) -> Attempt:
        """Start ``spec`` and wait for its first event, retrying start-up failures.

        A start-up failure is a spawn error other than "not installed", or an exit that
        failed before the first event. Once an event exists, nothing is retried.
        """
        numbers = itertools.count(1)

        def start_once() -> Attempt:
            number = next(numbers)
            handle = self._start(operation, number, spec, "live.startup_failed")
            attempt = Attempt(
                handle,
                spec,
                request,
                self.clock,
                timeout=timeout,
                grace_seconds=self.grace_seconds,
                attempt_number=number,
                on_event=self._live_event(operation),
                output=OutputCollector.live(keep_events=keep_events),
            )
            self.emit("live.started", operation, attempt=number, command=spec.argv, data={"pid": handle.pid})
            try:
                if not attempt.prime():
                    self._startup_ended(operation, attempt.finish())
                    attempt.close()
            except BaseException:
                attempt.close()
                raise
            return attempt

        return self._with_retries(
            start_once, operation, self._startup_failed_retryably, "live.startup_retried"
        )

    async def start_live_async(
        self,
        operation: str,
        spec: ProcessSpec,
        request: CodexExecRequest,
        timeout: float | None,
        keep_events: bool,
    ) -> AsyncAttempt:
        """The asyncio twin of :meth:`start_live`."""
        numbers = itertools.count(1)

        async def start_once() -> AsyncAttempt:
            number = next(numbers)
            handle = await self._start_async(operation, number, spec, "live.startup_failed")
            attempt = AsyncAttempt(
                handle,
                spec,
                request,
                self.clock,
                timeout=timeout,
                grace_seconds=self.grace_seconds,
                attempt_number=number,
                on_event=self._live_event(operation),
                output=OutputCollector.live(keep_events=keep_events),
            )
            self.emit("live.started", operation, attempt=number, command=spec.argv, data={"pid": handle.pid})
            try:
                if not await attempt.prime():
                    self._startup_ended(operation, await attempt.finish())
                    await attempt.close()
            except BaseException:
                await attempt.close()
                raise
            return attempt

        return await self._with_retries_async(
            start_once, operation, self._startup_failed_retryably, "live.startup_retried"
        )

    def _live_event(self, operation: str) -> Callable[[CodexEvent], None]:
        emit, now = self.sink.emit, self.clock.time  # once per event: keep the path short

        def report(event: CodexEvent) -> None:
            emit(CodexClientEvent(type="live.event", operation=operation, timestamp=now(), event=event))

        return report

    def _startup_ended(self, operation: str, result: CodexExecResult) -> None:
        if not result.succeeded:
            self.emit(
                "live.startup_failed",
                operation,
                attempt=result.attempts,
                command=result.command,
                return_code=result.return_code,
                turn_status=result.turn_status,
                duration_seconds=result.duration_seconds,
                error=describe_failure(result),
            )

    def _startup_failed_retryably(self, attempt: Attempt | AsyncAttempt) -> bool:
        result = attempt.result
        return result is not None and is_retryable_result(self.retry_policy, result)

    # -- outcome ---------------------------------------------------------------------------

    def check(self, result: CodexExecResult) -> CodexExecResult:
        """``result``, or the matching :class:`CodexExecFailedError` when it failed and the
        client raises on errors."""
        if result.succeeded or not self.raise_on_error:
            return result
        if result.timed_out:
            raise CodexTimeoutError(result)
        if result.requested_thread_id:
            for marker, error in _RESUME_ERRORS:
                if marker in result.stderr:
                    raise error(result)
        raise CodexExecFailedError(result)


def describe_failure(result: CodexExecResult) -> str:
    """A one-line reason why ``result`` did not succeed."""
    if result.timed_out:
        return "timed out"
    if result.error_message:
        return result.error_message
    tail = result.stderr.strip().splitlines()
    return cli_error_line(result.stderr) or (tail[-1] if tail else f"exit code {result.return_code}")
