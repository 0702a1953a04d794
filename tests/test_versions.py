"""The version table and the check of an argv against a CLI version (pure functions)."""

from __future__ import annotations

import pytest

from codex_local_sdk.command import build_exec_argv
from codex_local_sdk.models import CodexExecRequest
from codex_local_sdk.versions import (
    NEWEST_READ,
    OLDEST_SUPPORTED,
    OPTIONS,
    READ_FROM,
    CliVersion,
    needs_version,
    option_support,
    unsupported_options,
    used_options,
)

V100, V130, V169 = CliVersion(0, 100, 0), CliVersion(0, 130, 0), CliVersion(0, 169, 0)


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("codex-cli 0.169.0\n", V169),
        ("0.100.0", V100),
        ("codex-cli 0.128.0-alpha.1", CliVersion(0, 128, 0)),
        ("codex-cli v1.2.3", CliVersion(1, 2, 3)),
    ],
)
def test_a_version_is_read_from_what_codex_version_prints(text: str, version: CliVersion) -> None:
    assert CliVersion.parse(text) == version


def test_a_text_without_a_version_is_refused_with_what_it_held() -> None:
    with pytest.raises(ValueError, match=r"no Codex CLI version.*'Usage: codex'"):
        CliVersion.parse("Usage: codex")


def test_versions_compare_by_their_numbers_not_as_text() -> None:
    assert CliVersion.parse("0.99.0") < CliVersion.parse("0.100.0") < CliVersion.parse("1.0.0")
    assert str(CliVersion.parse("codex-cli 0.169.0")) == "0.169.0"


def test_the_table_was_read_from_ordered_releases_up_to_the_pinned_cli() -> None:
    assert list(READ_FROM) == sorted(READ_FROM)
    assert READ_FROM[0] < OLDEST_SUPPORTED < NEWEST_READ == V169
    assert OLDEST_SUPPORTED in READ_FROM
    for row in OPTIONS:
        for version in (row.since, row.removed_in):
            assert version is None or version in READ_FROM, row


def test_every_flag_the_sdk_renders_has_a_row() -> None:
    request = CodexExecRequest(
        prompt="p",
        model="m",
        profile="p",
        sandbox="read-only",
        output_schema_path="s.json",
        output_last_message_path="o.txt",
        images=["i.png"],
        add_dirs=["d"],
        skip_git_repo_check=True,
        ephemeral=True,
        config={"a": 1},
        base_url="http://127.0.0.1:1/v1",
    )
    argv = build_exec_argv("codex", request, resume_thread_id="t-1")
    flags = [a.partition("=")[0] for a in argv[2:] if a.startswith("-") and a != "-"]
    named = [row.option for row in used_options(argv)]
    assert named == [
        "--json",
        "--model",
        "--profile",
        "--sandbox",
        "--output-schema",
        "--output-last-message",
        "--add-dir",
        "--skip-git-repo-check",
        "--ephemeral",
        "--config",
        "--config",
        "resume",
        "--image",
    ]
    assert len(named) == len(flags) + 1  # every flag, and the subcommand


def test_a_flag_is_looked_up_in_the_command_it_follows_and_its_value_is_skipped() -> None:
    # "resume" as the value of --model is no subcommand; --output-schema after resume is resume's
    argv = ["codex", "exec", "--model", "resume", "-c", "x=1", "resume", "--output-schema", "f", "t-1", "-"]
    assert [(row.command, row.option) for row in used_options(argv)] == [
        ("exec", "--model"),
        ("exec", "--config"),
        ("exec", "resume"),
        ("resume", "--output-schema"),
    ]


def test_an_unknown_flag_is_left_to_the_cli() -> None:
    assert used_options(["codex", "exec", "--from-the-future", "-"]) == []


def test_options_every_supported_cli_has_need_no_version() -> None:
    argv = build_exec_argv("codex", CodexExecRequest(prompt="p", model="m"), resume_last=True)
    assert not needs_version(argv)
    assert needs_version(["codex", "exec", "--strict-config", "-"])


def test_a_newer_option_is_unsupported_by_an_older_cli_and_a_removed_one_by_a_newer_cli() -> None:
    strict = option_support("exec", "--strict-config")
    full_auto = option_support("exec", "--full-auto")
    assert strict is not None and full_auto is not None
    argv = ["codex", "exec", "--strict-config", "--full-auto", "-"]
    assert unsupported_options(argv, V100) == [strict]
    assert unsupported_options(argv, V169) == [full_auto]
    assert unsupported_options(argv, CliVersion(0, 127, 0)) == [strict]
    assert strict.since is not None and unsupported_options(argv[:3], strict.since) == []


def test_full_auto_renders_the_flag_for_clis_that_had_it_and_the_sandbox_for_the_others() -> None:
    with pytest.warns(DeprecationWarning):
        request = CodexExecRequest(prompt="p", full_auto=True)
    assert "--full-auto" in build_exec_argv("codex", request, cli_version=V100)
    newer = build_exec_argv("codex", request, cli_version=V169)
    assert "--full-auto" not in newer and newer[newer.index("--sandbox") + 1] == "workspace-write"
    assert "--full-auto" not in build_exec_argv("codex", request, cli_version=V130)
