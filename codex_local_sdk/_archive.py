"""A turn of an archived thread: its lease taken and its rollout restored before the run, the
rollout saved after it, through a :class:`~codex_local_sdk.ports.ThreadArchive`.

The archive does the I/O; each call is a :class:`~codex_local_sdk._steps.Blocking` step, so
asyncio runs it on a worker thread, and the wait for another worker's lease sleeps on the
client's clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import attrs

from ._attempt import Guard
from ._steps import Blocking, Sleep, Steps
from ._telemetry import Telemetry
from .errors import CodexThreadBusyError, ThreadArchiveError
from .models import CodexExecResult
from .ports import Clock, ThreadArchive, ThreadLease

_T = TypeVar("_T")

_log = logging.getLogger("codex_local_sdk.archive")

POLL_SECONDS = 0.25
"""How often a turn asks again for a lease another worker holds."""

LEASE_LOST = "lease_lost"
"""The ``turn_status`` of a run ended because this worker lost its thread's lease."""


@attrs.frozen
class Keeper:
    """Keeps the threads a run writes in ``archive``; ``home`` is the run's ``CODEX_HOME``."""

    archive: ThreadArchive
    home: str | None
    clock: Clock
    telemetry: Telemetry

    def hold(self, thread_id: str) -> Steps[ThreadLease]:
        """The lease on ``thread_id``, with its archived rollout restored into :attr:`home`.

        Raises:
            CodexThreadBusyError: another worker held it for ``lease_wait_seconds`` (no run
                started: its ``result`` is ``None``).
            ThreadArchiveError: the archive failed (no run started).
        """
        lease = yield from self._lease(thread_id)
        try:
            started = self.clock.monotonic()
            size = yield from self._call(
                lambda: self.archive.restore(thread_id, self.home), "restore", thread_id
            )
        except BaseException:
            yield from self.release(lease)
            raise
        if size is not None:
            self.telemetry.thread_restored(thread_id, size, self.clock.monotonic() - started)
        return lease

    def guard(self, lease: ThreadLease) -> Guard:
        """What a run under ``lease`` passes while it runs: every third of ``lease_seconds``
        the lease is renewed, and a renewal that finds it lost (it expired and another worker
        took the thread) ends the run as ``"lease_lost"``: its save would be refused."""
        return Guard(self.archive.lease_seconds / 3, lambda: self._renewed(lease))

    def _renewed(self, lease: ThreadLease) -> Steps[str | None]:
        try:
            held = yield Blocking(lambda: self.archive.renew(lease))
        except Exception:  # a shared folder that is briefly away: the next check asks again
            return None
        return None if held else LEASE_LOST

    def save(self, lease: ThreadLease | None, result: CodexExecResult) -> Steps[None]:
        """Save the rollout of the thread ``result`` ran, under ``lease``; a thread that
        started with this run (a new thread, a fork of the thread of ``lease``) is saved under
        a lease taken for the save.

        A fork keeps its parent's lease for the run (rather than restoring the parent
        read-only), so it forks the parent's latest turn and no worker writes the parent
        meanwhile.

        Raises:
            CodexThreadBusyError: ``lease`` was lost while the turn ran (the run was ended as
                ``"lease_lost"``, or the archive refused the save), or another worker held the
                lease of the thread the run started; its ``result`` is the turn, whose rollout
                the archive did not take.
            ThreadArchiveError: the archive failed; its ``result`` is the turn.
        """
        thread_id = result.thread_id
        if result.turn_status == LEASE_LOST and lease is not None:
            raise _lost(lease, result)
        if thread_id is None:
            return
        if lease is not None and lease.thread_id == thread_id:
            yield from self._save(lease, result)
            return
        own = yield from self._lease(thread_id, result)
        try:
            yield from self._save(own, result)
        finally:
            yield from self.release(own)

    def purge(self, thread_id: str, forget: Callable[[], bool]) -> Steps[bool]:
        """Under the lease on ``thread_id``: ``forget()`` (a session's name), then delete the
        thread's archived rollout; what ``forget`` returned.

        Raises:
            CodexThreadBusyError: another worker held the lease for ``lease_wait_seconds``
                (nothing was forgotten or deleted).
            ThreadArchiveError: the archive failed.
        """
        lease = yield from self._lease(thread_id)
        try:
            forgotten = forget()
            yield from self._call(lambda: self.archive.delete(thread_id), "delete", thread_id)
        finally:
            yield from self.release(lease)
        return forgotten

    def release(self, lease: ThreadLease) -> Steps[None]:
        """Free the thread of ``lease``. A release that fails is logged, not raised: the lease
        expires on its own after ``lease_seconds``, and the turn must reach its caller."""
        try:
            yield Blocking(lambda: self.archive.release(lease))
        except Exception:
            _log.warning(
                "the thread archive could not release the lease on thread %r; it expires by itself",
                lease.thread_id,
                exc_info=True,
            )

    def _give_back(self, lease: ThreadLease | None) -> None:
        """Release a lease taken for a run that was cancelled while it was being taken."""
        if lease is not None:
            self.archive.release(lease)

    def _save(self, lease: ThreadLease, result: CodexExecResult) -> Steps[None]:
        started = self.clock.monotonic()
        size = yield from self._call(
            lambda: self.archive.save(lease, self.home), "save", lease.thread_id, result
        )
        if size is not None:
            self.telemetry.thread_archived(lease.thread_id, size, self.clock.monotonic() - started)

    def _call(
        self,
        fn: Callable[[], _T],
        doing: str,
        thread_id: str,
        result: CodexExecResult | None = None,
        undo: Callable[[_T], None] | None = None,
    ) -> Steps[_T]:
        """``fn()`` on the archive, as a blocking step (``undo`` gives back what it took when
        the run was cancelled meanwhile). A busy thread or an archive error gets the turn
        (``result``) attached; any other exception becomes a
        :class:`~codex_local_sdk.errors.ThreadArchiveError` that carries it, but for a
        ``ValueError`` or ``TypeError`` before the run (a thread id the archive refuses).
        """
        try:
            value: _T = yield Blocking(fn, undo)
        except (CodexThreadBusyError, ThreadArchiveError) as exc:
            if result is not None:
                _carry(exc, result)
            raise
        except Exception as exc:
            if result is None and isinstance(exc, (ValueError, TypeError)):
                raise  # a thread id the archive refuses: bad input, and nothing ran
            ran = (
                f"the turn ran (thread {result.thread_id}) but its rollout was not archived, so the next "
                "turn continues the thread without it; the error's .result holds the turn"
                if result is not None
                else "no run started"
            )
            raise ThreadArchiveError(
                f"the thread archive could not {doing} thread {thread_id!r}: {exc!r}. {ran}.",
                result=result,
                thread_id=thread_id,
            ) from exc
        return value

    def _lease(self, thread_id: str, result: CodexExecResult | None = None) -> Steps[ThreadLease]:
        """The lease on ``thread_id``, waiting up to ``lease_wait_seconds`` for another
        worker's; ``result`` is the turn that ran already, when the lease is for its save."""
        started = self.clock.monotonic()
        waited = False
        while True:
            lease: ThreadLease | None = yield from self._call(
                lambda: self.archive.acquire(thread_id),
                "take the lease on",
                thread_id,
                result,
                self._give_back,
            )
            elapsed = self.clock.monotonic() - started
            if lease is not None:
                if waited:
                    self.telemetry.thread_lease_waited(thread_id, elapsed, taken=True)
                return lease
            remaining = self.archive.lease_wait_seconds - elapsed
            if remaining <= 0:
                self.telemetry.thread_lease_waited(thread_id, elapsed, taken=False)
                raise _busy(thread_id, elapsed, self.archive.lease_wait_seconds, result)
            waited = True
            yield Sleep(min(POLL_SECONDS, remaining))


def _busy(
    thread_id: str, elapsed: float, wait: float, result: CodexExecResult | None
) -> CodexThreadBusyError:
    """The error for a lease another worker held past the wait; ``result``: the turn ran."""
    held = (
        f"thread {thread_id!r} is being continued by another worker: its lease in the thread archive "
        f"stayed taken for {elapsed:.1f} s (lease_wait_seconds={wait})."
    )
    if result is None:
        return CodexThreadBusyError(f"{held} No run started; try again later, or wait longer.")
    error = CodexThreadBusyError(
        f"the turn ran but its rollout was not archived: {held} The error's .result holds the turn."
    )
    _carry(error, result)
    return error


def _lost(lease: ThreadLease, result: CodexExecResult) -> CodexThreadBusyError:
    """The error for a run ended because its lease was lost: it carries the turn, unsaved."""
    error = CodexThreadBusyError(
        f"this worker lost the lease on thread {lease.thread_id!r} (token {lease.token}) while its turn "
        "ran: another worker took the thread. The CLI was killed and its rollout not archived (the "
        "archive would refuse it); the error's .result holds what the turn did until then. Resume the "
        "thread again to continue from the archive."
    )
    _carry(error, result)
    return error


def _carry(error: CodexThreadBusyError | ThreadArchiveError, result: CodexExecResult) -> None:
    """Attach the turn that ran to ``error``: it must reach the caller."""
    error.result = result
    error.thread_id = result.thread_id
