"""One attempt of one run: drive a process handle to its end and fold it into a result.

The bookkeeping — deadline, output, how the run ended, the result — lives in
:class:`_AttemptState`; :class:`Attempt` adds the process handle, and its methods are
:mod:`steps <codex_local_sdk._steps>` that either driver runs, on the calling thread or on
asyncio. ``run()`` drains an attempt and parses its output once, at the end; a live run
passes a live :class:`~codex_local_sdk._jsonl.OutputCollector` and hands out its events one
by one with :meth:`Attempt.next_event`; its wrapper keeps a watchdog on the deadline
(:meth:`Attempt.watchdog_delay`) so that its timeout holds while nobody reads it.
"""

from __future__ import annotations

import collections
import sys
import threading
from collections.abc import Callable

import attrs

from ._jsonl import EventSummary, OutputCollector, OverlongLine, parse_line
from ._steps import Call, Handle, Steps
from ._timeouts import StallWatch, Timeouts
from .errors import classify_failure
from .events import CodexEvent
from .models import CodexExecRequest, CodexExecResult
from .ports import Clock, ProcessSpec

_TURN_ENDS = frozenset({"turn.completed", "turn.failed"})

AFTER_TURN_SECONDS = 10.0
"""How long a CLI that printed its turn's end may take to end its output (at least the
client's ``terminate_grace_seconds``); then the SDK ends it, as one that lingers. Generous: a
loaded machine must not cut a healthy exit short."""

_EXIT_LOCK = threading.Lock()
"""Makes an attempt's ``on_exit`` run once when a close and a reap race (one lock: held for a
swap of one attribute)."""


@attrs.frozen
class Guard:
    """A check a running attempt passes every ``interval`` seconds (a thread's lease is
    still this worker's, say): ``check()`` gives steps that return why the run must end, or
    ``None``. A run that fails it has its process group killed, and that reason as its
    ``turn_status`` whatever the CLI printed."""

    interval: float
    check: Callable[[], Steps[str | None]]


def _ends_turn(line: bytes, event: CodexEvent | None) -> bool:
    """Whether ``line`` (parsed as ``event``, or not parsed yet: ``run()`` parses at the end)
    is the turn's ``turn.completed`` or ``turn.failed``."""
    if event is None and b'"turn.' in line:  # most lines are not parsed again
        event = parse_line(line)
    return event is not None and event.type in _TURN_ENDS


class _AttemptState:
    """What an attempt has seen so far, and how to turn it into a :class:`CodexExecResult`."""

    def __init__(
        self,
        spec: ProcessSpec,
        request: CodexExecRequest,
        clock: Clock,
        timeouts: Timeouts,
        on_event: Callable[[CodexEvent], None] | None,
        attempt_number: int,
        output: OutputCollector | None,
        queued_at: float | None,
        guard: Guard | None = None,
        exit_grace: float = 0.0,
    ) -> None:
        self.spec = spec
        self.attempt_number = attempt_number
        self.on_event = on_event
        self.request = request
        self.clock = clock
        self.started_at = clock.monotonic()
        # The total limit counts the wait for a slot too (queued_at), so nothing waits for ever.
        since = self.started_at if queued_at is None else queued_at
        self.deadline = None if timeouts.total is None else since + timeouts.total
        self.output = output if output is not None else OutputCollector(json_output=request.json_output)
        self.stall_watch = StallWatch(timeouts, self.started_at, json_output=self.output.json_output)
        self.stalled: str | None = None
        self.timeout_kind: str | None = None
        self.keyboard_interrupt = False
        self.pending: collections.deque[CodexEvent] = collections.deque()
        self.stdout_finished = False
        self.ended_by: str | None = None
        self.exceeded_line_limit: int | None = None
        self.result: CodexExecResult | None = None
        self.guard = guard
        self.guard_due = None if guard is None else self.started_at + guard.interval
        self.failed_guard: str | None = None
        self.exit_grace = exit_grace
        # When a CLI that ended its turn must have ended its output: some never exit (an MCP
        # server that does not stop), and the turn is over, whatever the timeouts.
        self.exit_due: float | None = None

    def until(self, timeout: float | None) -> float | None:
        return None if timeout is None else self.clock.monotonic() + timeout

    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.clock.monotonic() >= self.deadline

    def stop_due(self, exited: bool) -> str | None:
        """Why the SDK must end the run now, if it must: a line passed the cap, or the deadline
        passed, or the last read found the run stalled (see :meth:`take`), while the process
        (``exited`` says whether it is known to be gone) still ran; a timeout's kind is kept in
        :attr:`timeout_kind`.

        Checked before every event is handed out, so a slow hook or consumer cannot stretch
        the timeout."""
        if self.stdout_finished or self.ended_by is not None:
            return None
        if self.exceeded_line_limit is not None:
            return "output_too_large"
        if exited:
            return None
        if self.exit_due is not None and self.clock.monotonic() >= self.exit_due:
            return "timed_out"  # as a CLI that closed its stdout and lingered: the turn is kept
        kind = "total" if self.deadline_passed() else self.stalled
        if kind is None:
            return None
        self.timeout_kind = kind
        return "timed_out"

    def seconds_left(self) -> float | None:
        """Seconds until the run's deadline (``0`` once passed), ``None`` without one."""
        return None if self.deadline is None else max(0.0, self.deadline - self.clock.monotonic())

    def watchdog_delay(self, returncode: int | None) -> float | None:
        """When a watchdog should look at the deadline or the guard; ``None`` when the run
        needs none (neither, or it already ended)."""
        if self.result is not None or returncode is not None:
            return None
        guard = None if self.guard_due is None else max(0.0, self.guard_due - self.clock.monotonic())
        delays = [d for d in (self.seconds_left(), guard) if d is not None]
        return min(delays) if delays else None

    def guard_is_due(self) -> bool:
        """Whether the guard's check is due (the run goes on, and its check is not failed)."""
        due = self.guard_due
        return due is not None and self.failed_guard is None and self.clock.monotonic() >= due

    def deadline_is_due(self, closed: bool) -> bool:
        """Whether a watchdog that fired should stop the run now (else it looks again later:
        the clock may not be the wall clock, e.g. a fake one in tests)."""
        return not closed and self.result is None and self.deadline_passed()

    def linger_timeout(self, grace: float) -> float:
        """How long a process whose stdout ended may take to exit: the grace, or less if the
        deadline comes first."""
        left = self.seconds_left()
        return grace if left is None else min(grace, left)

    def read_timeout(self, until: float | None) -> float | None:
        """How long the next read may block: up to the run's deadline and the caller's ``until``.

        Raises:
            TimeoutError: ``until`` has passed.
        """
        now = self.clock.monotonic()
        if until is not None and now >= until:
            raise TimeoutError("the live run is still going")
        limits = [
            t - now
            for t in (self.deadline, until, self.guard_due, self.exit_due)
            if t is not None and t > now
        ]
        if (stall := self.stall_watch.due()) is not None:
            limits.append(max(0.0, stall[0] - now))  # a due stall reads what is there, then judges
        return min(limits) if limits else None

    def conclude(self, handle: Handle) -> CodexExecResult:
        """The result of a closed attempt: as :meth:`finish` made it, or folded from what was
        read before the close."""
        if self.result is None:
            return self.finish(handle.returncode, handle)
        return self.result

    def take(self, lines: list[bytes] | None) -> None:
        """Take what a read returned (``None``: stdout ended), then judge a stall: whether the
        idle or first-event limit fell due with no progress in what was read."""
        if lines is None:
            self.stdout_finished = True
            return
        now = self.clock.monotonic()  # the lines of one read arrived together
        watching = self.stall_watch.watching
        for line in lines:
            if isinstance(line, OverlongLine):  # the runner dropped it: the run is to end
                self.exceeded_line_limit = self.exceeded_line_limit or line.limit
                continue
            event = self.output.add_line(line)
            if watching:
                self.stall_watch.saw(line, None if event is None else event.type, now)
            if self.exit_due is None and self.output.json_output and _ends_turn(line, event):
                self.exit_due = now + self.exit_grace
            if event is not None:
                self.pending.append(event)
                if self.on_event is not None:
                    self.on_event(event)
        self.stalled = self.stall_watch.stalled(now)

    def finish(self, return_code: int | None, handle: Handle) -> CodexExecResult:
        """The result of the ended process, with its stderr and output files from ``handle``."""
        stderr = handle.stderr_tail()
        stdout = self.output.finish()
        summary = self.output.summary
        result = CodexExecResult(
            return_code=return_code,
            command=self.spec.argv,
            stdout=stdout,
            stderr=stderr.decode("utf-8", errors="replace"),
            final_message=self._final_message(handle),
            events=tuple(self.output.events),
            thread_id=summary.thread_id,
            turn_status=self._turn_status(),
            usage=summary.usage,
            duration_seconds=self.clock.monotonic() - self.started_at,
            attempts=self.attempt_number,
            timed_out=self.ended_by == "timed_out",
            timeout_kind=(self.timeout_kind or "total") if self.ended_by == "timed_out" else None,
            error_message=summary.error_message,
            unparsed_lines=tuple(self.output.unparsed_lines),
            dropped_unparsed_lines=self.output.dropped_unparsed_lines,
            exceeded_line_limit=self.exceeded_line_limit,
            raw_items=summary.items.snapshot(),
            dropped_items=summary.items.dropped,
        )
        kind = classify_failure(result, keyboard_interrupt=self.keyboard_interrupt)
        self.result = attrs.evolve(result, failure_kind=kind)
        return self.result

    def _turn_status(self) -> str | None:
        if self.failed_guard is not None:
            return self.failed_guard  # the run may not count, whatever the CLI said of it
        if self.exceeded_line_limit is not None:
            return "output_too_large"  # a line of the turn was lost, whatever the CLI said of it
        return self.output.summary.turn_status or self.ended_by

    def _final_message(self, handle: Handle) -> str | None:
        if self.request.json_output:
            return self.output.summary.final_message
        path = self.request.output_last_message_path
        last_message = None if path is None else handle.output_file(path)
        if last_message is not None:
            return last_message.decode("utf-8", errors="replace")
        return self.output.stdout.strip() or None


class Attempt:
    """A started process and what it printed so far. Always :meth:`close` it.

    Its methods are steps: run them with :func:`~codex_local_sdk._drivers.drive` or
    :func:`~codex_local_sdk._drivers.drive_async`. ``on_exit`` is called once, when the
    process was reaped or released (it frees the run's slot); the total limit counts from
    ``queued_at`` when given (the run waited for that slot), else from now; a ``guard`` is
    checked while the process runs.
    """

    def __init__(
        self,
        handle: Handle,
        spec: ProcessSpec,
        request: CodexExecRequest,
        clock: Clock,
        *,
        timeouts: Timeouts,
        grace_seconds: float,
        on_event: Callable[[CodexEvent], None] | None = None,
        attempt_number: int = 1,
        output: OutputCollector | None = None,
        queued_at: float | None = None,
        on_exit: Callable[[], None] | None = None,
        guard: Guard | None = None,
    ) -> None:
        self.handle = handle
        self._state = _AttemptState(
            spec,
            request,
            clock,
            timeouts,
            on_event,
            attempt_number,
            output,
            queued_at,
            guard,
            max(grace_seconds, AFTER_TURN_SECONDS),
        )
        self._grace = grace_seconds
        self._on_exit = on_exit
        self.closed = False

    @property
    def result(self) -> CodexExecResult | None:
        """The result, once :meth:`finish` returned."""
        return self._state.result

    @property
    def stdout_finished(self) -> bool:
        """Whether the CLI's stdout ended (every event was read)."""
        return self._state.stdout_finished

    @property
    def events(self) -> tuple[CodexEvent, ...]:
        """The events read from stdout so far, when the output keeps them (a live run keeps
        them only with ``keep_events``); else ``()``."""
        return tuple(self._state.output.events)

    @property
    def summary(self) -> EventSummary:
        """What the events read so far add up to (kept whether or not the events are)."""
        return self._state.output.summary

    def watchdog_delay(self) -> float | None:
        """When a watchdog should look at the deadline; ``None`` when none is needed (no
        timeout, or the run ended or was closed)."""
        return None if self.closed else self._state.watchdog_delay(self.handle.returncode)

    def deadline_is_due(self) -> bool:
        """Whether a watchdog that fired should stop the run now (else it looks again later)."""
        return self._state.deadline_is_due(self.closed)

    def guard_is_due(self) -> bool:
        """Whether a watchdog that fired should run the guard's check (:meth:`guarded`)."""
        return not self.closed and self._state.result is None and self._state.guard_is_due()

    def guarded(self) -> Steps[None]:
        """Run the guard's check if it is due; kill the process group when it fails."""
        state = self._state
        if state.guard is None or not state.guard_is_due() or self.handle.returncode is not None:
            return
        state.guard_due = state.clock.monotonic() + state.guard.interval
        reason = yield from state.guard.check()
        if reason is not None and state.failed_guard is None:
            state.failed_guard = reason
            yield from self.stop(reason, kill=True)

    def conclude(self) -> CodexExecResult:
        """After :meth:`close`: the result, as :meth:`finish` made it or from what was read."""
        return self._state.conclude(self.handle)

    def next_event(self, until: float | None = None) -> Steps[CodexEvent | None]:
        """The next event, as soon as it is printed; ``None`` once stdout is finished.

        Raises:
            TimeoutError: the monotonic time ``until`` passed first (the process runs on).
        """
        state = self._state
        while True:
            if (reason := state.stop_due(self.handle.returncode is not None)) is not None:
                yield from (self.expire() if reason == "timed_out" else self.stop(reason))
            if state.pending:
                return state.pending.popleft()
            if state.stdout_finished:
                return None
            if state.guard is not None:
                yield from self.guarded()
            state.take((yield Call(self.handle, "read_lines", (state.read_timeout(until),))))

    def ready_event(self) -> CodexEvent | None:
        """The next event when it was read already and nothing must end the run first; else
        ``None``, and :meth:`next_event` reads (or ends the run). A live read's fast path: it
        takes no step."""
        state = self._state
        if state.pending and state.stop_due(self.handle.returncode is not None) is None:
            return state.pending.popleft()
        return None

    def prime(self) -> Steps[bool]:
        """Wait for the first event (or the end); ``True`` when an event is ready."""
        event = yield from self.next_event()
        if event is not None:
            self._state.pending.appendleft(event)
        return event is not None

    def finish(self, timeout: float | None = None) -> Steps[CodexExecResult]:
        """Read to the end, reap, and return the result (idempotent).

        Raises:
            TimeoutError: ``timeout`` seconds passed first (the process runs on).
        """
        if self._state.result is not None:
            return self._state.result
        until = self._state.until(timeout)
        while (yield from self.next_event(until)) is not None:
            pass
        return_code = yield Call(self.handle, "wait", (self._state.linger_timeout(self._grace),))
        if return_code is None:  # stdout ended but the process lingers: it counts as timed out
            yield from self.stop("timed_out")
            return_code = self.handle.returncode
        self._exited()
        return self._state.finish(return_code, self.handle)

    def expire(self) -> Steps[None]:
        """The deadline passed: stop the run as timed out, unless its process has exited
        already (a run that ended in time but was read late did not time out)."""
        if (yield Call(self.handle, "wait", (0,))) is None:
            yield from self.stop("timed_out")

    def stop(self, reason: str, *, kill: bool = False) -> Steps[None]:
        """End the process group: ``terminate`` (SIGTERM, grace, SIGKILL) or ``kill``.

        From a signal handler that interrupted a read of this run, the handle only signals
        the group and returns; the read goes on to the end.
        """
        self._state.ended_by = self._state.ended_by or reason
        yield Call(self.handle, "kill") if kill else Call(self.handle, "terminate", (self._grace,))

    def close(self) -> Steps[None]:
        """Release the process; a run still going counts as interrupted."""
        self._mark_closed()
        try:
            yield Call(self.handle, "close")
        finally:
            self._exited()

    def discard(self) -> bool:
        """As :meth:`close`, at once and without a driver, if the handle has a synchronous
        ``discard()`` (as :class:`~adapters.subprocess_runner.AsyncSubprocessHandle` has): for
        a finaliser, on any thread, where a task scheduled to close might never finish.

        Returns:
            ``False`` if the handle has none (nothing was done): :meth:`close` must be driven.
        """
        discard: Callable[[], None] | None = getattr(self.handle, "discard", None)
        if discard is None:
            return False
        self._mark_closed()
        try:
            discard()
        finally:
            self._exited()
        return True

    def _exited(self) -> None:
        """The process ended (or was released): tell ``on_exit``, once."""
        with _EXIT_LOCK:  # a close in another thread may race the reader's reap
            on_exit, self._on_exit = self._on_exit, None
        if on_exit is not None:
            on_exit()

    def _mark_closed(self) -> None:
        self.closed = True
        if self._state.result is None and self.handle.returncode is None:
            self._state.ended_by = self._state.ended_by or "interrupted"
            # Closed while handling a Ctrl-C (the close runs in the handler of what ended the read).
            self._state.keyboard_interrupt = isinstance(sys.exc_info()[1], KeyboardInterrupt)
