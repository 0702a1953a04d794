"""CodexLocalClient: the SDK's use cases, wired to its ports.

This module is the one wiring point of the core: ``__init__`` fills each port left as
``None`` with its default adapter. Everything else here turns method arguments into a
:class:`CodexExecRequest`, a :class:`ProcessSpec` and a session turn, and hands them to the
:class:`~codex_local_sdk.engine.RunEngine`.
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

from .command import build_exec_argv
from .engine import RunEngine
from .errors import CodexSessionError
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
        codex_bin: the CLI to run, a name on PATH or a path.
        default_cwd: working directory for requests that set none.
        default_env: variables added to every run's environment.
        raise_on_error: raise :class:`~codex_local_sdk.errors.CodexExecFailedError` for a
            failed run instead of returning its result.
        retry_policy: when to retry; the default never retries.
        session_store: where named sessions live; default :class:`InMemorySessionStore`.
        event_hook: called with every :class:`CodexClientEvent`; exceptions it raises are
            logged and ignored.
        runner: the :class:`~codex_local_sdk.ports.ProcessRunner`; default the real one.
        clock: the :class:`~codex_local_sdk.ports.Clock`; default the system clock.
        event_sink: another :class:`~codex_local_sdk.ports.EventSink` for telemetry (with no
            hook and no sink, events go to the ``codex_local_sdk.telemetry`` logger at DEBUG).
        terminate_grace_seconds: after SIGTERM, how long a process group may take to exit
            before it is SIGKILLed (timeouts and ``terminate()``).
        preview_chars: how many characters of prompts and messages session records keep
            (0 keeps no text).

    Raises:
        ValueError: a negative grace period or preview length.
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
        """Run ``request`` to its end, retrying per the policy.

        Args:
            request: what to run.
            api_key: sent to the CLI as ``CODEX_API_KEY`` in its environment only.
            timeout_seconds: limit for each attempt; at the limit the process group is
                terminated (SIGTERM, grace, SIGKILL).

        Returns:
            The last attempt's result.

        Raises:
            CodexNotInstalledError: the CLI was not found.
            CodexExecFailedError: the run failed (``CodexTimeoutError`` for a timeout) and
                ``raise_on_error`` is on.
            ValueError: a bad timeout or a missing image file.
        """
        return self._run("run", request, Turn(previous_usage=Usage()), api_key, timeout_seconds)

    async def run_async(
        self,
        request: CodexExecRequest,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
    ) -> CodexExecResult:
        """As :meth:`run`, on asyncio (no thread per run). Cancelling it kills the run."""
        return await self._run_async("run", request, Turn(previous_usage=Usage()), api_key, timeout_seconds)

    def run_prompt(
        self,
        prompt: str,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        **options: Any,
    ) -> CodexExecResult:
        """Run ``prompt``; ``options`` are :class:`CodexExecRequest` fields (``cwd``,
        ``model``, ``sandbox``...). See :meth:`run`."""
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
        """As :meth:`run_prompt`, on asyncio."""
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
        afterwards. Read the answer with :meth:`CodexExecResult.parse_json`.

        Raises:
            TypeError: ``schema`` is not a JSON-serialisable mapping.
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
        """As :meth:`run_with_schema`, on asyncio."""
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

        With ``session_name``, the thread is saved under that name (a name already in use
        now points at the new thread, with a fresh record) and every turn is recorded.

        Raises:
            CodexSessionError: the run reported no thread id.
            CodexExecFailedError: as :meth:`run`.
        """
        request = CodexExecRequest(prompt=prompt, **{**options, "json_output": True})
        turn = Turn(session_name=_check_optional_name(session_name), previous_usage=Usage(), new_session=True)
        result = self._run("start_thread", request, turn, api_key, timeout_seconds)
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
        """As :meth:`start_thread`, on asyncio."""
        request = CodexExecRequest(prompt=prompt, **{**options, "json_output": True})
        turn = Turn(session_name=_check_optional_name(session_name), previous_usage=Usage(), new_session=True)
        result = await self._run_async("start_thread", request, turn, api_key, timeout_seconds)
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
        session). ``options`` are :class:`CodexExecRequest` fields, as for a new run.

        Raises:
            ValueError: none or several targets.
            CodexSessionError: ``session_name`` is not in the store.
            CodexUnknownThreadError: the CLI has no such thread.
            CodexExecFailedError: as :meth:`run`.
        """
        turn = self._resume_turn(session_id, session_name, last)
        request = CodexExecRequest(prompt=prompt, **options)
        return self._run("resume", request, turn, api_key, timeout_seconds)

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
        """As :meth:`resume`, on asyncio."""
        turn = self._resume_turn(session_id, session_name, last)
        request = CodexExecRequest(prompt=prompt, **options)
        return await self._run_async("resume", request, turn, api_key, timeout_seconds)

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
        a spawn error, or a failed exit before any event — is retried per the policy.

        Args:
            keep_events: also keep every event (and stdout) in the run's result. Off by
                default: the events go to you as they come, and memory stays flat however
                long the run; the result still has the thread id, final message, status and
                usage.
        """
        return self._live(
            "run_live", request, Turn(previous_usage=Usage()), api_key, timeout_seconds, keep_events
        )

    async def run_live_async(
        self,
        request: CodexExecRequest,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        keep_events: bool = False,
    ) -> AsyncCodexLiveRun:
        """As :meth:`run_live`, on asyncio."""
        return await self._live_async(
            "run_live", request, Turn(previous_usage=Usage()), api_key, timeout_seconds, keep_events
        )

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
        """:meth:`resume`, streamed like :meth:`run_live`; a named session records the turn
        once, when the run's result is read."""
        turn = self._resume_turn(session_id, session_name, last)
        request = CodexExecRequest(prompt=prompt, **options)
        return self._live("resume_live", request, turn, api_key, timeout_seconds, keep_events)

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
        """As :meth:`resume_live`, on asyncio."""
        turn = self._resume_turn(session_id, session_name, last)
        request = CodexExecRequest(prompt=prompt, **options)
        return await self._live_async("resume_live", request, turn, api_key, timeout_seconds, keep_events)

    # -- session store ---------------------------------------------------------------------

    def save_session(self, name: str, session_id: str) -> None:
        """Save thread ``session_id`` under ``name``."""
        if not session_id:
            raise ValueError("session_id is empty: pass the thread id to save")
        self.session_store.set(check_session_name(name), session_id)

    def get_session_id(self, name: str) -> str | None:
        """The thread id saved under ``name``, or ``None``."""
        return self.session_store.get(name)

    def delete_session(self, name: str) -> bool:
        """Forget ``name`` (the CLI's own thread files are kept); ``True`` if it existed."""
        return self.session_store.delete(name)

    def list_sessions(self) -> dict[str, str]:
        """Every saved name and its thread id."""
        return self.session_store.all()

    def get_session_record(self, name: str) -> SessionRecord | None:
        """The full record saved under ``name``, or ``None``."""
        return self.session_store.get_record(name)

    def list_session_records(self) -> list[SessionRecord]:
        """Every record, sorted by name."""
        return self.session_store.list_records()

    def open_session(self, name: str, **options: Any) -> CodexThreadSession:
        """A :class:`CodexThreadSession` for the saved session ``name``.

        ``options`` (request fields such as ``cwd`` or ``model``) apply to its turns.

        Raises:
            CodexSessionError: no session has that name.
        """
        record = self._require_record(name)
        return CodexThreadSession(self, record.session_id, session_name=name, options=options)

    # -- internals -------------------------------------------------------------------------

    def _run(
        self,
        operation: str,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        timeout: float | None,
    ) -> CodexExecResult:
        spec = self._spec(request, turn, api_key, timeout)
        result = self._engine.execute(operation, spec, request, timeout)
        return self._engine.check(self._finalize(operation, request, turn, result))

    async def _run_async(
        self,
        operation: str,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        timeout: float | None,
    ) -> CodexExecResult:
        spec = self._spec(request, turn, api_key, timeout)
        result = await self._engine.execute_async(operation, spec, request, timeout)
        return self._engine.check(self._finalize(operation, request, turn, result))

    def _live(
        self,
        operation: str,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        timeout: float | None,
        keep_events: bool,
    ) -> CodexLiveRun:
        request = attrs.evolve(request, json_output=True)
        spec = self._spec(request, turn, api_key, timeout)
        attempt = self._engine.start_live(operation, spec, request, timeout, keep_events)
        return CodexLiveRun(
            attempt,
            finalize=lambda result: self._finalize(operation, request, turn, result),
            check=self._engine.check,
        )

    async def _live_async(
        self,
        operation: str,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        timeout: float | None,
        keep_events: bool,
    ) -> AsyncCodexLiveRun:
        request = attrs.evolve(request, json_output=True)
        spec = self._spec(request, turn, api_key, timeout)
        attempt = await self._engine.start_live_async(operation, spec, request, timeout, keep_events)
        return AsyncCodexLiveRun(
            attempt,
            finalize=lambda result: self._finalize(operation, request, turn, result),
            check=self._engine.check,
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
        assert record is not None
        self._engine.emit(
            "session.updated",
            operation,
            session_name=name,
            session_id=record.session_id,
            return_code=result.return_code,
            turn_status=result.turn_status,
            data={
                "turn_count": record.turn_count,
                "success_count": record.success_count,
                "failure_count": record.failure_count,
            },
        )

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
    text = json.dumps(schema)
    fd, path = tempfile.mkstemp(prefix="codex-output-schema-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
