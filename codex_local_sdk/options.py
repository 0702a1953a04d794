"""The keyword options of the client's methods, as ``TypedDict``\\ s for type checkers.

``run_prompt(prompt, **options)`` and its kin take the :class:`CodexExecRequest` fields as
keyword arguments. Their signatures say so with ``**options: Unpack[RequestOptions]``, so a
type checker rejects a misspelt option (``modle=``) or a wrong value
(``sandbox="read-olny"``) before anything runs. The same dicts type a wrapper's own
``**options``:

>>> def review(client: CodexLocalClient, **options: Unpack[RequestOptions]) -> CodexExecResult:
...     return client.run_prompt("Review the diff", **options)

At run time they are plain dicts; the request still checks every value when it is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from .models import (
    ApprovalPolicy,
    ColorMode,
    CyberAccessProgram,
    ReasoningEffort,
    SandboxMode,
    SandboxName,
    StrPath,
    WebSearchMode,
)


class SchemaRunOptions(TypedDict, total=False):
    """The :class:`~codex_local_sdk.CodexExecRequest` fields but ``prompt`` and
    ``output_schema_path``: the options of ``run_with_schema``, which writes the schema file
    itself. Each is documented on the request."""

    cwd: StrPath | None
    json_output: bool
    model: str | None
    profile: str | None
    sandbox: SandboxMode | SandboxName | None
    output_last_message_path: StrPath | None
    images: Iterable[StrPath]
    add_dirs: Iterable[StrPath]
    skip_git_repo_check: bool
    ephemeral: bool
    config: Mapping[str, Any]
    extra_args: Iterable[str]
    full_auto: bool  # deprecated: sandbox="workspace-write"
    enable_features: Iterable[str]
    disable_features: Iterable[str]
    strict_config: bool
    oss: bool
    local_provider: str | None
    approve_for_me: bool
    dangerously_bypass_approvals_and_sandbox: bool
    dangerously_bypass_hook_trust: bool
    worktree: bool
    thread_source: str | None
    cyber_access_program: CyberAccessProgram | None
    trust: bool
    ignore_user_config: bool
    ignore_rules: bool
    color: ColorMode | None
    model_reasoning_effort: ReasoningEffort | None
    network_access_enabled: bool | None
    web_search_mode: WebSearchMode | None
    approval_policy: ApprovalPolicy | None
    all_sessions: bool
    codex_home: StrPath | None
    base_url: str | None


class RequestOptions(SchemaRunOptions, total=False):
    """Every :class:`~codex_local_sdk.CodexExecRequest` field but ``prompt``: the options of
    ``run_prompt``, ``start_thread``, ``resume``, ``resume_live`` and ``open_session``."""

    output_schema_path: StrPath | None


class TurnOptions(RequestOptions, total=False):
    """The options of :meth:`CodexThreadSession.continue_prompt`: the request fields
    (``all_sessions`` among them, accepted as codex-local-sdk-python 0.1.4 did; it changes
    nothing for a thread id) and the API key for this turn."""

    api_key: str | None


class LiveTurnOptions(TurnOptions, total=False):
    """The options of :meth:`CodexThreadSession.continue_live`: those of a turn, and
    ``keep_events`` (as for :meth:`CodexLocalClient.run_live`)."""

    keep_events: bool
