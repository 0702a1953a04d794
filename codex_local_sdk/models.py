"""The SDK's requests: what to run (:class:`CodexExecRequest`) and how to retry it
(:class:`RetryPolicy`).

Both are frozen attrs classes, validated when built, so a bad value fails at once with a
``ValueError``/``TypeError`` instead of inside a subprocess minutes later. What came back
lives in :mod:`codex_local_sdk.results`; its names are importable from here too.
"""

from __future__ import annotations

import enum
import math
import os
import re
import typing
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeAlias

import attrs

from ._cli_options import CONFIG_FIELDS, rendered_flags
from ._compat import accepting_origin_calls
from ._toml import render_toml_value
from .events import Usage as Usage
from .results import UNSUCCESSFUL_TURN_STATUSES as UNSUCCESSFUL_TURN_STATUSES
from .results import CodexExecResult as CodexExecResult
from .results import FailureKind as FailureKind


class SandboxMode(str, enum.Enum):
    """The ``--sandbox`` policy for the shell commands Codex runs."""

    READ_ONLY = "read-only"
    WORKSPACE_WRITE = "workspace-write"
    DANGER_FULL_ACCESS = "danger-full-access"


StrPath: TypeAlias = "str | os.PathLike[str]"
"""A path as the SDK takes it: a string or a :class:`~pathlib.Path` (any ``os.PathLike[str]``)."""

SandboxName = Literal["read-only", "workspace-write", "danger-full-access"]
"""The string values of :class:`SandboxMode`."""

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
"""The values of ``model_reasoning_effort``."""

WebSearchMode = Literal["disabled", "cached", "live"]
"""The values of ``web_search_mode``."""

ApprovalPolicy = Literal["untrusted", "on-failure", "on-request", "never"]
"""The values of ``approval_policy``."""

ColorMode = Literal["always", "never", "auto"]
"""The values of ``color``."""

CyberAccessProgram = Literal["standard", "daybreak_blue", "daybreak_red"]
"""The values of ``cyber_access_program``."""


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


def _optional_flag(_: Any, attribute: attrs.Attribute[Any], value: bool | None) -> None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(
            f"{attribute.name} must be True, False or None (the CLI's default), got {value!r} "
            f"({type(value).__name__})"
        )


def _one_of(choices: Any) -> Any:
    """A validator: the value is ``None`` or one of the string values of the ``Literal``
    ``choices``."""
    allowed: tuple[str, ...] = typing.get_args(choices)

    def check(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is not None and value not in allowed:
            names = ", ".join(repr(choice) for choice in allowed)
            raise ValueError(f"{attribute.name} must be one of {names} or None, got {value!r}")

    return check


_RENDERED_FLAGS = rendered_flags()


def _not_rendered_by_the_sdk(_: Any, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    for argument in value:
        instead = _rendered_by_the_sdk(argument)
        if instead is not None:
            raise ValueError(
                f"{attribute.name} holds {argument!r}, which the SDK renders itself: use {instead} "
                f"instead ({attribute.name} is for options newer than the SDK)"
            )


def _rendered_by_the_sdk(argument: str) -> str | None:
    """The field or method that renders ``argument`` (``--model``, ``--model=x``, ``-mx``),
    or ``None`` for an argument the SDK does not render."""
    if argument in _RENDERED_FLAGS:
        return _RENDERED_FLAGS[argument]
    if argument.startswith("--"):
        return _RENDERED_FLAGS.get(argument.partition("=")[0])
    if argument.startswith("-") and len(argument) > 2:
        return _RENDERED_FLAGS.get(argument[:2])
    return None


def _url(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a str, got {value!r} ({type(value).__name__})")
    if not value.startswith(("http://", "https://")) or any(c.isspace() or c == "\0" for c in value):
        raise ValueError(f"{attribute.name} must be an http:// or https:// URL without spaces, got {value!r}")


def _non_empty_prompt(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{attribute.name} is empty: pass the text Codex should work on")


# A ``-c`` key as the CLI reads it: it cuts at the first "=" and splits on ".", with no TOML
# quoting, so only dotted paths of bare keys mean what they say.
_CONFIG_KEY = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


def _toml_value(_: Any, attribute: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
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


@accepting_origin_calls(
    order=(
        "prompt",
        "cwd",
        "json_output",
        "model",
        "profile",
        "sandbox",
        "full_auto",
        "ephemeral",
        "skip_git_repo_check",
        "output_last_message_path",
        "output_schema_path",
        "images",
        "extra_args",
    )
)
@attrs.frozen(kw_only=True)
class CodexExecRequest:
    """One ``codex exec`` invocation, as data.

    Every field maps to one CLI option; :func:`codex_local_sdk.command.build_exec_argv`
    turns it into argv. The prompt never goes into argv: it is written to the CLI's stdin.
    The constructor takes the fields below as keyword arguments; positional arguments follow
    codex-local-sdk-python 0.1.4's order (``prompt, cwd, json_output, model, profile,
    sandbox, full_auto, ephemeral, skip_git_repo_check, output_last_message_path,
    output_schema_path, images, extra_args``).

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
        full_auto: deprecated, warns with ``DeprecationWarning``: the CLI dropped
            ``--full-auto``, which chose the ``workspace-write`` sandbox, and the client now
            renders ``--sandbox workspace-write`` for it (an explicit ``sandbox`` wins). Pass
            ``sandbox=SandboxMode.WORKSPACE_WRITE`` instead.
        config: ``-c key=<TOML value>`` overrides, e.g. ``{"model_reasoning_effort": "low"}``;
            keys are dotted paths of bare keys (``"model_providers.fake.base_url"``).
        enable_features: ``--enable FEATURE`` for each (``features.<name>=true``).
        disable_features: ``--disable FEATURE`` for each (``features.<name>=false``).
        strict_config: ``--strict-config``: fail on ``config.toml`` fields this CLI does not know.
        oss: ``--oss``: use the open-source (local) provider.
        local_provider: ``--local-provider``: which local provider (``"lmstudio"``, ``"ollama"``).
        approve_for_me: ``--approve-for-me``: route approval requests through automatic review.
        dangerously_bypass_approvals_and_sandbox: ``--dangerously-bypass-approvals-and-sandbox``:
            no approvals and no sandbox; only for environments sandboxed from outside.
        dangerously_bypass_hook_trust: ``--dangerously-bypass-hook-trust``: run enabled hooks
            without their persisted trust.
        worktree: ``--worktree``: run in a new managed Git worktree (a new thread or a fork;
            ``resume`` and ``review`` refuse it).
        thread_source: ``--thread-source``: the source classification of a new or forked thread.
        cyber_access_program: ``--cyber-access-program`` (experimental, OpenAI provider only;
            ``review`` refuses it, a fork needs a prompt for it).
        trust: ``--trust``: save trust for this project (it persists in ``CODEX_HOME``).
        ignore_user_config: ``--ignore-user-config``: do not load ``$CODEX_HOME/config.toml``.
        ignore_rules: ``--ignore-rules``: do not load execpolicy ``.rules`` files.
        color: ``--color``: ``"always"``, ``"never"`` or ``"auto"``.
        model_reasoning_effort: ``-c model_reasoning_effort="..."``.
        network_access_enabled: ``-c sandbox_workspace_write.network_access=true|false``:
            network access for commands in the ``workspace-write`` sandbox.
        web_search_mode: ``-c web_search="disabled|cached|live"``.
        approval_policy: ``-c approval_policy="..."``: when commands need approval.
        all_sessions: ``resume --all``: with ``last=True``, pick the most recent session of
            any working directory (only ``resume`` accepts it).
        extra_args: more exec-level arguments, appended verbatim after the options above
            (before ``resume <id>``, the images and the prompt's ``-``), for options newer
            than the SDK: an argument the SDK renders itself (``--json``, ``-o``,
            ``resume``...) is refused.
        codex_home: ``CODEX_HOME`` for this run's CLI (its config, logins and threads);
            ``None`` uses the client's ``codex_home``, then the inherited one. Not an option:
            it goes into the child's environment.
        base_url: the model provider's base URL, rendered as ``-c openai_base_url="..."``
            (the CLI ignores ``OPENAI_BASE_URL`` in its environment); ``None`` uses the
            client's ``base_url``, then the CLI's configuration.

    Every field but ``cwd`` and ``codex_home`` maps to one option; a field that a subcommand does not accept
    (``worktree`` on a resume) is refused with a ``ValueError`` when the run is built,
    before anything starts.

    Raises:
        TypeError: a field of the wrong type (a text field that is not a ``str``, a path
            that is not a ``str`` or ``os.PathLike``, a flag that is not a ``bool``, a single
            string where a sequence is expected, a non-string or empty ``config`` key, a
            value with no TOML form).
        ValueError: a ``base_url`` that is not an ``http(s)://`` URL,
            a NUL character in an argument, an empty prompt, an unknown ``sandbox``
            string, a NaN or infinite float in ``config``, a ``config`` key that is not a
            dotted path of bare keys (letters, digits, ``_`` and ``-``: the CLI reads no TOML
            quoting in keys), a ``config`` key that a field sets too
            (``model_reasoning_effort``...), an ``extra_args`` entry the SDK renders itself,
            a value outside a field's choices (``color``, ``approval_policy``...), both
            ``approve_for_me`` and ``dangerously_bypass_approvals_and_sandbox``, or both
            ``worktree`` and ``ephemeral``.
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
    extra_args: tuple[str, ...] = attrs.field(
        default=(), converter=_str_tuple, validator=[_texts, _not_rendered_by_the_sdk]
    )
    full_auto: bool = attrs.field(default=False, validator=_flag)
    enable_features: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_texts)
    disable_features: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_texts)
    strict_config: bool = attrs.field(default=False, validator=_flag)
    oss: bool = attrs.field(default=False, validator=_flag)
    local_provider: str | None = attrs.field(default=None, validator=_optional_text)
    approve_for_me: bool = attrs.field(default=False, validator=_flag)
    dangerously_bypass_approvals_and_sandbox: bool = attrs.field(default=False, validator=_flag)
    dangerously_bypass_hook_trust: bool = attrs.field(default=False, validator=_flag)
    worktree: bool = attrs.field(default=False, validator=_flag)
    thread_source: str | None = attrs.field(default=None, validator=_optional_text)
    cyber_access_program: CyberAccessProgram | None = attrs.field(
        default=None, validator=_one_of(CyberAccessProgram)
    )
    trust: bool = attrs.field(default=False, validator=_flag)
    ignore_user_config: bool = attrs.field(default=False, validator=_flag)
    ignore_rules: bool = attrs.field(default=False, validator=_flag)
    color: ColorMode | None = attrs.field(default=None, validator=_one_of(ColorMode))
    model_reasoning_effort: ReasoningEffort | None = attrs.field(
        default=None, validator=_one_of(ReasoningEffort)
    )
    network_access_enabled: bool | None = attrs.field(default=None, validator=_optional_flag)
    web_search_mode: WebSearchMode | None = attrs.field(default=None, validator=_one_of(WebSearchMode))
    approval_policy: ApprovalPolicy | None = attrs.field(default=None, validator=_one_of(ApprovalPolicy))
    all_sessions: bool = attrs.field(default=False, validator=_flag)
    codex_home: str | None = attrs.field(default=None, converter=_optional_path, validator=_optional_text)
    base_url: str | None = attrs.field(default=None, validator=_url)

    def __attrs_post_init__(self) -> None:
        if self.approve_for_me and self.dangerously_bypass_approvals_and_sandbox:
            raise ValueError(
                "approve_for_me and dangerously_bypass_approvals_and_sandbox exclude each other "
                "(the CLI exits 2): choose one"
            )
        if self.worktree and self.ephemeral:
            raise ValueError("worktree and ephemeral exclude each other (the CLI exits 1): choose one")
        for key in self.config:
            field = CONFIG_FIELDS.get(key)
            if field is not None and getattr(self, field) is not None:
                raise ValueError(
                    f"config sets {key!r} and so does {field}={getattr(self, field)!r}: give it once "
                    f"(the field is typed and checked)"
                )
        if self.full_auto:
            warnings.warn(
                "CodexExecRequest(full_auto=True) is deprecated: the Codex CLI dropped --full-auto; "
                "pass sandbox=SandboxMode.WORKSPACE_WRITE (--sandbox workspace-write), which is "
                "what it renders now",
                DeprecationWarning,
                stacklevel=4,  # here, attrs' __init__, the positional-order wrapper, the caller
            )

    @property
    def effective_sandbox(self) -> SandboxMode | None:
        """The sandbox the run asks for: ``sandbox``, else ``workspace-write`` for the
        deprecated ``full_auto``, else ``None`` (the CLI's default)."""
        if self.sandbox is None and self.full_auto:
            return SandboxMode.WORKSPACE_WRITE
        return self.sandbox

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


def _failure_kinds(value: Any) -> frozenset[FailureKind] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"retry_on_failures must be a set of failure kinds or None, got {value!r}")
    try:
        return frozenset(FailureKind(kind) for kind in value)
    except ValueError as exc:
        known = ", ".join(kind.value for kind in FailureKind)
        raise ValueError(f"retry_on_failures holds an unknown failure kind ({exc}); known: {known}") from None


TRANSIENT_FAILURES = frozenset(
    {FailureKind.PROVIDER_UNAVAILABLE, FailureKind.RATE_LIMITED, FailureKind.THREAD_BUSY, FailureKind.TIMEOUT}
)
"""The kinds :meth:`RetryPolicy.transient` retries: they pass on their own."""


@accepting_origin_calls()
@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how a failed run is tried again. The defaults never retry (one attempt);
    the other defaults are codex-local-sdk-python 0.1.4's: 0.5 s doubling up to 8 s, 20 %
    jitter, timeouts retried.

    The delay before retry ``n`` (1-based) is
    ``min(initial_backoff_seconds * backoff_multiplier ** (n - 1), max_backoff_seconds)``,
    then multiplied by a random factor in ``[1 - jitter_ratio, 1 + jitter_ratio]``.

    With ``retry_on_failures`` set, it alone decides: a failed run is retried when its
    :attr:`~codex_local_sdk.results.CodexExecResult.failure_kind` is in it (``"timeout"``
    for all three timeouts, ``"spawn_failed"`` for a
    :class:`~codex_local_sdk.errors.CodexSpawnError`). Without it (``None``), a run that
    timed out is retried only with ``retry_on_timeouts``; any other unsuccessful run when
    its exit code qualifies (so a failed turn that exited 0 is not), and a
    :class:`~codex_local_sdk.errors.CodexSpawnError` whatever the exit codes.
    :class:`~codex_local_sdk.errors.CodexNotInstalledError` never is, nor a run whose turn
    completed (``turn_status == "completed"``), whatever its exit.

    An attempt whose items show a side effect (a command executed, a file changed, an MCP
    tool called) is not retried unless ``retry_after_side_effects``: a retry would run the
    turn, and repeat them, from the start. A run without JSON output shows no items, so the
    rules above alone decide. A live run retries only failures before its first event.

    A ``"usage_limit"`` failure whose message says when to come back waits until then at
    least (a wait past ``max_total_retry_seconds`` ends the retries at once instead).

    Attributes:
        max_attempts: total attempts, the first one included (>= 1).
        initial_backoff_seconds: the delay before the first retry.
        backoff_multiplier: growth factor of the delay from one retry to the next (> 0).
        max_backoff_seconds: cap on one delay (applied before jitter).
        retry_on_exit_codes: exit codes worth retrying; ``None`` retries any non-zero exit.
        jitter_ratio: random spread of each delay, between 0 and 1.
        max_total_retry_seconds: no retry is scheduled if its delay would end more than
            this many seconds after the first attempt started. ``None``: no cap.
        retry_on_timeouts: whether a run ended by the SDK's timeout is retried (unless
            ``retry_on_failures`` is set).
        retry_on_failures: the failure kinds to retry (names or
            :class:`~codex_local_sdk.results.FailureKind`); ``None`` keeps the rules of
            ``retry_on_exit_codes`` and ``retry_on_timeouts``.
        retry_after_side_effects: also retry an attempt that ran a command, changed a file
            or called an MCP tool.

    Raises:
        TypeError: a field of the wrong type (``max_attempts`` not an int, a non-int exit
            code, a non-number delay, ``retry_on_timeouts`` not a bool).
        ValueError: ``max_attempts`` < 1, a negative, NaN or infinite number,
            ``backoff_multiplier`` of 0, ``jitter_ratio`` > 1, or an unknown failure kind.
    """

    max_attempts: int = attrs.field(default=1)
    initial_backoff_seconds: float = attrs.field(default=0.5, validator=_non_negative_finite)
    backoff_multiplier: float = attrs.field(default=2.0, validator=_non_negative_finite)
    max_backoff_seconds: float = attrs.field(default=8.0, validator=_non_negative_finite)
    retry_on_exit_codes: tuple[int, ...] | None = attrs.field(default=None, converter=_exit_codes)
    jitter_ratio: float = attrs.field(default=0.2, validator=_non_negative_finite)
    max_total_retry_seconds: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(_non_negative_finite)
    )
    retry_on_timeouts: bool = attrs.field(default=True, validator=_flag)
    retry_on_failures: frozenset[FailureKind] | None = attrs.field(default=None, converter=_failure_kinds)
    retry_after_side_effects: bool = attrs.field(default=False, validator=_flag)

    @classmethod
    def transient(cls, max_attempts: int = 3, **fields: Any) -> RetryPolicy:
        """A policy that retries what passes on its own: ``provider_unavailable``,
        ``rate_limited``, ``thread_busy`` and ``timeout`` (:data:`TRANSIENT_FAILURES`).

        Args:
            max_attempts: total attempts, the first one included.
            **fields: other fields (``initial_backoff_seconds``, ``max_total_retry_seconds``...).

        Returns:
            The policy.
        """
        return cls(max_attempts=max_attempts, retry_on_failures=TRANSIENT_FAILURES, **fields)

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
