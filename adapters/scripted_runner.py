"""ScriptedRunner: a fake ProcessRunner that replays scripted runs and records every call.

Like httpx's ``MockTransport``, it is a first-class adapter: tests build
``CodexLocalClient(runner=ScriptedRunner([...]), clock=clock)`` and never patch ``subprocess``.

>>> clock = FakeClock()
>>> runner = ScriptedRunner([ScriptedRun.failure("rate limited"), ScriptedRun.success("hi")],
...                         clock=clock)
>>> client = CodexLocalClient(runner=runner, clock=clock,
...                           retry_policy=RetryPolicy(max_attempts=2))
>>> client.run_prompt("hello").final_message
'hi'
>>> len(runner.calls)
2

Time passes on the runner's clock. On the :class:`~adapters.clock.FakeClock` shared with the
client (the default) it advances instantly: a run takes ``duration_seconds`` after its output,
a :class:`Pause` among its lines holds the next ones back, and a ``hang`` run never exits on
its own, so the client's timeout ends it — instantly in wall time. On any other clock, such as
:class:`~adapters.clock.SystemClock`, the same time passes for real.

The scripted CLI is the pinned one: ``codex --version`` (which the client starts when a run
depends on the CLI's version) is answered with ``codex-cli 0.169.0`` without taking a run from
the script. Give ``version_output=`` another text to play an older CLI, or ``None`` to script
the ``--version`` runs like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import signal
import threading
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from codex_local_sdk.errors import CodexNotInstalledError
from codex_local_sdk.ports import Clock, ProcessSpec
from codex_local_sdk.versions import NEWEST_READ

from .clock import FakeClock
from .local_files import check_required_files

T = TypeVar("T")


def _check_seconds(instance: object, attribute: attrs.Attribute[float], seconds: float) -> None:
    name = f"{type(instance).__name__} {attribute.name}"
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{name} must be a number, got {seconds!r}")
    if not 0 <= seconds < math.inf:  # NaN too
        raise ValueError(f"{name} must be finite and >= 0, got {seconds!r} (hang=True never ends)")


@attrs.frozen
class Pause:
    """A pause between two scripted stdout lines: the process prints nothing for ``seconds``.

    A read during the pause waits for the rest of it, or for the read's timeout if that comes
    first, and returns no lines then: so the client's ``timeout_seconds`` can end a run
    mid-pause, and a live run sees each event when it is printed.

    For example, ``ScriptedRun(stdout=[{"type": "turn.started"}, Pause(10), {"type": "turn.completed"}])``.

    Attributes:
        seconds: how long, finite and ``>= 0``.

    Raises:
        ValueError: a negative, infinite or NaN ``seconds`` (``hang=True`` scripts a run that
            never ends).
        TypeError: ``seconds`` is not a number.
    """

    seconds: float = attrs.field(validator=_check_seconds)


StdoutLine = str | Mapping[str, Any] | Pause
"""One scripted stdout step: a string printed as it is, a mapping printed as JSON, or a
:class:`Pause`."""


def _to_steps(lines: Iterable[StdoutLine]) -> tuple[bytes | Pause, ...]:
    return tuple(_to_step(line) for line in lines)


def _to_step(line: StdoutLine) -> bytes | Pause:
    if isinstance(line, Pause):
        return line
    return (line if isinstance(line, str) else json.dumps(line)).encode("utf-8")


@attrs.frozen(kw_only=True)
class ScriptedRun:
    """What one scripted process does.

    Attributes:
        stdout: the lines it prints: strings as they are, mappings as JSON, with a
            :class:`Pause` wherever time passes between two of them.
        stderr: what it writes on stderr.
        exit_code: its exit code.
        duration_seconds: time from its last line (and last pause) to its exit.
        hang: never exit on its own (until terminated or killed); ``duration_seconds`` is
            ignored.
        ignores_sigterm: with ``hang``, only SIGKILL (after the grace period) ends it.
        spawn_error: raised by ``start`` instead of starting anything.
        output_files: the files it writes, by the name the spec gives them in
            ``output_files`` (e.g. the ``output_last_message_path``) -> content; its handle's
            ``output_file(name)`` returns them.

    Raises:
        ValueError: a negative, infinite or NaN ``duration_seconds``.
        TypeError: a ``duration_seconds`` that is not a number.
    """

    stdout: tuple[bytes | Pause, ...] = attrs.field(default=(), converter=_to_steps)
    stderr: str = ""
    exit_code: int = 0
    duration_seconds: float = attrs.field(default=0.0, validator=_check_seconds)
    hang: bool = False
    ignores_sigterm: bool = False
    spawn_error: Exception | None = None
    output_files: Mapping[str, bytes] = attrs.field(factory=dict)

    @classmethod
    def success(
        cls,
        message: str = "done",
        *,
        thread_id: str = "thread-1",
        usage: Mapping[str, int] | None = None,
        duration_seconds: float = 0.0,
    ) -> ScriptedRun:
        """A turn that completes with an agent message, as ``codex exec --json`` prints it.

        Args:
            message: the agent message.
            thread_id: the id in ``thread.started``.
            usage: the ``turn.completed`` usage (see :func:`codex_turn_events`).
            duration_seconds: fake time from start to exit.

        Returns:
            A run that prints those events and exits 0.
        """
        return cls(
            stdout=codex_turn_events(thread_id=thread_id, message=message, usage=usage),
            duration_seconds=duration_seconds,
        )

    @classmethod
    def failure(
        cls,
        message: str = "the model provider failed",
        *,
        thread_id: str = "thread-1",
        exit_code: int = 1,
        duration_seconds: float = 0.0,
    ) -> ScriptedRun:
        """A turn that fails: an ``error`` event, then ``turn.failed``, ``ERROR: message``
        on stderr, and exit code ``exit_code``.

        Args:
            message: the error message.
            thread_id: the id in ``thread.started``.
            exit_code: the exit code (1 by default).
            duration_seconds: fake time from start to exit.

        Returns:
            The failing run.
        """
        return cls(
            stdout=[
                {"type": "thread.started", "thread_id": thread_id},
                {"type": "turn.started"},
                {"type": "error", "message": message},
                {"type": "turn.failed", "error": {"message": message}},
            ],
            stderr=f"ERROR: {message}\n",
            exit_code=exit_code,
            duration_seconds=duration_seconds,
        )

    @classmethod
    def not_installed(cls, binary: str = "codex") -> ScriptedRun:
        """A start that fails because the binary does not exist.

        Args:
            binary: the binary named in the error.

        Returns:
            A run whose ``start`` raises :class:`~codex_local_sdk.errors.CodexNotInstalledError`.
        """
        return cls(spawn_error=CodexNotInstalledError(binary, "/scripted/bin"))


def codex_turn_events(
    *,
    thread_id: str = "thread-1",
    message: str = "done",
    usage: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """The events of one successful ``codex exec --json`` turn.

    Args:
        thread_id: the id in ``thread.started``.
        message: the text of the ``agent_message`` item.
        usage: the ``turn.completed`` usage; default 10 input and 5 output tokens.

    Returns:
        ``thread.started``, ``turn.started``, ``item.completed`` (the message) and
        ``turn.completed``, as JSON objects.
    """
    return [
        {"type": "thread.started", "thread_id": thread_id},
        {"type": "turn.started"},
        {"type": "item.completed", "item": {"id": "item_0", "type": "agent_message", "text": message}},
        {
            "type": "turn.completed",
            "usage": dict(
                usage
                or {
                    "input_tokens": 10,
                    "cached_input_tokens": 0,
                    "output_tokens": 5,
                    "reasoning_output_tokens": 0,
                }
            ),
        },
    ]


Script = Sequence[ScriptedRun] | Callable[[ProcessSpec], ScriptedRun]
"""The runs a :class:`ScriptedRunner` plays: a sequence, or a function of each spec."""


class ScriptedRunner:
    """Replays :class:`ScriptedRun` objects, one per started process, in order.

    Args:
        script: the runs, in the order processes start; or a function that picks the run
            for each :class:`~codex_local_sdk.ports.ProcessSpec`.
        clock: the clock the processes' time passes on; share it with the client. A
            :class:`~adapters.clock.FakeClock` (a new one when omitted) is advanced
            instantly; on any other clock the time passes for real.
        version_output: what ``codex --version`` prints (a start whose argv is
            ``[binary, "--version"]``), answered without taking a run from the script;
            ``None``: such a start plays the script's next run, like any other.

    Attributes:
        clock: the clock the processes' time passes on.
        calls: the spec of every start, in order (argv, stdin, cwd, env, and the files:
            ``calls[0].input_files`` holds the input files' bytes), failed starts included.
        processes: the handle of every process started, in order.
    """

    def __init__(
        self,
        script: Script,
        *,
        clock: Clock | None = None,
        version_output: str | None = f"codex-cli {NEWEST_READ}",
    ) -> None:
        self._script = script if callable(script) else list(script)
        self.clock: Clock = clock if clock is not None else FakeClock()
        self.version_output = version_output
        self._played = 0
        self.calls: list[ProcessSpec] = []
        self.processes: list[ScriptedProcess] = []

    handles_run_files = True

    def start(self, spec: ProcessSpec) -> ScriptedProcess:
        """Check the spec's required files (on this machine), record ``spec`` and start the
        next scripted run (or, for ``--version``, answer ``version_output``). Input files are
        only recorded, never written.

        Returns:
            The run's :class:`ScriptedProcess`.

        Raises:
            ValueError: a required file (an image) is missing or a directory; nothing is
                recorded.
            Exception: the run's ``spawn_error``, if it has one.
            AssertionError: the script has no run left.
        """
        check_required_files(spec)
        self.calls.append(spec)
        run = self._version_run(spec) or self._next_run(spec)
        if run.spawn_error is not None:
            raise run.spawn_error
        process = ScriptedProcess(run, self.clock)
        self.processes.append(process)
        return process

    async def start_async(self, spec: ProcessSpec) -> AsyncScriptedProcess:
        """As :meth:`start`, for the asyncio side; returns an :class:`AsyncScriptedProcess`."""
        return AsyncScriptedProcess(self.start(spec))

    def _version_run(self, spec: ProcessSpec) -> ScriptedRun | None:
        if self.version_output is None or tuple(spec.argv[1:]) != ("--version",):
            return None
        return ScriptedRun(stdout=[self.version_output])

    def _next_run(self, spec: ProcessSpec) -> ScriptedRun:
        if callable(self._script):
            return self._script(spec)
        index, self._played = self._played, self._played + 1
        if index >= len(self._script):
            raise AssertionError(
                f"ScriptedRunner was given {len(self._script)} run(s) but run "
                f"{index + 1} was started: {list(spec.argv)}"
            )
        return self._script[index]


_TimeSteps = Generator[float, None, T]
"""A handle operation written once for both faces: it yields each stretch of time (seconds)
to let pass, and returns its result; :class:`ScriptedProcess` and
:class:`AsyncScriptedProcess` let the time pass, blocking or awaiting."""


class ScriptedProcess:
    """The handle of one scripted run (a :class:`~codex_local_sdk.ports.ProcessHandle`).

    The process keeps its own time: it passes only while the process is read, waited on or
    terminated, and moves the clock by as much. Each line is printed once the pauses before
    it have passed; the exit comes ``duration_seconds`` after the last one (never, for a
    ``hang`` run). Lines printed before the exit or a signal can still be read; nothing is
    printed after a signal.

    Args:
        run: what the process does.
        clock: the clock its time passes on (a :class:`~adapters.clock.FakeClock` is
            advanced; on another clock, reads and waits block for real).

    Attributes:
        pid: always ``None``: there is no real process.
        returncode: the exit code once it exited or was signalled (``-15``/``-9``), else
            ``None``.
        closed: whether :meth:`close` was called.
    """

    pid = None

    def __init__(self, run: ScriptedRun, clock: Clock) -> None:
        self._run = run
        self._clock = clock
        self._schedule, last_at = _schedule(run.stdout)
        self._exit_at = None if run.hang else last_at + run.duration_seconds
        self._elapsed = 0.0
        self._printed = 0  # how many lines of the schedule were read
        self._ended = threading.Event()  # cuts a real-time wait short when a signal ends the run
        self.returncode: int | None = None
        self.closed = False

    def read_lines(self, timeout: float | None) -> list[bytes] | None:
        """The lines printed so far and not yet read; if none, wait (up to ``timeout``) for
        the next line or the exit.

        Returns:
            The new lines, ``[]`` when ``timeout`` passed first, or ``None`` once the
            process ended and every line it printed was read.

        Raises:
            AssertionError: a ``hang`` run read, after its last line, without a timeout.
        """
        return self._let_pass(self._read(timeout))

    def wait(self, timeout: float | None = None) -> int | None:
        """Let the process's time pass to its exit, or by ``timeout`` if the exit comes later.

        Returns:
            The exit code, or ``None`` if the run is still going after ``timeout``.

        Raises:
            AssertionError: a ``hang`` run waited on without a timeout.
        """
        return self._let_pass(self._wait(timeout))

    def stderr_tail(self) -> bytes:
        """The scripted stderr."""
        return self._run.stderr.encode("utf-8")

    def terminate(self, grace_seconds: float) -> None:
        """SIGTERM: ``returncode`` becomes ``-15``; with ``ignores_sigterm``, ``grace_seconds``
        pass and it becomes ``-9``. No effect once exited."""
        self._let_pass(self._terminate(grace_seconds))

    def kill(self) -> None:
        """SIGKILL: ``returncode`` becomes ``-9``, unless the run already exited."""
        if self.returncode is None:
            self._end(-signal.SIGKILL)

    def close(self) -> None:
        """Kill if still running, and mark the handle closed."""
        self.kill()
        self.closed = True

    def output_file(self, name: str) -> bytes | None:
        """The run's scripted ``output_files[name]``, or ``None``."""
        return self._run.output_files.get(name)

    # -- the process's logic, shared by both faces -----------------------------------------

    def _read(self, timeout: float | None) -> _TimeSteps[list[bytes] | None]:
        until = None if timeout is None else self._elapsed + timeout
        while True:
            lines = self._take_printed()
            if lines:
                return lines
            self._exit_if_due()
            if self.returncode is not None:
                return None
            upcoming = self._schedule[self._printed][0] if self._printed < len(self._schedule) else None
            reached = yield from self._pass_until(upcoming if upcoming is not None else self._exit_at, until)
            if not reached and self.returncode is None:
                return []

    def _wait(self, timeout: float | None) -> _TimeSteps[int | None]:
        until = None if timeout is None else self._elapsed + timeout
        while self.returncode is None:
            if not (yield from self._pass_until(self._exit_at, until)):
                return self.returncode  # None, unless a signal ended the run meanwhile
            self._exit_if_due()
        return self.returncode

    def _terminate(self, grace_seconds: float) -> _TimeSteps[None]:
        if self.returncode is not None:
            return
        if self._run.ignores_sigterm:
            yield grace_seconds
            self._end(-signal.SIGKILL)
        else:
            self._end(-signal.SIGTERM)

    def _pass_until(self, target: float | None, until: float | None) -> _TimeSteps[bool]:
        """Let time pass to ``target`` (``None``: never) or to ``until``, whichever comes
        first; whether ``target`` was reached."""
        stop = target if until is None or (target is not None and target <= until) else until
        if stop is None:
            raise AssertionError("a hanging scripted run was read or waited on without a timeout")
        if stop > self._elapsed:
            yield stop - self._elapsed
            if self.returncode is not None:  # a signal ended the run meanwhile
                return False
            self._elapsed = stop
        return stop == target

    def _take_printed(self) -> list[bytes]:
        start = self._printed
        while self._printed < len(self._schedule) and self._schedule[self._printed][0] <= self._elapsed:
            self._printed += 1
        return [line for _, line in self._schedule[start : self._printed]]

    def _exit_if_due(self) -> None:
        if self.returncode is None and self._exit_at is not None and self._elapsed >= self._exit_at:
            self._end(self._run.exit_code)

    def _end(self, returncode: int) -> None:
        self.returncode = returncode
        self._ended.set()

    def _let_pass(self, steps: _TimeSteps[T]) -> T:
        try:
            while True:
                seconds = next(steps)
                if isinstance(self._clock, FakeClock):
                    self._clock.advance(seconds)
                else:
                    self._ended.wait(seconds)
        except StopIteration as done:
            result: T = done.value
            return result


def _schedule(stdout: Iterable[bytes | Pause]) -> tuple[list[tuple[float, bytes]], float]:
    """Each line with the time it is printed at (the sum of the pauses before it), and the
    time the output ends (after its last pause)."""
    schedule = []
    at = 0.0
    for step in stdout:
        if isinstance(step, Pause):
            at += step.seconds
        else:
            schedule.append((at, step))
    return schedule, at


class AsyncScriptedProcess:
    """The asyncio face of a :class:`ScriptedProcess` (an
    :class:`~codex_local_sdk.ports.AsyncProcessHandle`). Time passing for real awaits,
    so other tasks run meanwhile; a stop through this face cuts it short.

    Args:
        process: the scripted process it drives.

    Attributes:
        process: as given.
    """

    def __init__(self, process: ScriptedProcess) -> None:
        self.process = process
        self._stopped = asyncio.Event()

    @property
    def pid(self) -> int | None:
        """Always ``None``: there is no real process."""
        return None

    @property
    def returncode(self) -> int | None:
        """As :attr:`ScriptedProcess.returncode`."""
        return self.process.returncode

    async def read_lines(self, timeout: float | None) -> list[bytes] | None:
        """As :meth:`ScriptedProcess.read_lines`."""
        return await self._let_pass(self.process._read(timeout))

    async def wait(self, timeout: float | None = None) -> int | None:
        """As :meth:`ScriptedProcess.wait`."""
        return await self._let_pass(self.process._wait(timeout))

    def stderr_tail(self) -> bytes:
        """As :meth:`ScriptedProcess.stderr_tail`."""
        return self.process.stderr_tail()

    async def terminate(self, grace_seconds: float) -> None:
        """As :meth:`ScriptedProcess.terminate`."""
        await self._let_pass(self.process._terminate(grace_seconds))
        self._stopped.set()

    async def kill(self) -> None:
        """As :meth:`ScriptedProcess.kill`."""
        self.process.kill()
        self._stopped.set()

    async def close(self) -> None:
        """As :meth:`ScriptedProcess.close`."""
        self.process.close()
        self._stopped.set()

    def output_file(self, name: str) -> bytes | None:
        """As :meth:`ScriptedProcess.output_file`."""
        return self.process.output_file(name)

    async def _let_pass(self, steps: _TimeSteps[T]) -> T:
        clock = self.process._clock
        try:
            while True:
                seconds = next(steps)
                if isinstance(clock, FakeClock):
                    clock.advance(seconds)
                    await asyncio.sleep(0)
                else:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._stopped.wait(), seconds)
        except StopIteration as done:
            result: T = done.value
            return result
