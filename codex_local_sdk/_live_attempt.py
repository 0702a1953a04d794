"""What :class:`~codex_local_sdk.live.CodexLiveRun` and
:class:`~codex_local_sdk.live.AsyncCodexLiveRun` share: the started attempt, the engine that
drives it, its deadline watchdog and the finalisation of its result, with each method written
once as steps. Only the timer of the watchdog and the collection of an unclosed run differ
between the two, and live in the wrappers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import attrs

from ._attempt import Attempt
from ._engine import RunEngine
from ._steps import Blocking, Handle, Steps, closing
from ._timeouts import Timeouts
from .activity import ItemDecoder, TurnProgress
from .errors import SessionStoreError, ThreadArchiveError
from .events import CodexEvent
from .models import CodexExecResult

Finalizer = Callable[[CodexExecResult], CodexExecResult]

StartTimer = Callable[[float, Callable[[], None]], Callable[[], None]]
"""``start_timer(delay, callback)``: call ``callback`` in ``delay`` seconds; returns a cancel."""

_log = logging.getLogger("codex_local_sdk.live")


def _nothing(result: CodexExecResult) -> Steps[None]:
    return
    yield  # a generator of no steps


@attrs.frozen
class TurnEnd:
    """What a live run's end does to its turn.

    Attributes:
        record: turns the attempt's result into the caller's (records a session turn), given
            the error :attr:`keep` raised, if any; raises what the caller gets.
        keep: steps that archive the turn's thread (save its rollout, free its lease); they
            raise an error that carries the turn when the archive did not take it.
        abandon: steps for a run dropped unclosed: free what the turn holds and report its
            end, recording nothing.
    """

    record: Callable[[CodexExecResult, Exception | None], CodexExecResult]
    keep: Callable[[CodexExecResult], Steps[None]] = _nothing
    abandon: Callable[[CodexExecResult], Steps[None]] = _nothing


class _Pending:
    """The archive of the turn is still being made, by another caller."""


_PENDING = _Pending()


class _Finalized:
    """Turns an attempt's result into the caller's, whichever comes first: a
    ``result()``/``wait()`` or the ``close()``, in any thread. The thread is archived exactly
    once (its lease is freed then); the record is made once, and tried again by a later
    ``result()``/``wait()`` while the store fails."""

    def __init__(self, end: TurnEnd, check: Finalizer) -> None:
        self._end = end
        self._check = check
        self._outcome: CodexExecResult | BaseException | None = None
        self._lock = threading.Lock()
        self._keep_lock = threading.Lock()
        self._keeping: threading.Event | None = None
        self._keep_error: Exception | None = None

    @property
    def started(self) -> bool:
        """Whether a finalisation began (a run dropped unclosed has none)."""
        return self._keeping is not None

    def __call__(self, result: CodexExecResult) -> Steps[CodexExecResult]:
        error = yield from self._keep(result)
        assert not isinstance(error, _Pending)
        with self._lock:
            finalized = self._once(result, error)
        return self._check(finalized)

    def at_close(self, result: CodexExecResult) -> Steps[None]:
        """Finalise ``result`` unless a call did; a turn the store could not record, or an
        archive that failed, is logged and left for the next ``result()``/``wait()``, which
        raises it (trying the record again).

        A ``result()``/``wait()`` finalising at this moment (in another thread, or in the
        frame a signal handler interrupted) is left to it: no waiting, no second record.
        """
        error = yield from self._keep(result, wait=False)
        if isinstance(error, _Pending) or not self._lock.acquire(blocking=False):
            return
        try:
            self._once(result, error)
        except Exception:
            _log.warning(
                "a live run was closed but its turn could not be recorded or archived; "
                "result() or wait() raises it (and tries to record it again)",
                exc_info=True,
            )
        finally:
            self._lock.release()

    def _keep(self, result: CodexExecResult, *, wait: bool = True) -> Steps[Exception | _Pending | None]:
        """Archive the turn once: the first caller runs :attr:`TurnEnd.keep`, a later one gets
        its error, waiting for it with ``wait`` (else :data:`_PENDING` while it runs). An
        interrupted archive counts as failed."""
        with self._keep_lock:
            keeping, first = self._keeping, self._keeping is None
            if first:
                keeping = self._keeping = threading.Event()
        assert keeping is not None
        if not first:
            if not keeping.is_set():
                if not wait:
                    return _PENDING
                yield Blocking(keeping.wait)
            return self._keep_error
        try:
            yield from self._end.keep(result)
        except Exception as exc:
            self._keep_error = exc
        except BaseException as exc:
            self._keep_error = ThreadArchiveError(
                f"archiving the turn's thread was interrupted ({exc!r}); it may not be archived. "
                "The error's .result holds the turn.",
                result=result,
            )
            raise
        finally:
            keeping.set()
        return self._keep_error

    def _once(self, result: CodexExecResult, error: Exception | None) -> CodexExecResult:
        if self._outcome is None:
            try:
                self._outcome = self._end.record(result, error)
            except SessionStoreError:
                raise  # tried again by the next call
            except Exception as exc:
                self._outcome = exc
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome


class LiveAttempt:
    """A live run's attempt, seen by its public wrappers. Its methods are steps for
    :attr:`engine` to drive.

    Args:
        attempt: the started attempt, primed: its first event is ready, or it has ended.
        engine: the client's engine: its drivers, and its ``check`` of a result.
        end: what the run's end does to its turn (archives its thread, records it).
        timeouts: the run's limits, for the message of a timeout.
    """

    def __init__(self, attempt: Attempt, engine: RunEngine, *, end: TurnEnd, timeouts: Timeouts) -> None:
        self._attempt = attempt
        self.engine = engine
        self._end = end
        self._finalized = _Finalized(end, lambda result: engine.check(result, timeouts))
        self._cancel_watchdog: Callable[[], None] | None = None
        self._decoder = ItemDecoder()

    @property
    def handle(self) -> Handle:
        """The process handle."""
        return self._attempt.handle

    @property
    def events(self) -> tuple[CodexEvent, ...]:
        """The events read so far, when the run keeps them (``keep_events``); else ``()``."""
        return self._attempt.events

    @property
    def progress(self) -> TurnProgress:
        """The turn so far, from the events read so far; each item is decoded once per change."""
        summary = self._attempt.summary
        items = self._decoder.decode(summary.items.snapshot())
        return TurnProgress(
            items=items,
            usage=summary.usage,
            events_seen=summary.events_seen,
            dropped_items=summary.items.dropped,
        )

    @property
    def closed(self) -> bool:
        """Whether the attempt was closed (its process released)."""
        return self._attempt.closed

    def watch_deadline(self, start_timer: StartTimer, perform: Callable[[Steps[None]], object]) -> None:
        """Enforce the run's timeout, and its guard, even while nobody reads: at the deadline,
        ``perform`` runs the steps that stop the run, as :meth:`next_event` would, and the
        guard's check when it is due. Until the run is closed, a timer that fires early (the
        clock need not be the wall clock) looks again.

        Args:
            start_timer: starts the wrapper's timer (a thread's, or the running loop's).
            perform: runs steps from that timer (drives them, or schedules a task for them).
        """
        delay = self._attempt.watchdog_delay()
        if delay is None:
            return

        def on_deadline() -> None:
            if self._attempt.deadline_is_due():
                perform(self._attempt.expire())
                return
            if self._attempt.guard_is_due():
                perform(self._attempt.guarded())
            self.watch_deadline(start_timer, perform)

        self._cancel_watchdog = start_timer(delay, on_deadline)

    def ready_event(self) -> CodexEvent | None:
        """The next event if it was read already (see
        :meth:`~codex_local_sdk._attempt.Attempt.ready_event`)."""
        return self._attempt.ready_event()

    def next_event(self) -> Steps[CodexEvent | None]:
        """The next event; ``None`` once stdout is finished. The wrappers close the run when
        this raises (:meth:`close_after_error`): their own frames can be interrupted too."""
        return self._attempt.next_event()

    def wait(self, timeout: float | None) -> Steps[CodexExecResult]:
        """Finish the run, close it and finalise its result; a ``timeout`` that passes first
        raises ``TimeoutError`` and leaves the run going, any other exception kills, closes
        and records it."""
        result = yield from closing(
            self._attempt.finish(timeout),
            self.close_after_error,
            only_on_error=True,
            except_for=(TimeoutError,),
        )
        yield from self.release()
        return (yield from self._finalized(result))

    def stop(self, reason: str, *, kill: bool = False) -> Steps[None]:
        """End the process group; ``reason`` becomes the status unless the CLI gave one."""
        return self._attempt.stop(reason, kill=kill)

    def close(self) -> Steps[None]:
        """Release the run and record its turn: a run read to its end is reaped and recorded
        as it ended; one still going is killed and recorded as interrupted."""
        return self._close(reap=self._attempt.stdout_finished)

    def close_after_error(self) -> Steps[None]:
        """After an exception while reading, however far the run got: kill it, release it
        and record its turn."""
        return self._close(reap=False)

    def release(self) -> Steps[None]:
        """Stop the watchdog and release the process (killing it if it still runs), without
        recording anything: what a run nobody closed gets."""
        self._stop_watchdog()
        return self._attempt.close()

    def abandon(self) -> Steps[None]:
        """For a run dropped unclosed, once its process is released (:meth:`release` or
        :meth:`discard`): free what its turn holds (its thread's lease) and report its end,
        recording nothing."""
        if not self._finalized.started:
            yield from self._end.abandon(self._attempt.conclude())

    def discard(self) -> bool:
        """As :meth:`release`, at once and without a driver, when the handle can
        (:meth:`Attempt.discard <codex_local_sdk._attempt.Attempt.discard>`).

        Returns:
            ``False`` if it cannot (nothing was done): :meth:`release` must be driven.
        """
        if not self._attempt.discard():
            return False
        self._stop_watchdog()
        return True

    def _stop_watchdog(self) -> None:
        if self._cancel_watchdog is not None:
            self._cancel_watchdog()
            self._cancel_watchdog = None

    def _close(self, *, reap: bool) -> Steps[None]:
        if reap:
            yield from closing(self._attempt.finish(), self.release)
        else:
            yield from self.release()
        yield from self._finalized.at_close(self._attempt.conclude())
