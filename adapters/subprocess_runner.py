"""SubprocessRunner: the real ProcessRunner, for synchronous code and for asyncio.

Every run starts in its own session (so its own process group), with argv only — never a
shell — and stdin written from the prompt bytes, then closed. Both handles are
single-threaded: the sync handle multiplexes the pipes and a pidfd with ``selectors``; the
async handle registers them with the event loop (``add_reader``/``add_writer``), so 500
concurrent async runs cost no thread at all (unlike ``asyncio.create_subprocess_exec``,
whose default child watcher on Python < 3.12 starts a thread per child).

The rules both handles share live in :mod:`adapters._process_group`: the leader's exit is
learnt without reaping it, the rest of the group is SIGKILLed before the leader is reaped,
and a grandchild holding the pipes open delays the end by at most ``drain_seconds``.

>>> handle = SubprocessRunner().start(ProcessSpec(argv=("codex", "exec", "--json", "-"), stdin=b"hi"))
>>> try:
...     while (lines := handle.read_lines(timeout=5.0)) is not None:
...         ...
...     code = handle.wait(timeout=5.0)
... finally:
...     handle.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

import attrs

from adapters._process_group import RunState, spawn
from adapters.bundled_cli import with_bundled_codex
from adapters.local_files import LocalFiles
from codex_local_sdk._jsonl import DEFAULT_MAX_LINE_BYTES
from codex_local_sdk.errors import CodexSpawnError
from codex_local_sdk.ports import ProcessSpec, child_env

__all__ = ["AsyncSubprocessHandle", "SubprocessHandle", "SubprocessRunner"]

_Handle = TypeVar("_Handle", "SubprocessHandle", "AsyncSubprocessHandle")

_MAX_SELECT_SECONDS = 86400.0  # select() overflows past about 24.8 days: wait in slices of a day


class SubprocessRunner:
    """Starts processes with :mod:`subprocess`, each in a new process group (POSIX only).

    Args:
        stderr_limit_bytes: how much of the end of stderr each handle keeps.
        drain_seconds: after the leader exits, how long its pipes may stay open (a
            grandchild may hold them) before the rest of its group is killed.
        read_chunk_bytes: the most read from stdout or stderr at once.
        max_line_bytes: the longest stdout line a handle holds (64 MiB by default). A line
            that passes it is reported by ``read_lines`` as one
            :class:`~codex_local_sdk._jsonl.OverlongLine` as soon as it does, and the rest of
            it is dropped, so a CLI that never ends its line cannot fill the memory; the
            client then ends the run
            (:class:`~codex_local_sdk.errors.CodexOutputTooLargeError`).

    Raises:
        ValueError: a negative limit or time, or a chunk size or line cap below 1.
    """

    handles_run_files = True

    def __init__(
        self,
        *,
        stderr_limit_bytes: int = 1 << 20,
        drain_seconds: float = 0.1,
        read_chunk_bytes: int = 1 << 16,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        if stderr_limit_bytes < 0 or drain_seconds < 0 or read_chunk_bytes < 1:
            raise ValueError(
                "stderr_limit_bytes and drain_seconds must be >= 0 and read_chunk_bytes >= 1, got "
                f"{stderr_limit_bytes}, {drain_seconds} and {read_chunk_bytes}"
            )
        if max_line_bytes < 1:
            raise ValueError(f"max_line_bytes must be >= 1, got {max_line_bytes}")
        self.stderr_limit_bytes = stderr_limit_bytes
        self.drain_seconds = drain_seconds
        self.read_chunk_bytes = read_chunk_bytes
        self.max_line_bytes = max_line_bytes

    def start(self, spec: ProcessSpec) -> SubprocessHandle:
        """Start ``spec`` in a new session (so a new process group); see
        :class:`~codex_local_sdk.ports.ProcessRunner`.

        ``argv[0]`` is found as ``execvp`` does: on the ``PATH`` of the child's environment
        (``os.environ`` plus ``spec.env``) when it has no ``/``, else as a path, which
        when relative is read from ``spec.cwd``.

        The spec's files are handled by :class:`~adapters.local_files.LocalFiles`: the
        required files are checked, the input files written into a private temporary
        directory (removed when the handle closes), and the output files read back by
        ``handle.output_file(name)``.

        Returns:
            The handle, stdin already being written.

        Raises:
            ValueError: ``spec.argv`` is empty, or a required file (an image) is missing or a
                directory.
            CodexNotInstalledError: ``argv[0]`` was not found.
            CodexSpawnError: any other failure: a missing or unusable ``cwd``, permissions,
                limits.
        """
        files = LocalFiles(spec)
        try:
            popen = spawn(attrs.evolve(spec, argv=files.argv))
            return _build(popen, spec, lambda: SubprocessHandle(popen, spec.stdin, self, files))
        except BaseException:
            files.remove()
            raise

    def find_program(self, spec: ProcessSpec) -> str | None:
        """Where :meth:`start` would find ``spec.argv[0]``: on the ``PATH`` of the child's
        environment for a bare name (else the bundled CLI, for ``codex``), else as a path
        from ``spec.cwd``; ``None`` when it would raise ``CodexNotInstalledError``. Starts
        nothing."""
        if not spec.argv:
            return None
        argv, env = with_bundled_codex(spec.argv, child_env(os.environ, spec))
        program = argv[0]
        if "/" not in program:
            return shutil.which(program, path=env.get("PATH", os.defpath))
        path = os.path.join(spec.cwd or "", program)
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None

    async def start_async(self, spec: ProcessSpec) -> AsyncSubprocessHandle:
        """As :meth:`start`, for the running event loop, with the same errors.

        The fork/exec itself is synchronous (about a millisecond); nothing else blocks.

        Returns:
            The asyncio handle, bound to the running loop.
        """
        files = LocalFiles(spec)
        try:
            popen = spawn(attrs.evolve(spec, argv=files.argv))
            return _build(popen, spec, lambda: AsyncSubprocessHandle(popen, spec.stdin, self, files))
        except BaseException:
            files.remove()
            raise

    def _run_state(
        self, popen: subprocess.Popen[bytes], stdin: bytes, unwatch: Callable[[int], None]
    ) -> RunState:
        return RunState(
            popen,
            stdin,
            unwatch=unwatch,
            stderr_limit_bytes=self.stderr_limit_bytes,
            read_chunk_bytes=self.read_chunk_bytes,
            drain_seconds=self.drain_seconds,
            max_line_bytes=self.max_line_bytes,
        )


def _build(popen: subprocess.Popen[bytes], spec: ProcessSpec, make: Callable[[], _Handle]) -> _Handle:
    """``make()``; if that fails (e.g. out of fds), the started process must not outlive it."""
    try:
        return make()
    except BaseException as exc:
        if popen.returncode is None:  # once reaped, the group id may belong to someone else
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(popen.pid, signal.SIGKILL)
        popen.wait()
        for stream in (popen.stdin, popen.stdout, popen.stderr):
            if stream is not None:
                stream.close()
        if isinstance(exc, OSError):
            raise CodexSpawnError(spec.argv[0], f"could not watch the started process: {exc}") from exc
        raise


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + max(0.0, timeout)


class _HandleBase:
    """What the sync and the asyncio handle read alike from their :class:`RunState`."""

    _state: RunState
    _files: LocalFiles

    @property
    def pid(self) -> int:
        """The leader's pid, which is also the process group id."""
        return self._state.pgid

    @property
    def returncode(self) -> int | None:
        """The exit code once reaped (``-N`` for signal ``N``), else ``None``."""
        return self._state.popen.returncode

    def stderr_tail(self) -> bytes:
        """The last ``stderr_limit_bytes`` of stderr read so far."""
        return bytes(self._state.stderr)

    def output_file(self, name: str) -> bytes | None:
        """The content of the output file ``name`` (read from disk, relative to the spec's
        cwd), or ``None`` when the CLI did not write it."""
        return self._files.output_file(name)


class SubprocessHandle(_HandleBase):
    """A started process, driven synchronously: see :class:`~codex_local_sdk.ports.ProcessHandle`.

    No thread: each call waits on its pipes and a pidfd with :mod:`selectors`, so stdout and
    stderr are read (and stdin written) together, whatever their sizes. Built by
    :meth:`SubprocessRunner.start`.

    One thread at a time drives the selector. :meth:`terminate`, :meth:`kill` and
    :meth:`close` may be called from another thread (they signal the group, wake the reader
    and wait for it to let go) or from a signal handler that interrupted a read on this
    thread (they signal the group and return at once; the interrupted read then sees the
    end, SIGKILLing the group after the grace period if it is still there). A handle that is
    garbage-collected or still open at interpreter exit has its group killed and its fds
    closed.

    Args:
        popen: the started child.
        stdin: the bytes to write to its stdin.
        runner: the runner, for its limits.
        files: the run's files, removed on :meth:`close`.
    """

    def __init__(
        self, popen: subprocess.Popen[bytes], stdin: bytes, runner: SubprocessRunner, files: LocalFiles
    ) -> None:
        self._files = files
        selector = self._selector = selectors.DefaultSelector()
        self._state = runner._run_state(popen, stdin, functools.partial(_unregister, selector))
        self._wakeup = _WakeupPipe()
        self._lock = threading.RLock()
        self._driving = False
        self._close_pending = False
        self._release = weakref.finalize(self, _release_sync, self._state, selector, self._wakeup)
        try:
            selector.register(self._wakeup.read_fd, selectors.EVENT_READ)
            for fd, write in self._state.watched().items():
                selector.register(fd, selectors.EVENT_WRITE if write else selectors.EVENT_READ)
        except BaseException:
            self._release()
            raise

    def read_lines(self, timeout: float | None) -> list[bytes] | None:
        """Complete stdout lines as soon as there is one; ``[]`` after ``timeout``; ``None`` at the end.

        The end is stdout's end: its EOF, or the leader's exit with stdout drained (or, if a
        grandchild holds stdout open, ``drain_seconds`` after the exit, when the rest of the
        group is killed). The leader may still run after its stdout's EOF: :meth:`wait` tells.

        Args:
            timeout: seconds to wait; ``None`` for no limit.
        """
        state = self._state
        self._drive(lambda: bool(state.lines) or state.finished or state.stdout_ended, timeout)
        if state.lines:
            return state.take_lines()
        return None if state.finished or state.stdout_ended else []

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the end (the leader's exit, as in :meth:`read_lines`); the exit code, or
        ``None`` after ``timeout``.

        Stdout lines read meanwhile are kept for :meth:`read_lines`.

        Args:
            timeout: seconds to wait; ``None`` for no limit.
        """
        self._drive(lambda: self._state.finished, timeout)
        return self.returncode

    def terminate(self, grace_seconds: float) -> None:
        """SIGTERM the group; SIGKILL it if the run has not ended after ``grace_seconds``; reap."""
        self._state.stop(signal.SIGTERM, grace_seconds)
        self.wait()

    def kill(self) -> None:
        """SIGKILL the group and reap the leader (output already in the pipes is still read)."""
        self._state.stop(signal.SIGKILL)
        self.wait()

    def close(self) -> None:
        """SIGKILL whatever of the group is left, close the pipes, reap, remove the input
        files. Idempotent."""
        try:
            if self._release.alive:
                self._state.stop(signal.SIGKILL)
                self._close_pending = True
                self._drive(lambda: True, 0)
        finally:
            self._files.remove()

    def _drive(self, done: Callable[[], bool], timeout: float | None) -> None:
        """Serve the pipes until ``done()`` or ``timeout``, as the only thread doing so.

        When this thread is already serving them (a signal handler interrupted the read),
        return at once: the read it interrupted was woken, and sees whatever changed.
        """
        if not self._lock.acquire(blocking=False):
            self._wakeup.wake()  # another thread reads: let it look at the run, then take over
            self._lock.acquire()
        try:
            if self._driving:
                self._wakeup.wake()
                return
            self._driving = True
            try:
                if self._release.alive:
                    self._run_until(done, timeout)
            finally:
                self._driving = False
            if self._close_pending:
                self._release()  # the group was SIGKILLed: this blocks for moments at most
        finally:
            self._lock.release()

    def _run_until(self, done: Callable[[], bool], timeout: float | None) -> None:
        """Serve the pipes until ``done()`` or ``timeout`` (at least one non-blocking look)."""
        state, deadline = self._state, _deadline(timeout)
        looked = False
        while True:
            state.settle()
            if done():
                return
            wait = state.wakeup_in()
            if deadline is not None:
                remaining = max(0.0, deadline - time.monotonic())
                if looked and remaining == 0:
                    return
                wait = remaining if wait is None else min(wait, remaining)
            if wait is not None:
                wait = min(wait, _MAX_SELECT_SECONDS)
            for key, _ in self._selector.select(wait):
                if key.fd == self._wakeup.read_fd:
                    self._wakeup.clear()
                else:
                    state.on_ready(key.fd)
            looked = True


class _WakeupPipe:
    """A pipe whose read end a selector watches, so a signal handler or a thread can wake it."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        for fd in (self.read_fd, self.write_fd):
            os.set_blocking(fd, False)

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # full (a wake-up is pending anyway) or closed
            os.write(self.write_fd, b"\0")

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self.read_fd, 4096):
                pass

    def close(self) -> None:
        os.close(self.read_fd)
        os.close(self.write_fd)


def _unregister(selector: selectors.BaseSelector, fd: int) -> None:
    with contextlib.suppress(KeyError):
        selector.unregister(fd)


def _release_sync(state: RunState, selector: selectors.BaseSelector, wakeup: _WakeupPipe) -> None:
    """End a sync handle's run and close its fds (from :meth:`SubprocessHandle.close`, or at its
    collection or interpreter exit: it holds no reference to the handle)."""
    state.discard()
    selector.close()
    wakeup.close()


class AsyncSubprocessHandle(_HandleBase):
    """A started process, driven by the event loop: see :class:`~codex_local_sdk.ports.AsyncProcessHandle`.

    No thread: the pipes and the pidfd are watched with ``loop.add_reader``/``add_writer``
    (without a pidfd, the exit is polled with ``loop.call_later``). Use it on the loop
    that started it. Built by :meth:`SubprocessRunner.start_async`, on a running loop.
    A handle the loop no longer holds (the loop was closed) has its group killed and its fds
    closed when it is garbage-collected, or at interpreter exit; :meth:`discard` does it at
    once, from synchronous code.

    Args:
        popen: the started child.
        stdin: the bytes to write to its stdin.
        runner: the runner, for its limits.
        files: the run's files, removed on :meth:`close`.

    Raises:
        RuntimeError: no event loop is running.
    """

    def __init__(
        self, popen: subprocess.Popen[bytes], stdin: bytes, runner: SubprocessRunner, files: LocalFiles
    ) -> None:
        self._files = files
        self._loop = asyncio.get_running_loop()
        self._watched: dict[int, bool] = {}
        self._waiters: set[asyncio.Future[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._state = runner._run_state(popen, stdin, functools.partial(_unwatch, self._loop, self._watched))
        self._release = weakref.finalize(self, self._state.discard)
        for fd, write in self._state.watched().items():
            (self._loop.add_writer if write else self._loop.add_reader)(fd, self._on_ready, fd)
            self._watched[fd] = write
        self._update()

    def _on_ready(self, fd: int) -> None:
        self._state.on_ready(fd)
        self._update()

    def _update(self) -> None:
        """Settle the run, arm the timer it needs, and wake every waiting task."""
        self._state.settle()
        self._arm_timer(self._state.wakeup_in())
        self._wake_waiters()

    def _wake_waiters(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    def _arm_timer(self, delay: float | None) -> None:
        timer = self._timer
        if delay is None:
            if timer is not None:
                timer.cancel()
                self._timer = None
            return
        when = self._loop.time() + delay
        if timer is not None and timer.when() <= when + 0.001:
            return  # the armed one fires soon enough, and re-arms when it does
        if timer is not None:
            timer.cancel()
        self._timer = self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._update()

    async def _next_change(self, deadline: float | None) -> bool:
        """Wait for the next event of this run; ``False`` when ``deadline`` passed first."""
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return False
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiters.add(waiter)
        timer = None if remaining is None else self._loop.call_later(remaining, _resolve, waiter)
        try:
            await waiter
        finally:
            self._waiters.discard(waiter)
            if timer is not None:
                timer.cancel()
        return True

    async def _run_until(self, done: Callable[[], bool], timeout: float | None) -> None:
        deadline = _deadline(timeout)
        while not done() and await self._next_change(deadline):
            pass

    async def read_lines(self, timeout: float | None) -> list[bytes] | None:
        """As :meth:`SubprocessHandle.read_lines`. Cancelling it leaves the process running
        until :meth:`close`."""
        state = self._state
        await self._run_until(lambda: bool(state.lines) or state.finished or state.stdout_ended, timeout)
        if state.lines:
            return state.take_lines()
        return None if state.finished or state.stdout_ended else []

    async def wait(self, timeout: float | None = None) -> int | None:
        """As :meth:`SubprocessHandle.wait`."""
        await self._run_until(lambda: self._state.finished, timeout)
        return self.returncode

    async def terminate(self, grace_seconds: float) -> None:
        """As :meth:`SubprocessHandle.terminate`."""
        self._state.stop(signal.SIGTERM, grace_seconds)
        self._update()  # arms the timer of the SIGKILL
        await self.wait()

    async def kill(self) -> None:
        """As :meth:`SubprocessHandle.kill`."""
        self._state.stop(signal.SIGKILL)
        await self.wait()

    async def close(self) -> None:
        """SIGKILL whatever of the group is left, close the pipes, reap, remove the input
        files. Idempotent.

        The kill and the closing happen at once, before the first ``await``; then the
        leader's exit is awaited on the loop. If this task is cancelled meanwhile, the
        leader (already SIGKILLed) is reaped synchronously and the cancellation goes on.
        """
        state = self._state
        state.abandon()
        try:
            self._update()  # settles at once if the leader has already exited
            while not state.finished:
                await self._next_change(None)
        except BaseException:
            state.reap()
            raise
        finally:
            self._arm_timer(None)
            self._release.detach()
            self._files.remove()

    def discard(self) -> None:
        """End the run at once, without awaiting: SIGKILL the group, close the pipes and the
        pidfd, reap the leader (a moment: it was just SIGKILLed). Idempotent.

        For a finaliser (a live run garbage-collected, or left open at interpreter exit), which
        cannot await :meth:`close`, and where a task scheduled to close might never finish: the
        loop may close first. Safe on any thread: when the loop runs in another one, which
        alone may touch the fds it watches, the group is SIGKILLed at once and the fds are
        released on the loop (or when this handle is collected, if the loop closes first).
        """
        self._state.signal_group(signal.SIGKILL)
        if _runs_in_another_thread(self._loop):
            with contextlib.suppress(RuntimeError):  # closed meanwhile: the handle's collection releases it
                self._loop.call_soon_threadsafe(self._discard_here)
            return
        self._discard_here()

    def _discard_here(self) -> None:
        self._release()
        self._arm_timer(None)
        if not self._loop.is_closed():  # a task waiting on this handle sees the end
            self._wake_waiters()


def _runs_in_another_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        current = None
    return loop.is_running() and current is not loop


def _unwatch(loop: asyncio.AbstractEventLoop, watched: dict[int, bool], fd: int) -> None:
    """Stop watching ``fd`` (a no-op once the loop is closed). Holds no reference to the handle,
    so that a handle the loop let go of can be collected."""
    write = watched.pop(fd, None)
    if write is not None:
        (loop.remove_writer if write else loop.remove_reader)(fd)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
