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

from ._attempt import Attempt, Guard
from ._cli_version import CliVersions
from ._drivers import drive, drive_async
from ._jsonl import OutputCollector
from ._retrying import side_effects_stopped_retry, with_retries
from ._slots import RunSlots, Taken
from ._steps import Acquire, Handle, Start, Steps, closing
from ._telemetry import Telemetry
from ._timeouts import Timeouts
from .errors import CodexError, CodexTimeoutError, error_for
from .events import CodexEvent
from .models import CodexExecRequest, CodexExecResult, FailureKind, RetryPolicy
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
        max_concurrent_runs: int | None = None,
        strict_cli_version: bool = False,
        capture_prompts: bool = False,
    ) -> None:
        self.slots = None if max_concurrent_runs is None else RunSlots(max_concurrent_runs)
        self.runner = runner
        self.clock = clock
        self.sink = sink
        self.retry_policy = retry_policy
        self.grace_seconds = grace_seconds
        self.raise_on_error = raise_on_error
        self.cli_versions = CliVersions(strict=strict_cli_version)
        self.capture_prompts = capture_prompts

    def drive(self, steps: Steps[_T]) -> _T:
        """Run ``steps`` on the calling thread."""
        return drive(steps, self.runner, self.clock)

    async def drive_async(self, steps: Steps[_T]) -> _T:
        """Run ``steps`` on asyncio."""
        return await drive_async(steps, self.runner, self.clock)

    def telemetry(self, operation: str, *, new_thread: bool = False) -> Telemetry:
        """The reporter of the events of one call of ``operation`` (``new_thread``: it
        starts a thread)."""
        return Telemetry(self.sink, self.clock, operation, new_thread=new_thread)

    # -- finished runs ---------------------------------------------------------------------

    def execute(
        self,
        report: Telemetry,
        spec: ProcessSpec,
        request: CodexExecRequest,
        timeouts: Timeouts,
        guard: Guard | None = None,
    ) -> Steps[CodexExecResult]:
        """Run ``spec`` to its end, retrying per the policy, reported through the call's
        ``report``; the last attempt's result. Each attempt passes ``guard`` while it runs."""
        # Progress is judged from events as they are read: parse them then, not at the end.
        live_output = timeouts.watch_progress and request.json_output

        def attempt(number: int) -> Steps[CodexExecResult]:
            report.attempt_started(number, spec)
            queued_at = self.clock.monotonic()
            timed_out = yield from self._take_slot(report, spec, number, timeouts, queued_at)
            if timed_out is not None:
                report.attempt_finished(timed_out)
                return timed_out
            handle = yield from self._start(report, "attempt.failed", number, spec)
            output = OutputCollector.live(keep_events=True) if live_output else None
            run = self._attempt(
                handle, spec, request, timeouts, number, output=output, queued_at=queued_at, guard=guard
            )
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
        report: Telemetry,
        spec: ProcessSpec,
        request: CodexExecRequest,
        timeouts: Timeouts,
        keep_events: bool,
        guard: Guard | None = None,
    ) -> Steps[Attempt]:
        """Start ``spec`` and wait for its first event, retrying start-up failures; the run
        passes ``guard`` while it runs.

        A start-up failure is a spawn error other than "not installed", or an exit that
        failed before the first event. Once an event exists, nothing is retried. Reported
        through the call's ``report``.
        """

        def start_once(number: int) -> Steps[Attempt]:
            queued_at = self.clock.monotonic()
            timed_out = yield from self._take_slot(report, spec, number, timeouts, queued_at)
            if timed_out is not None:
                raise CodexTimeoutError(result=timed_out, timeout_seconds=timeouts.total)
            handle = yield from self._start(report, "live.startup_failed", number, spec)
            attempt = self._attempt(
                handle,
                spec,
                request,
                timeouts,
                number,
                on_event=report.live_event(),
                output=OutputCollector.live(keep_events=keep_events),
                queued_at=queued_at,
                guard=guard,
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

    def _take_slot(
        self, report: Telemetry, spec: ProcessSpec, number: int, timeouts: Timeouts, queued_at: float
    ) -> Steps[CodexExecResult | None]:
        """Take a slot for attempt ``number``, asked for at ``queued_at``, when the client
        limits its runs (reported as ``run.queued`` when it had to wait); the attempt's result
        when ``timeout_seconds`` passed first, else ``None``."""
        if self.slots is None:
            return None
        taken: Taken = yield Acquire(self.slots, timeouts.total)
        if taken == "at_once":
            return None
        waited = self.clock.monotonic() - queued_at
        report.run_queued(number, waited, self.slots.limit, taken=taken == "after_a_wait")
        return None if taken == "after_a_wait" else queue_timed_out(spec, number, waited)

    def _start(self, report: Telemetry, failure: str, number: int, spec: ProcessSpec) -> Steps[Handle]:
        """Start ``spec``; a start that fails (the CLI could not start, or the runner refused
        the spec: a missing image) is reported as a ``failure`` event, then raised. The slot
        taken for it is freed when the start fails."""
        try:
            handle: Handle = yield Start(spec)
        except BaseException as exc:
            if self.slots is not None:
                self.slots.release()
            if isinstance(exc, (CodexError, ValueError)):
                report.start_failed(failure, number, spec, exc)
            raise
        return handle

    def _attempt(
        self,
        handle: Handle,
        spec: ProcessSpec,
        request: CodexExecRequest,
        timeouts: Timeouts,
        number: int,
        on_event: Callable[[CodexEvent], None] | None = None,
        output: OutputCollector | None = None,
        queued_at: float | None = None,
        guard: Guard | None = None,
    ) -> Attempt:
        return Attempt(
            handle,
            spec,
            request,
            self.clock,
            timeouts=timeouts,
            grace_seconds=self.grace_seconds,
            on_event=on_event,
            attempt_number=number,
            output=output,
            queued_at=queued_at,
            on_exit=None if self.slots is None else self.slots.release,
            guard=guard,
        )

    # -- outcome ---------------------------------------------------------------------------

    def check(self, result: CodexExecResult, timeouts: Timeouts) -> CodexExecResult:
        """``result``, or the matching :class:`~codex_local_sdk.errors.CodexExecFailedError`
        (see :func:`~codex_local_sdk.errors.error_for`) when it failed and the client raises
        on errors; ``timeouts`` are the run's limits, for the message."""
        if not self.raise_on_error:
            return result
        limit = timeouts.seconds(result.timeout_kind or "total")
        error = error_for(result, limit, not_retried=side_effects_stopped_retry(self.retry_policy, result))
        if error is not None:
            raise error
        return result


def queue_timed_out(spec: ProcessSpec, number: int, waited: float) -> CodexExecResult:
    """The result of attempt ``number``, whose ``timeout_seconds`` passed while it waited
    ``waited`` seconds for a slot: it never started."""
    return CodexExecResult(
        return_code=None,
        command=spec.argv,
        stdout="",
        stderr="",
        final_message=None,
        turn_status="timed_out",
        duration_seconds=waited,
        attempts=number,
        timed_out=True,
        timeout_kind="total",
        failure_kind=FailureKind.TIMEOUT,
    )
