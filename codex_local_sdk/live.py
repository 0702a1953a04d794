"""Live runs: events as the CLI prints them, with the process in the caller's hands.

Use them as context managers: leaving the ``with`` block kills a run that is still going,
closes its pipes and records a named session's turn, whatever happened inside. A run never
closed is killed when its handle is garbage-collected or the interpreter exits, with a
:class:`ResourceWarning` naming it (its thread's lease in a thread archive is freed, its turn
reported as ended and not recorded), and its ``timeout_seconds`` holds even while nobody
reads it.

>>> with client.run_live(CodexExecRequest(prompt="Summarise README.md")) as run:
...     for event in run.iter_events():
...         print(event.type)
...     result = run.result()
"""

from __future__ import annotations

import asyncio
import threading
import types
import warnings
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterator
from types import TracebackType
from typing import Any

from ._live_attempt import LiveAttempt, StartTimer
from ._steps import Steps
from .activity import TurnProgress
from .events import CodexEvent
from .models import CodexExecResult


class CodexLiveRun:
    """A running ``codex exec --json``, streamed. Returned by ``run_live``/``resume_live``.

    Use it as a context manager: leaving the block calls :meth:`close`.

    Args:
        attempt: the started attempt, with what finalises its result (built by the client,
            not by you).
    """

    def __init__(self, attempt: LiveAttempt) -> None:
        self._attempt = attempt
        self._drive = attempt.engine.drive
        attempt.watch_deadline(_thread_timer, self._drive)
        weakref.finalize(self, _close_abandoned, f"<CodexLiveRun pid={self.pid}>", attempt)

    @property
    def pid(self) -> int | None:
        """The CLI's process id (the leader of its process group); ``None`` for a runner
        without real processes."""
        return self._attempt.handle.pid

    @property
    def events(self) -> tuple[CodexEvent, ...]:
        """The events read from the CLI's stdout so far, in order, when the run was started
        with ``keep_events=True`` (they may include events :meth:`iter_events` has not yielded
        yet); always ``()`` without it, since a run that does not keep its events keeps none
        of them, yielded or not."""
        return self._attempt.events

    @property
    def progress(self) -> TurnProgress:
        """The turn so far, as a :class:`~codex_local_sdk.activity.TurnProgress` snapshot:
        each item in its latest state, the commands so far with their status, the files
        changed so far, the plan, the latest agent message, the usage once reported. Built
        from the events read so far (which may include some :meth:`iter_events` has not
        yielded yet), with or without ``keep_events``. Cheap to read: an item is decoded
        once per change, so a loop may read it after every event."""
        return self._attempt.progress

    @property
    def is_complete(self) -> bool:
        """Whether the CLI's process has exited (its :attr:`return_code` is known)."""
        return self.return_code is not None

    @property
    def return_code(self) -> int | None:
        """The CLI's exit code once its process has exited (negative ``-N`` for signal
        ``N``), else ``None``. Never waits."""
        return self._attempt.handle.returncode

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
            while (
                event := self._attempt.ready_event() or self._drive(self._attempt.next_event())
            ) is not None:
                yield event
        except BaseException as exc:  # caught here, not in the core: a run outlives each read
            if not isinstance(exc, GeneratorExit):  # a consumer's break keeps the run going
                self._drive(self._attempt.close_after_error())
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
        return self._drive(self._attempt.wait(timeout))

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
        self._drive(self._attempt.stop("terminated"))

    def kill(self) -> None:
        """SIGKILL the process group at once; return once it is gone (from a signal handler,
        as :meth:`terminate`). The result's ``turn_status`` is ``"killed"`` unless the CLI
        printed its own turn event first."""
        self._drive(self._attempt.stop("killed", kill=True))

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
        self._drive(self._attempt.close())

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
        attempt: as for :class:`CodexLiveRun`.
    """

    def __init__(self, attempt: LiveAttempt) -> None:
        self._attempt = attempt
        self._drive = attempt.engine.drive_async
        loop = asyncio.get_running_loop()
        attempt.watch_deadline(_loop_timer(loop), _perform_in_task(attempt))
        weakref.finalize(self, _close_abandoned_async, f"<AsyncCodexLiveRun pid={self.pid}>", attempt, loop)

    @property
    def pid(self) -> int | None:
        """As :attr:`CodexLiveRun.pid`."""
        return self._attempt.handle.pid

    @property
    def events(self) -> tuple[CodexEvent, ...]:
        """As :attr:`CodexLiveRun.events`."""
        return self._attempt.events

    @property
    def progress(self) -> TurnProgress:
        """As :attr:`CodexLiveRun.progress`."""
        return self._attempt.progress

    @property
    def is_complete(self) -> bool:
        """As :attr:`CodexLiveRun.is_complete`."""
        return self.return_code is not None

    @property
    def return_code(self) -> int | None:
        """As :attr:`CodexLiveRun.return_code`."""
        return self._attempt.handle.returncode

    async def iter_events(self) -> AsyncIterator[CodexEvent]:
        """As :meth:`CodexLiveRun.iter_events`; cancellation kills the process group.

        Events are kept for :meth:`result` only when the run was started with
        ``keep_events=True``.

        Yields:
            Each :class:`CodexEvent`, in order.
        """
        try:
            while (
                event := self._attempt.ready_event() or await self._drive(self._attempt.next_event())
            ) is not None:
                yield event
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                await self._drive(self._attempt.close_after_error())
            raise

    async def wait(self, timeout: float | None = None) -> CodexExecResult:
        """As :meth:`CodexLiveRun.wait`, with the same argument, result and errors."""
        return await self._drive(self._attempt.wait(timeout))

    async def result(self) -> CodexExecResult:
        """As :meth:`CodexLiveRun.result`, with the same result and errors."""
        return await self.wait()

    def terminate(self) -> Awaitable[None]:
        """As :meth:`CodexLiveRun.terminate`; called on the loop's thread, it acts at once,
        awaited or not.

        There the SIGTERM is sent before this returns, and the returned future finishes when
        the group is gone (SIGKILLed after the grace period if need be), even if nobody
        awaits it: code that calls ``run.terminate()`` without ``await`` still stops the run.
        From a thread with no running loop it returns a coroutine that does it all when run
        on the run's loop (``asyncio.run_coroutine_threadsafe``).

        Returns:
            What to await for the group's end.
        """
        return _started_now(self._drive(self._attempt.stop("terminated")))

    def kill(self) -> Awaitable[None]:
        """As :meth:`CodexLiveRun.kill`; it acts at once, awaited or not (as :meth:`terminate`).

        Returns:
            What to await for the group's end.
        """
        return _started_now(self._drive(self._attempt.stop("killed", kill=True)))

    async def close(self) -> None:
        """As :meth:`CodexLiveRun.close`."""
        await self._drive(self._attempt.close())

    async def __aenter__(self) -> AsyncCodexLiveRun:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


_background: set[asyncio.Future[None]] = set()  # tasks started from timers and finalisers, until done


def _thread_timer(delay: float, callback: Callable[[], None]) -> Callable[[], None]:
    """A daemon timer thread calling ``callback`` in ``delay`` seconds; returns its cancel.

    A delay past what a thread can wait (``threading.TIMEOUT_MAX``) fires early, at that
    limit; the watchdog then looks again."""
    timer = threading.Timer(min(delay, threading.TIMEOUT_MAX), callback)
    timer.daemon = True
    timer.start()
    return timer.cancel


def _loop_timer(loop: asyncio.AbstractEventLoop) -> StartTimer:
    """Timers on ``loop``, as :func:`_thread_timer` gives on threads."""
    return lambda delay, callback: loop.call_later(delay, callback).cancel


def _perform_in_task(attempt: LiveAttempt) -> Callable[[Steps[None]], object]:
    """Steps run in a task of the running loop, from a callback of that loop."""
    return lambda steps: _in_background(attempt.engine.drive_async(steps))


def _in_background(coroutine: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
    future = asyncio.ensure_future(coroutine)
    _background.add(future)
    future.add_done_callback(_background.discard)
    return future


def _started_now(coroutine: Coroutine[Any, Any, None]) -> Awaitable[None]:
    """``coroutine`` run at once up to its first suspension, on the caller's stack (so a
    signal it sends is sent before this returns), then to its end in a task of the loop;
    ``coroutine`` itself, not started, on a thread with no running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return coroutine
    try:
        suspended_on = coroutine.send(None)
    except StopIteration:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done
    return _in_background(_finish(coroutine, suspended_on))


async def _finish(coroutine: Coroutine[Any, Any, None], suspended_on: Any) -> None:
    await _resumed(coroutine, suspended_on)


@types.coroutine
def _resumed(coroutine: Coroutine[Any, Any, None], suspended_on: Any) -> Generator[Any, Any, None]:
    """Await the rest of a coroutine already run up to a suspension on ``suspended_on``: pass
    what it waits for up to the task, and the task's answers (or exceptions) back down."""
    while True:
        try:
            answer = yield suspended_on
        except BaseException as exc:  # a cancellation of the task, say: the coroutine gets it
            try:
                suspended_on = coroutine.throw(exc)
            except StopIteration:
                return
        else:
            try:
                suspended_on = coroutine.send(answer)
            except StopIteration:
                return


def _close_abandoned(name: str, attempt: LiveAttempt) -> None:
    """At a sync run's collection or interpreter exit: warn about and release a run never
    closed, then free what its turn holds (its thread's lease) and report its end."""
    if not attempt.closed:
        warnings.warn(f"unclosed live run {name}: close it or use it in a with block", ResourceWarning, 1)
        try:
            attempt.engine.drive(attempt.release())
        finally:
            attempt.engine.drive(attempt.abandon())


def _close_abandoned_async(name: str, attempt: LiveAttempt, loop: asyncio.AbstractEventLoop) -> None:
    """As :func:`_close_abandoned`. The run is released here and now when the runner's handle
    can do so without the loop: a release scheduled on the loop may not finish before the loop
    closes, and would hold the run's fds open. Else its release is scheduled on ``loop`` if that
    still runs; once it is closed, the runner's handle kills the group when it is collected.
    What the turn holds is freed on ``loop`` too, or here once the loop is closed."""
    if attempt.closed:
        return
    warnings.warn(f"unclosed live run {name}: close it or use it in an async with block", ResourceWarning, 1)
    released = attempt.discard()

    def abandoned() -> Steps[None]:
        if not released:
            yield from attempt.release()
        yield from attempt.abandon()

    try:
        loop.call_soon_threadsafe(lambda: _in_background(attempt.engine.drive_async(abandoned())))
    except RuntimeError:  # the loop is closed
        attempt.engine.drive(attempt.abandon())
