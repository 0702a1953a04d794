"""What :class:`~codex_local_sdk.live.CodexLiveRun` and
:class:`~codex_local_sdk.live.AsyncCodexLiveRun` share: the started attempt, the engine that
drives it, its deadline watchdog and the finalisation of its result, with each method written
once as steps. Only the timer of the watchdog and the collection of an unclosed run differ
between the two, and live in the wrappers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ._attempt import Attempt
from ._engine import RunEngine
from ._steps import Handle, Steps, closing
from ._timeouts import Timeouts
from .activity import ItemDecoder, TurnProgress
from .errors import SessionStoreError
from .events import CodexEvent
from .models import CodexExecResult

Finalizer = Callable[[CodexExecResult], CodexExecResult]

StartTimer = Callable[[float, Callable[[], None]], Callable[[], None]]
"""``start_timer(delay, callback)``: call ``callback`` in ``delay`` seconds; returns a cancel."""

_log = logging.getLogger("codex_local_sdk.live")


class _Finalized:
    """Turns an attempt's result into the caller's, exactly once (records the session turn),
    whichever comes first: a ``result()``/``wait()`` or the ``close()``, in any thread."""

    def __init__(self, finalize: Finalizer, check: Finalizer) -> None:
        self._finalize = finalize
        self._check = check
        self._result: CodexExecResult | None = None
        self._lock = threading.Lock()

    def __call__(self, result: CodexExecResult) -> CodexExecResult:
        with self._lock:
            finalized = self._once(result)
        return self._check(finalized)

    def at_close(self, result: CodexExecResult) -> None:
        """Finalise ``result`` unless a call did; a turn the store could not record is logged
        and left for the next ``result()``/``wait()``, which tries again and raises.

        A ``result()``/``wait()`` finalising at this moment (in another thread, or in the
        frame a signal handler interrupted) is left to it: no waiting, no second record.
        """
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._once(result)
        except SessionStoreError:
            _log.warning(
                "a live run was closed but its turn could not be recorded; "
                "result() or wait() tries again and raises if it still fails",
                exc_info=True,
            )
        finally:
            self._lock.release()

    def _once(self, result: CodexExecResult) -> CodexExecResult:
        if self._result is None:
            self._result = self._finalize(result)
        return self._result


class LiveAttempt:
    """A live run's attempt, seen by its public wrappers. Its methods are steps for
    :attr:`engine` to drive.

    Args:
        attempt: the started attempt, primed: its first event is ready, or it has ended.
        engine: the client's engine: its drivers, and its ``check`` of a result.
        finalize: turns the attempt's result into the caller's (records a session turn).
        timeouts: the run's limits, for the message of a timeout.
    """

    def __init__(
        self, attempt: Attempt, engine: RunEngine, *, finalize: Finalizer, timeouts: Timeouts
    ) -> None:
        self._attempt = attempt
        self.engine = engine
        self._finalized = _Finalized(finalize, lambda result: engine.check(result, timeouts))
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
        """Enforce the run's timeout even while nobody reads: at the deadline, ``perform``
        runs the steps that stop the run, as :meth:`next_event` would. Until the run is
        closed, a timer that fires early (the clock need not be the wall clock) looks again.

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
            else:
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
        return self._finalized(result)

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
        self._finalized.at_close(self._attempt.conclude())
