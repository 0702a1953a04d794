"""argv for every request field (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from codex_local_sdk import CodexExecRequest, SandboxMode
from codex_local_sdk.command import build_exec_argv, render_toml_value


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
        ({"extra_args": ["--color", "never"]}, ["--json", "--color", "never"]),
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
