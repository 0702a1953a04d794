"""The options of ``codex exec`` the SDK renders, as data: one :class:`CliOption` per request
field, read from the ``--help`` of ``codex exec``, ``exec resume``, ``exec fork`` and
``exec review`` (Codex CLI 0.169.0), and the subcommands' own arguments.

The table drives the argv (:mod:`codex_local_sdk.command`), the refusal of an option a
subcommand does not take, the check that ``extra_args`` repeats none of them, and the
"Every CLI option" table of the guide.
"""

from __future__ import annotations

from typing import Literal

import attrs

Subcommand = Literal["resume", "fork", "review"]
"""The ``codex exec`` subcommands the SDK runs; ``None`` stands for a new thread."""

Kind = Literal["flag", "value", "values", "config", "overrides"]
"""How a field is rendered: ``flag`` (a bool: the flag alone when true), ``value`` (``FLAG
VALUE`` unless ``None``), ``values`` (``FLAG ITEM`` for each item), ``config`` (``-c
KEY=<TOML>`` unless ``None``, the key being the option's ``flag``), ``overrides`` (``-c
KEY=<TOML>`` for each item of a mapping)."""


@attrs.frozen
class CliOption:
    """One request field and the CLI option it becomes.

    Attributes:
        field: the :class:`~codex_local_sdk.CodexExecRequest` field.
        flag: the long flag (or, for ``config`` fields, the ``-c`` key).
        kind: how the field is rendered (see :data:`Kind`).
        short: the short flag, if the CLI has one.
        after: rendered after the subcommand and its thread id (as ``FLAG=ITEM`` for
            values, so that a flag cannot take the next word as its value), not before it.
        refused_by: the subcommands that do not accept it.
        only_on: the one subcommand that accepts it, if only one does.
    """

    field: str
    flag: str
    kind: Kind
    short: str | None = None
    after: bool = False
    refused_by: frozenset[Subcommand] = frozenset()
    only_on: Subcommand | None = None

    def accepted_by(self, subcommand: Subcommand | None) -> bool:
        """Whether ``codex exec [subcommand]`` takes this option (``None``: a new thread)."""
        if self.only_on is not None:
            return subcommand == self.only_on
        return subcommand not in self.refused_by


# In argv order. Measured on 0.169.0: every exec-level option is accepted before a
# subcommand, but `--worktree` is refused by resume and review ("cannot resume an existing
# session", "not supported for code review"), `--cyber-access-program` by review, and
# review takes no image (`-i` before `review` swallows it as an image path).
OPTIONS: tuple[CliOption, ...] = (
    CliOption("json_output", "--json", "flag"),
    CliOption("model", "--model", "value", short="-m"),
    CliOption("profile", "--profile", "value", short="-p"),
    CliOption("sandbox", "--sandbox", "value", short="-s"),
    CliOption("output_schema_path", "--output-schema", "value"),
    CliOption("output_last_message_path", "--output-last-message", "value", short="-o"),
    CliOption("add_dirs", "--add-dir", "values"),
    CliOption("skip_git_repo_check", "--skip-git-repo-check", "flag"),
    CliOption("ephemeral", "--ephemeral", "flag"),
    CliOption("enable_features", "--enable", "values"),
    CliOption("disable_features", "--disable", "values"),
    CliOption("strict_config", "--strict-config", "flag"),
    CliOption("oss", "--oss", "flag"),
    CliOption("local_provider", "--local-provider", "value"),
    CliOption("approve_for_me", "--approve-for-me", "flag"),
    CliOption(
        "dangerously_bypass_approvals_and_sandbox", "--dangerously-bypass-approvals-and-sandbox", "flag"
    ),
    CliOption("dangerously_bypass_hook_trust", "--dangerously-bypass-hook-trust", "flag"),
    CliOption("worktree", "--worktree", "flag", refused_by=frozenset({"resume", "review"})),
    CliOption("thread_source", "--thread-source", "value"),
    CliOption("cyber_access_program", "--cyber-access-program", "value", refused_by=frozenset({"review"})),
    CliOption("trust", "--trust", "flag"),
    CliOption("ignore_user_config", "--ignore-user-config", "flag"),
    CliOption("ignore_rules", "--ignore-rules", "flag"),
    CliOption("color", "--color", "value"),
    CliOption("model_reasoning_effort", "model_reasoning_effort", "config"),
    CliOption("network_access_enabled", "sandbox_workspace_write.network_access", "config"),
    CliOption("web_search_mode", "web_search", "config"),
    CliOption("approval_policy", "approval_policy", "config"),
    CliOption("base_url", "openai_base_url", "config"),
    CliOption("config", "--config", "overrides", short="-c"),
    CliOption("all_sessions", "--all", "flag", after=True, only_on="resume"),
    CliOption("images", "--image", "values", short="-i", after=True, refused_by=frozenset({"review"})),
)
"""Every option the SDK renders, in argv order (``extra_args`` go after ``config``)."""

CONFIG_FIELDS: dict[str, str] = {option.flag: option.field for option in OPTIONS if option.kind == "config"}
"""The ``config`` keys that have a field of their own, and that field."""

SUBCOMMAND_ARGUMENTS: dict[Subcommand, tuple[str, ...]] = {
    "resume": ("--last", "--all"),
    "fork": (),
    "review": ("--uncommitted", "--base", "--commit", "--title"),
}
"""The subcommands' own options, which the SDK renders from its methods' arguments."""


def rendered_flags() -> dict[str, str]:
    """Every command-line word the SDK renders itself, and the field or argument to use
    instead: the options' long and short flags, ``--cd``, the subcommands and their own
    options."""
    flags = {option.flag: f"{option.field}=" for option in OPTIONS if option.kind != "config"}
    flags.update({option.short: f"{option.field}=" for option in OPTIONS if option.short})
    flags.update({"--cd": "cwd=", "-C": "cwd="})
    for subcommand, arguments in SUBCOMMAND_ARGUMENTS.items():
        method = {"resume": "resume", "fork": "fork_thread", "review": "review"}[subcommand]
        flags[subcommand] = f"the client's {method}()"
        flags.update(
            {argument: f"the client's {method}()" for argument in arguments if argument not in flags}
        )
    return flags
