"""Running a prepared process spec: attempts, retries, timeouts and telemetry, as steps.

:class:`RunEngine` is what the client's public methods share. It owns no policy of its own:
the retry loop is tenacity's, built from the client's
:class:`~codex_local_sdk.models.RetryPolicy` (:mod:`codex_local_sdk._retrying`), one attempt
is an :class:`~codex_local_sdk._attempt.Attempt`, and every step is reported through
:class:`~codex_local_sdk._telemetry.Telemetry`. Its methods return
:mod:`steps <codex_local_sdk._steps>`: the client runs them with :meth:`drive` or
:meth:`drive_async`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ._attempt import Attempt
from ._cli_version import CliVersions
from ._drivers import drive, drive_async
from ._jsonl import OutputCollector
from ._retrying import with_retries
from ._steps import Handle, Start, Steps, closing
from ._telemetry import Telemetry
from .errors import CodexError, error_for
from .events import CodexEvent
from .models import CodexExecRequest, CodexExecResult, RetryPolicy
from .ports import Clock, EventSink, ProcessRunner, ProcessSpec

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
        strict_cli_version: bool = False,
    ) -> None:
        self.runner = runner
        self.clock = clock
        self.sink = sink
        self.retry_policy = retry_policy
        self.grace_seconds = grace_seconds
        self.raise_on_error = raise_on_error
        self.cli_versions = CliVersions(strict=strict_cli_version)

    def drive(self, steps: Steps[_T]) -> _T:
        """Run ``steps`` on the calling thread."""
        return drive(steps, self.runner, self.clock)

    async def drive_async(self, steps: Steps[_T]) -> _T:
        """Run ``steps`` on asyncio."""
        return await drive_async(steps, self.runner, self.clock)

    def telemetry(self, operation: str) -> Telemetry:
        """The reporter of ``operation``'s events."""
        return Telemetry(self.sink, self.clock, operation)

    # -- finished runs ---------------------------------------------------------------------

    def execute(
        self, operation: str, spec: ProcessSpec, request: CodexExecRequest, timeout: float | None
    ) -> Steps[CodexExecResult]:
        """Run ``spec`` to its end, retrying per the policy; the last attempt's result."""
        report = self.telemetry(operation)

        def attempt(number: int) -> Steps[CodexExecResult]:
            report.attempt_started(number, spec)
            handle = yield from self._start(report, "attempt.failed", number, spec)
            run = self._attempt(handle, spec, request, timeout, number)
            result = yield from closing(run.finish(), run.close)
            report.attempt_finished(result)
            return result

        return with_retries(
            self.retry_policy,
            self.clock,
            attempt,
            result_of=lambda result: result,
            on_retry=report.retry_scheduled("retry.scheduled"),
        )

    # -- live runs -------------------------------------------------------------------------

    def start_live(
        self,
        operation: str,
        spec: ProcessSpec,
        request: CodexExecRequest,
        timeout: float | None,
        keep_events: bool,
    ) -> Steps[Attempt]:
        """Start ``spec`` and wait for its first event, retrying start-up failures.

        A start-up failure is a spawn error other than "not installed", or an exit that
        failed before the first event. Once an event exists, nothing is retried.
        """
        report = self.telemetry(operation)

        def start_once(number: int) -> Steps[Attempt]:
            handle = yield from self._start(report, "live.startup_failed", number, spec)
            attempt = self._attempt(
                handle,
                spec,
                request,
                timeout,
                number,
                on_event=report.live_event(),
                output=OutputCollector.live(keep_events=keep_events),
            )
            report.live_started(number, spec, handle.pid)
            yield from closing(self._prime(attempt, report), attempt.close, only_on_error=True)
            return attempt

        return with_retries(
            self.retry_policy,
            self.clock,
            start_once,
            result_of=lambda attempt: attempt.result,
            on_retry=report.retry_scheduled("live.startup_retried"),
        )

    def _prime(self, attempt: Attempt, report: Telemetry) -> Steps[None]:
        """Wait for the first event; a run that ends before one is finished and closed."""
        if not (yield from attempt.prime()):
            report.startup_ended((yield from attempt.finish()))
            yield from attempt.close()

    # -- parts -----------------------------------------------------------------------------

    def _start(self, report: Telemetry, failure: str, number: int, spec: ProcessSpec) -> Steps[Handle]:
        """Start ``spec``; a start that fails (the CLI could not start, or the runner refused
        the spec: a missing image) is reported as a ``failure`` event, then raised."""
        try:
            handle: Handle = yield Start(spec)
        except (CodexError, ValueError) as exc:
            report.start_failed(failure, number, spec, exc)
            raise
        return handle

    def _attempt(
        self,
        handle: Handle,
        spec: ProcessSpec,
        request: CodexExecRequest,
        timeout: float | None,
        number: int,
        on_event: Callable[[CodexEvent], None] | None = None,
        output: OutputCollector | None = None,
    ) -> Attempt:
        return Attempt(
            handle,
            spec,
            request,
            self.clock,
            timeout=timeout,
            grace_seconds=self.grace_seconds,
            on_event=on_event,
            attempt_number=number,
            output=output,
        )

    # -- outcome ---------------------------------------------------------------------------

    def check(self, result: CodexExecResult, timeout: float | None = None) -> CodexExecResult:
        """``result``, or the matching :class:`~codex_local_sdk.errors.CodexExecFailedError`
        (see :func:`~codex_local_sdk.errors.error_for`) when it failed and the client raises
        on errors; ``timeout`` is the run's ``timeout_seconds``, for the message."""
        error = error_for(result, timeout) if self.raise_on_error else None
        if error is not None:
            raise error
        return result
