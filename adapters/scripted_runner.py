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

Time is simulated on the :class:`~adapters.clock.FakeClock` shared with the client: a run
takes ``duration_seconds`` of fake time, and a ``hang`` run never exits on its own, so the
client's timeout ends it — instantly in wall time.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from codex_local_sdk.errors import CodexNotInstalledError
from codex_local_sdk.ports import ProcessSpec

from .clock import FakeClock

StdoutLine = str | Mapping[str, Any]
"""One scripted stdout line: a string printed as it is, or a mapping printed as JSON."""


def _to_lines(lines: Iterable[StdoutLine]) -> tuple[bytes, ...]:
    return tuple((line if isinstance(line, str) else json.dumps(line)).encode("utf-8") for line in lines)


@attrs.frozen(kw_only=True)
class ScriptedRun:
    """What one scripted process does.

    Attributes:
        stdout: the lines it prints: strings as they are, mappings as JSON.
        stderr: what it writes on stderr.
        exit_code: its exit code.
        duration_seconds: fake time from start to exit (after its output).
        hang: never exit on its own (until terminated or killed); ``duration_seconds`` is
            ignored.
        ignores_sigterm: with ``hang``, only SIGKILL (after the grace period) ends it.
        spawn_error: raised by ``start`` instead of starting anything.
    """

    stdout: tuple[bytes, ...] = attrs.field(default=(), converter=_to_lines)
    stderr: str = ""
    exit_code: int = 0
    duration_seconds: float = 0.0
    hang: bool = False
    ignores_sigterm: bool = False
    spawn_error: Exception | None = None

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
        clock: the fake clock shared with the client (a new one when omitted).

    Attributes:
        clock: the fake clock the processes advance.
        calls: the spec of every start, in order (argv, stdin, cwd, env), failed starts
            included.
        processes: the handle of every process started, in order.
    """

    def __init__(self, script: Script, *, clock: FakeClock | None = None) -> None:
        self._script = script if callable(script) else list(script)
        self.clock = clock if clock is not None else FakeClock()
        self.calls: list[ProcessSpec] = []
        self.processes: list[ScriptedProcess] = []

    def start(self, spec: ProcessSpec) -> ScriptedProcess:
        """Record ``spec`` and start the next scripted run.

        Returns:
            The run's :class:`ScriptedProcess`.

        Raises:
            Exception: the run's ``spawn_error``, if it has one.
            AssertionError: the script has no run left.
        """
        self.calls.append(spec)
        run = self._next_run(spec)
        if run.spawn_error is not None:
            raise run.spawn_error
        process = ScriptedProcess(run, self.clock)
        self.processes.append(process)
        return process

    async def start_async(self, spec: ProcessSpec) -> AsyncScriptedProcess:
        """As :meth:`start`, for the asyncio side; returns an :class:`AsyncScriptedProcess`."""
        return AsyncScriptedProcess(self.start(spec))

    def _next_run(self, spec: ProcessSpec) -> ScriptedRun:
        if callable(self._script):
            return self._script(spec)
        index = len(self.calls) - 1
        if index >= len(self._script):
            raise AssertionError(
                f"ScriptedRunner was given {len(self._script)} run(s) but process "
                f"{len(self.calls)} was started: {list(spec.argv)}"
            )
        return self._script[index]


class ScriptedProcess:
    """The handle of one scripted run (a :class:`~codex_local_sdk.ports.ProcessHandle`).

    Args:
        run: what the process does.
        clock: the fake clock its waits advance.

    Attributes:
        pid: always ``None``: there is no real process.
        returncode: the exit code once it exited or was signalled (``-15``/``-9``), else
            ``None``.
        closed: whether :meth:`close` was called.
    """

    pid = None

    def __init__(self, run: ScriptedRun, clock: FakeClock) -> None:
        self._run = run
        self._clock = clock
        self._lines_given = False
        self._time_left = run.duration_seconds
        self.returncode: int | None = None
        self.closed = False

    def read_lines(self, timeout: float | None) -> list[bytes] | None:
        """All scripted lines at the first call; then wait (fake time) for the exit.

        Returns:
            The lines, then ``[]`` while the run goes on after ``timeout``, then ``None``
            once it exited.

        Raises:
            AssertionError: a ``hang`` run read without a timeout.
        """
        if not self._lines_given and self.returncode is None:
            self._lines_given = True
            if self._run.stdout:
                return list(self._run.stdout)
        return None if self.wait(timeout) is not None else []

    def wait(self, timeout: float | None = None) -> int | None:
        """Advance fake time to the exit, or by ``timeout`` if the exit comes later.

        Returns:
            The exit code, or ``None`` if the run is still going after ``timeout``.

        Raises:
            AssertionError: a ``hang`` run waited on without a timeout.
        """
        if self.returncode is not None:
            return self.returncode
        if self._run.hang:
            if timeout is None:
                raise AssertionError("a hanging scripted run was waited on without a timeout")
            self._clock.advance(timeout)
            return None
        if timeout is not None and timeout < self._time_left:
            self._clock.advance(timeout)
            self._time_left -= timeout
            return None
        self._clock.advance(self._time_left)
        self.returncode = self._run.exit_code
        return self.returncode

    def stderr_tail(self) -> bytes:
        """The scripted stderr."""
        return self._run.stderr.encode("utf-8")

    def terminate(self, grace_seconds: float) -> None:
        """SIGTERM: ``returncode`` becomes ``-15``; with ``ignores_sigterm``, fake time
        advances by ``grace_seconds`` and it becomes ``-9``. No effect once exited."""
        if self.returncode is not None:
            return
        if self._run.ignores_sigterm:
            self._clock.advance(grace_seconds)
            self.returncode = -signal.SIGKILL
        else:
            self.returncode = -signal.SIGTERM

    def kill(self) -> None:
        """SIGKILL: ``returncode`` becomes ``-9``, unless the run already exited."""
        if self.returncode is None:
            self.returncode = -signal.SIGKILL

    def close(self) -> None:
        """Kill if still running, and mark the handle closed."""
        self.kill()
        self.closed = True


class AsyncScriptedProcess:
    """The asyncio face of a :class:`ScriptedProcess` (an
    :class:`~codex_local_sdk.ports.AsyncProcessHandle`).

    Args:
        process: the scripted process it drives.

    Attributes:
        process: as given.
    """

    def __init__(self, process: ScriptedProcess) -> None:
        self.process = process

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
        return self.process.read_lines(timeout)

    async def wait(self, timeout: float | None = None) -> int | None:
        """As :meth:`ScriptedProcess.wait`."""
        return self.process.wait(timeout)

    def stderr_tail(self) -> bytes:
        """As :meth:`ScriptedProcess.stderr_tail`."""
        return self.process.stderr_tail()

    async def terminate(self, grace_seconds: float) -> None:
        """As :meth:`ScriptedProcess.terminate`."""
        self.process.terminate(grace_seconds)

    async def kill(self) -> None:
        """As :meth:`ScriptedProcess.kill`."""
        self.process.kill()

    async def close(self) -> None:
        """As :meth:`ScriptedProcess.close`."""
        self.process.close()
