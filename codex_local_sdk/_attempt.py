"""One attempt of one run: drive a process handle to its end and fold it into a result.

:class:`Attempt` (sync) and :class:`AsyncAttempt` (asyncio) share everything but the waiting:
the bookkeeping — deadline, output, how the run ended, the result — lives in
:class:`_AttemptState`. ``run()`` drains an attempt and parses its output once, at the end;
a live run passes a live :class:`~codex_local_sdk._jsonl.OutputCollector` and hands out its
events one by one with :meth:`Attempt.next_event`.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Callable
from pathlib import Path

from ._jsonl import OutputCollector
from .events import CodexEvent
from .models import CodexExecRequest, CodexExecResult
from .ports import AsyncProcessHandle, Clock, ProcessHandle, ProcessSpec


class _AttemptState:
    """What an attempt has seen so far, and how to turn it into a :class:`CodexExecResult`."""

    def __init__(
        self,
        spec: ProcessSpec,
        request: CodexExecRequest,
        clock: Clock,
        timeout: float | None,
        on_event: Callable[[CodexEvent], None] | None,
        attempt_number: int,
        output: OutputCollector | None,
    ) -> None:
        self.spec = spec
        self.attempt_number = attempt_number
        self.on_event = on_event
        self.request = request
        self.clock = clock
        self.started_at = clock.monotonic()
        self.deadline = None if timeout is None else self.started_at + timeout
        self.output = output if output is not None else OutputCollector(json_output=request.json_output)
        self.pending: collections.deque[CodexEvent] = collections.deque()
        self.stdout_finished = False
        self.ended_by: str | None = None
        self.result: CodexExecResult | None = None

    def until(self, timeout: float | None) -> float | None:
        return None if timeout is None else self.clock.monotonic() + timeout

    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.clock.monotonic() >= self.deadline

    def read_timeout(self, until: float | None) -> float | None:
        """How long the next read may block: up to the run's deadline and the caller's ``until``.

        Raises:
            TimeoutError: ``until`` has passed.
        """
        now = self.clock.monotonic()
        if until is not None and now >= until:
            raise TimeoutError("the live run is still going")
        limits = [t - now for t in (self.deadline, until) if t is not None and t > now]
        return min(limits) if limits else None

    def take(self, lines: list[bytes] | None) -> None:
        if lines is None:
            self.stdout_finished = True
            return
        for line in lines:
            event = self.output.add_line(line)
            if event is not None:
                self.pending.append(event)
                if self.on_event is not None:
                    self.on_event(event)

    def finish(self, return_code: int | None, stderr: bytes) -> CodexExecResult:
        stdout = self.output.finish()
        summary = self.output.summary
        self.result = CodexExecResult(
            return_code=return_code,
            command=self.spec.argv,
            stdout=stdout,
            stderr=stderr.decode("utf-8", errors="replace"),
            final_message=self._final_message(),
            events=tuple(self.output.events),
            thread_id=summary.thread_id,
            turn_status=summary.turn_status or self.ended_by,
            usage=summary.usage,
            duration_seconds=self.clock.monotonic() - self.started_at,
            attempts=self.attempt_number,
            timed_out=self.ended_by == "timed_out",
            error_message=summary.error_message,
            unparsed_lines=tuple(self.output.unparsed_lines),
        )
        return self.result

    def _final_message(self) -> str | None:
        if self.request.json_output:
            return self.output.summary.final_message
        path = self.request.output_last_message_path
        if path is not None:
            last_message = Path(self.spec.cwd or os.getcwd(), path)
            if last_message.is_file():
                return last_message.read_text(encoding="utf-8", errors="replace")
        return self.output.stdout.strip() or None


class Attempt:
    """A started process, driven synchronously. Always :meth:`close` it."""

    def __init__(
        self,
        handle: ProcessHandle,
        spec: ProcessSpec,
        request: CodexExecRequest,
        clock: Clock,
        *,
        timeout: float | None,
        grace_seconds: float,
        on_event: Callable[[CodexEvent], None] | None = None,
        attempt_number: int = 1,
        output: OutputCollector | None = None,
    ) -> None:
        self.handle = handle
        self._state = _AttemptState(spec, request, clock, timeout, on_event, attempt_number, output)
        self._grace = grace_seconds

    @property
    def result(self) -> CodexExecResult | None:
        """The result, once :meth:`finish` returned."""
        return self._state.result

    def next_event(self, until: float | None = None) -> CodexEvent | None:
        """The next event, as soon as it is printed; ``None`` once stdout is finished.

        Raises:
            TimeoutError: the monotonic time ``until`` passed first (the process runs on).
        """
        state = self._state
        while not state.pending:
            if state.stdout_finished:
                return None
            if state.ended_by is None and state.deadline_passed():
                self.stop("timed_out")
            state.take(self.handle.read_lines(state.read_timeout(until)))
        return state.pending.popleft()

    def prime(self) -> bool:
        """Wait for the first event (or the end); ``True`` when an event is ready."""
        event = self.next_event()
        if event is not None:
            self._state.pending.appendleft(event)
        return event is not None

    def finish(self, timeout: float | None = None) -> CodexExecResult:
        """Read to the end, reap, and return the result (idempotent).

        Raises:
            TimeoutError: ``timeout`` seconds passed first (the process runs on).
        """
        if self._state.result is not None:
            return self._state.result
        until = self._state.until(timeout)
        while self.next_event(until) is not None:
            pass
        return_code = self.handle.wait(self._grace)
        if return_code is None:  # stdout closed but the process lingers
            self.stop("timed_out")
            return_code = self.handle.returncode
        return self._state.finish(return_code, self.handle.stderr_tail())

    def stop(self, reason: str, *, kill: bool = False) -> None:
        """End the process group: ``terminate`` (SIGTERM, grace, SIGKILL) or ``kill``."""
        self._state.ended_by = self._state.ended_by or reason
        if kill:
            self.handle.kill()
        else:
            self.handle.terminate(self._grace)

    def close(self) -> None:
        """Release the process; a run still going counts as interrupted."""
        if self._state.result is None and self.handle.returncode is None:
            self._state.ended_by = self._state.ended_by or "interrupted"
        self.handle.close()


class AsyncAttempt:
    """The asyncio twin of :class:`Attempt`."""

    def __init__(
        self,
        handle: AsyncProcessHandle,
        spec: ProcessSpec,
        request: CodexExecRequest,
        clock: Clock,
        *,
        timeout: float | None,
        grace_seconds: float,
        on_event: Callable[[CodexEvent], None] | None = None,
        attempt_number: int = 1,
        output: OutputCollector | None = None,
    ) -> None:
        self.handle = handle
        self._state = _AttemptState(spec, request, clock, timeout, on_event, attempt_number, output)
        self._grace = grace_seconds

    @property
    def result(self) -> CodexExecResult | None:
        """The result, once :meth:`finish` returned."""
        return self._state.result

    async def next_event(self, until: float | None = None) -> CodexEvent | None:
        """As :meth:`Attempt.next_event`."""
        state = self._state
        while not state.pending:
            if state.stdout_finished:
                return None
            if state.ended_by is None and state.deadline_passed():
                await self.stop("timed_out")
            state.take(await self.handle.read_lines(state.read_timeout(until)))
        return state.pending.popleft()

    async def prime(self) -> bool:
        """As :meth:`Attempt.prime`."""
        event = await self.next_event()
        if event is not None:
            self._state.pending.appendleft(event)
        return event is not None

    async def finish(self, timeout: float | None = None) -> CodexExecResult:
        """As :meth:`Attempt.finish`."""
        if self._state.result is not None:
            return self._state.result
        until = self._state.until(timeout)
        while await self.next_event(until) is not None:
            pass
        return_code = await self.handle.wait(self._grace)
        if return_code is None:
            await self.stop("timed_out")
            return_code = self.handle.returncode
        return self._state.finish(return_code, self.handle.stderr_tail())

    async def stop(self, reason: str, *, kill: bool = False) -> None:
        """As :meth:`Attempt.stop`."""
        self._state.ended_by = self._state.ended_by or reason
        if kill:
            await self.handle.kill()
        else:
            await self.handle.terminate(self._grace)

    async def close(self) -> None:
        """As :meth:`Attempt.close`."""
        if self._state.result is None and self.handle.returncode is None:
            self._state.ended_by = self._state.ended_by or "interrupted"
        await self.handle.close()
