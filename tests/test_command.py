"""argv for every request field (pure)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from codex_local_sdk import CodexExecRequest, SandboxMode
from codex_local_sdk._cli_options import OPTIONS, CliOption
from codex_local_sdk.command import NEW_THREAD, Command, build_exec_argv, render_toml_value
from codex_local_sdk.versions import option_support


def argv(resume: str | None = None, last: bool = False, **fields: Any) -> list[str]:
    request = CodexExecRequest(prompt="do it", **fields)
    return build_exec_argv("codex", request, resume_thread_id=resume, resume_last=last)


def test_minimal_request_reads_the_prompt_from_stdin() -> None:
    assert argv() == ["codex", "exec", "--json", "-"]


def test_prompt_never_appears_in_argv() -> None:
    request = CodexExecRequest(prompt="--secret-looking prompt")
    assert "--secret-looking prompt" not in build_exec_argv("codex", request)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"json_output": False}, []),
        ({"model": "gpt-5"}, ["--json", "--model", "gpt-5"]),
        ({"profile": "ci"}, ["--json", "--profile", "ci"]),
        ({"sandbox": SandboxMode.READ_ONLY}, ["--json", "--sandbox", "read-only"]),
        ({"sandbox": "workspace-write"}, ["--json", "--sandbox", "workspace-write"]),
        ({"output_schema_path": "s.json"}, ["--json", "--output-schema", "s.json"]),
        ({"output_last_message_path": "o.txt"}, ["--json", "--output-last-message", "o.txt"]),
        ({"add_dirs": ["a", "b"]}, ["--json", "--add-dir", "a", "--add-dir", "b"]),
        ({"skip_git_repo_check": True}, ["--json", "--skip-git-repo-check"]),
        ({"ephemeral": True}, ["--json", "--ephemeral"]),
        ({"config": {"model_reasoning_effort": "low"}}, ["--json", "-c", 'model_reasoning_effort="low"']),
        ({"extra_args": ["--newer-flag", "x"]}, ["--json", "--newer-flag", "x"]),
        ({"enable_features": ["apps", "b"]}, ["--json", "--enable", "apps", "--enable", "b"]),
        ({"disable_features": ["apps"]}, ["--json", "--disable", "apps"]),
        ({"strict_config": True}, ["--json", "--strict-config"]),
        ({"oss": True}, ["--json", "--oss"]),
        ({"local_provider": "ollama"}, ["--json", "--local-provider", "ollama"]),
        ({"approve_for_me": True}, ["--json", "--approve-for-me"]),
        (
            {"dangerously_bypass_approvals_and_sandbox": True},
            ["--json", "--dangerously-bypass-approvals-and-sandbox"],
        ),
        ({"dangerously_bypass_hook_trust": True}, ["--json", "--dangerously-bypass-hook-trust"]),
        ({"worktree": True}, ["--json", "--worktree"]),
        ({"thread_source": "ci"}, ["--json", "--thread-source", "ci"]),
        ({"cyber_access_program": "standard"}, ["--json", "--cyber-access-program", "standard"]),
        ({"trust": True}, ["--json", "--trust"]),
        ({"ignore_user_config": True}, ["--json", "--ignore-user-config"]),
        ({"ignore_rules": True}, ["--json", "--ignore-rules"]),
        ({"color": "never"}, ["--json", "--color", "never"]),
        ({"model_reasoning_effort": "low"}, ["--json", "-c", 'model_reasoning_effort="low"']),
        ({"network_access_enabled": True}, ["--json", "-c", "sandbox_workspace_write.network_access=true"]),
        ({"network_access_enabled": False}, ["--json", "-c", "sandbox_workspace_write.network_access=false"]),
        ({"web_search_mode": "live"}, ["--json", "-c", 'web_search="live"']),
        ({"approval_policy": "never"}, ["--json", "-c", 'approval_policy="never"']),
        ({"images": ["a.png", "b.png"]}, ["--json", "--image=a.png", "--image=b.png"]),
        ({"cwd": "/tmp"}, ["--json"]),
    ],
)
def test_each_field_maps_to_its_flag(fields: dict[str, Any], expected: list[str]) -> None:
    assert argv(**fields) == ["codex", "exec", *expected, "-"]


def test_resume_puts_exec_options_before_and_images_after_the_thread_id() -> None:
    assert argv(resume="t-1", model="m", images=["x.png"]) == [
        "codex",
        "exec",
        "--json",
        "--model",
        "m",
        "resume",
        "t-1",
        "--image=x.png",
        "-",
    ]


def test_resume_last_is_explicit() -> None:
    assert argv(last=True) == ["codex", "exec", "--json", "resume", "--last", "-"]


def test_all_sessions_goes_after_resume_last() -> None:
    assert argv(last=True, all_sessions=True) == ["codex", "exec", "--json", "resume", "--last", "--all", "-"]


def test_every_field_but_cwd_and_codex_home_has_an_option_in_the_table() -> None:
    fields = {field.name for field in attrs.fields(CodexExecRequest)}
    in_table = {option.field for option in OPTIONS}
    # prompt goes on stdin, cwd is where the process starts, extra_args are verbatim,
    # full_auto renders as --sandbox, codex_home goes into the child's environment
    assert fields - in_table == {"prompt", "cwd", "extra_args", "full_auto", "codex_home"}
    assert in_table <= fields


def with_command(command: Command, **fields: Any) -> list[str]:
    return build_exec_argv("codex", CodexExecRequest(prompt="p", **fields), command=command)


def test_fork_puts_options_before_and_images_after_the_parent_id() -> None:
    assert with_command(Command.fork("t-1", prompt=True), model="m", images=["x.png"]) == [
        *("codex", "exec", "--json", "--model", "m", "fork", "t-1", "--image=x.png", "-"),
    ]


def test_fork_without_prompt_reads_no_stdin() -> None:
    assert with_command(Command.fork("t-1", prompt=False)) == ["codex", "exec", "--json", "fork", "t-1"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"uncommitted": True}, ["--uncommitted"]),
        ({"base": "main"}, ["--base", "main"]),
        ({"commit": "abc123", "title": "Fix it"}, ["--commit", "abc123", "--title", "Fix it"]),
        ({"instructions": True}, ["-"]),
    ],
)
def test_review_renders_its_one_target_and_no_prompt_with_a_change(
    target: dict[str, Any], expected: list[str]
) -> None:
    assert with_command(Command.review(**target), sandbox="read-only") == [
        *("codex", "exec", "--json", "--sandbox", "read-only", "review", *expected),
    ]


@pytest.mark.parametrize(
    "target",
    [
        {},
        {"title": "only a title"},
        {"uncommitted": True, "instructions": True},
        {"uncommitted": True, "base": "main"},
        {"base": "main", "commit": "abc"},
    ],
)
def test_review_needs_exactly_one_target(target: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="exactly one of uncommitted=True, base=, commit= or instructions="):
        Command.review(**target)


@pytest.mark.parametrize(
    ("command", "fields", "message"),
    [
        (
            Command.resume("t-1"),
            {"worktree": True},
            r"worktree \(--worktree\) is not accepted by codex exec resume",
        ),
        (Command.review(uncommitted=True), {"worktree": True}, "worktree .* codex exec review"),
        (Command.review(uncommitted=True), {"images": ["x.png"]}, r"images \(--image\) .* codex exec review"),
        (Command.review(base="main"), {"cyber_access_program": "standard"}, "cyber_access_program .* review"),
        (
            Command.fork("t-1", prompt=False),
            {"cyber_access_program": "standard"},
            "needs a prompt on codex exec fork",
        ),
        (NEW_THREAD, {"all_sessions": True}, r"all_sessions \(--all\) .* a new thread"),
        (Command.fork("t-1", prompt=True), {"all_sessions": True}, "all_sessions .* codex exec fork"),
    ],
)
def test_an_option_the_subcommand_refuses_is_a_value_error_naming_both(
    command: Command, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        with_command(command, **fields)


@pytest.mark.parametrize(
    ("argument", "instead"),
    [
        ("--json", "json_output="),
        ("resume", "resume()"),
        ("fork", "fork_thread()"),
        ("review", "review()"),
        ("--uncommitted", "review()"),
        ("--last", "resume()"),
        ("-o", "output_last_message_path="),
        ("--output-schema", "output_schema_path="),
        ("--model=gpt-5", "model="),
        ("-mgpt-5", "model="),
        ("-c", "config="),
        ("--image", "images="),
        ("--cd", "cwd="),
        ("--color", "color="),
        ("--all", "all_sessions="),
    ],
)
def test_extra_args_that_the_sdk_renders_itself_are_refused(argument: str, instead: str) -> None:
    with pytest.raises(ValueError, match=f"extra_args holds .* use .*{re.escape(instead)}"):
        CodexExecRequest(prompt="p", extra_args=["--newer", argument])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"color": "blue"}, "color must be one of 'always', 'never', 'auto'"),
        ({"model_reasoning_effort": "max"}, "model_reasoning_effort must be one of"),
        ({"web_search_mode": "on"}, "web_search_mode must be one of"),
        ({"approval_policy": "sometimes"}, "approval_policy must be one of"),
        ({"cyber_access_program": "x"}, "cyber_access_program must be one of"),
        (
            {"approve_for_me": True, "dangerously_bypass_approvals_and_sandbox": True},
            "exclude each other",
        ),
        ({"worktree": True, "ephemeral": True}, "worktree and ephemeral exclude each other"),
        (
            {"approval_policy": "never", "config": {"approval_policy": "never"}},
            "config sets 'approval_policy' and so does approval_policy=",
        ),
    ],
)
def test_typed_options_refuse_values_outside_their_choices(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CodexExecRequest(prompt="p", **fields)


@pytest.mark.parametrize(
    "fields", [{"network_access_enabled": 1}, {"worktree": "yes"}, {"enable_features": "apps"}]
)
def test_typed_options_refuse_values_of_the_wrong_type(fields: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        CodexExecRequest(prompt="p", **fields)


@pytest.mark.parametrize(
    ("value", "toml"),
    [
        (True, "true"),
        (3, "3"),
        (0.5, "0.5"),
        ('say "hi"\n', '"say \\"hi\\"\\n"'),
        (["a", 1], '["a", 1]'),
        ({"inherit": "all", "with space": False}, '{inherit = "all", "with space" = false}'),
    ],
)
def test_config_values_render_as_toml(value: Any, toml: str) -> None:
    assert render_toml_value(value) == toml


@pytest.mark.parametrize("value", [None, object(), {1: "x"}])
def test_config_values_without_toml_form_are_rejected(value: Any) -> None:
    with pytest.raises(TypeError):
        CodexExecRequest(prompt="p", config={"k": value})


def test_non_finite_config_float_is_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        CodexExecRequest(prompt="p", config={"k": float("nan")})


# -- config keys: the CLI splits a key on "." and takes the text before the first "=" --------


@pytest.mark.parametrize(
    "key",
    ["model", "model_reasoning_effort", "model_providers.fake.base_url", "mcp_servers.my-server.cmd", "a.1"],
)
def test_dotted_paths_of_bare_keys_are_rendered_as_they_are(key: str) -> None:
    assert argv(config={key: 1})[-3:] == ["-c", f"{key}=1", "-"]


@pytest.mark.parametrize(
    "key",
    [
        "model=evil",  # the CLI would set model to 'evil="x"'
        "model ",
        "my key",
        '"model"',  # the CLI does not read TOML quoting: this is a key named "model" in quotes
        "model_providers.'x'.name",
        "a..b",
        ".a",
        "a.",
        "ключ",
        "a\nb",
    ],
)
def test_config_keys_that_are_not_dotted_bare_keys_are_rejected(key: str) -> None:
    with pytest.raises(ValueError, match=r"config key .* dotted path of bare keys"):
        CodexExecRequest(prompt="p", config={key: "x"})


def test_a_table_value_may_hold_any_key_and_quotes_it() -> None:
    request = CodexExecRequest(prompt="p", config={"mcp_servers": {"my server": {"command": "x"}}})
    assert build_exec_argv("codex", request)[-2] == 'mcp_servers={"my server" = {command = "x"}}'


def test_the_guide_lists_every_option_with_the_runs_that_accept_it() -> None:
    guide = (Path(__file__).parent.parent / "docs" / "guide" / "requests.md").read_text(encoding="utf-8")

    def row(option: CliOption) -> str:
        flag = f"`{option.flag}`" + (f", `{option.short}`" if option.short else "")
        if option.kind == "config":
            flag = f"`-c {option.flag}=…`"
        accepted = (
            "yes" if option.accepted_by(subcommand) else "no"
            for subcommand in (None, "resume", "fork", "review")
        )
        return f"| `{option.field}` | {flag} | {' | '.join(accepted)} | {since(option)} |"

    def since(option: CliOption) -> str:
        row = option_support("resume" if option.only_on == "resume" else "exec", option.flag)
        return str(row.since) if row is not None and row.since is not None else "—"

    missing = [row(option) for option in OPTIONS if row(option) not in guide]
    assert not missing, "docs/guide/requests.md lacks these rows of 'Every CLI option':\n" + "\n".join(
        missing
    )


@pytest.mark.parametrize("target", [{"base": "--uncommitted"}, {"commit": "-x"}])
def test_a_review_target_that_looks_like_an_option_is_refused(target: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="starting with '-'"):
        Command.review(**target)  # type: ignore[arg-type]
