"""Session records and the pure rule that folds a finished turn into one.

A *session* is a Codex thread under a name the caller chose ("ticket-4711"). Its
:class:`SessionRecord` keeps the thread id, counters and a bounded history of
:class:`SessionTurnRecord`. Stores persist records; :func:`record_turn` computes them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ._compat import accepting_origin_calls
from .models import CodexExecRequest, SandboxMode, StrPath
from .results import CodexExecResult, Usage, run_succeeded


def _text(text: str | None) -> str:
    return "" if text is None else text


@attrs.frozen
class SessionTurnRecord:
    """One finished turn of a session.

    Positional arguments follow the attributes' order below, which is also
    codex-local-sdk-python 0.1.4's; keywords read better.

    Attributes:
        timestamp: when the turn finished (seconds since the epoch).
        operation: the client method that ran it (``start_thread``, ``resume``, ...).
        prompt_preview: the prompt's first characters (empty when previews are off; ``None``
            is taken as empty).
        return_code: the CLI's exit code (see :attr:`CodexExecResult.return_code`).
        turn_status: the turn status (see :attr:`CodexExecResult.turn_status`).
        duration_seconds: how long the run's last attempt took; ``None`` when unknown (turns
            written by codex-local-sdk-python 0.1.4 may lack it).
        message_preview: the final message's first characters (empty when previews are
            off or there was no message; ``None`` is taken as empty).
        succeeded: :attr:`CodexExecResult.succeeded` of the run; when not given, worked out
            from ``return_code`` and ``turn_status`` by the same rule.
    """

    timestamp: float
    operation: str
    prompt_preview: str = attrs.field(default="", converter=_text)
    return_code: int | None = None
    turn_status: str | None = None
    duration_seconds: float | None = None
    message_preview: str = attrs.field(default="", converter=_text)
    succeeded: bool = attrs.field()

    @succeeded.default
    def _succeeded_by_status(self) -> bool:
        return run_succeeded(self.return_code, self.turn_status)


def _turn_tuple(turns: Iterable[SessionTurnRecord]) -> tuple[SessionTurnRecord, ...]:
    return tuple(turns)


def _copied(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return dict(mapping)


@accepting_origin_calls(renames={"session_name": "name"})
@attrs.frozen
class SessionRecord:
    """A named session: its thread id, counters and recent turns.

    Positional arguments follow the attributes' order below, which begins with
    codex-local-sdk-python 0.1.4's (``session_id``, then the name); keywords read better.
    ``session_name=`` is accepted for ``name=``.

    Attributes:
        session_id: the Codex thread id.
        name: the name the caller chose (also readable as :attr:`session_name`).
        created_at: when the record was created (seconds since the epoch); ``start_thread``
            under a name in use creates a new record.
        updated_at: when it last changed.
        last_turn_status: the status of the latest turn; ``None`` before any.
        turn_count: turns recorded, all of them (the history below may hold fewer).
        success_count: turns that succeeded.
        failure_count: turns that did not.
        turns: the most recent turns, oldest first, as many as the store keeps.
        last_usage: the thread's token total after the latest recorded turn (to compute the
            next ``turn_usage``). ``None`` when it is unknown: before any turn, after a turn
            that reported none (a failed or interrupted turn may still have used tokens),
            while a named turn is running (the client clears it when the turn starts, so a
            turn that is never recorded leaves it unknown, not stale), and after the record
            was pointed at another thread (``save_session``/``set``).
        parent_session_id: for a session started by ``fork_thread``, the thread it was
            forked from; ``None`` otherwise.
        launch_options: the :class:`~codex_local_sdk.CodexExecRequest` fields of
            :data:`LAUNCH_FIELDS` that the turn starting the thread gave (JSON values: a
            sandbox as its string, paths as strings), which a resume by name reuses unless
            the call gives them.
        metadata: the caller's own keys (a ticket id, a tenant), given to ``start_thread``
            or ``fork_thread``.
    """

    session_id: str
    name: str
    created_at: float
    updated_at: float
    last_turn_status: str | None = None
    turn_count: int = 0
    success_count: int = 0
    failure_count: int = 0
    turns: tuple[SessionTurnRecord, ...] = attrs.field(default=(), converter=_turn_tuple)
    last_usage: Usage | None = None
    parent_session_id: str | None = None
    launch_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_copied)
    metadata: Mapping[str, str] = attrs.field(factory=dict, converter=_copied)

    @metadata.validator
    def _check_metadata(self, _: attrs.Attribute[Any], value: Mapping[str, str]) -> None:
        check_metadata(value)

    @property
    def session_name(self) -> str:
        """:attr:`name`, under codex-local-sdk-python 0.1.4's name for it."""
        return self.name


LAUNCH_FIELDS = (
    "model",
    "profile",
    "sandbox",
    "cwd",
    "add_dirs",
    "config",
    "skip_git_repo_check",
    "ephemeral",
    "model_reasoning_effort",
    "network_access_enabled",
    "web_search_mode",
    "approval_policy",
)
"""The request fields a session record keeps from the turn that started its thread."""


def launch_options(request: CodexExecRequest) -> dict[str, Any]:
    """The fields of :data:`LAUNCH_FIELDS` that ``request`` sets (not at their defaults), as
    JSON values: ``effective_sandbox``'s string, lists for sequences, a dict for ``config``."""
    options: dict[str, Any] = {}
    for name in LAUNCH_FIELDS:
        value = request.effective_sandbox if name == "sandbox" else getattr(request, name)
        if value != getattr(_DEFAULTS, name):
            options[name] = _json_value(value)
    return options


_DEFAULTS = CodexExecRequest(prompt="(every field at its default)")


def _workspace_cwd(value: StrPath | None) -> str | None:
    return None if value is None else os.fspath(value)


def _workspace_dirs(value: Iterable[StrPath]) -> tuple[str, ...]:
    if isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"add_dirs must be a sequence of paths, got the single path {value!r}")
    return tuple(os.fspath(item) for item in value)


@attrs.frozen
class SessionWorkspace:
    """Where a named session's next turn runs on this machine: what a client's
    ``workspace_resolver`` returns for the session's record.

    Machines of a fleet lay out their workspaces differently: the ``cwd`` and ``add_dirs`` a
    thread was started with on one machine may not exist on the next. A resolver maps the
    record (its :attr:`~SessionRecord.launch_options`, :attr:`~SessionRecord.metadata`,
    :attr:`~SessionRecord.name`) to this machine's paths:

    >>> def workspace(record: SessionRecord) -> SessionWorkspace:
    ...     tenant = record.metadata["tenant"]
    ...     return SessionWorkspace(cwd=f"/srv/{tenant}/repo", add_dirs=[f"/srv/{tenant}/cache"])

    Attributes:
        cwd: the turn's working directory; ``None``: the client's ``default_cwd``.
        add_dirs: its extra writable directories (``--add-dir``), instead of the recorded ones.

    Raises:
        TypeError: a path that is not a str or :class:`~pathlib.Path`, ``add_dirs`` given as
            one path instead of a sequence of them. (The request the paths go into checks them
            further, as any ``cwd`` and ``add_dirs``.)
    """

    cwd: str | None = attrs.field(default=None, converter=_workspace_cwd)
    add_dirs: tuple[str, ...] = attrs.field(default=(), converter=_workspace_dirs)


WorkspaceResolver = Callable[[SessionRecord], SessionWorkspace]
"""A client's ``workspace_resolver``: a named session's record to the workspace its next turn
runs in on this machine."""


def continued_options(
    record: SessionRecord, options: Mapping[str, Any], resolver: WorkspaceResolver | None = None
) -> dict[str, Any]:
    """The request options of a turn that continues ``record``'s session: its launch options
    (only the fields of :data:`LAUNCH_FIELDS`: never a ``codex_home``, which belongs to the
    machine), with the ``cwd`` and ``add_dirs`` of ``resolver``'s workspace when given, under
    the call's own ``options``, which win.

    Raises:
        TypeError: ``resolver`` returned something other than a :class:`SessionWorkspace`.
    """
    launched = {name: value for name, value in record.launch_options.items() if name in LAUNCH_FIELDS}
    if resolver is not None:
        workspace = resolver(record)
        if not isinstance(workspace, SessionWorkspace):
            raise TypeError(
                f"workspace_resolver must return a SessionWorkspace for session {record.name!r}, got "
                f"{workspace!r} ({type(workspace).__name__})"
            )
        launched = {**launched, "cwd": workspace.cwd, "add_dirs": workspace.add_dirs}
    return {**launched, **options}


def _json_value(value: Any) -> Any:
    if isinstance(value, SandboxMode):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return dict(value) if isinstance(value, Mapping) else value


def check_metadata(metadata: Mapping[str, str]) -> Mapping[str, str]:
    """Check that ``metadata`` maps strings to strings.

    Returns:
        ``metadata``, unchanged.

    Raises:
        TypeError: it is not a mapping, or holds a key or value that is not a str.
    """
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a dict of str to str, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"metadata must map str to str, got {key!r}: {value!r}")
    return metadata


def check_session_name(name: str) -> str:
    """Check that ``name`` can name a session.

    Returns:
        ``name``, unchanged.

    Raises:
        ValueError: ``name`` is not a string, or is empty or blank.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"session name must be a non-empty string, got {name!r}")
    return name


def check_session_id(session_id: str) -> str:
    """Check that ``session_id`` can be saved as a thread id (a blank one would reach the CLI
    on the next resume).

    Returns:
        ``session_id``, unchanged.

    Raises:
        ValueError: ``session_id`` is not a string, is empty or blank, or starts with ``-``
            (the CLI would read it as an option).
    """
    if not isinstance(session_id, str) or not session_id.strip():
        raise ValueError(f"session_id must be a thread id (a non-blank string), got {session_id!r}")
    if session_id.startswith("-"):
        raise ValueError(
            f"session_id must be a thread id, got {session_id!r}: one starting with '-' would reach "
            "the CLI as an option"
        )
    return session_id


def preview(text: str | None, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters, the last one ``…`` when it was cut
    (``""`` for ``None``, empty text or ``max_chars`` <= 0)."""
    if not text or max_chars <= 0:
        return ""
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def record_turn(
    record: SessionRecord | None,
    *,
    name: str,
    result: CodexExecResult,
    operation: str,
    prompt: str,
    now: float,
    preview_chars: int,
) -> SessionRecord:
    """``record`` plus one finished turn (a pure function; the store bounds the history).

    Args:
        record: the current record, or ``None`` to start a new one.
        name: the session's name (for a new record).
        result: the turn's result; its thread id, if any, becomes the record's.
        operation: the client method that ran the turn.
        prompt: the turn's prompt (only a preview is kept).
        now: the time of the turn (seconds since the epoch).
        preview_chars: the length of the prompt and message previews.

    Returns:
        The new record: counters, status, ``last_usage`` (``result.usage``) and history
        updated.

    Raises:
        ValueError: neither ``result`` nor ``record`` has a thread id.
    """
    session_id = result.thread_id or (record.session_id if record else None)
    if session_id is None:
        raise ValueError(f"cannot record a turn of session {name!r}: the run gave no thread id")
    turn = SessionTurnRecord(
        timestamp=now,
        operation=operation,
        prompt_preview=preview(prompt, preview_chars),
        message_preview=preview(result.final_message, preview_chars),
        return_code=result.return_code,
        turn_status=result.turn_status,
        duration_seconds=result.duration_seconds,
        succeeded=result.succeeded,
    )
    if record is None:
        record = SessionRecord(name=name, session_id=session_id, created_at=now, updated_at=now)
    return attrs.evolve(
        record,
        session_id=session_id,
        updated_at=now,
        last_turn_status=result.turn_status,
        turn_count=record.turn_count + 1,
        success_count=record.success_count + int(result.succeeded),
        failure_count=record.failure_count + int(not result.succeeded),
        last_usage=result.usage,
        turns=(*record.turns, turn),
    )


def with_session_id(record: SessionRecord | None, name: str, session_id: str, now: float) -> SessionRecord:
    """``record`` pointing at ``session_id``, its counters and history kept (a new, empty
    record, created at ``now``, when ``record`` is ``None``). ``last_usage`` is kept only
    when the thread stays the same: it is that thread's total."""
    if record is None:
        return SessionRecord(name=name, session_id=session_id, created_at=now, updated_at=now)
    return attrs.evolve(
        record, session_id=session_id, updated_at=now, last_usage=_same_thread_usage(record, session_id)
    )


def _same_thread_usage(record: SessionRecord, session_id: str) -> Usage | None:
    return record.last_usage if record.session_id == session_id else None


def bound_history(record: SessionRecord, max_turns: int) -> SessionRecord:
    """``record`` keeping only its ``max_turns`` most recent turns (none for 0); the
    counters are left as they are."""
    if len(record.turns) <= max_turns:
        return record
    kept = record.turns[len(record.turns) - max_turns :] if max_turns > 0 else ()
    return attrs.evolve(record, turns=kept)
