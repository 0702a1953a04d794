"""CodexLocalClient: the SDK's use cases, as a thin facade.

Each method hands its arguments to the module that owns them: :mod:`~codex_local_sdk._wiring`
fills the ports left as ``None`` with their default adapters, :mod:`~codex_local_sdk._turns`
decides which thread a run continues, builds its process spec and records its session turn,
and the :class:`~codex_local_sdk._engine.RunEngine` runs the resulting steps on its sync or
asyncio driver.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import _turns, _validation, _wiring
from ._compat import accepting_origin_args
from ._environment import Isolation
from ._output import OutputType, optional_spec, output_spec
from ._timeouts import Timeouts
from ._wiring import EventHook
from .live import AsyncCodexLiveRun, CodexLiveRun
from .models import CodexExecRequest, CodexExecResult, RetryPolicy, StrPath
from .ports import Clock, EventSink, ProcessRunner, SessionStore, ThreadArchive
from .sessions import SessionRecord, WorkspaceResolver, check_session_id, check_session_name
from .thread import CodexThreadSession
from .versions import CliVersion

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import RequestOptions, SchemaRunOptions


# codex-local-sdk-python 0.1.4's positional orders of the methods that share one.
_SCHEMA_ARGS = accepting_origin_args(
    "prompt",
    "schema",
    "output_last_message_path",
    "api_key",
    "timeout_seconds",
    renames={"output_json_path": "output_last_message_path"},
)
_RESUME_ARGS = accepting_origin_args(
    "prompt",
    "session_id",
    "session_name",
    "last",
    "all_sessions",
    "json_output",
    "cwd",
    "api_key",
    "timeout_seconds",
)
_RESUME_LIVE_ARGS = accepting_origin_args(
    "prompt", "session_id", "session_name", "last", "all_sessions", "cwd", "api_key"
)


class CodexLocalClient:
    """Runs ``codex exec`` with retries, timeouts, named sessions and telemetry.

    Its methods also take codex-local-sdk-python 0.1.4's calls: that package's positional
    orders, ``run_with_schema(output_json_path=)`` (our ``output_last_message_path``) and
    ``open_session(default_cwd=)`` (the session's ``cwd``); see the Migrating guide.

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
        timeout_seconds: the ``timeout_seconds`` of every call that gives none; ``None``: no limit.
        idle_timeout_seconds: the ``idle_timeout_seconds`` of every call that gives none.
        first_event_timeout_seconds: the ``first_event_timeout_seconds`` of every call that
            gives none.
        max_concurrent_runs: at most this many CLI processes of this client at once, sync and
            async callers alike; ``None``: no limit. A run waits for a slot (reported as
            ``run.queued``), and the wait counts against its ``timeout_seconds``; a live run
            frees its slot when its process ends.
        codex_home: ``CODEX_HOME`` for every run (its config, logins and threads), unless a
            request sets its own; ``~`` is expanded and a relative path made absolute here.
            ``None``: the inherited one (the CLI's default, ``~/.codex``).
        inherit_env: ``False`` gives the CLI only a minimal environment instead of all of
            the runner's: ``PATH``, ``HOME``, user, shell and locale (``LANG``, ``LC_*``),
            ``TZ``, ``TMPDIR``, proxy and CA-certificate variables, every ``CODEX_*``
            variable but the SDK's own ``CODEX_LOCAL_*``, ``OPENAI_API_KEY`` and the
            ``env_key`` of each provider the request's
            ``config`` sets, plus ``env_allowlist``; ``default_env``, ``codex_home`` and the
            API key are set on top. A service's own secrets then stay out of the agent's
            shell.
        env_allowlist: more variable names the CLI inherits with ``inherit_env=False`` (a
            trailing ``*`` matches a prefix, ``"AWS_*"``; a leading ``!`` keeps out what a
            prefix let in, ``"!AWS_SECRET_*"``), e.g. the key variable of a provider
            configured in ``config.toml``.
        base_url: the model provider's base URL for every run, unless a request sets its
            own; rendered as ``-c openai_base_url="..."`` (the CLI ignores
            ``OPENAI_BASE_URL``).
        strict_cli_version: refuse, with
            :class:`~codex_local_sdk.errors.CodexUnsupportedCliError`, a CLI older than the
            oldest supported version or one whose version cannot be read; the version is then
            read before the first run. Otherwise it is read only when a run uses an option
            that not every supported CLI has, and an old CLI is logged once as a warning.
        thread_archive: a :class:`~codex_local_sdk.ports.ThreadArchive` that keeps every
            thread's rollout off the machine, so that a worker with another ``CODEX_HOME``
            continues a thread started elsewhere: a turn of an existing thread takes the
            thread's lease (one worker at a time) and restores its rollout first, and each run
            saves it afterwards. The archive's failures raise
            :class:`~codex_local_sdk.errors.ThreadArchiveError` (with the turn as its
            ``result`` when it ran), a lease held elsewhere or lost
            :class:`~codex_local_sdk.errors.CodexThreadBusyError`. ``None`` (the default):
            threads live only in ``CODEX_HOME``.
        capture_prompts: put each call's prompt in its ``operation.started`` event
            (``data["prompt"]``), for sinks that record it (the
            :class:`~adapters.otel_sink.OpenTelemetrySink` sets ``gen_ai.input.messages``).
            Off by default: telemetry then never holds a prompt.
        workspace_resolver: where a named session continues on this machine: called with the
            session's :class:`~codex_local_sdk.sessions.SessionRecord` when a turn resumes
            (or forks) it by name, it returns the
            :class:`~codex_local_sdk.sessions.SessionWorkspace` (``cwd`` and ``add_dirs``)
            used instead of the recorded ones; a ``cwd=`` or ``add_dirs=`` of the call still
            wins. For fleets whose machines lay out workspaces differently. ``None`` (the
            default): the recorded launch options apply as they are. ``CODEX_HOME`` is never
            taken from a record: it is this client's ``codex_home``.

    Attributes:
        codex_bin: ``argv[0]`` of every run: the name as given, or the absolute path.
        default_cwd: as given, as a str.
        default_env: a copy of the mapping given.
        preview_chars: as given.
        session_store: the store in use.
        thread_archive: as given.
        workspace_resolver: as given.
        codex_home: as given, absolute, or ``None``.
        inherit_env: as given.
        env_allowlist: as given, as a tuple.
        base_url: as given.

    Raises:
        TypeError: a grace period that is not a number, a ``preview_chars`` or
            ``max_concurrent_runs`` that is not an int, a ``codex_bin`` or ``default_cwd``
            that is not a path, a ``default_env`` that is not a mapping of str to str, a
            ``workspace_resolver`` that is not callable.
        ValueError: a negative, NaN or infinite grace period, a negative preview length, a
            ``default_env`` name that is empty or holds ``=`` or NUL, a value that holds NUL,
            a timeout that is not a finite number > 0, a ``max_concurrent_runs`` < 1, an
            ``env_allowlist`` entry that is no variable name, a ``base_url`` that is not an
            ``http(s)://`` URL.
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
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        max_concurrent_runs: int | None = None,
        codex_home: StrPath | None = None,
        inherit_env: bool = True,
        env_allowlist: Iterable[str] = (),
        base_url: str | None = None,
        strict_cli_version: bool = False,
        thread_archive: ThreadArchive | None = None,
        capture_prompts: bool = False,
        workspace_resolver: WorkspaceResolver | None = None,
    ) -> None:
        self.codex_bin, self.default_cwd, self.default_env, self.preview_chars = _validation.client_settings(
            codex_bin, default_cwd, default_env, terminate_grace_seconds, preview_chars
        )
        self._isolation = Isolation(
            codex_home=codex_home, inherit_env=inherit_env, env_allowlist=env_allowlist, base_url=base_url
        )
        self.session_store = _wiring.session_store(session_store)
        self.thread_archive = thread_archive
        self.workspace_resolver = _validation.workspace_resolver(workspace_resolver)
        self._default_timeouts = Timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds)
        _validation.check_max_concurrent_runs(max_concurrent_runs)
        self._engine = _wiring.engine(
            runner=runner,
            clock=clock,
            event_sink=event_sink,
            event_hook=event_hook,
            retry_policy=retry_policy,
            grace_seconds=terminate_grace_seconds,
            raise_on_error=raise_on_error,
            strict_cli_version=_validation.flag("strict_cli_version", strict_cli_version),
            max_concurrent_runs=max_concurrent_runs,
            capture_prompts=_validation.flag("capture_prompts", capture_prompts),
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        """The policy every run of this client follows."""
        return self._engine.retry_policy

    @property
    def raise_on_error(self) -> bool:
        """Whether failed runs raise instead of returning their result."""
        return self._engine.raise_on_error

    @property
    def codex_home(self) -> str | None:
        """``CODEX_HOME`` for runs whose request sets none (absolute), or ``None``."""
        return self._isolation.codex_home

    @property
    def inherit_env(self) -> bool:
        """Whether the CLI inherits the runner's whole environment."""
        return self._isolation.inherit_env

    @property
    def env_allowlist(self) -> tuple[str, ...]:
        """The variables the CLI inherits beyond the minimal ones, with ``inherit_env=False``."""
        return self._isolation.env_allowlist

    @property
    def base_url(self) -> str | None:
        """The model provider's base URL for runs whose request sets none, or ``None``."""
        return self._isolation.base_url

    # -- the CLI ---------------------------------------------------------------------------

    def cli_version(self) -> CliVersion:
        """The installed CLI's version, as the runner reports it (``codex --version``), so a
        container or remote runner answers for its own CLI. Read once per runner and binary,
        then kept: a version read for a run is not read again.

        Returns:
            A :class:`~codex_local_sdk.versions.CliVersion`; compare it with another
            (``client.cli_version() >= CliVersion.parse("0.160.0")``).

        Raises:
            CodexNotInstalledError: the CLI was not found.
            CodexSpawnError: the CLI could not be started.
            CodexUnsupportedCliError: its output holds no version; or, with
                ``strict_cli_version=True``, it is older than the oldest supported version.
        """
        return _turns.known_version(self.codex_bin, self._engine.drive(self._steps().cli_version()))

    async def cli_version_async(self) -> CliVersion:
        """As :meth:`cli_version`, on asyncio, with the same result and errors."""
        return _turns.known_version(
            self.codex_bin, await self._engine.drive_async(self._steps().cli_version())
        )

    def is_available(self) -> bool:
        """Whether the CLI can be found, as the runner sees it: the runner's ``find_program``
        says (:class:`~adapters.subprocess_runner.SubprocessRunner` looks on the ``PATH`` of
        the run's environment, then for the bundled CLI of ``codex-local-sdk[cli-bin]``), or,
        for a runner without it, ``codex --version`` starts through it. Runs no turn."""
        return self._engine.drive(self._steps().cli_available())

    async def is_available_async(self) -> bool:
        """As :meth:`is_available`, on asyncio."""
        return await self._engine.drive_async(self._steps().cli_available())

    # -- one-off runs ----------------------------------------------------------------------

    @accepting_origin_args("request", "api_key", "timeout_seconds")
    def run(
        self,
        request: CodexExecRequest,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
    ) -> CodexExecResult:
        """Run ``request`` to its end, retrying per the policy. It starts a new thread.

        Args:
            request: what to run.
            api_key: sent to the CLI as ``CODEX_API_KEY`` in its environment only; ``None``
                leaves the CLI's own login (or ``default_env``) in charge.
            timeout_seconds: limit for each attempt, ``None`` for the client's (none by
                default); at the limit the process group is terminated (SIGTERM, grace,
                SIGKILL) and :class:`CodexTimeoutError` says ``timeout_kind="total"``.
            idle_timeout_seconds: end an attempt that made no progress (an item event or
                the turn's end) for this long, the same way (``timeout_kind="idle"``);
                ``None`` for the client's.
            first_event_timeout_seconds: end an attempt that made no progress at all this
                long after it started (``timeout_kind="first_event"``); ``None`` for the
                client's.

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
            self._steps().run(
                "run",
                request,
                _turns.NEW_THREAD,
                api_key,
                self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            )
        )

    @accepting_origin_args("request", "api_key", "timeout_seconds")
    async def run_async(
        self,
        request: CodexExecRequest,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
    ) -> CodexExecResult:
        """As :meth:`run`, on asyncio (no thread per run), with the same arguments, result
        and errors. Cancelling it kills the run's process group."""
        return await self._engine.drive_async(
            self._steps().run(
                "run",
                request,
                _turns.NEW_THREAD,
                api_key,
                self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            )
        )

    @accepting_origin_args("prompt", "api_key", "timeout_seconds")
    def run_prompt(
        self,
        prompt: str,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> CodexExecResult:
        """Run ``prompt`` as a new :class:`CodexExecRequest`; see :meth:`run`.

        Args:
            prompt: the request's ``prompt``.
            api_key: as for :meth:`run`.
            timeout_seconds: as for :meth:`run`.
            idle_timeout_seconds: as for :meth:`run`.
            first_event_timeout_seconds: as for :meth:`run`.
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
            idle_timeout_seconds=idle_timeout_seconds,
            first_event_timeout_seconds=first_event_timeout_seconds,
        )

    @accepting_origin_args("prompt", "api_key", "timeout_seconds")
    async def run_prompt_async(
        self,
        prompt: str,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> CodexExecResult:
        """As :meth:`run_prompt`, on asyncio, with the same arguments, result and errors."""
        return await self.run_async(
            CodexExecRequest(prompt=prompt, **options),
            api_key=api_key,
            timeout_seconds=timeout_seconds,
            idle_timeout_seconds=idle_timeout_seconds,
            first_event_timeout_seconds=first_event_timeout_seconds,
        )

    @_SCHEMA_ARGS
    def run_with_schema(
        self,
        prompt: str,
        schema: OutputType,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[SchemaRunOptions],
    ) -> CodexExecResult:
        """Run ``prompt`` so that the final message is JSON meeting ``schema``, and read it.

        ``schema`` is a JSON Schema mapping, or a type the SDK writes the strict schema of:
        an attrs class, a dataclass, or a pydantic v2 model class. The schema is written to a
        private temporary file for ``--output-schema`` and removed afterwards, whatever the
        outcome. The answer is in :attr:`CodexExecResult.output`: an instance of the class,
        or the parsed JSON for a mapping (:meth:`CodexExecResult.parse_json` reads it too).

        Args:
            prompt: the request's ``prompt``.
            schema: a JSON Schema mapping, an attrs class, a dataclass or a pydantic v2 model.
            api_key: as for :meth:`run`.
            timeout_seconds: as for :meth:`run`.
            idle_timeout_seconds: as for :meth:`run`.
            first_event_timeout_seconds: as for :meth:`run`.
            **options: other :class:`CodexExecRequest` fields, except ``output_schema_path``.

        Returns:
            The last attempt's result, with ``output`` (or, with ``raise_on_error`` off and a
            reply that does not fit, ``output_errors``).

        Raises:
            TypeError: ``schema`` is none of those, a mapping is not JSON-serialisable, or a
                class has a field no strict schema can describe (the message names it);
                and as :meth:`run_prompt`.
            ValueError: as :meth:`run_prompt`.
            CodexOutputError: the run succeeded but the final message does not fit
                ``schema`` (``raise_on_error`` on); its ``reasons`` name the fields.
            CodexError: as :meth:`run`.
        """
        output = output_spec(schema, "schema")
        request = CodexExecRequest(prompt=prompt, **options)
        steps = self._steps().run(
            "run",
            request,
            _turns.NEW_THREAD,
            api_key,
            self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            output,
        )
        return self._engine.drive(steps)

    @_SCHEMA_ARGS
    async def run_with_schema_async(
        self,
        prompt: str,
        schema: OutputType,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[SchemaRunOptions],
    ) -> CodexExecResult:
        """As :meth:`run_with_schema`, on asyncio, with the same arguments, result and errors."""
        output = output_spec(schema, "schema")
        request = CodexExecRequest(prompt=prompt, **options)
        steps = self._steps().run(
            "run",
            request,
            _turns.NEW_THREAD,
            api_key,
            self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            output,
        )
        return await self._engine.drive_async(steps)

    # -- threads and sessions --------------------------------------------------------------

    @accepting_origin_args("prompt", "api_key", "session_name", "timeout_seconds")
    def start_thread(
        self,
        prompt: str,
        *,
        session_name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        output_type: OutputType | None = None,
        **options: Unpack[RequestOptions],
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        """Start a new thread (JSON output is forced, to learn its id).

        With ``session_name``, the thread is saved under that name once the run reports a
        thread id, even if the turn failed (a name already in use now points at the new
        thread, with a fresh record); the returned session records every later turn there.

        Args:
            prompt: the first turn's prompt.
            session_name: save the thread under this name; ``None`` saves nothing. The
                record keeps the launch options (``model``, ``sandbox``, ``cwd``...: see
                :data:`~codex_local_sdk.sessions.LAUNCH_FIELDS`), which a resume by name
                reuses, from any process, unless it gives them.
            metadata: the caller's own keys (``{"ticket": "4711"}``), kept in the record.
            api_key: as for :meth:`run`; the returned session reuses it for its turns.
            timeout_seconds: as for :meth:`run`, for this turn only.
            idle_timeout_seconds: as for :meth:`run`, for this turn only.
            first_event_timeout_seconds: as for :meth:`run`, for this turn only.
            output_type: read the final message into this type, as ``schema`` is read by
                :meth:`run_with_schema`; the result's ``output`` holds it. ``None``: none.
            **options: other :class:`CodexExecRequest` fields; the returned session reuses
                them, except ``images``, ``output_schema_path``,
                ``output_last_message_path`` and ``worktree``.

        Returns:
            The session to continue, and the first turn's result.

        Raises:
            ValueError: ``session_name`` is empty or blank; and as :meth:`run_prompt`.
            CodexSessionError: the run reported no thread id (with ``raise_on_error`` off,
                or a run that succeeded without a ``thread.started`` event).
            SessionStoreError: the turn ran but could not be recorded under
                ``session_name``; the error's ``result`` holds it, thread id included.
            CodexOutputError: as for :meth:`run_with_schema`, with ``output_type``; the
                thread was started (and saved under ``session_name``): the error's
                ``result`` has its id.
            CodexError: as :meth:`run`.
        """
        output = optional_spec(output_type)
        request, turn = _turns.start(prompt, session_name, options, metadata)
        result = self._engine.drive(
            self._steps().run(
                "start_thread",
                request,
                turn,
                api_key,
                self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
                output,
            )
        )
        return self._thread_session(result, session_name, api_key, options)

    @accepting_origin_args("prompt", "api_key", "session_name", "timeout_seconds")
    async def start_thread_async(
        self,
        prompt: str,
        *,
        session_name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        output_type: OutputType | None = None,
        **options: Unpack[RequestOptions],
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        """As :meth:`start_thread`, on asyncio, with the same arguments, result and errors."""
        output = optional_spec(output_type)
        request, turn = _turns.start(prompt, session_name, options, metadata)
        steps = self._steps().run(
            "start_thread",
            request,
            turn,
            api_key,
            self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            output,
        )
        return self._thread_session(await self._engine.drive_async(steps), session_name, api_key, options)

    @_RESUME_ARGS
    def resume(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        output_type: OutputType | None = None,
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
            idle_timeout_seconds: as for :meth:`run`.
            first_event_timeout_seconds: as for :meth:`run`.
            output_type: read the final message into this type, as ``schema`` is read by
                :meth:`run_with_schema`; the result's ``output`` holds it. ``None``: none.
            **options: other :class:`CodexExecRequest` fields, as for a new run; with
                ``session_name``, over the launch options its record keeps.
                ``all_sessions=True`` with ``last``: the most recent session of any
                directory, not only of the run's cwd (``resume --all``).

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
            CodexOutputError: as for :meth:`run_with_schema`, with ``output_type``; the turn
                was recorded.
            CodexError: as :meth:`run`.
        """
        output = optional_spec(output_type)
        request, turn = _turns.resume(
            self.session_store, prompt, session_id, session_name, last, options, self.workspace_resolver
        )
        return self._engine.drive(
            self._steps().run(
                "resume",
                request,
                turn,
                api_key,
                self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
                output,
            )
        )

    @_RESUME_ARGS
    async def resume_async(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        output_type: OutputType | None = None,
        **options: Unpack[RequestOptions],
    ) -> CodexExecResult:
        """As :meth:`resume`, on asyncio, with the same arguments, result and errors."""
        output = optional_spec(output_type)
        request, turn = _turns.resume(
            self.session_store, prompt, session_id, session_name, last, options, self.workspace_resolver
        )
        return await self._engine.drive_async(
            self._steps().run(
                "resume",
                request,
                turn,
                api_key,
                self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
                output,
            )
        )

    def fork_thread(
        self,
        prompt: str | None = None,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        new_session_name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        """Fork a thread into a new one that carries its history (``codex exec fork <id>``).

        Name exactly one parent: ``session_id`` (a thread id) or ``session_name`` (a saved
        session). The new thread's id comes from the CLI (JSON output is forced to learn it).
        Without a prompt the CLI only starts the new thread: the result has its id and no
        turn. With one, the CLI reports the parent's running token total, so ``turn_usage``
        is measured from the parent's total: known for a ``session_name`` whose record holds
        it (or through :meth:`CodexThreadSession.fork`).

        Args:
            prompt: the new thread's first turn; ``None`` runs no turn.
            session_id: the thread to fork.
            session_name: the saved session to fork.
            new_session_name: save the new thread under this name (a fresh record that keeps
                the parent's id as ``parent_session_id``); ``None`` saves nothing.
            metadata: the caller's keys for the new record; ``None``: the parent's, for a
                fork of a saved session.
            api_key: as for :meth:`run`; the returned session reuses it.
            timeout_seconds: as for :meth:`run`.
            idle_timeout_seconds: as for :meth:`run`.
            first_event_timeout_seconds: as for :meth:`run`.
            **options: other :class:`CodexExecRequest` fields, over a saved parent's launch
                options; the returned session reuses them, as :meth:`start_thread`'s does.

        Returns:
            The session that continues the new thread, and the fork's result.

        Raises:
            ValueError: not exactly one of ``session_id`` and ``session_name``, an empty
                one, an empty ``prompt`` or ``new_session_name``, an option ``fork`` refuses;
                and as :meth:`run_prompt`.
            CodexSessionError: ``session_name`` is not in the store, or the run reported no
                thread id.
            CodexUnknownThreadError: the CLI has no such thread and ``raise_on_error`` is on.
            SessionStoreError: the fork ran but could not be recorded under
                ``new_session_name``; the error's ``result`` holds it.
            CodexError: as :meth:`run`.
        """
        request, turn = _turns.fork(
            self.session_store,
            prompt,
            session_id,
            session_name,
            new_session_name,
            options,
            metadata,
            self.workspace_resolver,
        )
        result = self._engine.drive(
            self._steps().run(
                "fork_thread",
                request,
                turn,
                api_key,
                self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            )
        )
        return self._thread_session(result, new_session_name, api_key, options)

    async def fork_thread_async(
        self,
        prompt: str | None = None,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        new_session_name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        """As :meth:`fork_thread`, on asyncio, with the same arguments, result and errors."""
        request, turn = _turns.fork(
            self.session_store,
            prompt,
            session_id,
            session_name,
            new_session_name,
            options,
            metadata,
            self.workspace_resolver,
        )
        steps = self._steps().run(
            "fork_thread",
            request,
            turn,
            api_key,
            self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
        )
        return self._thread_session(await self._engine.drive_async(steps), new_session_name, api_key, options)

    # -- code review -----------------------------------------------------------------------

    def review(
        self,
        *,
        uncommitted: bool = False,
        base: str | None = None,
        commit: str | None = None,
        title: str | None = None,
        instructions: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> CodexExecResult:
        """Review code changes (``codex exec review``) in the request's ``cwd``, a git
        repository.

        Name exactly one target: ``uncommitted=True`` (staged, unstaged and untracked
        changes), ``base`` (the changes against that branch), ``commit`` (the changes it
        introduced) or ``instructions`` (custom review instructions, sent on stdin); the CLI
        accepts no other combination. The findings come as the final message (one
        ``agent_message``); the CLI reports all-zero usage for a review.

        Args:
            uncommitted: review the uncommitted changes.
            base: review the changes against this branch.
            commit: review the changes of this commit.
            title: a commit title to show in the review summary (with any target).
            instructions: review as these instructions ask.
            api_key: as for :meth:`run`.
            timeout_seconds: as for :meth:`run`.
            idle_timeout_seconds: as for :meth:`run`.
            first_event_timeout_seconds: as for :meth:`run`.
            **options: other :class:`CodexExecRequest` fields (``cwd``, ``model``...);
                ``images``, ``worktree`` and ``cyber_access_program`` are refused.

        Returns:
            The last attempt's result: :attr:`~CodexExecResult.final_message` is the review.

        Raises:
            TypeError: a target of the wrong type; and as :meth:`run_prompt`.
            ValueError: none or several targets, an empty one, an option ``review`` refuses;
                and as :meth:`run_prompt`.
            CodexError: as :meth:`run`.
        """
        request, turn = _turns.review(
            uncommitted=uncommitted,
            base=base,
            commit=commit,
            title=title,
            instructions=instructions,
            options=options,
        )
        return self._engine.drive(
            self._steps().run(
                "review",
                request,
                turn,
                api_key,
                self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            )
        )

    async def review_async(
        self,
        *,
        uncommitted: bool = False,
        base: str | None = None,
        commit: str | None = None,
        title: str | None = None,
        instructions: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> CodexExecResult:
        """As :meth:`review`, on asyncio, with the same arguments, result and errors."""
        request, turn = _turns.review(
            uncommitted=uncommitted,
            base=base,
            commit=commit,
            title=title,
            instructions=instructions,
            options=options,
        )
        return await self._engine.drive_async(
            self._steps().run(
                "review",
                request,
                turn,
                api_key,
                self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            )
        )

    def review_live(
        self,
        *,
        uncommitted: bool = False,
        base: str | None = None,
        commit: str | None = None,
        title: str | None = None,
        instructions: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        keep_events: bool = False,
        **options: Unpack[RequestOptions],
    ) -> CodexLiveRun:
        """:meth:`review`, streamed like :meth:`run_live`, with the same arguments and
        ``keep_events``; returns the running :class:`CodexLiveRun`.

        Raises:
            TypeError: as :meth:`review`.
            ValueError: as :meth:`review`.
            CodexNotInstalledError: the CLI was not found.
            CodexSpawnError: the CLI could not be started, on the last attempt.
        """
        request, turn = _turns.review(
            uncommitted=uncommitted,
            base=base,
            commit=commit,
            title=title,
            instructions=instructions,
            options=options,
        )
        steps = self._steps().live(
            "review_live",
            request,
            turn,
            api_key,
            self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            keep_events,
        )
        return CodexLiveRun(self._engine.drive(steps))

    async def review_live_async(
        self,
        *,
        uncommitted: bool = False,
        base: str | None = None,
        commit: str | None = None,
        title: str | None = None,
        instructions: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        keep_events: bool = False,
        **options: Unpack[RequestOptions],
    ) -> AsyncCodexLiveRun:
        """As :meth:`review_live`, on asyncio, with the same arguments and errors; returns an
        :class:`AsyncCodexLiveRun`."""
        request, turn = _turns.review(
            uncommitted=uncommitted,
            base=base,
            commit=commit,
            title=title,
            instructions=instructions,
            options=options,
        )
        steps = self._steps().live(
            "review_live",
            request,
            turn,
            api_key,
            self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            keep_events,
        )
        return AsyncCodexLiveRun(await self._engine.drive_async(steps))

    # -- live runs -------------------------------------------------------------------------

    @accepting_origin_args("request", "api_key")
    def run_live(
        self,
        request: CodexExecRequest,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        keep_events: bool = False,
        output_type: OutputType | None = None,
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
                you iterate or wait, and by a watchdog timer while nobody reads.
            idle_timeout_seconds: as for :meth:`run`; enforced while you iterate or wait
                (progress waiting unread in the pipe is not a stall).
            first_event_timeout_seconds: as for :meth:`run`, enforced the same way.
            keep_events: also keep every event (and stdout) in the run's result. Off by
                default: the events go to you as they come, and memory stays flat however
                long the run; the result still has the thread id, final message, status and
                usage.
            output_type: read the final message into this type, as ``schema`` is read by
                :meth:`run_with_schema`: the run's result has it in ``output``, and its
                :meth:`~CodexLiveRun.result` raises ``CodexOutputError`` for a reply that
                does not fit (``raise_on_error`` on). ``request.output_schema_path`` must be
                ``None``.

        Returns:
            The running :class:`CodexLiveRun`; use it as a context manager.

        Raises:
            CodexNotInstalledError: the CLI was not found.
            CodexSpawnError: the CLI could not be started, on the last attempt.
            CodexTimeoutError: with ``max_concurrent_runs``, no slot came free within
                ``timeout_seconds`` (whatever ``raise_on_error``).
            TypeError: ``timeout_seconds`` is not a number; ``output_type`` as for
                :meth:`run_with_schema`.
            ValueError: as :meth:`run`; an ``output_type`` with an ``output_schema_path``.
        """
        output = optional_spec(output_type)
        steps = self._steps().live(
            "run_live",
            request,
            _turns.NEW_THREAD,
            api_key,
            self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            keep_events,
            output,
        )
        return CodexLiveRun(self._engine.drive(steps))

    @accepting_origin_args("request", "api_key")
    async def run_live_async(
        self,
        request: CodexExecRequest,
        *,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        keep_events: bool = False,
        output_type: OutputType | None = None,
    ) -> AsyncCodexLiveRun:
        """As :meth:`run_live`, on asyncio, with the same arguments and errors; returns an
        :class:`AsyncCodexLiveRun`."""
        output = optional_spec(output_type)
        steps = self._steps().live(
            "run_live",
            request,
            _turns.NEW_THREAD,
            api_key,
            self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            keep_events,
            output,
        )
        return AsyncCodexLiveRun(await self._engine.drive_async(steps))

    @_RESUME_LIVE_ARGS
    def resume_live(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        keep_events: bool = False,
        output_type: OutputType | None = None,
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
            idle_timeout_seconds: as for :meth:`run_live`.
            first_event_timeout_seconds: as for :meth:`run_live`.
            keep_events: as for :meth:`run_live`.
            output_type: as for :meth:`run_live`.
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
        output = optional_spec(output_type)
        request, turn = _turns.resume(
            self.session_store, prompt, session_id, session_name, last, options, self.workspace_resolver
        )
        steps = self._steps().live(
            "resume_live",
            request,
            turn,
            api_key,
            self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            keep_events,
            output,
        )
        return CodexLiveRun(self._engine.drive(steps))

    @_RESUME_LIVE_ARGS
    async def resume_live_async(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        keep_events: bool = False,
        output_type: OutputType | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncCodexLiveRun:
        """As :meth:`resume_live`, on asyncio, with the same arguments and errors; returns an
        :class:`AsyncCodexLiveRun`."""
        output = optional_spec(output_type)
        request, turn = _turns.resume(
            self.session_store, prompt, session_id, session_name, last, options, self.workspace_resolver
        )
        steps = self._steps().live(
            "resume_live",
            request,
            turn,
            api_key,
            self._timeouts(timeout_seconds, idle_timeout_seconds, first_event_timeout_seconds),
            keep_events,
            output,
        )
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
        self.session_store.set(check_session_name(name), check_session_id(session_id))

    def get_session_id(self, name: str) -> str | None:
        """The thread id saved under ``name``, or ``None``.

        Raises:
            ValueError: ``name`` is empty or blank (the built-in stores).
            SessionStoreError: the store could not be read.
        """
        return self.session_store.get(name)

    def delete_session(self, name: str, *, purge_thread: bool = False) -> bool:
        """Forget ``name`` (the CLI's own thread files are kept).

        Args:
            name: the session to forget.
            purge_thread: also delete the thread's rollout from the client's
                ``thread_archive``, under the thread's lease (waiting for another worker's as a
                turn does), unless another saved name still uses the thread; by default the
                archive keeps it, so the thread can still be resumed by id or saved under a
                name again.

        Returns:
            ``True`` if the name existed.

        Raises:
            TypeError: ``purge_thread`` is not a bool.
            ValueError: ``name`` is empty or blank (the built-in stores).
            SessionStoreError: the store could not be read or written.
            CodexThreadBusyError: with ``purge_thread``, another worker is continuing the
                thread (its lease stayed taken); nothing was forgotten or deleted.
            ThreadArchiveError: with ``purge_thread``, the archive failed.
        """
        purge = _validation.flag("purge_thread", purge_thread)
        return self._engine.drive(self._steps().forget(name, purge_thread=purge))

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

    def list_session_records(self) -> dict[str, SessionRecord]:
        """Every record, by name, in name order (a dict, as in codex-local-sdk-python 0.1.4).

        A store written for 0.1.4, whose ``list_records`` returns that dict itself, is
        taken as it is.

        Raises:
            SessionStoreError: the store could not be read.
        """
        records: Iterable[SessionRecord] | Mapping[str, SessionRecord] = self.session_store.list_records()
        if isinstance(records, Mapping):
            return dict(records)
        return {record.name: record for record in records}

    @accepting_origin_args("name", "cwd", "api_key", renames={"default_cwd": "cwd"})
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
        session_id = _turns.require_record(self.session_store, name).session_id
        return CodexThreadSession(self, session_id, session_name=name, options=options, api_key=api_key)

    # -- internals -------------------------------------------------------------------------

    def _timeouts(self, total: float | None, idle: float | None, first_event: float | None) -> Timeouts:
        """A call's limits over the client's defaults (each checked before anything runs)."""
        return Timeouts(total, idle, first_event).over(self._default_timeouts)

    def _steps(self) -> _turns.TurnSteps:
        """The steps of a turn, on this client's engine, store and settings as they are now."""
        return _turns.TurnSteps(
            engine=self._engine,
            store=self.session_store,
            codex_bin=self.codex_bin,
            default_cwd=self.default_cwd,
            default_env=self.default_env,
            preview_chars=self.preview_chars,
            isolation=self._isolation,
            archive=self.thread_archive,
        )

    def _thread_session(
        self,
        result: CodexExecResult,
        session_name: str | None,
        api_key: str | None,
        options: Mapping[str, Any],
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        thread_id = _turns.started_thread(result)
        session = CodexThreadSession(
            self, thread_id, session_name=session_name, last_result=result, options=options, api_key=api_key
        )
        return session, result
