"""CodexLocalClient: the SDK's use cases, wired to its ports.

This module is the one wiring point of the core: ``__init__`` fills each port left as
``None`` with its default adapter. Everything else here turns method arguments into a
:class:`CodexExecRequest`, a :class:`ProcessSpec` and a session turn, and hands them to the
:class:`~codex_local_sdk._engine.RunEngine`, as steps that its sync or asyncio driver runs.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ._engine import RunEngine
from ._live_attempt import LiveAttempt
from ._steps import Steps
from .command import build_exec_argv
from .errors import CodexSessionError, SessionStoreError
from .events import CodexClientEvent
from .live import AsyncCodexLiveRun, CodexLiveRun
from .models import CodexExecRequest, CodexExecResult, RetryPolicy, Usage
from .ports import Clock, EventSink, ProcessRunner, ProcessSpec, SessionStore
from .sessions import SessionRecord, check_session_name, record_turn
from .thread import CodexThreadSession

EventHook = Callable[[CodexClientEvent], None]


@attrs.frozen(kw_only=True)
class Turn:
    """Where a run goes: a new thread, or a turn of an existing one, maybe under a name.

    Attributes:
        thread_id: the thread to resume; ``None`` starts a new thread (unless ``last``).
        last: resume the CLI's most recent session (``resume --last``), by explicit request.
        session_name: record the finished turn under this name.
        previous_usage: the thread's token total before this turn, when known.
        new_session: the turn starts the named session afresh (a new record).
    """

    thread_id: str | None = None
    last: bool = False
    session_name: str | None = None
    previous_usage: Usage | None = None
    new_session: bool = False


class CodexLocalClient:
    """Runs ``codex exec`` with retries, timeouts, named sessions and telemetry.

    Args:
        codex_bin: the CLI to run (``argv[0]``). A bare name (no ``/``) is looked up on the
            ``PATH`` of the run's environment (``os.environ`` plus ``default_env``); a
            relative path such as ``./bin/codex`` is made absolute here, against the current
            directory, so it does not depend on a request's ``cwd``.
        default_cwd: working directory for requests that set none (``None``: the current
            directory of the process when a run starts).
        default_env: variables set on top of ``os.environ`` for every run.
        raise_on_error: raise :class:`~codex_local_sdk.errors.CodexExecFailedError` for a
            failed run instead of returning its result.
        retry_policy: when to retry; the default never retries.
        session_store: where named sessions live; default :class:`InMemorySessionStore`.
        event_hook: called with every :class:`CodexClientEvent`; an ``Exception`` it raises
            is logged and ignored.
        runner: the :class:`~codex_local_sdk.ports.ProcessRunner`; default
            :class:`~adapters.subprocess_runner.SubprocessRunner`.
        clock: the :class:`~codex_local_sdk.ports.Clock`; default the system clock.
        event_sink: another :class:`~codex_local_sdk.ports.EventSink` for telemetry, called
            before ``event_hook`` and guarded the same way (with no hook and no sink, events
            go to the ``codex_local_sdk.telemetry`` logger at DEBUG).
        terminate_grace_seconds: after SIGTERM, how long a process group may take to exit
            before it is SIGKILLed (timeouts and ``terminate()``).
        preview_chars: how many characters of prompts and messages session records keep
            (0 keeps no text).

    Attributes:
        codex_bin: ``argv[0]`` of every run: the name as given, or the absolute path.
        default_cwd: as given.
        default_env: a copy of the mapping given.
        preview_chars: as given.
        session_store: the store in use.

    Raises:
        ValueError: a negative (or NaN) grace period, or a negative preview length.
    """

    def __init__(
        self,
        codex_bin: str = "codex",
        default_cwd: str | None = None,
        default_env: dict[str, str] | None = None,
        raise_on_error: bool = True,
        retry_policy: RetryPolicy | None = None,
        session_store: SessionStore | None = None,
        event_hook: EventHook | None = None,
        *,
        runner: ProcessRunner | None = None,
        clock: Clock | None = None,
        event_sink: EventSink | None = None,
        terminate_grace_seconds: float = 5.0,
        preview_chars: int = 200,
    ) -> None:
        if not terminate_grace_seconds >= 0:
            raise ValueError(f"terminate_grace_seconds must be >= 0, got {terminate_grace_seconds}")
        if preview_chars < 0:
            raise ValueError(f"preview_chars must be >= 0, got {preview_chars}")
        # The wiring point: the only place the core reaches for its default adapters.
        from adapters.clock import SystemClock
        from adapters.memory_store import InMemorySessionStore
        from adapters.sinks import CallbackSink, FanOutSink, LoggingSink
        from adapters.subprocess_runner import SubprocessRunner

        # A relative path is pinned now: the runner starts the CLI in the request's cwd, where
        # a path like ./bin/codex would otherwise be looked up.
        if os.path.dirname(codex_bin) and not os.path.isabs(codex_bin):
            codex_bin = os.path.abspath(codex_bin)
        self.codex_bin = codex_bin
        self.default_cwd = default_cwd
        self.default_env = dict(default_env or {})
        self.preview_chars = preview_chars
        self.session_store: SessionStore = (
            session_store if session_store is not None else InMemorySessionStore()
        )
        # CallbackSink logs what a receiver raises: telemetry never breaks a run.
        receivers = [r for r in (event_sink.emit if event_sink else None, event_hook) if r is not None]
        self._engine = RunEngine(
            runner=runner if runner is not None else SubprocessRunner(),
            clock=clock if clock is not None else SystemClock(),
            sink=FanOutSink(map(CallbackSink, receivers)) if receivers else LoggingSink(),
            retry_policy=retry_policy if retry_policy is not None else RetryPolicy(),
            grace_seconds=terminate_grace_seconds,
            raise_on_error=raise_on_error,
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        """The policy every run of this client follows."""
        return self._engine.retry_policy

    @property
    def raise_on_error(self) -> bool:
        """Whether failed runs raise instead of returning their result."""
        return self._engine.raise_on_error

    # -- one-off runs ----------------------------------------------------------------------

    def run(
        self,
        request: CodexExecRequest,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
    ) -> CodexExecResult:
        """Run ``request`` to its end, retrying per the policy. It starts a new thread.

        Args:
            request: what to run.
            api_key: sent to the CLI as ``CODEX_API_KEY`` in its environment only; ``None``
                leaves the CLI's own login (or ``default_env``) in charge.
            timeout_seconds: limit for each attempt, ``None`` for none; at the limit the
                process group is terminated (SIGTERM, grace, SIGKILL).

        Returns:
            The last attempt's result (with ``turn_usage`` equal to ``usage``: the thread is
            new).

        Raises:
            CodexNotInstalledError: the CLI was not found (never retried).
            CodexSpawnError: the CLI could not be started, on the last attempt.
            CodexExecFailedError: the run failed (``CodexTimeoutError`` for a timeout) and
                ``raise_on_error`` is on.
            TypeError: ``timeout_seconds`` is not a number.
            ValueError: ``timeout_seconds`` is not > 0, an image file is missing, or
                ``api_key`` is empty.
        """
        return self._engine.drive(
            self._run_steps("run", request, Turn(previous_usage=Usage()), api_key, timeout_seconds)
        )

    async def run_async(
        self,
        request: CodexExecRequest,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
    ) -> CodexExecResult:
        """As :meth:`run`, on asyncio (no thread per run), with the same arguments, result
        and errors. Cancelling it kills the run's process group."""
        return await self._engine.drive_async(
            self._run_steps("run", request, Turn(previous_usage=Usage()), api_key, timeout_seconds)
        )

    def run_prompt(
        self,
        prompt: str,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Any,
    ) -> CodexExecResult:
        """Run ``prompt`` as a new :class:`CodexExecRequest`; see :meth:`run`.

        Args:
            prompt: the request's ``prompt``.
            api_key: as for :meth:`run`.
            timeout_seconds: as for :meth:`run`.
            **options: other :class:`CodexExecRequest` fields (``cwd``, ``model``,
                ``sandbox``...).

        Returns:
            The last attempt's result.

        Raises:
            TypeError: an unknown option or a value of the wrong type.
            ValueError: an empty prompt or a bad option value; and as :meth:`run`.
            CodexError: as :meth:`run`.
        """
        return self.run(
            CodexExecRequest(prompt=prompt, **options),
            api_key=api_key,
            timeout_seconds=timeout_seconds,
        )

    async def run_prompt_async(
        self,
        prompt: str,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Any,
    ) -> CodexExecResult:
        """As :meth:`run_prompt`, on asyncio, with the same arguments, result and errors."""
        return await self.run_async(
            CodexExecRequest(prompt=prompt, **options),
            api_key=api_key,
            timeout_seconds=timeout_seconds,
        )

    def run_with_schema(
        self,
        prompt: str,
        schema: Mapping[str, Any],
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Any,
    ) -> CodexExecResult:
        """Run ``prompt`` so that the final message is JSON meeting ``schema``.

        The schema is written to a private temporary file for ``--output-schema`` and removed
        afterwards, whatever the outcome. Read the answer with
        :meth:`CodexExecResult.parse_json`.

        Args:
            prompt: the request's ``prompt``.
            schema: a JSON Schema, as a mapping.
            api_key: as for :meth:`run`.
            timeout_seconds: as for :meth:`run`.
            **options: other :class:`CodexExecRequest` fields, except ``output_schema_path``.

        Returns:
            The last attempt's result.

        Raises:
            TypeError: ``schema`` is not a JSON-serialisable mapping; and as :meth:`run_prompt`.
            ValueError: as :meth:`run_prompt`.
            CodexError: as :meth:`run`.
        """
        with _schema_file(schema) as path:
            return self.run_prompt(
                prompt,
                api_key=api_key,
                timeout_seconds=timeout_seconds,
                output_schema_path=path,
                **options,
            )

    async def run_with_schema_async(
        self,
        prompt: str,
        schema: Mapping[str, Any],
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Any,
    ) -> CodexExecResult:
        """As :meth:`run_with_schema`, on asyncio, with the same arguments, result and errors."""
        with _schema_file(schema) as path:
            return await self.run_prompt_async(
                prompt,
                api_key=api_key,
                timeout_seconds=timeout_seconds,
                output_schema_path=path,
                **options,
            )

    # -- threads and sessions --------------------------------------------------------------

    def start_thread(
        self,
        prompt: str,
        *,
        session_name: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Any,
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        """Start a new thread (JSON output is forced, to learn its id).

        With ``session_name``, the thread is saved under that name once the run reports a
        thread id, even if the turn failed (a name already in use now points at the new
        thread, with a fresh record); the returned session records every later turn there.

        Args:
            prompt: the first turn's prompt.
            session_name: save the thread under this name; ``None`` saves nothing.
            api_key: as for :meth:`run`; the returned session reuses it for its turns.
            timeout_seconds: as for :meth:`run`, for this turn only.
            **options: other :class:`CodexExecRequest` fields; the returned session reuses
                them, except ``images``, ``output_schema_path`` and
                ``output_last_message_path``.

        Returns:
            The session to continue, and the first turn's result.

        Raises:
            ValueError: ``session_name`` is empty or blank; and as :meth:`run_prompt`.
            CodexSessionError: the run reported no thread id (with ``raise_on_error`` off,
                or a run that succeeded without a ``thread.started`` event).
            SessionStoreError: the turn ran but could not be recorded under
                ``session_name``; the error's ``result`` holds it, thread id included.
            CodexError: as :meth:`run`.
        """
        request = CodexExecRequest(prompt=prompt, **{**options, "json_output": True})
        turn = Turn(session_name=_check_optional_name(session_name), previous_usage=Usage(), new_session=True)
        result = self._engine.drive(self._run_steps("start_thread", request, turn, api_key, timeout_seconds))
        return self._thread_session(result, session_name, api_key, options), result

    async def start_thread_async(
        self,
        prompt: str,
        *,
        session_name: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Any,
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        """As :meth:`start_thread`, on asyncio, with the same arguments, result and errors."""
        request = CodexExecRequest(prompt=prompt, **{**options, "json_output": True})
        turn = Turn(session_name=_check_optional_name(session_name), previous_usage=Usage(), new_session=True)
        result = await self._engine.drive_async(
            self._run_steps("start_thread", request, turn, api_key, timeout_seconds)
        )
        return self._thread_session(result, session_name, api_key, options), result

    def resume(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Any,
    ) -> CodexExecResult:
        """Run one more turn of an existing thread (``codex exec resume <id> -``).

        Name exactly one target: ``session_id`` (a thread id), ``session_name`` (a saved
        session; the turn is recorded under it) or ``last=True`` (the CLI's most recent
        session).

        Args:
            prompt: this turn's prompt.
            session_id: the thread id to continue.
            session_name: the saved session to continue.
            last: continue the CLI's most recent session (``resume --last``).
            api_key: as for :meth:`run`.
            timeout_seconds: as for :meth:`run`.
            **options: other :class:`CodexExecRequest` fields, as for a new run.

        Returns:
            The last attempt's result; ``turn_usage`` is known only for a ``session_name``
            whose record holds the thread's previous total.

        Raises:
            ValueError: none or several targets, an empty ``session_id`` or
                ``session_name``; and as :meth:`run_prompt`.
            CodexSessionError: ``session_name`` is not in the store.
            CodexUnknownThreadError: the CLI has no such thread (``session_id`` or
                ``session_name``) and ``raise_on_error`` is on.
            CodexThreadBusyError: another run was continuing the thread, after the
                retries, and ``raise_on_error`` is on.
            SessionStoreError: the turn ran but could not be recorded under
                ``session_name``; the error's ``result`` holds it.
            CodexError: as :meth:`run`.
        """
        turn = self._resume_turn(session_id, session_name, last)
        request = CodexExecRequest(prompt=prompt, **options)
        return self._engine.drive(self._run_steps("resume", request, turn, api_key, timeout_seconds))

    async def resume_async(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Any,
    ) -> CodexExecResult:
        """As :meth:`resume`, on asyncio, with the same arguments, result and errors."""
        turn = self._resume_turn(session_id, session_name, last)
        request = CodexExecRequest(prompt=prompt, **options)
        return await self._engine.drive_async(
            self._run_steps("resume", request, turn, api_key, timeout_seconds)
        )

    # -- live runs -------------------------------------------------------------------------

    def run_live(
        self,
        request: CodexExecRequest,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        keep_events: bool = False,
    ) -> CodexLiveRun:
        """Start ``request`` and stream its events (JSON output is forced).

        Returns once the first event was printed (or the run ended). A start-up failure —
        a spawn error, or a failed exit before any event — is retried per the policy; once
        an event was printed, nothing is retried. A failed run is reported by the live
        run's :meth:`~CodexLiveRun.result`, not here.

        Args:
            request: what to run; a new thread.
            api_key: as for :meth:`run`.
            timeout_seconds: limit for the run, counted from its start; it is enforced while
                you iterate or wait (a run held without reading ends at the next read).
            keep_events: also keep every event (and stdout) in the run's result. Off by
                default: the events go to you as they come, and memory stays flat however
                long the run; the result still has the thread id, final message, status and
                usage.

        Returns:
            The running :class:`CodexLiveRun`; use it as a context manager.

        Raises:
            CodexNotInstalledError: the CLI was not found.
            CodexSpawnError: the CLI could not be started, on the last attempt.
            TypeError: ``timeout_seconds`` is not a number.
            ValueError: as :meth:`run`.
        """
        turn = Turn(previous_usage=Usage())
        steps = self._live_steps("run_live", request, turn, api_key, timeout_seconds, keep_events)
        return CodexLiveRun(self._engine.drive(steps))

    async def run_live_async(
        self,
        request: CodexExecRequest,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        keep_events: bool = False,
    ) -> AsyncCodexLiveRun:
        """As :meth:`run_live`, on asyncio, with the same arguments and errors; returns an
        :class:`AsyncCodexLiveRun`."""
        turn = Turn(previous_usage=Usage())
        steps = self._live_steps("run_live", request, turn, api_key, timeout_seconds, keep_events)
        return AsyncCodexLiveRun(await self._engine.drive_async(steps))

    def resume_live(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        keep_events: bool = False,
        **options: Any,
    ) -> CodexLiveRun:
        """:meth:`resume`, streamed like :meth:`run_live`.

        A named session records the turn once, when the run's result is first read with
        :meth:`~CodexLiveRun.result` or :meth:`~CodexLiveRun.wait`; a result never read is
        not recorded.

        Args:
            prompt: this turn's prompt.
            session_id: as for :meth:`resume`.
            session_name: as for :meth:`resume`.
            last: as for :meth:`resume`.
            api_key: as for :meth:`run`.
            timeout_seconds: as for :meth:`run_live`.
            keep_events: as for :meth:`run_live`.
            **options: other :class:`CodexExecRequest` fields.

        Returns:
            The running :class:`CodexLiveRun`.

        Raises:
            ValueError: as :meth:`resume`.
            CodexSessionError: ``session_name`` is not in the store.
            CodexNotInstalledError: the CLI was not found.
            CodexSpawnError: the CLI could not be started, on the last attempt.
        """
        turn = self._resume_turn(session_id, session_name, last)
        request = CodexExecRequest(prompt=prompt, **options)
        steps = self._live_steps("resume_live", request, turn, api_key, timeout_seconds, keep_events)
        return CodexLiveRun(self._engine.drive(steps))

    async def resume_live_async(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        keep_events: bool = False,
        **options: Any,
    ) -> AsyncCodexLiveRun:
        """As :meth:`resume_live`, on asyncio, with the same arguments and errors; returns an
        :class:`AsyncCodexLiveRun`."""
        turn = self._resume_turn(session_id, session_name, last)
        request = CodexExecRequest(prompt=prompt, **options)
        steps = self._live_steps("resume_live", request, turn, api_key, timeout_seconds, keep_events)
        return AsyncCodexLiveRun(await self._engine.drive_async(steps))

    # -- session store ---------------------------------------------------------------------

    def save_session(self, name: str, session_id: str) -> None:
        """Save thread ``session_id`` under ``name``.

        An existing record keeps its counters and history; pointed at another thread, it
        forgets the old thread's token total, so the next turn's ``turn_usage`` is unknown
        rather than wrong.

        Raises:
            ValueError: ``name`` or ``session_id`` is empty.
            SessionStoreError: the store could not be read or written.
        """
        if not session_id:
            raise ValueError("session_id is empty: pass the thread id to save")
        self.session_store.set(check_session_name(name), session_id)

    def get_session_id(self, name: str) -> str | None:
        """The thread id saved under ``name``, or ``None``.

        Raises:
            ValueError: ``name`` is empty or blank (the built-in stores).
            SessionStoreError: the store could not be read.
        """
        return self.session_store.get(name)

    def delete_session(self, name: str) -> bool:
        """Forget ``name`` (the CLI's own thread files are kept).

        Returns:
            ``True`` if the name existed.

        Raises:
            ValueError: ``name`` is empty or blank (the built-in stores).
            SessionStoreError: the store could not be read or written.
        """
        return self.session_store.delete(name)

    def list_sessions(self) -> dict[str, str]:
        """Every saved name and its thread id.

        Raises:
            SessionStoreError: the store could not be read.
        """
        return self.session_store.all()

    def get_session_record(self, name: str) -> SessionRecord | None:
        """The full record saved under ``name``, or ``None``.

        Raises:
            ValueError: ``name`` is empty or blank (the built-in stores).
            SessionStoreError: the store could not be read.
        """
        return self.session_store.get_record(name)

    def list_session_records(self) -> list[SessionRecord]:
        """Every record, sorted by name.

        Raises:
            SessionStoreError: the store could not be read.
        """
        return self.session_store.list_records()

    def open_session(self, name: str, *, api_key: str | None = None, **options: Any) -> CodexThreadSession:
        """A :class:`CodexThreadSession` for the saved session ``name``; runs nothing.

        Args:
            name: the saved session.
            api_key: sent with each of its turns, as for :meth:`run`.
            **options: :class:`CodexExecRequest` fields (``cwd``, ``model``...) for its
                turns; ``images``, ``output_schema_path`` and ``output_last_message_path``
                are dropped (pass them per turn).

        Returns:
            The session, with no ``last_result``.

        Raises:
            ValueError: ``name`` is empty or blank.
            CodexSessionError: no session has that name.
            SessionStoreError: the store could not be read.
        """
        record = self._require_record(name)
        return CodexThreadSession(
            self, record.session_id, session_name=name, options=options, api_key=api_key
        )

    # -- internals -------------------------------------------------------------------------

    def _run_steps(
        self,
        operation: str,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        timeout: float | None,
    ) -> Steps[CodexExecResult]:
        spec = self._spec(request, turn, api_key, timeout)
        result = yield from self._engine.execute(operation, spec, request, timeout)
        return self._engine.check(self._finalize(operation, request, turn, result))

    def _live_steps(
        self,
        operation: str,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        timeout: float | None,
        keep_events: bool,
    ) -> Steps[LiveAttempt]:
        request = attrs.evolve(request, json_output=True)
        spec = self._spec(request, turn, api_key, timeout)
        attempt = yield from self._engine.start_live(operation, spec, request, timeout, keep_events)
        return LiveAttempt(
            attempt,
            self._engine,
            finalize=lambda result: self._finalize(operation, request, turn, result),
        )

    def _spec(
        self, request: CodexExecRequest, turn: Turn, api_key: str | None, timeout: float | None
    ) -> ProcessSpec:
        """Validate what only the client can check, and build the process spec."""
        _check_timeout(timeout)
        cwd = request.cwd if request.cwd is not None else self.default_cwd
        for image in request.images:
            if not Path(cwd or os.getcwd(), image).is_file():
                raise ValueError(
                    f"image {image!r} does not exist (looked in {cwd or os.getcwd()!r}): "
                    "pass the path of an existing image file"
                )
        if api_key is not None and not api_key:
            raise ValueError("api_key is empty: pass the key, or None to use the CLI's login")
        env = dict(self.default_env)
        if api_key:
            env["CODEX_API_KEY"] = api_key
        argv = build_exec_argv(
            self.codex_bin, request, resume_thread_id=turn.thread_id, resume_last=turn.last
        )
        return ProcessSpec(argv=argv, stdin=request.prompt.encode("utf-8"), cwd=cwd, env=env)

    def _finalize(
        self, operation: str, request: CodexExecRequest, turn: Turn, result: CodexExecResult
    ) -> CodexExecResult:
        """Add what the client knows to ``result`` and record the session turn."""
        previous = turn.previous_usage
        result = attrs.evolve(
            result,
            turn_usage=result.usage - previous if result.usage and previous is not None else None,
            requested_thread_id=turn.thread_id,
        )
        if turn.session_name is not None and (result.thread_id or not turn.new_session):
            self._record(operation, request.prompt, turn, result)
        return result

    def _record(self, operation: str, prompt: str, turn: Turn, result: CodexExecResult) -> None:
        name = turn.session_name
        assert name is not None
        now = self._engine.clock.time()
        try:
            record = self.session_store.update(
                name,
                lambda current: record_turn(
                    None if turn.new_session else current,
                    name=name,
                    result=result,
                    operation=operation,
                    prompt=prompt,
                    now=now,
                    preview_chars=self.preview_chars,
                ),
            )
        except SessionStoreError as exc:
            exc.result = result  # the turn happened: its thread id must reach the caller
            raise
        except Exception as exc:
            error = SessionStoreError(
                f"the turn ran (thread {result.thread_id}) but the session store could not record it "
                f"under {name!r}: {exc!r}. The error's .result holds the turn."
            )
            error.result = result
            raise error from exc
        assert record is not None
        self._engine.telemetry(operation).session_updated(name, record, result)

    def _resume_turn(self, session_id: str | None, session_name: str | None, last: bool) -> Turn:
        targets = [
            label
            for label, given in (
                ("session_id", session_id is not None),
                ("session_name", session_name is not None),
                ("last=True", last),
            )
            if given
        ]
        if len(targets) != 1:
            raise ValueError(
                "resume needs exactly one of session_id=, session_name= or last=True; "
                + (f"got {' and '.join(targets)}" if targets else "got none")
                + " (a resume never guesses which session to continue)"
            )
        if session_name is not None:
            record = self._require_record(session_name)
            return Turn(
                thread_id=record.session_id, session_name=session_name, previous_usage=record.last_usage
            )
        if session_id is not None and not session_id.strip():
            raise ValueError("session_id is empty: pass a thread id")
        return Turn(thread_id=session_id, last=last)

    def _require_record(self, name: str) -> SessionRecord:
        record = self.session_store.get_record(check_session_name(name))
        if record is None:
            known = sorted(self.session_store.all())
            raise CodexSessionError(
                f"no session named {name!r} in the session store (known: {known[:10]}); "
                "start one with start_thread(..., session_name=...) or save_session(name, id)"
            )
        return record

    def _thread_session(
        self,
        result: CodexExecResult,
        session_name: str | None,
        api_key: str | None,
        options: Mapping[str, Any],
    ) -> CodexThreadSession:
        if result.thread_id is None:
            raise CodexSessionError(
                f"the run exited with code {result.return_code} without reporting a thread id "
                "(no thread.started event), so there is no thread to continue"
            )
        return CodexThreadSession(
            self,
            result.thread_id,
            session_name=session_name,
            last_result=result,
            options=options,
            api_key=api_key,
        )


def _check_timeout(timeout: float | None) -> None:
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout_seconds must be a number of seconds, got {timeout!r}")
    if math.isnan(timeout) or timeout <= 0:
        raise ValueError(f"timeout_seconds must be > 0, got {timeout!r} (None means no timeout)")


def _check_optional_name(name: str | None) -> str | None:
    return None if name is None else check_session_name(name)


@contextlib.contextmanager
def _schema_file(schema: Mapping[str, Any]) -> Iterator[str]:
    if not isinstance(schema, Mapping):
        raise TypeError(f"schema must be a JSON Schema as a dict, got {type(schema).__name__}")
    try:
        text = json.dumps(schema)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"schema is not JSON-serialisable ({exc}): use dicts, lists, str, numbers, bool and None"
        ) from None
    fd, path = tempfile.mkstemp(prefix="codex-output-schema-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
