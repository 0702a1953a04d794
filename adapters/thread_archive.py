"""DirectoryThreadArchive: threads' rollouts kept in a folder that every worker shares.

The folder (a network filesystem mounted by each worker, say) holds::

    threads/<thread_id>/sessions/YYYY/MM/DD/rollout-<timestamp>-<thread_id>.jsonl
    threads/<thread_id>/rollout.json  {"path": relative path, "size": N, "sha256": hex digest}
    leases/<thread_id>.json     {"token": N, "expires_at": wall time}
    locks/<thread_id>.lock      an OS lock (flock), held for a moment around each lease change

A rollout keeps the path it had under ``CODEX_HOME``, so a restore puts it back where the CLI
looks for it. Every write is a temporary file, fsynced, then ``os.replace``: a reader sees the
old rollout or the new one, never half of one. A restore compares the local copy's digest with
the archived one's, so only a copy that differs is replaced (a longer one too: its history went
another way). The leases need a filesystem whose locks work across machines (NFSv4, a local
disk shared by processes); one without them lets two workers write one thread.
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from adapters.clock import SystemClock
from adapters.process_lock import ProcessLock
from adapters.store_base import write_atomically
from codex_local_sdk.errors import CodexThreadBusyError
from codex_local_sdk.ports import Clock, ThreadLease

_DIGEST = "rollout.json"
"""Beside a thread's archived rollout: its relative path, size and sha256."""

_RELEASED = 0.0
"""The expiry a released lease is written with (a renewal after it is refused)."""

_THREAD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_thread_id(thread_id: str) -> str:
    """``thread_id``, if it can name a file.

    Raises:
        TypeError: it is not a str.
        ValueError: it is empty or holds characters no thread id has (``/``, spaces...).
    """
    if not isinstance(thread_id, str):
        raise TypeError(f"thread_id must be a str, got {thread_id!r}")
    if not _THREAD_ID.fullmatch(thread_id):
        raise ValueError(f"{thread_id!r} is not a thread id: use letters, digits, '.', '_' and '-'")
    return thread_id


def resolve_home(home: str | None) -> str:
    """``home``, or the ``CODEX_HOME`` a child inheriting this process's environment uses."""
    if home is not None:
        return home
    return os.environ.get("CODEX_HOME") or os.path.join(os.path.expanduser("~"), ".codex")


def find_rollout(root: str, thread_id: str) -> str | None:
    """The path, relative to ``root``, of the newest rollout of ``thread_id`` under ``root``."""
    pattern = os.path.join(
        glob.escape(root), "sessions", "*", "*", "*", f"rollout-*-{glob.escape(thread_id)}.jsonl"
    )
    found = sorted(glob.glob(pattern), key=os.path.getmtime)
    return os.path.relpath(found[-1], root) if found else None


def check_lease_time(label: str, value: float, *, may_be_zero: bool) -> float:
    """``value`` as a float, if it is a finite number of seconds > 0 (or 0, ``may_be_zero``).

    Raises:
        TypeError: not a number.
        ValueError: negative, zero where it may not be, infinite or NaN.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{label} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not may_be_zero):
        raise ValueError(f"{label} must be a finite number of seconds > 0, got {value!r}")
    return float(value)


def lost_lease_error(lease: ThreadLease) -> CodexThreadBusyError:
    """The error of a save refused because ``lease`` is no longer the thread's."""
    return CodexThreadBusyError(
        f"the rollout of thread {lease.thread_id!r} was not archived: this worker's lease "
        f"(token {lease.token}) was lost while its turn ran, and another worker may have "
        "continued the thread since. Resume the thread again to continue from the archive."
    )


class LeaseRenewals:
    """The background renewal of the leases an archive gave: a daemon thread per lease calls
    ``renew(lease)`` every third of ``lease_seconds`` until the lease is stopped or lost (an
    error, such as a store that is briefly away, is tried again next time)."""

    def __init__(self, renew: Callable[[ThreadLease], bool], lease_seconds: float) -> None:
        self._renew = renew
        self._period = lease_seconds / 3
        self._mutex = threading.Lock()
        self._stops: dict[ThreadLease, threading.Event] = {}

    def start(self, lease: ThreadLease) -> None:
        stop = threading.Event()
        with self._mutex:
            self._stops[lease] = stop

        def renew_until_stopped() -> None:
            while not stop.wait(self._period):
                try:
                    if not self._renew(lease):
                        return
                except Exception:
                    continue

        threading.Thread(target=renew_until_stopped, name=f"lease-{lease.thread_id}", daemon=True).start()

    def stop(self, lease: ThreadLease) -> None:
        with self._mutex:
            stop = self._stops.pop(lease, None)
        if stop is not None:
            stop.set()

    def stop_all(self) -> None:
        with self._mutex:
            stops, self._stops = self._stops, {}
        for stop in stops.values():
            stop.set()


def rollout_to_save(codex_home: str | None, thread_id: str) -> tuple[str, bytes] | None:
    """The relative path and content of ``thread_id``'s rollout in ``codex_home``; ``None``
    when there is none, or it is empty (gone meanwhile): nothing that could replace an
    archived rollout."""
    home = resolve_home(codex_home)
    relative = find_rollout(home, check_thread_id(thread_id))
    if relative is None:
        return None
    try:
        content = _read(os.path.join(home, relative))
    except FileNotFoundError:
        return None
    return (relative, content) if content else None


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _digest(path: str) -> str | None:
    """The sha256 of the file at ``path``, ``None`` when there is none."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


class DirectoryThreadArchive:
    """A :class:`~codex_local_sdk.ports.ThreadArchive` in a folder shared by every worker.

    Args:
        path: the shared folder (created if missing).
        lease_seconds: how long a lease lasts unless renewed; a worker renews the leases it
            holds every third of it, in a background thread.
        lease_wait_seconds: how long a turn waits for another worker's lease.
        clock: tells the wall time that leases expire by (workers' clocks must agree to
            well within ``lease_seconds``); default the system clock.
        lock_timeout: how long one lease change may wait for the folder's lock.

    Raises:
        TypeError: ``path`` is not a path.
        ValueError: a lease time that is not a finite number > 0 (``lease_wait_seconds`` may be 0).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lease_seconds: float = 60.0,
        lease_wait_seconds: float = 30.0,
        clock: Clock | None = None,
        lock_timeout: float = 30.0,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
        self.path = os.path.abspath(os.fspath(path))
        self.lease_seconds = check_lease_time("lease_seconds", lease_seconds, may_be_zero=False)
        self.lease_wait_seconds = check_lease_time("lease_wait_seconds", lease_wait_seconds, may_be_zero=True)
        self._lock_timeout = check_lease_time("lock_timeout", lock_timeout, may_be_zero=True)
        self._clock = clock if clock is not None else SystemClock()
        self._mutex = threading.Lock()
        self._thread_mutexes: dict[str, threading.Lock] = {}
        self._renewals = LeaseRenewals(self.renew, self.lease_seconds)
        os.makedirs(self.path, exist_ok=True)

    def __repr__(self) -> str:
        return f"DirectoryThreadArchive({self.path!r})"

    def close(self) -> None:
        """Stop renewing the leases this archive gave (they expire after ``lease_seconds``)."""
        self._renewals.stop_all()

    # -- leases ------------------------------------------------------------------------------

    def acquire(self, thread_id: str) -> ThreadLease | None:
        """Take the lease on ``thread_id`` and renew it in the background until :meth:`release`;
        ``None`` while another worker holds it."""
        check_thread_id(thread_id)
        with self._locked(thread_id):
            token, expires_at = self._lease_state(thread_id)
            now = self._clock.time()
            if expires_at > now:
                return None
            lease = ThreadLease(thread_id=thread_id, token=token + 1)
            self._write_lease(lease, now + self.lease_seconds)
        self._renewals.start(lease)
        return lease

    def renew(self, lease: ThreadLease) -> bool:
        """Extend ``lease`` by ``lease_seconds``; ``False`` if it was lost: released, or taken
        by another worker (a lease that expired while the folder was away is renewed if
        nobody took the thread meanwhile: its token is still the last)."""
        with self._locked(lease.thread_id):
            token, expires_at = self._lease_state(lease.thread_id)
            if token != lease.token or expires_at == _RELEASED:
                return False
            self._write_lease(lease, self._clock.time() + self.lease_seconds)
            return True

    def release(self, lease: ThreadLease) -> None:
        """Stop renewing ``lease`` and free its thread (nothing if it was lost already)."""
        self._renewals.stop(lease)
        with self._locked(lease.thread_id):
            if self._holds(lease):
                self._write_lease(lease, _RELEASED)

    # -- rollouts ----------------------------------------------------------------------------

    def restore(self, thread_id: str, codex_home: str | None) -> int | None:
        """Copy the archived rollout of ``thread_id`` into ``codex_home`` where it is missing or
        different there; the bytes written, or ``None`` when nothing needed copying.

        The local copy is compared by its sha256 with the digest the save stored; a digest that
        does not describe the archived file (a save that stopped between the two) is not
        trusted, and the archived file is read and compared instead.
        """
        folder = self._thread_folder(thread_id)
        relative = find_rollout(folder, thread_id)
        if relative is None:
            return None
        archived = os.path.join(folder, relative)
        local = os.path.join(resolve_home(codex_home), relative)
        local_digest = _digest(local)
        if local_digest is not None and local_digest == self._archived_digest(folder, relative):
            return None
        content = _read(archived)
        if local_digest is not None and local_digest == hashlib.sha256(content).hexdigest():
            return None
        write_atomically(local, content)
        return len(content)

    def save(self, lease: ThreadLease, codex_home: str | None) -> int | None:
        """Copy the rollout of ``lease.thread_id`` out of ``codex_home``; its size, or ``None``
        when ``codex_home`` holds no rollout of that thread, or an empty one.

        Raises:
            CodexThreadBusyError: ``lease`` was lost (it expired, or another worker took the
                thread); the archive is left as it was.
        """
        found = rollout_to_save(codex_home, lease.thread_id)
        if found is None:
            return None
        relative, content = found
        folder = self._thread_folder(lease.thread_id)
        with self._locked(lease.thread_id):
            if not self._holds(lease):
                raise lost_lease_error(lease)
            older = find_rollout(folder, lease.thread_id)
            write_atomically(os.path.join(folder, relative), content)
            digest = {"path": relative, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            write_atomically(os.path.join(folder, _DIGEST), json.dumps(digest).encode())
            if older is not None and older != relative:
                os.unlink(os.path.join(folder, older))
        return len(content)

    def threads(self) -> list[str]:
        """The ids of every archived thread, sorted."""
        root = os.path.join(self.path, "threads")
        names = os.listdir(root) if os.path.isdir(root) else []
        return sorted(n for n in names if find_rollout(os.path.join(root, n), n) is not None)

    def delete(self, thread_id: str) -> bool:
        """Forget the archived rollout of ``thread_id``; ``True`` if there was one."""
        folder = self._thread_folder(thread_id)
        with self._locked(thread_id):
            existed = find_rollout(folder, thread_id) is not None
            shutil.rmtree(folder, ignore_errors=True)
        return existed

    # -- internals ---------------------------------------------------------------------------

    def _thread_folder(self, thread_id: str) -> str:
        return os.path.join(self.path, "threads", check_thread_id(thread_id))

    def _archived_digest(self, folder: str, relative: str) -> str | None:
        """The sha256 the last save stored for the archived rollout at ``relative``, if it
        still describes that file (same path and size)."""
        try:
            digest = json.loads(_read(os.path.join(folder, _DIGEST)))
            size = os.path.getsize(os.path.join(folder, relative))
        except (OSError, ValueError):
            return None
        if not isinstance(digest, dict) or digest.get("path") != relative or digest.get("size") != size:
            return None
        value = digest.get("sha256")
        return value if isinstance(value, str) else None

    @contextmanager
    def _locked(self, thread_id: str) -> Iterator[None]:
        # ProcessLock is not reentrant across threads: a mutex per thread id serialises this
        # process's, so a wait for one thread's lock never holds up another thread's lease.
        lock = ProcessLock(os.path.join(self.path, "locks", f"{thread_id}.lock"), self._lock_timeout)
        with self._mutex:
            mutex = self._thread_mutexes.setdefault(thread_id, threading.Lock())
        with mutex:
            lock.acquire()
            try:
                yield
            finally:
                lock.release()

    def _lease_path(self, thread_id: str) -> str:
        return os.path.join(self.path, "leases", f"{thread_id}.json")

    def _lease_state(self, thread_id: str) -> tuple[int, float]:
        """The thread's last token and when its lease expires (a past time: it is free)."""
        try:
            state = json.loads(_read(self._lease_path(thread_id)))
        except FileNotFoundError:
            return 0, 0.0
        return int(state["token"]), float(state["expires_at"])

    def _holds(self, lease: ThreadLease) -> bool:
        token, expires_at = self._lease_state(lease.thread_id)
        return token == lease.token and expires_at > self._clock.time()

    def _write_lease(self, lease: ThreadLease, expires_at: float) -> None:
        state = {"token": lease.token, "expires_at": expires_at}
        write_atomically(self._lease_path(lease.thread_id), json.dumps(state).encode())
