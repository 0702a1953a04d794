"""The SDK's value objects: what to run, how to retry it, and what came back.

All of them are frozen attrs classes, validated when built, so a bad value fails at once
with a ``ValueError``/``TypeError`` instead of inside a subprocess minutes later.
"""

from __future__ import annotations

import enum
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

if TYPE_CHECKING:
    from .events import CodexEvent


class SandboxMode(str, enum.Enum):
    """The ``--sandbox`` policy for the shell commands Codex runs."""

    READ_ONLY = "read-only"
    WORKSPACE_WRITE = "workspace-write"
    DANGER_FULL_ACCESS = "danger-full-access"


StrPath: TypeAlias = "str | os.PathLike[str]"
"""A path as the SDK takes it: a string or a :class:`~pathlib.Path` (any ``os.PathLike[str]``)."""

SandboxName = Literal["read-only", "workspace-write", "danger-full-access"]
"""The string values of :class:`SandboxMode`."""


def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"expected a sequence of strings, got a single string {value!r}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"expected strings, got {item!r} ({type(item).__name__})")
    return items


def _path_tuple(value: Iterable[StrPath]) -> tuple[str, ...]:
    if isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"expected a sequence of paths, got a single string or path {value!r}")
    return _str_tuple(os.fspath(item) if isinstance(item, os.PathLike) else item for item in value)


def _optional_path(value: StrPath | None) -> str | None:
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def _sandbox(value: SandboxMode | SandboxName | None) -> SandboxMode | None:
    if value is None or isinstance(value, SandboxMode):
        return value
    try:
        return SandboxMode(value)
    except ValueError:
        names = ", ".join(repr(mode.value) for mode in SandboxMode)
        raise ValueError(f"sandbox must be a SandboxMode or one of {names}, got {value!r}") from None


def _no_nul(name: str, value: str) -> None:
    if "\0" in value:
        raise ValueError(f"{name} holds a NUL character, which no command-line argument can carry: {value!r}")


def _optional_text(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        kind = "a str or os.PathLike" if attribute.name.endswith(("cwd", "_path")) else "a str"
        raise TypeError(f"{attribute.name} must be {kind}, got {value!r} ({type(value).__name__})")
    _no_nul(attribute.name, value)


def _texts(_: Any, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    for item in value:
        _no_nul(attribute.name, item)


def _flag(_: Any, attribute: attrs.Attribute[Any], value: bool) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{attribute.name} must be True or False, got {value!r} ({type(value).__name__})")


def _non_empty_prompt(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{attribute.name} is empty: pass the text Codex should work on")


# A ``-c`` key as the CLI reads it: it cuts at the first "=" and splits on ".", with no TOML
# quoting, so only dotted paths of bare keys mean what they say.
_CONFIG_KEY = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


def _toml_value(_: Any, attribute: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    from .command import render_toml_value  # local: command imports this module

    if not isinstance(value, Mapping):
        raise TypeError(f"{attribute.name} must be a mapping of keys to TOML values, got {value!r}")
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"{attribute.name} keys must be non-empty strings, got {key!r}")
        if not _CONFIG_KEY.fullmatch(key):
            raise ValueError(
                f"{attribute.name} key {key!r} is not a dotted path of bare keys (letters, digits, "
                "'_' and '-', joined by '.'): the CLI splits keys on '.' and reads no TOML quoting. "
                "For a key with other characters, give its table as a dict value, e.g. "
                "{'mcp_servers': {'my server': {...}}}"
            )
        render_toml_value(item)


@attrs.frozen(kw_only=True)
class CodexExecRequest:
    """One ``codex exec`` invocation, as data.

    Every field maps to one CLI option; :func:`codex_local_sdk.command.build_exec_argv`
    turns it into argv. The prompt never goes into argv: it is written to the CLI's stdin.
    The constructor takes the fields below as keyword arguments.

    Attributes:
        prompt: the instructions for Codex (sent on stdin, any length, may start with ``-``);
            must not be empty or blank.
        cwd: working directory of the run (``--cd`` is not used; the process starts there).
            ``None`` uses the client's ``default_cwd``, then the current directory. The
            relative paths of the other fields are read from there. Paths (this one,
            ``output_schema_path``, ``output_last_message_path``, ``images``, ``add_dirs``)
            may be a str or a :class:`~pathlib.Path`; they are kept as str.
        json_output: ``--json``. On by default: thread id, turn status, usage and events
            come only from JSON output.
        model: ``--model``.
        profile: ``--profile``.
        sandbox: ``--sandbox``; a :class:`SandboxMode` or its string value.
        output_schema_path: ``--output-schema FILE``: a JSON Schema the final message must meet.
        output_last_message_path: ``--output-last-message FILE``: the CLI writes its last
            message there; without JSON output, the result's ``final_message`` is read from it.
        images: ``--image=FILE`` for each path. Each must be an existing file when the run
            starts, or the client raises ``ValueError`` before starting anything.
        add_dirs: ``--add-dir DIR`` for each extra writable directory.
        skip_git_repo_check: ``--skip-git-repo-check``: allow running outside a git repository.
        ephemeral: ``--ephemeral``: do not persist the session's rollout files.
        config: ``-c key=<TOML value>`` overrides, e.g. ``{"model_reasoning_effort": "low"}``;
            keys are dotted paths of bare keys (``"model_providers.fake.base_url"``).
        extra_args: more exec-level arguments, appended verbatim after the options above
            (before ``resume <id>``, the images and the prompt's ``-``).

    Raises:
        TypeError: a field of the wrong type (a text field that is not a ``str``, a path
            that is not a ``str`` or ``os.PathLike``, a flag that is not a ``bool``, a single
            string where a sequence is expected, a non-string or empty ``config`` key, a
            value with no TOML form).
        ValueError: a NUL character in an argument, an empty prompt, an unknown ``sandbox``
            string, a NaN or infinite float in ``config``, a ``config`` key that is not a
            dotted path of bare keys (letters, digits, ``_`` and ``-``: the CLI reads no TOML
            quoting in keys).
    """

    prompt: str = attrs.field(validator=_non_empty_prompt)
    cwd: str | None = attrs.field(default=None, converter=_optional_path, validator=_optional_text)
    json_output: bool = attrs.field(default=True, validator=_flag)
    model: str | None = attrs.field(default=None, validator=_optional_text)
    profile: str | None = attrs.field(default=None, validator=_optional_text)
    sandbox: SandboxMode | None = attrs.field(default=None, converter=_sandbox)
    output_schema_path: str | None = attrs.field(
        default=None, converter=_optional_path, validator=_optional_text
    )
    output_last_message_path: str | None = attrs.field(
        default=None, converter=_optional_path, validator=_optional_text
    )
    images: tuple[str, ...] = attrs.field(default=(), converter=_path_tuple, validator=_texts)
    add_dirs: tuple[str, ...] = attrs.field(default=(), converter=_path_tuple, validator=_texts)
    skip_git_repo_check: bool = attrs.field(default=False, validator=_flag)
    ephemeral: bool = attrs.field(default=False, validator=_flag)
    config: Mapping[str, Any] = attrs.field(factory=dict, validator=_toml_value)
    extra_args: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_texts)

    def __repr__(self) -> str:
        preview = self.prompt if len(self.prompt) <= 40 else self.prompt[:37] + "..."
        return f"CodexExecRequest(prompt={preview!r}, cwd={self.cwd!r}, model={self.model!r})"


def _non_negative_finite(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number, got {value!r}")
    if math.isnan(value) or math.isinf(value) or value < 0:
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


def _exit_codes(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    codes = tuple(value)
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"retry_on_exit_codes must hold ints, got {code!r}")
    return codes


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how a failed run is tried again. The defaults never retry.

    The delay before retry ``n`` (1-based) is
    ``min(initial_backoff_seconds * backoff_multiplier ** (n - 1), max_backoff_seconds)``,
    then multiplied by a random factor in ``[1 - jitter_ratio, 1 + jitter_ratio]``.

    A run that timed out is retried only with ``retry_on_timeouts``; any other unsuccessful
    run when its exit code qualifies (so a failed turn that exited 0 is not). A run whose
    turn completed (``turn_status == "completed"``) never is, whatever its exit. A
    :class:`~codex_local_sdk.errors.CodexSpawnError` is retried too, whatever the exit
    codes; :class:`~codex_local_sdk.errors.CodexNotInstalledError` never is. A live run
    retries only failures before its first event.

    Attributes:
        max_attempts: total attempts, the first one included (>= 1).
        initial_backoff_seconds: the delay before the first retry.
        backoff_multiplier: growth factor of the delay from one retry to the next (> 0).
        max_backoff_seconds: cap on one delay (applied before jitter).
        retry_on_exit_codes: exit codes worth retrying; ``None`` retries any non-zero exit.
        jitter_ratio: random spread of each delay, between 0 and 1.
        max_total_retry_seconds: no retry is scheduled if its delay would end more than
            this many seconds after the first attempt started. ``None``: no cap.
        retry_on_timeouts: whether a run ended by the SDK's timeout is retried.

    Raises:
        TypeError: a field of the wrong type (``max_attempts`` not an int, a non-int exit
            code, a non-number delay, ``retry_on_timeouts`` not a bool).
        ValueError: ``max_attempts`` < 1, a negative, NaN or infinite number,
            ``backoff_multiplier`` of 0, or ``jitter_ratio`` > 1.
    """

    max_attempts: int = attrs.field(default=1)
    initial_backoff_seconds: float = attrs.field(default=1.0, validator=_non_negative_finite)
    backoff_multiplier: float = attrs.field(default=2.0, validator=_non_negative_finite)
    max_backoff_seconds: float = attrs.field(default=30.0, validator=_non_negative_finite)
    retry_on_exit_codes: tuple[int, ...] | None = attrs.field(default=None, converter=_exit_codes)
    jitter_ratio: float = attrs.field(default=0.0, validator=_non_negative_finite)
    max_total_retry_seconds: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(_non_negative_finite)
    )
    retry_on_timeouts: bool = attrs.field(default=False, validator=_flag)

    @max_attempts.validator
    def _check_max_attempts(self, _: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"max_attempts must be an int, got {value!r}")
        if value < 1:
            raise ValueError(f"max_attempts must be >= 1 (it counts the first attempt), got {value}")

    def __attrs_post_init__(self) -> None:
        if self.backoff_multiplier == 0:
            raise ValueError("backoff_multiplier must be > 0, got 0")
        if self.jitter_ratio > 1:
            raise ValueError(f"jitter_ratio must be between 0 and 1, got {self.jitter_ratio}")

    def should_retry_exit_code(self, return_code: int | None) -> bool:
        """Whether a run that exited with ``return_code`` (not a timeout) is worth retrying.

        Args:
            return_code: the exit code; ``None`` (no exit status) counts as a failure.

        Returns:
            ``False`` for 0; otherwise ``True`` when ``retry_on_exit_codes`` is ``None`` or
            holds the code.
        """
        if return_code == 0:
            return False
        if self.retry_on_exit_codes is None:
            return True
        return return_code in self.retry_on_exit_codes


@attrs.frozen(kw_only=True)
class Usage:
    """Token counts as the CLI reports them in ``turn.completed.usage``.

    The CLI reports the thread's running total, not one turn's own use; see
    :attr:`CodexExecResult.usage` and :attr:`CodexExecResult.turn_usage`. A count the CLI
    does not report is 0. ``a - b`` subtracts field by field, floored at 0.

    Attributes:
        input_tokens: tokens sent to the model, cached ones included.
        cached_input_tokens: input tokens served from the provider's prompt cache.
        cache_write_input_tokens: input tokens written to the prompt cache, when the CLI
            reports it.
        output_tokens: tokens the model produced, reasoning included.
        reasoning_output_tokens: output tokens spent on reasoning.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __sub__(self, other: Usage) -> Usage:
        """Field-by-field difference, each floored at 0."""
        return Usage(
            **{
                field.name: max(0, getattr(self, field.name) - getattr(other, field.name))
                for field in attrs.fields(Usage)
            }
        )


UNSUCCESSFUL_TURN_STATUSES = frozenset(
    {"failed", "timed_out", "terminated", "killed", "interrupted", "output_too_large"}
)
"""The values of :attr:`CodexExecResult.turn_status` that make a run unsuccessful.

``"failed"`` comes from the CLI's ``turn.failed``. The others are set by the SDK when it
ended the process itself and the CLI printed no turn event (it prints none when killed):
``"timed_out"`` (the SDK's timeout), ``"terminated"``/``"killed"`` (a live run's
``terminate()``/``kill()``), ``"interrupted"`` (the run was closed, cancelled or
interrupted while still going) and ``"output_too_large"`` (a stdout line passed the
runner's cap: see :attr:`CodexExecResult.exceeded_line_limit`).
"""


def run_succeeded(return_code: int | None, turn_status: str | None) -> bool:
    """Whether a run with this exit code and turn status succeeded: the CLI exited 0 and
    ``turn_status`` is not in :data:`UNSUCCESSFUL_TURN_STATUSES`."""
    return return_code == 0 and turn_status not in UNSUCCESSFUL_TURN_STATUSES


@attrs.frozen(kw_only=True)
class CodexExecResult:
    """What one run of ``codex exec`` produced (the last attempt, when it was retried).

    Attributes:
        return_code: the CLI's exit code; negative ``-N`` when it died of signal ``N``
            (``-15``/``-9`` when the SDK terminated or killed it). ``None`` only when the
            runner's process handle reported no exit status even after the SDK killed the
            process group (:class:`~adapters.subprocess_runner.SubprocessRunner` always
            reaps, so never with it).
        command: the argv that ran (never holds the prompt or an API key).
        stdout: everything the CLI printed on stdout, line by line (empty for a live run
            started without ``keep_events``).
        stderr: the tail of its stderr (bounded by the runner), decoded as UTF-8.
        final_message: the text of the last completed ``agent_message`` item; without JSON
            output, the ``output_last_message_path`` file when it exists, else the stripped
            stdout. ``None`` when there is none.
        events: every JSON event, in order (empty for a live run started without
            ``keep_events``).
        thread_id: the thread (session) id from the first ``thread.started``, if any.
        turn_status: ``"completed"`` or ``"failed"`` from the CLI's last turn event;
            otherwise ``"timed_out"``, ``"terminated"``, ``"killed"``, ``"interrupted"`` or
            ``"output_too_large"`` when the SDK ended the process (see
            :data:`UNSUCCESSFUL_TURN_STATUSES`), else ``None``.
        usage: the thread's running token total as the CLI reported it in
            ``turn.completed``; ``None`` when it reported none.
        turn_usage: this turn's own tokens, ``usage`` minus the thread's previous total
            (field by field, floored at 0). Known for a new thread (the ``run*`` methods
            and ``start_thread``: the previous total is zero), for a resume by
            ``session_name`` whose record has a ``last_usage``, and for
            :meth:`CodexThreadSession.continue_prompt` right after a turn it ran that
            reported usage. ``None`` (unknown, never a guess) otherwise: a resume by
            ``session_id`` or ``last=True``; whenever ``usage`` is ``None``; and after a
            turn of the thread whose total was not recorded. A named turn clears the
            record's ``last_usage`` when it starts and sets it when it is recorded, so a
            turn that ran but was never recorded (the store failed, the process died, a
            live run was dropped without ``close()``), one that reported no usage (failed,
            interrupted), or one recorded after a later turn was, leaves the next turn's
            ``turn_usage`` ``None`` rather than counting its tokens twice.
        duration_seconds: how long the last attempt took, on the client's clock.
        attempts: how many attempts ran (the number of the last one).
        timed_out: whether the SDK's timeout ended the last attempt.
        error_message: the message of the last ``turn.failed`` or ``error`` event that
            carried one, if any (the run may still have succeeded).
        unparsed_lines: non-blank stdout lines that were not JSON objects, kept verbatim
            (JSON output only): the first 100 and the last 100 of them.
        dropped_unparsed_lines: how many more such lines there were between those, counted
            but not kept (so endless noise on stdout cannot fill the memory).
        exceeded_line_limit: the runner's cap on one stdout line, in bytes, when a line
            passed it (the line was dropped and the SDK ended the run: ``turn_status`` is
            ``"output_too_large"``, whatever turn event the CLI printed); ``None`` otherwise. See
            ``SubprocessRunner(max_line_bytes=...)``.
        requested_thread_id: for a resume by ``session_id`` or ``session_name``, the thread
            id that was asked for; ``None`` otherwise.
    """

    return_code: int | None
    command: tuple[str, ...]
    stdout: str
    stderr: str
    final_message: str | None
    events: tuple[CodexEvent, ...] = ()
    thread_id: str | None = None
    turn_status: str | None = None
    usage: Usage | None = None
    turn_usage: Usage | None = None
    duration_seconds: float = 0.0
    attempts: int = 1
    timed_out: bool = False
    error_message: str | None = None
    unparsed_lines: tuple[str, ...] = ()
    dropped_unparsed_lines: int = 0
    exceeded_line_limit: int | None = None
    requested_thread_id: str | None = None

    @property
    def succeeded(self) -> bool:
        """True when the CLI exited 0 and ``turn_status`` is not in
        :data:`UNSUCCESSFUL_TURN_STATUSES` (a run with no turn event can succeed)."""
        return run_succeeded(self.return_code, self.turn_status)

    @property
    def is_turn_complete(self) -> bool:
        """True when ``turn_status`` is ``"completed"``: the CLI's last turn event was
        ``turn.completed``."""
        return self.turn_status == "completed"

    def parse_json(self) -> Any:
        """The final message parsed as JSON (for runs with an output schema).

        Returns:
            The decoded JSON value.

        Raises:
            ValueError: there is no final message, or it is not valid JSON.
        """
        if self.final_message is None:
            raise ValueError("the run produced no final message to parse as JSON")
        try:
            return json.loads(self.final_message)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"the final message is not valid JSON ({exc}): {self.final_message[:200]!r}"
            ) from exc
