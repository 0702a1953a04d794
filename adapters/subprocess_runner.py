"""SubprocessRunner: the real ProcessRunner, for synchronous code and for asyncio.

Every run starts in its own session (so its own process group), with argv only — never a
shell — and stdin written from the prompt bytes, then closed. Both sides are single-threaded:
the sync handle multiplexes the pipes with ``selectors``, the async handle registers them
with the event loop, so 500 concurrent async runs cost no thread at all (unlike
``asyncio.create_subprocess_exec``, whose default child watcher on Python < 3.12 starts a
thread per child).

The leader's exit is watched without reaping it (a pidfd where the OS has them, else
``waitid(WNOWAIT)`` polling), so the group can still be signalled safely: whatever is left of
it — the shells ``codex exec`` started, a grandchild holding the pipes — is SIGKILLed before
the leader is reaped. No process of a run outlives its handle.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import selectors
import signal
import subprocess
import time

from codex_local_sdk.errors import CodexNotInstalledError, CodexSpawnError
from codex_local_sdk.jsonl import LineFramer
from codex_local_sdk.ports import ProcessSpec

_POLL_SECONDS = 0.05  # exit polling where the OS has no pidfd


class SubprocessRunner:
    """Starts processes with :mod:`subprocess`, each in a new process group.

    Args:
        stderr_limit_bytes: how much of the end of stderr to keep.
        drain_seconds: after the leader exits, how long to wait for its pipes to close
            before the rest of its group is killed (a grandchild may hold them open).
        read_chunk_bytes: the size of each read from stdout and stderr.
    """

    def __init__(
        self,
        *,
        stderr_limit_bytes: int = 1 << 20,
        drain_seconds: float = 0.2,
        read_chunk_bytes: int = 1 << 18,
    ) -> None:
        self.stderr_limit_bytes = stderr_limit_bytes
        self.drain_seconds = drain_seconds
        self.read_chunk_bytes = read_chunk_bytes

    def start(self, spec: ProcessSpec) -> SubprocessHandle:
        """Start ``spec``; see :class:`~codex_local_sdk.ports.ProcessRunner`."""
        return SubprocessHandle(_Process(_spawn(spec), spec.stdin, self))

    async def start_async(self, spec: ProcessSpec) -> AsyncSubprocessHandle:
        """Start ``spec`` for asyncio; see :class:`~codex_local_sdk.ports.ProcessRunner`."""
        return AsyncSubprocessHandle(_Process(_spawn(spec), spec.stdin, self))


def _spawn(spec: ProcessSpec) -> subprocess.Popen[bytes]:
    binary = spec.argv[0]
    if spec.cwd is not None and not os.path.isdir(spec.cwd):
        raise CodexSpawnError(binary, f"the working directory {spec.cwd!r} does not exist")
    env = {**os.environ, **spec.env}
    try:
        return subprocess.Popen(
            list(spec.argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=spec.cwd,
            env=env,
            start_new_session=True,
            bufsize=0,
        )
    except FileNotFoundError:
        raise CodexNotInstalledError(binary, env.get("PATH", os.defpath)) from None
    except PermissionError as exc:
        raise CodexSpawnError(binary, f"permission denied ({exc.strerror}); is it executable?") from None
    except OSError as exc:
        raise CodexSpawnError(binary, str(exc)) from None


class _Process:
    """One child and its pipes: non-blocking I/O steps and group signals, no waiting.

    The sync and async handles decide *when* to call these steps; this class decides *what*
    each step does, so the two handles share every rule.
    """

    def __init__(self, popen: subprocess.Popen[bytes], stdin: bytes, runner: SubprocessRunner) -> None:
        self.popen = popen
        self.pgid = popen.pid  # start_new_session: the leader's pid is the group id
        self.runner = runner
        self.framer = LineFramer()
        self.lines: list[bytes] = []
        self.stderr = bytearray()
        self.exited_at: float | None = None
        self.finished = False
        self.pidfd = _open_pidfd(popen.pid)
        assert popen.stdin and popen.stdout and popen.stderr
        self.stdout_fd: int | None = popen.stdout.fileno()
        self.stderr_fd: int | None = popen.stderr.fileno()
        self.stdin_fd: int | None = popen.stdin.fileno()
        for fd in (self.stdout_fd, self.stderr_fd, self.stdin_fd):
            os.set_blocking(fd, False)
        self._stdin = memoryview(stdin)
        if not stdin:
            self.close_stdin()

    # -- I/O steps (each call does what can be done without blocking) --------------------

    def write_stdin(self) -> None:
        if self.stdin_fd is None:
            return
        try:
            written = os.write(self.stdin_fd, self._stdin[: 1 << 16])
        except BlockingIOError:
            return
        except OSError:  # BrokenPipe: the child exited or closed stdin; it is not ours to feed
            written = len(self._stdin)
        self._stdin = self._stdin[written:]
        if not self._stdin:
            self.close_stdin()

    def close_stdin(self) -> None:
        if self.popen.stdin is not None:
            with contextlib.suppress(OSError):
                self.popen.stdin.close()
        self.stdin_fd = None

    def read_stdout(self) -> None:
        data = self._read(self.stdout_fd)
        if data is None:
            return
        if data:
            self.lines += self.framer.feed(data)
        else:
            self.lines += self.framer.flush()
            self.stdout_fd = None

    def read_stderr(self) -> None:
        data = self._read(self.stderr_fd)
        if data is None:
            return
        if data:
            self.stderr += data
            excess = len(self.stderr) - self.runner.stderr_limit_bytes
            if excess > 0:
                del self.stderr[:excess]
        else:
            self.stderr_fd = None

    def _read(self, fd: int | None) -> bytes | None:
        """Bytes read, ``b""`` at EOF, ``None`` when nothing is there (or no pipe)."""
        if fd is None:
            return None
        try:
            return os.read(fd, self.runner.read_chunk_bytes)
        except BlockingIOError:
            return None

    def take_lines(self) -> list[bytes]:
        lines, self.lines = self.lines, []
        return lines

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def pipes_open(self) -> bool:
        return self.stdout_fd is not None or self.stderr_fd is not None

    def check_exit(self) -> bool:
        """Whether the leader has exited (it stays unreaped, so its group id stays ours)."""
        if self.exited_at is None and _has_exited(self.popen):
            self.exited_at = time.monotonic()
        return self.exited_at is not None

    def drain_expired(self) -> bool:
        """The leader exited ``drain_seconds`` ago and something still holds its pipes."""
        return self.exited_at is not None and time.monotonic() - self.exited_at >= self.runner.drain_seconds

    def signal_group(self, sig: int) -> None:
        if self.popen.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pgid, sig)

    def finish(self) -> None:
        """Kill what is left of the group, close every pipe, reap the leader. Idempotent."""
        if self.finished:
            return
        self.signal_group(signal.SIGKILL)
        if self.stdout_fd is not None:
            self.lines += self.framer.flush()
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()
        self.stdout_fd = self.stderr_fd = None
        self.close_stdin()
        self.popen.wait()
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        self.finished = True

    @property
    def stderr_tail(self) -> bytes:
        return bytes(self.stderr)


def _open_pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)  # Linux >= 5.3
    except (AttributeError, OSError):
        return None


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _has_exited(popen: subprocess.Popen[bytes]) -> bool:
    if popen.returncode is not None:
        return True
    try:
        info = os.waitid(os.P_PID, popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


class SubprocessHandle:
    """A running process, driven synchronously (see :class:`~codex_local_sdk.ports.ProcessHandle`)."""

    def __init__(self, process: _Process) -> None:
        self._process = process
        self._selector = selectors.DefaultSelector()
        self._registered: set[int] = set()

    @property
    def pid(self) -> int:
        """The leader's pid, which is also the process group id."""
        return self._process.popen.pid

    @property
    def returncode(self) -> int | None:
        """The exit code once reaped (``-N`` for signal ``N``)."""
        return self._process.popen.returncode

    def read_lines(self, timeout: float | None) -> list[bytes] | None:
        """Complete stdout lines as soon as there are any; ``[]`` on timeout; ``None`` at the end."""
        process = self._process
        deadline = _deadline(timeout)
        while not process.lines and not process.finished:
            if not self._advance(deadline):
                return []
        return process.take_lines() if process.lines else None

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the exit (and the pipes to drain); the code, or ``None`` after ``timeout``."""
        deadline = _deadline(timeout)
        while not self._process.finished:
            if not self._advance(deadline):
                return None
        return self.returncode

    def _advance(self, deadline: float | None) -> bool:
        """Make one step of progress; ``False`` when ``deadline`` has passed."""
        process = self._process
        if process.check_exit() and (not process.pipes_open or process.drain_expired()):
            self._finish()
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
        self._step(self._wait_seconds(deadline))
        return True

    def _wait_seconds(self, deadline: float | None) -> float | None:
        process = self._process
        limits = [] if deadline is None else [deadline - time.monotonic()]
        if process.exited_at is not None:
            limits.append(process.exited_at + process.runner.drain_seconds - time.monotonic())
        elif process.pidfd is None:
            limits.append(_POLL_SECONDS)
        return max(0.0, min(limits)) if limits else None

    def _step(self, wait: float | None) -> None:
        """Wait up to ``wait`` seconds for any pipe or the exit, and service what is ready."""
        process = self._process
        wanted = {
            fd: (selectors.EVENT_WRITE if fd == process.stdin_fd else selectors.EVENT_READ)
            for fd in (process.stdout_fd, process.stderr_fd, process.stdin_fd)
            if fd is not None
        }
        if process.pidfd is not None and process.exited_at is None:
            wanted[process.pidfd] = selectors.EVENT_READ
        self._sync_registrations(wanted)
        for key, _ in self._selector.select(wait):
            fd = key.fd
            if fd == process.stdout_fd:
                process.read_stdout()
            elif fd == process.stderr_fd:
                process.read_stderr()
            elif fd == process.stdin_fd:
                process.write_stdin()
            else:
                process.check_exit()

    def _sync_registrations(self, wanted: dict[int, int]) -> None:
        for fd in self._registered - wanted.keys():
            self._selector.unregister(fd)
        for fd, events in wanted.items():
            if fd in self._registered:
                self._selector.modify(fd, events)
            else:
                self._selector.register(fd, events)
        self._registered = set(wanted)

    def stderr_tail(self) -> bytes:
        """The last ``stderr_limit_bytes`` of stderr."""
        return self._process.stderr_tail

    def terminate(self, grace_seconds: float) -> None:
        """SIGTERM the group; SIGKILL it if the leader outlives ``grace_seconds``; reap."""
        self._process.signal_group(signal.SIGTERM)
        if self.wait(grace_seconds) is None:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the group and reap the leader."""
        self._process.signal_group(signal.SIGKILL)
        self.wait()

    def close(self) -> None:
        """Kill what is left of the group, close the pipes, reap. Idempotent."""
        self._finish()
        self._selector.close()

    def _finish(self) -> None:
        self._sync_registrations({})
        self._process.finish()


class AsyncSubprocessHandle:
    """A running process, driven by the asyncio event loop (see
    :class:`~codex_local_sdk.ports.AsyncProcessHandle`). No thread is involved: the pipes and
    the pidfd are watched with ``loop.add_reader``/``add_writer``."""

    def __init__(self, process: _Process) -> None:
        self._process = process
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._watched: dict[int, str] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._watch()

    @property
    def pid(self) -> int:
        """The leader's pid, which is also the process group id."""
        return self._process.popen.pid

    @property
    def returncode(self) -> int | None:
        """The exit code once reaped (``-N`` for signal ``N``)."""
        return self._process.popen.returncode

    def _watch(self) -> None:
        """Make the loop's watchers match what the process still needs; wake up waiters."""
        process = self._process
        if (
            not process.finished
            and process.check_exit()
            and (not process.pipes_open or process.drain_expired())
        ):
            self._finish()
            return
        wanted: dict[int, str] = {fd: "r" for fd in (process.stdout_fd, process.stderr_fd) if fd is not None}
        if process.stdin_fd is not None:
            wanted[process.stdin_fd] = "w"
        if process.pidfd is not None and process.exited_at is None:
            wanted[process.pidfd] = "r"
        self._set_watchers(wanted)
        self._schedule_timer()
        self._changed.set()

    def _set_watchers(self, wanted: dict[int, str]) -> None:
        for fd, kind in list(self._watched.items()):
            if wanted.get(fd) != kind:
                (self._loop.remove_writer if kind == "w" else self._loop.remove_reader)(fd)
                del self._watched[fd]
        for fd, kind in wanted.items():
            if fd not in self._watched:
                add = self._loop.add_writer if kind == "w" else self._loop.add_reader
                add(fd, self._on_ready, fd)
                self._watched[fd] = kind

    def _schedule_timer(self) -> None:
        """Wake up at the end of the drain window, or to poll for the exit without a pidfd."""
        process = self._process
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if process.finished:
            return
        if process.exited_at is not None:
            delay = process.exited_at + process.runner.drain_seconds - time.monotonic()
        elif process.pidfd is None:
            delay = _POLL_SECONDS
        else:
            return
        self._timer = self._loop.call_later(max(0.0, delay), self._watch)

    def _on_ready(self, fd: int) -> None:
        process = self._process
        if fd == process.stdout_fd:
            process.read_stdout()
        elif fd == process.stderr_fd:
            process.read_stderr()
        elif fd == process.stdin_fd:
            process.write_stdin()
        self._watch()

    def _finish(self) -> None:
        self._set_watchers({})
        self._process.finish()
        self._schedule_timer()
        self._changed.set()

    async def _wait_for_change(self, deadline: float | None) -> bool:
        """Wait until something happens; ``False`` when ``deadline`` passed first."""
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return False
        self._changed.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    async def read_lines(self, timeout: float | None) -> list[bytes] | None:
        """As :meth:`SubprocessHandle.read_lines`."""
        process = self._process
        deadline = _deadline(timeout)
        while not process.lines and not process.finished:
            if not await self._wait_for_change(deadline):
                return []
        return process.take_lines() if process.lines else None

    async def wait(self, timeout: float | None = None) -> int | None:
        """As :meth:`SubprocessHandle.wait`."""
        deadline = _deadline(timeout)
        while not self._process.finished:
            if not await self._wait_for_change(deadline):
                return None
        return self.returncode

    def stderr_tail(self) -> bytes:
        """The last ``stderr_limit_bytes`` of stderr."""
        return self._process.stderr_tail

    async def terminate(self, grace_seconds: float) -> None:
        """As :meth:`SubprocessHandle.terminate`."""
        self._process.signal_group(signal.SIGTERM)
        if await self.wait(grace_seconds) is None:
            await self.kill()

    async def kill(self) -> None:
        """As :meth:`SubprocessHandle.kill`."""
        self._process.signal_group(signal.SIGKILL)
        await self.wait()

    async def close(self) -> None:
        """Kill what is left of the group, close the pipes, reap. Idempotent; it does not
        wait on the loop, so it completes inside a cancelled task's ``finally``."""
        self._finish()
