"""The I/O state of one run, shared by the sync and the asyncio handles of SubprocessRunner.

:class:`RunState` owns the child, its three pipes and (where the OS has one) a pidfd. Every
method does what can be done *now* without blocking; the handles decide *when* to call
them (``selectors`` for the sync handle, ``loop.add_reader`` for the async one), so both
share every rule:

* The leader is never reaped before its group was signalled: its exit is learnt with
  ``waitid(WNOWAIT)``, which leaves it a zombie, so its pid — the group id — cannot be
  reused while we still signal the group.
* After the leader exits, its pipes get ``drain_seconds`` to reach EOF (a grandchild may
  hold them open). Then the rest of the group is SIGKILLed and whatever is already in the
  pipes is read, so nothing the leader wrote is lost, however slowly the caller reads.
* A file descriptor is always unwatched (``unwatch(fd)``) before it is closed, so a
  selector never holds a closed fd whose number the OS may hand out again.
* A stop is asked for with :meth:`RunState.stop`, which only signals the group and notes
  when SIGKILL is due: it is safe from a signal handler or another thread, and whoever
  drives the run next (:meth:`RunState.settle`) escalates on time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from typing import IO

from adapters.bundled_cli import with_bundled_codex
from codex_local_sdk._jsonl import LineFramer
from codex_local_sdk.errors import CodexError, CodexNotInstalledError, CodexSpawnError
from codex_local_sdk.ports import ProcessSpec, child_env

POLL_SECONDS = 0.05
"""How often the exit is polled where the OS has no pidfd."""

_FINAL_DRAIN_READS = 64  # bounds the last drain even if a killed writer is still racing us


def spawn(spec: ProcessSpec) -> subprocess.Popen[bytes]:
    """Start ``spec`` in a new session with three non-blocking pipes; map OS errors once.

    The child's environment is ``os.environ`` as the spec's ``env_allowlist`` cuts it, with
    the spec's ``env`` on top; a bare ``codex`` missing from its ``PATH`` runs the bundled CLI
    of ``openai-codex-cli-bin`` when that is installed (:mod:`adapters.bundled_cli`).

    Raises:
        ValueError: ``spec.argv`` is empty.
        CodexNotInstalledError: the executable, or the interpreter its ``#!`` line names,
            was not found.
        CodexSpawnError: anything else (a missing or unusable ``cwd``, permissions, limits).
    """
    if not spec.argv:
        raise ValueError("ProcessSpec.argv must name a program")
    binary = spec.argv[0]
    if spec.cwd is not None and not os.path.isdir(spec.cwd):
        raise CodexSpawnError(binary, f"the working directory {spec.cwd!r} is not an existing directory")
    argv, env = with_bundled_codex(spec.argv, child_env(os.environ, spec))
    try:
        popen = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=spec.cwd,
            env=env,
            start_new_session=True,
            bufsize=0,
        )
    except OSError as exc:
        # Popen names the directory in the error when chdir failed, the program otherwise.
        if spec.cwd is not None and exc.filename == spec.cwd:
            reason = f"cannot use the working directory {spec.cwd!r}: {exc.strerror}"
            raise CodexSpawnError(binary, reason) from None
        if isinstance(exc, FileNotFoundError):
            raise _not_found(binary, env.get("PATH", os.defpath), spec.cwd) from None
        if isinstance(exc, PermissionError):
            raise CodexSpawnError(binary, f"permission denied ({exc.strerror}); is it executable?") from None
        raise CodexSpawnError(binary, str(exc)) from None
    for stream in (popen.stdin, popen.stdout, popen.stderr):
        assert stream is not None
        os.set_blocking(stream.fileno(), False)
    return popen


def _not_found(binary: str, search_path: str, cwd: str | None) -> CodexError:
    """What a "no such file" from exec means: ``binary`` is missing, or it exists and what
    runs it is (the interpreter of its ``#!`` line, or a binary's dynamic loader)."""
    found = shutil.which(binary, path=search_path) if "/" not in binary else os.path.join(cwd or "", binary)
    if found is None or not os.path.isfile(found):
        return CodexNotInstalledError(binary, search_path)
    try:
        with open(found, "rb") as file:
            first_line = file.readline(4096)
    except OSError:
        first_line = b""
    words = first_line[2:].split() if first_line.startswith(b"#!") else []
    if words:
        return CodexNotInstalledError(binary, search_path, interpreter=os.fsdecode(words[0]))
    return CodexSpawnError(
        binary,
        f"{found!r} exists, but the system found no program to run it with (a missing dynamic loader?)",
    )


def _open_pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)  # Linux >= 5.3, Python >= 3.9
    except (AttributeError, OSError):
        return None


class RunState:
    """One child and its pipes: non-blocking I/O steps, exit bookkeeping and group signals.

    Args:
        popen: the child, from :func:`spawn`.
        stdin: the bytes to write to its stdin before closing it.
        unwatch: called with an fd just before it is closed, so the handle can stop
            watching it first.
    """

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        stdin: bytes,
        *,
        unwatch: Callable[[int], None],
        stderr_limit_bytes: int,
        read_chunk_bytes: int,
        drain_seconds: float,
        max_line_bytes: int | None = None,
    ) -> None:
        assert popen.stdin is not None and popen.stdout is not None and popen.stderr is not None
        self.popen = popen
        self.pgid = popen.pid  # start_new_session: the leader's pid is the group id
        self.lines: list[bytes] = []
        self.stderr = bytearray()
        self.exited_at: float | None = None
        self.kill_at: float | None = None
        self.finished = False
        self._reaping = False
        self._unwatch = unwatch
        self._stderr_limit = stderr_limit_bytes
        self._chunk = read_chunk_bytes
        self._drain_seconds = drain_seconds
        self._framer = LineFramer(max_line_bytes)
        self._stdin_data = memoryview(stdin)
        self.pidfd = _open_pidfd(popen.pid)
        self.stdin: IO[bytes] | None = popen.stdin
        self.stdout: IO[bytes] | None = popen.stdout
        self.stderr_pipe: IO[bytes] | None = popen.stderr
        self.write_stdin()  # a small prompt is delivered before anyone waits

    def watched(self) -> dict[int, bool]:
        """The fds to watch, ``True`` for writing, ``False`` for reading; each is unwatched as it closes."""
        fds = {pipe.fileno(): False for pipe in (self.stdout, self.stderr_pipe) if pipe is not None}
        if self.stdin is not None:
            fds[self.stdin.fileno()] = True
        if self.pidfd is not None:
            fds[self.pidfd] = False
        return fds

    def on_ready(self, fd: int) -> None:
        """Service ``fd``, which the selector reported ready."""
        if self.stdout is not None and fd == self.stdout.fileno():
            self.read_stdout()
        elif self.stderr_pipe is not None and fd == self.stderr_pipe.fileno():
            self.read_stderr()
        elif self.stdin is not None and fd == self.stdin.fileno():
            self.write_stdin()
        else:
            self.check_exit()

    # -- pipes ----------------------------------------------------------------------------

    def write_stdin(self) -> None:
        if self.stdin is None:
            return
        if self._stdin_data:
            try:
                written = os.write(self.stdin.fileno(), self._stdin_data)
            except BlockingIOError:
                return
            except OSError:  # BrokenPipe: the child will not read; the rest is not ours to feed
                written = len(self._stdin_data)
            self._stdin_data = self._stdin_data[written:]
        if not self._stdin_data:
            self._close(self.stdin)
            self.stdin = None

    def read_stdout(self) -> bool:
        """Read one chunk of stdout; ``False`` when nothing was there."""
        data = self._read(self.stdout)
        if data is None:
            return False
        if data:
            self.lines += self._framer.feed(data)
        else:
            self.lines += self._framer.flush()
            self._close(self.stdout)
            self.stdout = None
        return True

    def read_stderr(self) -> bool:
        """Read one chunk of stderr, keeping only its last ``stderr_limit_bytes``."""
        data = self._read(self.stderr_pipe)
        if data is None:
            return False
        if data:
            self.stderr += data
            excess = len(self.stderr) - self._stderr_limit
            if excess > 0:
                del self.stderr[:excess]  # bytearray deletes from the front in O(1)
        else:
            self._close(self.stderr_pipe)
            self.stderr_pipe = None
        return True

    def _read(self, pipe: IO[bytes] | None) -> bytes | None:
        """Bytes read, ``b""`` at EOF, ``None`` when nothing is there (or no pipe)."""
        if pipe is None:
            return None
        try:
            return os.read(pipe.fileno(), self._chunk)
        except BlockingIOError:
            return None

    @property
    def stdout_ended(self) -> bool:
        """Whether stdout reached its end (or was released), whether or not the leader exited."""
        return self.stdout is None

    def take_lines(self) -> list[bytes]:
        lines, self.lines = self.lines, []
        return lines

    def _close(self, pipe: IO[bytes] | None) -> None:
        if pipe is not None:
            self._unwatch(pipe.fileno())
            with contextlib.suppress(OSError):
                pipe.close()

    def _release_pipes(self) -> None:
        if self.stdout is not None:
            self.lines += self._framer.flush()
        pipes = (self.stdin, self.stdout, self.stderr_pipe)
        self.stdin = self.stdout = self.stderr_pipe = None  # taken first: see discard()
        for pipe in pipes:
            self._close(pipe)

    # -- the exit and the group -----------------------------------------------------------

    def check_exit(self) -> bool:
        """Whether the leader has exited. It is left unreaped, so its group id stays ours."""
        if self.exited_at is None and _has_exited(self.popen):
            self.exited_at = time.monotonic()
            self._close_pidfd()
        return self.exited_at is not None

    def wakeup_in(self) -> float | None:
        """Seconds until :meth:`settle` is due for a time-based reason, ``None`` for no reason."""
        if self.finished:
            return None
        due = [self.kill_at] if self.kill_at is not None else []
        if self.exited_at is not None:
            due.append(self.exited_at + self._drain_seconds)
        elif self.pidfd is None:
            due.append(time.monotonic() + POLL_SECONDS)
        return max(0.0, min(due) - time.monotonic()) if due else None

    def settle(self) -> bool:
        """Finish once the leader exited and its pipes ended or had their drain time; ``finished``.

        A SIGKILL that :meth:`stop` scheduled is sent here once it is due.
        """
        if self.kill_at is not None and time.monotonic() >= self.kill_at:
            self.kill_at = None
            self.signal_group(signal.SIGKILL)
        if self.finished or not self.check_exit():
            return self.finished
        assert self.exited_at is not None
        self._drain()  # the leader is gone: usually its pipes hold the rest of its output, then EOF
        pipes_open = self.stdout is not None or self.stderr_pipe is not None
        if pipes_open and time.monotonic() < self.exited_at + self._drain_seconds:
            return False
        self.signal_group(signal.SIGKILL)  # whatever of the group is left, before the reap
        self._drain()  # what is already in the pipes
        self._release_pipes()
        self.reap()
        return True

    def _drain(self) -> None:
        """Read the pipes until they are empty or at EOF (bounded by their size)."""
        for _ in range(_FINAL_DRAIN_READS):
            got_stdout = self.read_stdout()
            if not self.read_stderr() and not got_stdout:
                break

    def stop(self, sig: int, grace_seconds: float = 0.0) -> None:
        """Send ``sig`` to the group; after a SIGTERM, SIGKILL is due ``grace_seconds`` later.

        Only a signal and a note: safe from a signal handler or another thread. The SIGKILL is
        sent by :meth:`settle`, so the run must be driven (or reaped after a kill) to end.
        """
        if sig == signal.SIGTERM and self.kill_at is None:
            self.kill_at = time.monotonic() + grace_seconds
        self.signal_group(sig)

    def signal_group(self, sig: int) -> None:
        """Send ``sig`` to the whole group, unless :meth:`reap` ran (the id may be reused then)."""
        if not self.finished:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pgid, sig)

    def abandon(self) -> None:
        """SIGKILL the group and close the pipes; the leader is left for :meth:`reap`."""
        if not self.finished:
            self.signal_group(signal.SIGKILL)
            self._release_pipes()

    def discard(self) -> None:
        """SIGKILL the group, close the pipes and reap the leader: the end of an abandoned run.

        It may run from a finaliser that the garbage collector started in the middle of this
        state's own work on the same thread: each fd is taken before it is closed and the
        reap is not entered twice, so the interrupted work finds them gone, not closed twice.
        """
        self.abandon()
        self.reap()

    def reap(self) -> None:
        """Reap the leader, blocking until it exits; call it after the group was signalled."""
        if self.finished or self._reaping:
            return
        self._reaping = True  # Popen.wait() holds a lock that a nested wait would block on
        try:
            self.popen.wait()
        finally:
            self._reaping = False
        self._close_pidfd()
        self._release_pipes()
        self.finished = True

    def _close_pidfd(self) -> None:
        pidfd, self.pidfd = self.pidfd, None
        if pidfd is not None:
            self._unwatch(pidfd)
            os.close(pidfd)


def _has_exited(popen: subprocess.Popen[bytes]) -> bool:
    if popen.returncode is not None:
        return True
    if not hasattr(os, "waitid"):
        # macOS has no waitid: poll() reaps, so the group is signalled after the leader's reap
        # there (still safe while any member lives: a group's id is not reused while it has one).
        return popen.poll() is not None
    try:
        info = os.waitid(os.P_PID, popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # someone else reaped it
        return True
    return info is not None
