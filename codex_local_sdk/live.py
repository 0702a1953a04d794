"""Live runs: events as the CLI prints them, with the process in the caller's hands.

Use them as context managers: leaving the ``with`` block kills a run that is still going,
closes its pipes and records a named session's turn, whatever happened inside. A run never
closed is killed when its handle is garbage-collected or the interpreter exits, with a
:class:`ResourceWarning` naming it, and its ``timeout_seconds`` holds even while nobody
reads it.

>>> with client.run_live(CodexExecRequest(prompt="Summarise README.md")) as run:
...     for event in run.iter_events():
...         print(event.type)
...     result = run.result()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import warnings
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType

from .errors import SessionStoreError
from .events import CodexEvent
from .execution import AsyncAttempt, Attempt
from .models import CodexExecResult

Finalizer = Callable[[CodexExecResult], CodexExecResult]

_log = logging.getLogger(__name__)


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


class CodexLiveRun:
    """A running ``codex exec --json``, streamed. Returned by ``run_live``/``resume_live``.

    Use it as a context manager: leaving the block calls :meth:`close`.

    Args:
        attempt: the started attempt (built by the client, not by you).
        finalize: turns the attempt's result into the caller's (records a session turn).
        check: returns a result, or raises the client's error for a failed one.
    """

    def __init__(self, attempt: Attempt, *, finalize: Finalizer, check: Finalizer) -> None:
        self._attempt = attempt
        self._finalized = _Finalized(finalize, check)
        attempt.watch_deadline()
        weakref.finalize(self, _close_abandoned, f"<CodexLiveRun pid={self.pid}>", attempt)

    @property
    def pid(self) -> int | None:
        """The CLI's process id (the leader of its process group); ``None`` for a runner
        without real processes."""
        return self._attempt.handle.pid

    def iter_events(self) -> Iterator[CodexEvent]:
        """Yield each event as soon as the CLI prints it, until its stdout ends.

        Each event is yielded once: a second call goes on where the first stopped, and
        events not yet read when :meth:`wait` runs are never yielded. They are kept for
        :meth:`result` (``result().events``) only when the run was started with
        ``keep_events=True``. Breaking out of the loop leaves the run going. The run's
        timeout is enforced while iterating: at the limit the process group is terminated
        and the events it printed until then are still yielded. An exception while
        waiting (``KeyboardInterrupt``, say) kills the process group before it propagates;
        the method raises nothing of its own.

        Yields:
            Each :class:`CodexEvent`, in order.
        """
        try:
            while (event := self._attempt.next_event()) is not None:
                yield event
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):  # a consumer's break keeps the run going
                self._close(reap=False)
            raise

    def wait(self, timeout: float | None = None) -> CodexExecResult:
        """Wait for the run to end, reading what is left of its output; return the result.

        The first call that gets the result finalises it (records a named session's turn);
        later calls give the same outcome.

        Args:
            timeout: seconds to wait; ``None`` waits for the end (which the run's own
                ``timeout_seconds``, if any, bounds).

        Returns:
            The run's :class:`CodexExecResult`.

        Raises:
            TimeoutError: ``timeout`` passed first; the run goes on.
            CodexExecFailedError: the run failed and the client has ``raise_on_error=True``
                (``CodexTimeoutError``, ``CodexUnknownThreadError`` or
                ``CodexThreadBusyError`` when they apply).
            SessionStoreError: the named session's turn could not be recorded; the
                error's ``result`` holds it, and a later call tries to record it again.
        """
        try:
            result = self._attempt.finish(timeout)
        except TimeoutError:
            raise
        except BaseException:
            self._close(reap=False)
            raise
        self._attempt.close()
        return self._finalized(result)

    def result(self) -> CodexExecResult:
        """The run's result, waiting for its end if needed: :meth:`wait` with no limit.

        Returns:
            The run's :class:`CodexExecResult`.

        Raises:
            CodexExecFailedError: as :meth:`wait`.
        """
        return self.wait()

    def terminate(self) -> None:
        """SIGTERM the process group, SIGKILL it after the client's grace period; return
        once it is gone. The result's ``turn_status`` is ``"terminated"`` unless the CLI
        printed its own turn event first.

        Like :meth:`kill` and :meth:`close`, it may be called from another thread (it
        returns once the run is gone, and a read in progress there ends) or from a signal
        handler, e.g. ``signal.signal(signal.SIGTERM, lambda *_: run.terminate())``: when
        the handler interrupted :meth:`iter_events` or :meth:`result`, it signals the group
        and returns at once, and the interrupted read ends within the grace period.
        """
        self._attempt.stop("terminated")

    def kill(self) -> None:
        """SIGKILL the process group at once; return once it is gone (from a signal handler,
        as :meth:`terminate`). The result's ``turn_status`` is ``"killed"`` unless the CLI
        printed its own turn event first."""
        self._attempt.stop("killed", kill=True)

    def close(self) -> None:
        """Kill the run if it is still going, release its pipes and record its turn. Idempotent,
        and safe from another thread or a signal handler (as :meth:`terminate`).

        A run read to its end (``iter_events()`` finished) is reaped and recorded as it
        ended. A run still going is killed: its result, built from the events read until
        then, has ``turn_status`` ``"interrupted"`` unless the CLI had printed its own turn
        event, and a named session records it as a failed turn. ``close`` raises no
        :class:`~codex_local_sdk.errors.SessionStoreError`: a turn the store cannot record is
        logged (WARNING, logger ``codex_local_sdk.live``), and a later :meth:`result` or
        :meth:`wait` tries again and raises it if it still fails.
        """
        self._close(reap=self._attempt.stdout_finished)

    def _close(self, *, reap: bool) -> None:
        """Close, reaping the process first when ``reap`` (its output ended), else killing it
        (after an exception while reading, however far the run got), then record the turn."""
        try:
            if reap:
                self._attempt.finish()
        finally:
            self._attempt.close()
        self._finalized.at_close(self._attempt.conclude())

    def __enter__(self) -> CodexLiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncCodexLiveRun:
    """The asyncio twin of :class:`CodexLiveRun`. Cancelling a task that iterates or waits
    kills the process group.

    Use it as an async context manager: leaving the block awaits :meth:`close`.

    Args:
        attempt: the started attempt (built by the client, not by you).
        finalize: turns the attempt's result into the caller's (records a session turn).
        check: returns a result, or raises the client's error for a failed one.
    """

    def __init__(self, attempt: AsyncAttempt, *, finalize: Finalizer, check: Finalizer) -> None:
        self._attempt = attempt
        self._finalized = _Finalized(finalize, check)
        attempt.watch_deadline()
        loop = asyncio.get_running_loop()
        weakref.finalize(self, _close_abandoned_async, f"<AsyncCodexLiveRun pid={self.pid}>", attempt, loop)

    @property
    def pid(self) -> int | None:
        """As :attr:`CodexLiveRun.pid`."""
        return self._attempt.handle.pid

    async def iter_events(self) -> AsyncIterator[CodexEvent]:
        """As :meth:`CodexLiveRun.iter_events`; cancellation kills the process group.

        Events are kept for :meth:`result` only when the run was started with
        ``keep_events=True``.

        Yields:
            Each :class:`CodexEvent`, in order.
        """
        try:
            while (event := await self._attempt.next_event()) is not None:
                yield event
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                await self._close(reap=False)
            raise

    async def wait(self, timeout: float | None = None) -> CodexExecResult:
        """As :meth:`CodexLiveRun.wait`, with the same argument, result and errors."""
        try:
            result = await self._attempt.finish(timeout)
        except TimeoutError:
            raise
        except BaseException:
            await self._close(reap=False)
            raise
        await self._attempt.close()
        return self._finalized(result)

    async def result(self) -> CodexExecResult:
        """As :meth:`CodexLiveRun.result`, with the same result and errors."""
        return await self.wait()

    async def terminate(self) -> None:
        """As :meth:`CodexLiveRun.terminate`."""
        await self._attempt.stop("terminated")

    async def kill(self) -> None:
        """As :meth:`CodexLiveRun.kill`."""
        await self._attempt.stop("killed", kill=True)

    async def close(self) -> None:
        """As :meth:`CodexLiveRun.close`."""
        await self._close(reap=self._attempt.stdout_finished)

    async def _close(self, *, reap: bool) -> None:
        """As :meth:`CodexLiveRun._close`."""
        try:
            if reap:
                await self._attempt.finish()
        finally:
            await self._attempt.close()
        self._finalized.at_close(self._attempt.conclude())

    async def __aenter__(self) -> AsyncCodexLiveRun:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


_closing: set[asyncio.Future[None]] = set()  # closes scheduled by collected async runs, until done


def _close_abandoned(name: str, attempt: Attempt) -> None:
    """At a sync run's collection or interpreter exit: warn about and close a run never closed."""
    if not attempt.closed:
        warnings.warn(f"unclosed live run {name}: close it or use it in a with block", ResourceWarning, 1)
        attempt.close()


def _close_abandoned_async(name: str, attempt: AsyncAttempt, loop: asyncio.AbstractEventLoop) -> None:
    """As :func:`_close_abandoned`. The run is ended here and now when the runner's handle can
    do so without the loop: a close scheduled on the loop may not finish before the loop
    closes, and would hold the run's fds open. Else its close is scheduled on ``loop`` if that
    still runs; once it is closed, the runner's handle kills the group when it is collected."""
    if attempt.closed:
        return
    warnings.warn(f"unclosed live run {name}: close it or use it in an async with block", ResourceWarning, 1)
    if attempt.discard():
        return

    def close() -> None:
        future = asyncio.ensure_future(attempt.close())
        _closing.add(future)
        future.add_done_callback(_closing.discard)

    with contextlib.suppress(RuntimeError):  # the loop is closed
        loop.call_soon_threadsafe(close)
