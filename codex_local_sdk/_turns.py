"""The rules of a turn, as plain functions of a session store and values.

Which thread a run continues (:class:`Turn`, :func:`resume_target`), the process spec a request
becomes (:func:`process_spec`), and how a finished turn is recorded in its named session
(:func:`begin`, :func:`finalize`) without ever losing it: a turn the store cannot record
still reaches the caller, as the ``result`` of a
:class:`~codex_local_sdk.errors.SessionStoreError`. :class:`TurnSteps` puts them around the
engine's run, as the steps the client drives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._archive import Keeper
from ._attempt import Guard
from ._engine import RunEngine
from ._environment import INHERIT_ALL, Isolation
from ._live_attempt import LiveAttempt, TurnEnd
from ._output import OutputSpec, read_output
from ._retrying import with_retries
from ._run_files import SCHEMA_PATH, attach_run_files, schema_input
from ._steps import Steps, closing
from ._telemetry import Telemetry
from ._timeouts import Timeouts
from ._validation import check_api_key, check_optional_name
from .command import Command, build_exec_argv, renders_by_version
from .errors import (
    CodexSessionError,
    CodexThreadBusyError,
    CodexUnsupportedCliError,
    SessionStoreError,
    ThreadArchiveError,
)
from .models import CodexExecRequest, CodexExecResult, Usage
from .ports import Clock, ProcessSpec, RecordUpdate, SessionStore, ThreadArchive, ThreadLease, update_record
from .sessions import (
    SessionRecord,
    WorkspaceResolver,
    check_metadata,
    check_session_id,
    check_session_name,
    continued_options,
    launch_options,
    record_turn,
)
from .versions import CliVersion


@attrs.frozen(kw_only=True)
class Turn:
    """Where a run goes: a new thread, or a turn of an existing one, maybe under a name.

    Attributes:
        thread_id: the thread to resume; ``None`` starts a new thread (unless ``last``).
        last: resume the CLI's most recent session (``resume --last``), by explicit request.
        session_name: record the finished turn under this name.
        previous_usage: the thread's token total before this turn, when known.
        new_session: the turn starts the named session afresh (a new record).
        command: how the CLI is run, when it is not a new thread or a resume of
            ``thread_id`` (or ``last``): a fork of ``thread_id`` or a review.
        forked_from: the thread a fork started from; its record keeps it.
        launch_options: for a new session, what its record keeps of the request (see
            :func:`~codex_local_sdk.sessions.launch_options`).
        metadata: for a new session, the caller's keys its record keeps.
    """

    thread_id: str | None = None
    last: bool = False
    session_name: str | None = None
    previous_usage: Usage | None = None
    new_session: bool = False
    command: Command | None = None
    forked_from: str | None = None
    launch_options: Mapping[str, Any] = attrs.field(factory=dict)
    metadata: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def sends_prompt(self) -> bool:
        """Whether the run reads its prompt from stdin (a fork without one, or a review of a
        change, reads none)."""
        return self.command is None or self.command.prompt


NEW_THREAD = Turn(previous_usage=Usage())
"""A run that starts a new thread and records nothing."""


def new_thread(session_name: str | None) -> Turn:
    """The first turn of a new thread, saved under ``session_name`` unless it is ``None``.

    Raises:
        ValueError: ``session_name`` is empty or blank.
    """
    return Turn(session_name=check_optional_name(session_name), previous_usage=Usage(), new_session=True)


def resume_target(
    store: SessionStore, session_id: str | None, session_name: str | None, last: bool
) -> tuple[Turn, SessionRecord | None]:
    """The turn that continues exactly one of: thread ``session_id``, the saved session
    ``session_name``, or the CLI's most recent session (``last``); and the session's record,
    read once, for a saved session.

    Raises:
        TypeError: ``session_id`` is not a str, ``last`` not a bool.
        ValueError: none or several targets, an empty ``session_id`` or ``session_name``, or a
            ``session_id`` starting with ``-``.
        CodexSessionError: ``session_name`` is not in ``store``.
    """
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
        record = require_record(store, session_name)
        return Turn(thread_id=record.session_id, session_name=session_name), record
    if session_id is not None and not session_id.strip():
        raise ValueError("session_id is empty: pass a thread id")
    return Turn(thread_id=None if session_id is None else check_session_id(session_id), last=last), None


def start(
    prompt: str,
    session_name: str | None,
    options: Mapping[str, Any],
    metadata: Mapping[str, str] | None = None,
) -> tuple[CodexExecRequest, Turn]:
    """The request and turn that start a new thread: JSON output is forced, to learn its id.
    A named session's record keeps the request's launch options and ``metadata``.

    Raises:
        TypeError: an unknown option or a value of the wrong type, ``metadata`` that is not a
            dict of str to str.
        ValueError: a bad option value, or an empty or blank ``session_name``.
    """
    request = attrs.evolve(CodexExecRequest(prompt=prompt, **options), json_output=True)
    turn = attrs.evolve(
        new_thread(session_name),
        launch_options=launch_options(request),
        metadata=check_metadata(metadata or {}),
    )
    return request, turn


def resume(
    store: SessionStore,
    prompt: str,
    session_id: str | None,
    session_name: str | None,
    last: bool,
    options: Mapping[str, Any],
    workspace: WorkspaceResolver | None = None,
) -> tuple[CodexExecRequest, Turn]:
    """The request and turn that continue the thread :func:`resume_target` picks. A saved
    session's launch options apply unless ``options`` gives them, with the ``cwd`` and
    ``add_dirs`` that ``workspace`` resolves for its record (see
    :func:`~codex_local_sdk.sessions.continued_options`).

    Raises:
        TypeError: as :func:`resume_target`; an unknown option or a value of the wrong type; a
            ``workspace`` that returns no :class:`~codex_local_sdk.sessions.SessionWorkspace`.
        ValueError: as :func:`resume_target`; a bad option value.
        CodexSessionError: as :func:`resume_target`.
    """
    turn, record = resume_target(store, session_id, session_name, last)
    if record is not None:
        options = continued_options(record, options, workspace)
    return CodexExecRequest(prompt=prompt, **options), turn


def fork(
    store: SessionStore,
    prompt: str | None,
    session_id: str | None,
    session_name: str | None,
    new_session_name: str | None,
    options: Mapping[str, Any],
    metadata: Mapping[str, str] | None = None,
    workspace: WorkspaceResolver | None = None,
) -> tuple[CodexExecRequest, Turn]:
    """The request and turn that fork thread ``session_id`` or the saved session
    ``session_name`` into a new thread, saved under ``new_session_name`` unless it is
    ``None``. JSON output is forced, to learn the new thread's id.

    A fork with a prompt reports the parent's running total, so its ``turn_usage`` is
    measured from the total in the parent's record (unknown for a fork by id). A fork without
    one runs no turn; its request's prompt only names it in the new session's record. A fork
    of a saved session reuses its launch options (unless ``options`` gives them), in the
    workspace that ``workspace`` resolves for its record, and, without ``metadata``, its
    metadata.

    Raises:
        TypeError: ``prompt`` is not a str; an unknown option or a value of the wrong type.
        ValueError: not exactly one of ``session_id`` and ``session_name``, an empty one or
            one that is not a str, an empty ``prompt`` or ``new_session_name``, a bad option
            value.
        CodexSessionError: ``session_name`` is not in ``store``.
    """
    if prompt is not None and not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str or None (fork without a turn), got {type(prompt).__name__}")
    needs = "fork_thread needs exactly one of session_id= or session_name= (the thread to fork); got "
    if session_id is not None and session_name is not None:
        raise ValueError(needs + "both")
    parent_usage = None
    if session_id is not None:
        parent = check_session_id(session_id)
    elif session_name is not None:
        record = require_record(store, session_name)
        parent, parent_usage = record.session_id, record.last_usage
        options = continued_options(record, options, workspace)
        metadata = record.metadata if metadata is None else metadata
    else:
        raise ValueError(needs + "none")
    request = CodexExecRequest(prompt=f"fork {parent}" if prompt is None else prompt, **options)
    turn = Turn(
        thread_id=parent,
        session_name=check_optional_name(new_session_name),
        previous_usage=parent_usage,
        new_session=True,
        command=Command.fork(parent, prompt=prompt is not None),
        forked_from=parent,
        launch_options=launch_options(request),
        metadata=check_metadata(metadata or {}),
    )
    return attrs.evolve(request, json_output=True), turn


def review(
    *,
    uncommitted: bool,
    base: str | None,
    commit: str | None,
    title: str | None,
    instructions: str | None,
    options: Mapping[str, Any],
) -> tuple[CodexExecRequest, Turn]:
    """The request and turn of a code review of exactly one of: the uncommitted changes, the
    changes against branch ``base``, those of ``commit``, or what ``instructions`` ask. The
    review of a change reads no prompt; its request's prompt only describes it (in its repr).

    Raises:
        TypeError: a target of the wrong type; an unknown option or a value of the wrong type.
        ValueError: none or several targets, an empty one, a bad option value.
    """
    command = Command.review(
        uncommitted=uncommitted, base=base, commit=commit, title=title, instructions=instructions is not None
    )
    described = "review " + " ".join(command.arguments)
    request = CodexExecRequest(prompt=described if instructions is None else instructions, **options)
    return request, Turn(previous_usage=Usage(), command=command)


def structured(request: CodexExecRequest, output: OutputSpec | None) -> CodexExecRequest:
    """``request`` with ``--output-schema`` naming the schema file of ``output``, if any.

    Raises:
        ValueError: ``output`` is given and the request has an ``output_schema_path`` too.
    """
    if output is None:
        return request
    if request.output_schema_path is not None:
        raise ValueError(
            f"pass either output_type= or output_schema_path= (got {request.output_schema_path!r}), "
            "not both: the output type gives the schema"
        )
    return attrs.evolve(request, output_schema_path=SCHEMA_PATH)


def require_record(store: SessionStore, name: str) -> SessionRecord:
    """The record saved under ``name``.

    Raises:
        ValueError: ``name`` is empty or blank.
        CodexSessionError: no session has that name.
    """
    record = store.get_record(check_session_name(name))
    if record is None:
        known = sorted(store.all())
        raise CodexSessionError(
            f"no session named {name!r} in the session store (known: {known[:10]}); "
            "start one with start_thread(..., session_name=...) or save_session(name, id)"
        )
    return record


def started_thread(result: CodexExecResult) -> str:
    """The id of the thread ``result`` started, which a thread session continues.

    Raises:
        CodexSessionError: the run reported no thread id.
    """
    if result.thread_id is None:
        raise CodexSessionError(
            f"the run exited with code {result.return_code} without reporting a thread id "
            "(no thread.started event), so there is no thread to continue"
        )
    return result.thread_id


def process_spec(
    request: CodexExecRequest,
    turn: Turn,
    *,
    codex_bin: str,
    default_cwd: str | None,
    default_env: Mapping[str, str],
    api_key: str | None,
    input_files: Mapping[str, bytes] | None = None,
    isolation: Isolation = INHERIT_ALL,
    cli_version: CliVersion | None = None,
) -> ProcessSpec:
    """The process that runs ``request`` as ``turn``: ``default_env`` plus the request's
    ``codex_home`` as ``CODEX_HOME`` and ``api_key`` as ``CODEX_API_KEY``, on the part of the
    runner's environment ``isolation`` lets through, in the request's cwd or ``default_cwd``,
    with the files the run needs (``input_files``, the images) and produces (the last-message
    file) for the runner. Options that render by the CLI's version follow ``cli_version``.

    Raises:
        TypeError: ``api_key`` is not a str.
        ValueError: ``api_key`` is empty or holds NUL.
    """
    cwd = request.cwd if request.cwd is not None else default_cwd
    check_api_key(api_key)
    argv = build_exec_argv(
        codex_bin,
        request,
        resume_thread_id=turn.thread_id,
        resume_last=turn.last,
        command=turn.command,
        cli_version=cli_version,
    )
    spec = ProcessSpec(
        argv=argv,
        stdin=request.prompt.encode("utf-8") if turn.sends_prompt else b"",
        cwd=cwd,
        env=child_variables(default_env, request.codex_home, api_key),
        env_allowlist=isolation.allowlist(request.config),
    )
    return attach_run_files(spec, request, input_files)


def child_variables(
    default_env: Mapping[str, str], codex_home: str | None, api_key: str | None
) -> dict[str, str]:
    """What the SDK sets in a child's environment: ``default_env``, ``CODEX_HOME`` and the
    API key (``CODEX_API_KEY``)."""
    env = dict(default_env)
    if codex_home is not None:
        env["CODEX_HOME"] = codex_home
    if api_key:
        env["CODEX_API_KEY"] = api_key
    return env


def known_version(codex_bin: str, version: CliVersion | None) -> CliVersion:
    """``version``, read from ``codex_bin``.

    Raises:
        CodexUnsupportedCliError: it could not be read.
    """
    if version is None:
        raise CodexUnsupportedCliError(
            f"could not read the version of the Codex CLI {codex_bin!r}: `{codex_bin} --version` printed "
            "no X.Y.Z version"
        )
    return version


def begin(store: SessionStore, turn: Turn) -> Turn:
    """Before a turn of a named session runs: take the thread's previous total from its
    record and clear it there, in one store update.

    Until the turn is recorded, the record holds no total. A turn that is never recorded
    (the store failed, the process died, a live run was dropped unclosed) thus leaves the
    next turn's ``turn_usage`` unknown (``None``) instead of counting this turn's tokens
    twice.

    Raises:
        SessionStoreError: the store could not be updated (nothing ran).
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
        update_record(store, name, clear)
    except SessionStoreError:
        raise
    except Exception as exc:
        raise SessionStoreError(
            f"the session store could not update {name!r} before the turn: {exc!r} (nothing ran)"
        ) from exc
    return attrs.evolve(turn, previous_usage=previous[0])


def finalize(
    store: SessionStore,
    operation: str,
    prompt: str,
    turn: Turn,
    result: CodexExecResult,
    *,
    clock: Clock,
    preview_chars: int,
    telemetry: Telemetry,
) -> CodexExecResult:
    """``result`` with what the turn knows (``turn_usage``, ``requested_thread_id``), once its
    named session, if any, recorded it (reported as ``session.updated``).

    Raises:
        SessionStoreError: the store could not record the turn; its ``result`` holds it.
    """
    previous = turn.previous_usage
    result = attrs.evolve(
        result,
        turn_usage=result.usage - previous if result.usage and previous is not None else None,
        requested_thread_id=turn.thread_id,
    )
    name = turn.session_name
    if name is not None and (result.thread_id or not turn.new_session):
        fold = _fold(turn, name, result, operation, prompt, now=clock.time(), preview_chars=preview_chars)
        telemetry.session_updated(name, _update(store, name, fold, result), result)
    return result


def _fold(
    turn: Turn,
    name: str,
    result: CodexExecResult,
    operation: str,
    prompt: str,
    *,
    now: float,
    preview_chars: int,
) -> RecordUpdate:
    """The store update that adds the finished ``turn`` to the record of ``name``."""

    def fold(current: SessionRecord | None) -> SessionRecord:
        base = None if turn.new_session else current
        record = record_turn(
            base,
            name=name,
            result=result,
            operation=operation,
            prompt=prompt,
            now=now,
            preview_chars=preview_chars,
        )
        if turn.new_session:
            record = attrs.evolve(
                record,
                parent_session_id=turn.forked_from,
                launch_options=turn.launch_options,
                metadata=turn.metadata,
            )
        if base is not None and base.last_usage is not None:
            # This turn's start cleared it: a later turn was recorded meanwhile, so which
            # of the two totals is the thread's latest is unknown.
            record = attrs.evolve(record, last_usage=None)
        return record

    return fold


def _shared(store: SessionStore, name: str, thread_id: str) -> bool:
    """Whether a session other than ``name`` continues ``thread_id`` too."""
    return any(other != name and thread == thread_id for other, thread in store.all().items())


def _update(store: SessionStore, name: str, fold: RecordUpdate, result: CodexExecResult) -> SessionRecord:
    """Apply ``fold`` to ``name``; a store failure carries the turn as its ``result``."""
    try:
        record = update_record(store, name, fold)
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
    return record


@attrs.frozen(kw_only=True)
class TurnSteps:
    """A turn as steps for ``engine`` to drive: its process spec, the run, and the record of
    its named session in ``store``, with the client's settings; with an ``archive``, the turn
    runs under its thread's lease, on the thread's archived rollout, and saves it."""

    engine: RunEngine
    store: SessionStore
    codex_bin: str
    default_cwd: str | None
    default_env: Mapping[str, str]
    preview_chars: int
    isolation: Isolation = INHERIT_ALL
    archive: ThreadArchive | None = None

    def run(
        self,
        operation: str,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        timeouts: Timeouts,
        output: OutputSpec | None = None,
    ) -> Steps[CodexExecResult]:
        """Run ``request`` as ``turn`` to its end, retrying per the policy; its checked result,
        with the final message read into ``output`` when given. Reported from
        ``operation.started`` to ``operation.finished``, however it ends."""
        request = self.isolation.request(structured(request, output))
        report = self._report(operation, request, turn)
        try:
            spec, keeper, turn, lease, guard = yield from self._prepare(
                request, turn, api_key, output, timeouts, report
            )
            steps = self.engine.execute(report, spec, request, timeouts, guard)
            if keeper is not None:
                steps = self._kept(steps, keeper, lease)
            try:
                result = yield from steps
            except (CodexThreadBusyError, ThreadArchiveError) as exc:
                if exc.result is not None:
                    self._unarchived(report, operation, request, turn, exc, output)
                raise
            result = self._finalize(report, operation, request, turn, result, output)
        except BaseException as exc:
            report.operation_finished(None, exc)
            raise
        report.operation_finished(result)
        return self.engine.check(result, timeouts)

    def _prepare(
        self,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        output: OutputSpec | None,
        timeouts: Timeouts,
        report: Telemetry,
    ) -> Steps[tuple[ProcessSpec, Keeper | None, Turn, ThreadLease | None, Guard | None]]:
        """What a run or a live start needs before its process: its spec, what archives its
        threads, the turn :meth:`_begin` began (under the thread's lease, if any) and the
        guard that renews that lease while the CLI runs."""
        spec = yield from self._spec(request, turn, api_key, output, timeouts.total)
        keeper = self._keeper(report, spec)
        turn, lease = yield from self._begin(turn, keeper, report)
        guard = None if keeper is None or lease is None else keeper.guard(lease)
        return spec, keeper, turn, lease, guard

    def _begin(
        self, turn: Turn, keeper: Keeper | None, report: Telemetry
    ) -> Steps[tuple[Turn, ThreadLease | None]]:
        """:func:`begin` the turn, under its thread's lease (its rollout restored) when
        ``keeper`` archives it; the lease is freed if the store fails. A thread that another
        worker held for all of ``lease_wait_seconds`` is asked for again as the retry policy
        retries a busy thread (``retry_on_failures`` with ``"thread_busy"``)."""
        lease = None
        if keeper is not None and turn.thread_id is not None:
            thread_id = turn.thread_id
            lease = yield from with_retries(
                self.engine.retry_policy,
                self.engine.clock,
                lambda number: keeper.hold(thread_id),
                result_of=lambda lease: None,
                on_retry=report.retry_scheduled("retry.scheduled"),
            )
        try:
            return begin(self.store, turn), lease
        except BaseException:
            if keeper is not None and lease is not None:
                yield from keeper.release(lease)
            raise

    def _keeper(self, report: Telemetry, spec: ProcessSpec) -> Keeper | None:
        """What keeps the threads of the run ``spec`` starts in the archive, if the client has
        one, in the ``CODEX_HOME`` the SDK sets for it (``None``: the runner's own)."""
        if self.archive is None:
            return None
        return Keeper(self.archive, spec.env.get("CODEX_HOME"), self.engine.clock, report)

    @staticmethod
    def _kept(
        steps: Steps[CodexExecResult], keeper: Keeper, lease: ThreadLease | None
    ) -> Steps[CodexExecResult]:
        """``steps``, then the thread's rollout saved; the lease freed however they end."""

        def run_and_save() -> Steps[CodexExecResult]:
            result = yield from steps
            yield from keeper.save(lease, result)
            return result

        if lease is None:
            return run_and_save()
        return closing(run_and_save(), lambda: keeper.release(lease))

    def live(
        self,
        operation: str,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        timeouts: Timeouts,
        keep_events: bool,
        output: OutputSpec | None = None,
    ) -> Steps[LiveAttempt]:
        """Start ``request`` as ``turn`` (JSON output forced) and wait for its first event;
        its result reads the final message into ``output`` when given."""
        request = self.isolation.request(structured(attrs.evolve(request, json_output=True), output))
        report = self._report(operation, request, turn)
        try:
            spec, keeper, turn, lease, guard = yield from self._prepare(
                request, turn, api_key, output, timeouts, report
            )
            starting = self.engine.start_live(report, spec, request, timeouts, keep_events, guard)
            if keeper is not None and lease is not None:
                starting = closing(starting, lambda: keeper.release(lease), only_on_error=True)
            attempt = yield from starting
        except BaseException as exc:
            report.operation_finished(None, exc)
            raise

        def keep(result: CodexExecResult) -> Steps[None]:
            if keeper is None:
                return
            saving = keeper.save(lease, result)
            yield from saving if lease is None else closing(saving, lambda: keeper.release(lease))

        def record(result: CodexExecResult, error: Exception | None) -> CodexExecResult:
            try:
                if isinstance(error, (CodexThreadBusyError, ThreadArchiveError)) and error.result is not None:
                    raise self._unarchived(report, operation, request, turn, error, output)
                if error is not None:
                    raise error
                result = self._finalize(report, operation, request, turn, result, output)
            except BaseException as exc:
                report.operation_finished(None, exc)
                raise
            report.operation_finished(result)
            return result

        def abandon(result: CodexExecResult) -> Steps[None]:
            try:
                if keeper is not None and lease is not None:
                    yield from keeper.release(lease)
            finally:
                report.operation_finished(result)

        end = TurnEnd(record=record, keep=keep, abandon=abandon)
        return LiveAttempt(attempt, self.engine, end=end, timeouts=timeouts)

    def forget(self, name: str, *, purge_thread: bool) -> Steps[bool]:
        """Forget the session ``name``; with ``purge_thread``, delete its thread from the
        archive too, under the thread's lease, unless another name still uses that thread.
        Whether the name existed.

        Raises:
            CodexThreadBusyError: another worker held the thread's lease for the archive's
                ``lease_wait_seconds``; nothing was forgotten or deleted.
            ThreadArchiveError: the archive failed.
        """
        thread_id = self.store.get(name) if purge_thread and self.archive is not None else None
        if self.archive is None or thread_id is None or _shared(self.store, name, thread_id):
            return self.store.delete(name)
        keeper = Keeper(self.archive, None, self.engine.clock, self.engine.telemetry("delete_session"))
        return (yield from keeper.purge(thread_id, lambda: self.store.delete(name)))

    def _report(self, operation: str, request: CodexExecRequest, turn: Turn) -> Telemetry:
        """The reporter of this call of ``operation``, which it has begun (``operation.started``)."""
        report = self.engine.telemetry(operation, new_thread=turn.thread_id is None and not turn.last)
        provider = request.config.get("model_provider")
        report.operation_started(
            session_name=turn.session_name,
            thread_id=turn.thread_id,
            model=request.model,
            model_provider=provider if isinstance(provider, str) else None,
            prompt=request.prompt if self.engine.capture_prompts else None,
        )
        return report

    def _spec(
        self,
        request: CodexExecRequest,
        turn: Turn,
        api_key: str | None,
        output: OutputSpec | None,
        limit: float | None,
    ) -> Steps[ProcessSpec]:
        """The run's spec, once the CLI was found to have its options (reading the CLI's
        version only when the run depends on it, for no longer than the run's total ``limit``),
        rendered for that version."""

        def build(version: CliVersion | None) -> ProcessSpec:
            return process_spec(
                request,
                turn,
                codex_bin=self.codex_bin,
                default_cwd=self.default_cwd,
                default_env=self.default_env,
                api_key=api_key,
                input_files=None if output is None else schema_input(output.schema),
                isolation=self.isolation,
                cli_version=version,
            )

        spec = build(None)
        version = yield from self.engine.cli_versions.check(spec, request, self.engine.clock, limit)
        return build(version) if version is not None and renders_by_version(request) else spec

    def cli_version(self) -> Steps[CliVersion | None]:
        """The CLI's version, read through the runner once and kept; ``None`` if unreadable."""
        return self.engine.cli_versions.read(self._probe(), self.engine.clock)

    def cli_available(self) -> Steps[bool]:
        """Whether the runner finds the CLI."""
        return self.engine.cli_versions.available(self.engine.runner, self._probe(), self.engine.clock)

    def _probe(self) -> ProcessSpec:
        """``codex --version`` with the settings a run without options would have."""
        return ProcessSpec(
            argv=(self.codex_bin, "--version"),
            cwd=self.default_cwd,
            env=child_variables(self.default_env, self.isolation.codex_home, None),
            env_allowlist=self.isolation.allowlist({}),
        )

    def _unarchived(
        self,
        report: Telemetry,
        operation: str,
        request: CodexExecRequest,
        turn: Turn,
        error: CodexThreadBusyError | ThreadArchiveError,
        output: OutputSpec | None,
    ) -> CodexThreadBusyError | ThreadArchiveError:
        """``error``, for a turn that ran but whose rollout the archive did not take, with the
        turn (finalised when recorded) as its ``result``. The turn is recorded (as
        :meth:`_finalize` does) only when the archive merely failed on a thread the run
        started: that thread's rollout is on this machine, and its next saved turn archives it
        whole. A turn of an existing thread is not recorded (the archived thread, which every
        worker restores, lacks it), nor one whose thread another worker holds.

        Raises:
            SessionStoreError: recording the new thread failed; its ``result`` holds the turn.
        """
        assert error.result is not None
        if isinstance(error, ThreadArchiveError) and turn.new_session:
            error.result = self._finalize(report, operation, request, turn, error.result, output)
        return error

    def _finalize(
        self,
        report: Telemetry,
        operation: str,
        request: CodexExecRequest,
        turn: Turn,
        result: CodexExecResult,
        output: OutputSpec | None,
    ) -> CodexExecResult:
        """The turn recorded, then its final message read: a reply that does not fit is
        still a turn of the thread."""
        result = finalize(
            self.store,
            operation,
            request.prompt,
            turn,
            result,
            clock=self.engine.clock,
            preview_chars=self.preview_chars,
            telemetry=report,
        )
        return read_output(result, output)
