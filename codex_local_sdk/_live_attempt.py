"""What :class:`~codex_local_sdk.live.CodexLiveRun` and
:class:`~codex_local_sdk.live.AsyncCodexLiveRun` share: the started attempt, the engine that
drives it, and the finalisation of its result, with each method written once as steps."""

from __future__ import annotations

from collections.abc import Callable

from ._attempt import Attempt
from ._engine import RunEngine
from ._steps import Handle, Steps, closing
from .events import CodexEvent
from .models import CodexExecResult

Finalizer = Callable[[CodexExecResult], CodexExecResult]


class _Finalized:
    """Turns an attempt's result into the caller's, exactly once (records the session turn)."""

    def __init__(self, finalize: Finalizer, check: Finalizer) -> None:
        self._finalize = finalize
        self._check = check
        self._result: CodexExecResult | None = None

    def __call__(self, result: CodexExecResult) -> CodexExecResult:
        if self._result is None:
            self._result = self._finalize(result)
        return self._check(self._result)


class LiveAttempt:
    """A live run's attempt, seen by its public wrappers. Its methods are steps for
    :attr:`engine` to drive.

    Args:
        attempt: the started attempt, primed: its first event is ready, or it has ended.
        engine: the client's engine: its drivers, and its ``check`` of a result.
        finalize: turns the attempt's result into the caller's (records a session turn).
    """

    def __init__(self, attempt: Attempt, engine: RunEngine, *, finalize: Finalizer) -> None:
        self._attempt = attempt
        self.engine = engine
        self._finalized = _Finalized(finalize, engine.check)

    @property
    def handle(self) -> Handle:
        """The process handle."""
        return self._attempt.handle

    def next_event(self) -> Steps[CodexEvent | None]:
        """The next event; ``None`` once stdout is finished. The wrappers close the run when
        this raises: their own frames can be interrupted too."""
        return self._attempt.next_event()

    def wait(self, timeout: float | None) -> Steps[CodexExecResult]:
        """Finish the run, close it and finalise its result; a ``timeout`` that passes first
        raises ``TimeoutError`` and leaves the run going, any other exception closes it."""
        result = yield from closing(
            self._attempt.finish(timeout), self._attempt.close, except_for=(TimeoutError,)
        )
        return self._finalized(result)

    def stop(self, reason: str, *, kill: bool = False) -> Steps[None]:
        """End the process group; ``reason`` becomes the status unless the CLI gave one."""
        return self._attempt.stop(reason, kill=kill)

    def close(self) -> Steps[None]:
        """Kill the run if it is still going and release its pipes."""
        return self._attempt.close()
