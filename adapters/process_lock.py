"""ProcessLock: an exclusive lock on a lock file, shared by processes, fair to the waiters.

``filelock`` waits for a lock held by another process by polling: it tries, sleeps
``poll_interval`` (50 ms), and tries again. A process that releases the lock and takes it
again a moment later therefore usually wins against processes asleep in their poll, and a
few writers wait far longer than the rest (with 8 processes, a p99 hundreds of times the
median). Here a waiter blocks in ``flock(LOCK_EX)`` and the kernel wakes it when the lock is
released; and a waiter first passes a turnstile, a second lock file (``<path>.queue``) that
it holds only while it waits for the main one. The process that just released the lock must
pass the turnstile again, behind the waiter already in it, so it cannot take the lock
straight back.

``flock`` on the same file is what ``filelock`` uses on POSIX systems, so processes that
lock the file with ``filelock`` and with this class exclude each other. Where there is no
``fcntl`` (Windows), this class is ``filelock.FileLock`` itself.
"""

from __future__ import annotations

import math
import os
import threading
import time

import filelock

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class ProcessLockTimeout(Exception):
    """The lock was not free within the timeout."""


class ProcessLock:
    """An exclusive lock on ``path`` (created with mode 0600, its folder too), not reentrant: each
    :meth:`acquire` takes a descriptor of its own, so a second one waits for the first even
    in the same thread. Serialise a process's threads with a ``threading`` lock around it.

    Args:
        path: the lock file.
        timeout: seconds :meth:`acquire` waits: ``0`` tries once, ``math.inf`` waits as long
            as it takes.
    """

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None
        self._fallback = filelock.FileLock(path, timeout=timeout, mode=0o600) if fcntl is None else None

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            ProcessLockTimeout: other processes held it for longer than ``timeout``.
            OSError: a lock file cannot be opened or created.
        """
        if self._fallback is not None:
            try:
                self._fallback.acquire()
            except filelock.Timeout:
                raise ProcessLockTimeout(self.path) from None
            return
        deadline = time.monotonic() + self.timeout
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)  # as filelock does
        queue = _locked_fd(f"{self.path}.queue", self.timeout)
        try:
            self._fd = _locked_fd(self.path, max(0.0, deadline - time.monotonic()))
        finally:
            os.close(queue)

    def release(self) -> None:
        """Give the lock up (closing its descriptor releases the ``flock``)."""
        if self._fallback is not None:
            self._fallback.release()
        elif self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def _locked_fd(path: str, timeout: float) -> int:
    """A descriptor of ``path`` holding its ``flock``, taken within ``timeout`` seconds."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _try_lock(fd) and not _wait(fd, timeout):
            raise ProcessLockTimeout(path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _wait(fd: int, timeout: float) -> bool:
    """Block in ``flock`` until the lock is ours (``True``) or ``timeout`` passes."""
    if timeout <= 0:
        return False
    if math.isinf(timeout):
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    return _BlockingAttempt(fd).wait(timeout)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _BlockingAttempt:
    """A blocking ``flock`` with a timeout: a thread waits in the kernel on a duplicate of the
    caller's descriptor (a ``flock`` belongs to the open file both share). If the caller gives
    up first and closes its descriptor, the thread's close, once it has the lock, releases it."""

    def __init__(self, fd: int) -> None:
        self._fd = os.dup(fd)
        self._done = threading.Event()
        self._failure: OSError | None = None

    def wait(self, timeout: float) -> bool:
        threading.Thread(target=self._lock, name="codex-store-lock", daemon=True).start()
        if not self._done.wait(timeout):
            return False
        if self._failure is not None:
            raise self._failure
        return True

    def _lock(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError as exc:
            self._failure = exc
        finally:
            os.close(self._fd)
            self._done.set()
