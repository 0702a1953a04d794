"""CodexLocalClient: the SDK's use cases, wired to its ports.

This module is the one wiring point of the core: ``__init__`` fills each port left as
``None`` with its default adapter. Everything else here turns method arguments into a
:class:`CodexExecRequest`, a :class:`ProcessSpec` and a session turn, and hands them to the
:class:`~codex_local_sdk._engine.RunEngine`, as steps that its sync or asyncio driver runs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._engine import RunEngine
from ._live_attempt import LiveAttempt
from ._run_files import SCHEMA_PATH, attach_run_files, schema_input
from ._steps import Steps
from .command import build_exec_argv
from .errors import CodexSessionError, SessionStoreError
from .events import CodexClientEvent
from .live import AsyncCodexLiveRun, CodexLiveRun
from .models import CodexExecRequest, CodexExecResult, RetryPolicy, StrPath, Usage
from .ports import Clock, EventSink, ProcessRunner, ProcessSpec, SessionStore, update_record
from .sessions import SessionRecord, check_session_name, record_turn
from .thread import CodexThreadSession

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import RequestOptions, SchemaRunOptions

EventHook = Callable[[CodexClientEvent], None] | Callable[[CodexClientEvent], Awaitable[None]]


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
            directory, so it does not depend on a request's ``cwd``; a leading ``~`` is
            expanded to the home directory.
        default_cwd: working directory for requests that set none (``None``: the current
            directory of the process when a run starts); a str or a :class:`~pathlib.Path`.
        default_env: variables set on top of ``os.environ`` for every run (``os.environ``
            itself is fine): str names (not empty, no ``=``) and str values, without NUL.
        raise_on_error: raise :class:`~codex_local_sdk.errors.CodexExecFailedError` for a
            failed run instead of returning its result.
        retry_policy: when to retry; the default never retries.
        session_store: where named sessions live; default :class:`InMemorySessionStore`.
        event_hook: called with every :class:`CodexClientEvent`; an ``Exception`` it raises
            is logged and ignored. A plain function runs inline (in an async run it blocks
            the event loop while it runs); a coroutine function is scheduled as a task on
            the running loop in async runs, and run to its end on a private loop in sync
            runs (see :class:`~adapters.sinks.CallbackSink`).
        runner: the :class:`~codex_local_sdk.ports.ProcessRunner`; default
            :class:`~adapters.subprocess_runner.SubprocessRunner`.
        clock: the :class:`~codex_local_sdk.ports.Clock`; default the system clock.
        event_sink: another :class:`~codex_local_sdk.ports.EventSink` for telemetry, called
            before ``event_hook`` and guarded the same way; an ``emit`` that returns a
            coroutine is run as a coroutine hook is (with no hook and no sink, events go to
            the ``codex_local_sdk.telemetry`` logger at DEBUG).
        terminate_grace_seconds: after SIGTERM, how long a process group may take to exit
            before it is SIGKILLed (timeouts and ``terminate()``); finite.
        preview_chars: how many characters of prompts and messages session records keep
            (0 keeps no text).

    Attributes:
        codex_bin: ``argv[0]`` of every run: the name as given, or the absolute path.
        default_cwd: as given, as a str.
        default_env: a copy of the mapping given.
        preview_chars: as given.
        session_store: the store in use.

    Raises:
        TypeError: a grace period that is not a number, a ``preview_chars`` that is not an
            int, a ``codex_bin`` or ``default_cwd`` that is not a path, a ``default_env``
            that is not a mapping of str to str.
        ValueError: a negative, NaN or infinite grace period, a negative preview length, a
            ``default_env`` name that is empty or holds ``=`` or NUL, a value that holds NUL.
    """

    def __init__(
        self,
        codex_bin: StrPath = "codex",
        default_cwd: StrPath | None = None,
        default_env: Mapping[str, str] | None = None,
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
        _check_grace(terminate_grace_seconds)
        if isinstance(preview_chars, bool) or not isinstance(preview_chars, int):
            raise TypeError(f"preview_chars must be an int (a number of characters), got {preview_chars!r}")
        if preview_chars < 0:
            raise ValueError(f"preview_chars must be >= 0, got {preview_chars}")
        # The wiring point: the only place the core reaches for its default adapters.
        from adapters.clock import SystemClock
        from adapters.local_files import handling_run_files
        from adapters.memory_store import InMemorySessionStore
        from adapters.sinks import CallbackSink, FanOutSink, LoggingSink
        from adapters.subprocess_runner import SubprocessRunner

        # A relative path is pinned now: the runner starts the CLI in the request's cwd, where
        # a path like ./bin/codex would otherwise be looked up.
        codex_bin = os.path.expanduser(_fspath("codex_bin", codex_bin))
        if os.path.dirname(codex_bin) and not os.path.isabs(codex_bin):
            codex_bin = os.path.abspath(codex_bin)
        self.codex_bin = codex_bin
        self.default_cwd = None if default_cwd is None else _fspath("default_cwd", default_cwd)
        self.default_env = _check_env(default_env)
        self.preview_chars = preview_chars
        self.session_store: SessionStore = (
            session_store if session_store is not None else InMemorySessionStore()
        )
        # CallbackSink logs what a receiver raises: telemetry never breaks a run.
        receivers = [r for r in (event_sink.emit if event_sink else None, event_hook) if r is not None]
        self._engine = RunEngine(
            runner=handling_run_files(runner) if runner is not None else SubprocessRunner(),
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
            TypeError: ``timeout_seconds`` is not a number, ``api_key`` not a str.
            ValueError: ``timeout_seconds`` is not a finite number > 0, an image is not an
                existing file, or ``api_key`` is empty or holds NUL.
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
        **options: Unpack[RequestOptions],
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
        **options: Unpack[RequestOptions],
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
        **options: Unpack[SchemaRunOptions],
    ) -> CodexExecResult:
        """Run ``prompt`` so that the final message is JSON meeting ``schema``.

        The schema goes to the runner as an input file of the run, for ``--output-schema``:
        :class:`~adapters.subprocess_runner.SubprocessRunner` writes it to a private
        temporary file and removes it afterwards, whatever the outcome. Read the answer with
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
        files = schema_input(schema)
        request = CodexExecRequest(prompt=prompt, output_schema_path=SCHEMA_PATH, **options)
        steps = self._run_steps("run", request, Turn(previous_usage=Usage()), api_key, timeout_seconds, files)
        return self._engine.drive(steps)

    async def run_with_schema_async(
        self,
        prompt: str,
        schema: Mapping[str, Any],
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Unpack[SchemaRunOptions],
    ) -> CodexExecResult:
        """As :meth:`run_with_schema`, on asyncio, with the same arguments, result and errors."""
        files = schema_input(schema)
        request = CodexExecRequest(prompt=prompt, output_schema_path=SCHEMA_PATH, **options)
        steps = self._run_steps("run", request, Turn(previous_usage=Usage()), api_key, timeout_seconds, files)
        return await self._engine.drive_async(steps)

    # -- threads and sessions --------------------------------------------------------------

    def start_thread(
        self,
        prompt: str,
        *,
        session_name: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Unpack[RequestOptions],
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
        request = attrs.evolve(CodexExecRequest(prompt=prompt, **options), json_output=True)
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
        **options: Unpack[RequestOptions],
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        """As :meth:`start_thread`, on asyncio, with the same arguments, result and errors."""
        request = attrs.evolve(CodexExecRequest(prompt=prompt, **options), json_output=True)
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
        **options: Unpack[RequestOptions],
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
            TypeError: ``session_id`` is not a str, ``last`` not a bool; and as
                :meth:`run_prompt`.
            ValueError: none or several targets, an empty ``session_id`` or
                ``session_name``; and as :meth:`run_prompt`.
            CodexSessionError: ``session_name`` is not in the store.
            CodexUnknownThreadError: the CLI has no such thread (``session_id`` or
                ``session_name``) and ``raise_on_error`` is on.
            CodexThreadBusyError: another run was continuing the thread, after the
                retries, and ``raise_on_error`` is on.
            SessionStoreError: the turn ran but could not be recorded under
                ``session_name``; the error's ``result`` holds it. Also raised, with no
                ``result``, when the store cannot be updated before the turn (nothing ran).
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
        **options: Unpack[RequestOptions],
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
        **options: Unpack[RequestOptions],
    ) -> CodexLiveRun:
        """:meth:`resume`, streamed like :meth:`run_live`.

        A named session records the turn once: when the run's result is first read with
        :meth:`~CodexLiveRun.result` or :meth:`~CodexLiveRun.wait`, or else when the run is
        closed (leaving the ``with`` block), as it ended or, if still going, as interrupted.

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
            SessionStoreError: the store could not be read or updated before the turn
                (nothing ran).
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
        **options: Unpack[RequestOptions],
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
            ValueError: ``name`` or ``session_id`` is empty or blank.
            SessionStoreError: the store could not be read or written.
        """
        if not isinstance(session_id, str) or not session_id.strip():
            raise ValueError(f"session_id must be a thread id (a non-blank string), got {session_id!r}")
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

    def open_session(
        self, name: str, *, api_key: str | None = None, **options: Unpack[RequestOptions]
    ) -> CodexThreadSession:
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
        input_files: Mapping[str, bytes] | None = None,
    ) -> Steps[CodexExecResult]:
        spec = self._spec(request, turn, api_key, timeout, input_files)
        turn = self._begin(turn)
        result = yield from self._engine.execute(operation, spec, request, timeout)
        return self._engine.check(self._finalize(operation, request, turn, result), timeout)

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
        turn = self._begin(turn)
        attempt = yield from self._engine.start_live(operation, spec, request, timeout, keep_events)
        return LiveAttempt(
            attempt,
            self._engine,
            finalize=lambda result: self._finalize(operation, request, turn, result),
            timeout=timeout,
        )

    def _spec(
        self,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        timeout: float | None,
        input_files: Mapping[str, bytes] | None = None,
    ) -> ProcessSpec:
        """Validate what only the client can check, and build the process spec."""
        _check_timeout(timeout)
        cwd = request.cwd if request.cwd is not None else self.default_cwd
        _check_api_key(api_key)
        env = dict(self.default_env)
        if api_key:
            env["CODEX_API_KEY"] = api_key
        argv = build_exec_argv(
            self.codex_bin, request, resume_thread_id=turn.thread_id, resume_last=turn.last
        )
        spec = ProcessSpec(argv=argv, stdin=request.prompt.encode("utf-8"), cwd=cwd, env=env)
        return attach_run_files(spec, request, input_files)

    def _begin(self, turn: Turn) -> Turn:
        """Before a turn of a named session runs: take the thread's previous total from its
        record and clear it there, in one store update.

        Until the turn is recorded, the record holds no total. A turn that is never recorded
        (the store failed, the process died, a live run was dropped unclosed) thus leaves
        the next turn's ``turn_usage`` unknown (``None``) instead of counting this turn's
        tokens twice.
        """
        name = turn.session_name
        if name is None or turn.new_session:
            return turn
        previous: list[Usage | None] = [None]

        def clear(record: SessionRecord | None) -> SessionRecord | None:
            if record is None:
                return None
            if record.session_id == turn.thread_id:
                previous[0] = record.last_usage
            return attrs.evolve(record, last_usage=None)

        try:
            update_record(self.session_store, name, clear)
        except SessionStoreError:
            raise
        except Exception as exc:
            raise SessionStoreError(
                f"the session store could not update {name!r} before the turn: {exc!r} (nothing ran)"
            ) from exc
        return attrs.evolve(turn, previous_usage=previous[0])

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

        def fold(current: SessionRecord | None) -> SessionRecord:
            base = None if turn.new_session else current
            record = record_turn(
                base,
                name=name,
                result=result,
                operation=operation,
                prompt=prompt,
                now=now,
                preview_chars=self.preview_chars,
            )
            if base is not None and base.last_usage is not None:
                # This turn's start cleared it: a later turn was recorded meanwhile, so which
                # of the two totals is the thread's latest is unknown.
                record = attrs.evolve(record, last_usage=None)
            return record

        try:
            record = update_record(self.session_store, name, fold)
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
        if session_id is not None and not isinstance(session_id, str):
            raise TypeError(f"session_id must be a str (a thread id), got {session_id!r}")
        if not isinstance(last, bool):
            raise TypeError(f"last must be True or False, got {last!r}")
        if session_name is not None:
            record = self._require_record(session_name)
            return Turn(thread_id=record.session_id, session_name=session_name)
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
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(
            f"timeout_seconds must be a finite number > 0, got {timeout!r} (None means no timeout)"
        )


def _check_grace(grace: float) -> float:
    if isinstance(grace, bool) or not isinstance(grace, (int, float)):
        raise TypeError(f"terminate_grace_seconds must be a number of seconds, got {grace!r}")
    if not math.isfinite(grace) or grace < 0:
        raise ValueError(
            f"terminate_grace_seconds must be a finite number >= 0, got {grace!r} "
            "(after it, a process group that ignored SIGTERM is SIGKILLed)"
        )
    return grace


def _fspath(name: str, path: StrPath) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, got {path!r} ({type(path).__name__})")
    return os.fspath(path)


def _check_env(env: Mapping[str, str] | None) -> dict[str, str]:
    """A copy of ``env``, once every name and value can go into a process environment."""
    if env is None:
        return {}
    if not isinstance(env, Mapping):
        raise TypeError(f"default_env must be a mapping of names to values, got {type(env).__name__}")
    for name, value in env.items():
        if not isinstance(name, str):
            raise TypeError(f"default_env names must be str, got {name!r}")
        if not name or "=" in name or "\0" in name:
            problem = "is empty" if not name else "holds '=' or a NUL character"
            raise ValueError(f"default_env name {name!r} {problem}: no environment variable can be named so")
        if not isinstance(value, str):
            raise TypeError(f"default_env[{name!r}] must be a str, got {value!r} ({type(value).__name__})")
        if "\0" in value:
            raise ValueError(
                f"default_env[{name!r}] holds a NUL character, which no environment value can carry"
            )
    return dict(env)


def _check_api_key(api_key: str | None) -> None:
    if api_key is None:
        return
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a str, got {type(api_key).__name__}")
    if not api_key:
        raise ValueError("api_key is empty: pass the key, or None to use the CLI's login")
    if "\0" in api_key:
        raise ValueError("api_key holds a NUL character, which no environment value can carry")


def _check_optional_name(name: str | None) -> str | None:
    return None if name is None else check_session_name(name)
