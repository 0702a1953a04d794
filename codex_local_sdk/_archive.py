"""A turn of an archived thread: its lease taken and its rollout restored before the run, the
rollout saved after it, through a :class:`~codex_local_sdk.ports.ThreadArchive`.

The archive does the I/O; each call is a :class:`~codex_local_sdk._steps.Blocking` step, so
asyncio runs it on a worker thread, and the wait for another worker's lease sleeps on the
client's clock.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ._steps import Blocking, Sleep, Steps
from ._telemetry import Telemetry
from .errors import CodexThreadBusyError
from .models import CodexExecRequest, CodexExecResult
from .ports import Clock, ThreadArchive, ThreadLease

POLL_SECONDS = 0.25
"""How often a turn asks again for a lease another worker holds."""


def codex_home(request: CodexExecRequest, default_env: Mapping[str, str]) -> str | None:
    """The child's ``CODEX_HOME`` as the SDK sets it; ``None``: the runner's environment decides."""
    return request.codex_home if request.codex_home is not None else default_env.get("CODEX_HOME")


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
        """
        lease = yield from self._lease(thread_id)
        try:
            started = self.clock.monotonic()
            size = yield Blocking(lambda: self.archive.restore(thread_id, self.home))
        except BaseException:
            yield from self.release(lease)
            raise
        if size is not None:
            self.telemetry.thread_restored(thread_id, size, self.clock.monotonic() - started)
        return lease

    def save(self, lease: ThreadLease | None, result: CodexExecResult) -> Steps[None]:
        """Save the rollout of the thread ``result`` ran, under ``lease`` (or, for a thread that
        started with this run, under a lease taken for the save).

        Raises:
            CodexThreadBusyError: ``lease`` was lost while the turn ran; its ``result`` is the
                turn, whose rollout the archive refused.
        """
        thread_id = result.thread_id
        if thread_id is None or (lease is not None and lease.thread_id != thread_id):
            return
        own = lease is None
        if lease is None:
            lease = yield from self._lease(thread_id)
        try:
            yield from self._save(lease, result)
        finally:
            if own:
                yield from self.release(lease)

    def release(self, lease: ThreadLease) -> Steps[None]:
        """Free the thread of ``lease``."""
        yield Blocking(lambda: self.archive.release(lease))

    def _save(self, lease: ThreadLease, result: CodexExecResult) -> Steps[None]:
        started = self.clock.monotonic()
        try:
            size = yield Blocking(lambda: self.archive.save(lease, self.home))
        except CodexThreadBusyError as exc:
            exc.result = result  # the turn ran: it must reach the caller
            exc.thread_id = result.thread_id
            raise
        if size is not None:
            self.telemetry.thread_archived(lease.thread_id, size, self.clock.monotonic() - started)

    def _lease(self, thread_id: str) -> Steps[ThreadLease]:
        started = self.clock.monotonic()
        waited = False
        while True:
            lease: ThreadLease | None = yield Blocking(lambda: self.archive.acquire(thread_id))
            elapsed = self.clock.monotonic() - started
            if lease is not None:
                if waited:
                    self.telemetry.thread_lease_waited(thread_id, elapsed, taken=True)
                return lease
            remaining = self.archive.lease_wait_seconds - elapsed
            if remaining <= 0:
                self.telemetry.thread_lease_waited(thread_id, elapsed, taken=False)
                raise CodexThreadBusyError(
                    f"thread {thread_id!r} is being continued by another worker: its lease in the thread "
                    f"archive stayed taken for {elapsed:.1f} s (lease_wait_seconds="
                    f"{self.archive.lease_wait_seconds}). No run started; try again later, or wait longer."
                )
            waited = True
            yield Sleep(min(POLL_SECONDS, remaining))
