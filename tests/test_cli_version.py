"""The client and the installed CLI's version: read through the runner, once, and only when
a run depends on it; options the CLI lacks are refused before anything runs."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.scripted_runner import ScriptedRun
from codex_local_sdk import CodexExecRequest, CodexNotInstalledError
from codex_local_sdk.errors import CodexUnsupportedCliError, CodexUnsupportedOptionError
from codex_local_sdk.versions import CliVersion, option_support
from tests.conftest import MakeHarness


def argvs(harness: Any) -> list[list[str]]:
    return [list(spec.argv) for spec in harness.runner.calls]


def test_a_request_with_a_newer_option_is_refused_before_any_run(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success()], version_output="codex-cli 0.100.0")
    with pytest.raises(CodexUnsupportedOptionError) as caught:
        h.client.run(CodexExecRequest(prompt="p", strict_config=True))
    row = option_support("exec", "--strict-config")
    assert row is not None
    assert (caught.value.option, caught.value.installed, caught.value.since) == (
        "--strict-config",
        CliVersion(0, 100, 0),
        row.since,
    )
    assert f"came in Codex CLI {row.since}" in str(caught.value)
    assert argvs(h) == [["codex", "--version"]]  # no exec ran


def test_the_version_is_read_once_for_many_runs(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success() for _ in range(3)])
    for _ in range(3):
        assert h.client.run(CodexExecRequest(prompt="p", strict_config=True)).succeeded
    assert h.client.cli_version() == CliVersion(0, 169, 0)
    assert [argv[1] for argv in argvs(h)] == ["--version", "exec", "exec", "exec"]


def test_runs_with_options_every_supported_cli_has_never_read_the_version(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success(), ScriptedRun.success()])
    h.client.run_prompt("p", model="m", sandbox="read-only", ephemeral=True)
    h.client.resume("again", session_id="thread-1")
    assert [argv[1] for argv in argvs(h)] == ["exec", "exec"]


def test_the_version_check_leaves_out_the_api_key_and_keeps_the_runs_environment(
    make_harness: MakeHarness,
) -> None:
    h = make_harness([ScriptedRun.success()], default_env={"A": "1"}, codex_home="/homes/a")
    h.client.run(CodexExecRequest(prompt="p", strict_config=True), api_key="sk-secret")
    probe, run = h.runner.calls
    assert probe.env == {"A": "1", "CODEX_HOME": "/homes/a"}
    assert run.env == {**probe.env, "CODEX_API_KEY": "sk-secret"}


def test_full_auto_renders_by_the_installed_version(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success()], version_output="codex-cli 0.115.0")
    with pytest.warns(DeprecationWarning):
        request = CodexExecRequest(prompt="p", full_auto=True)
    h.client.run(request)
    assert "--full-auto" in argvs(h)[1] and "--sandbox" not in argvs(h)[1]


def test_the_scripted_cli_is_the_pinned_one_and_its_version_takes_no_scripted_run(
    make_harness: MakeHarness,
) -> None:
    h = make_harness([ScriptedRun.success()])
    with pytest.warns(DeprecationWarning):
        request = CodexExecRequest(prompt="p", full_auto=True)
    assert h.client.run(request).succeeded
    run = argvs(h)[1]
    assert run[run.index("--sandbox") + 1] == "workspace-write"


def test_an_old_cli_is_logged_once(make_harness: MakeHarness, caplog: pytest.LogCaptureFixture) -> None:
    h = make_harness([ScriptedRun.success(), ScriptedRun.success()], version_output="codex-cli 0.90.0")
    with caplog.at_level(logging.WARNING, logger="codex_local_sdk"):
        for _ in range(2):  # an option removed later: a run that needs the version
            h.client.run(CodexExecRequest(prompt="p", extra_args=("--full-auto",)))
        assert h.client.cli_version() == CliVersion(0, 90, 0)
    warnings = [r.getMessage() for r in caplog.records if "older than" in r.getMessage()]
    assert len(warnings) == 1 and "0.90.0" in warnings[0]


def test_a_strict_client_refuses_an_old_cli_before_its_first_run(make_harness: MakeHarness) -> None:
    h = make_harness([], version_output="codex-cli 0.90.0", strict_cli_version=True)
    with pytest.raises(CodexUnsupportedCliError, match=r"0\.90\.0, older than") as caught:
        h.client.run_prompt("p")
    assert caught.value.installed == CliVersion(0, 90, 0)
    with pytest.raises(CodexUnsupportedCliError):  # every time, from the kept version
        h.client.run_prompt("p")
    assert argvs(h) == [["codex", "--version"]]


def test_an_unreadable_version_skips_the_check_but_a_strict_client_refuses_it(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_harness([ScriptedRun.success()], version_output="Usage: codex")
    with caplog.at_level(logging.WARNING, logger="codex_local_sdk"):
        assert h.client.run(CodexExecRequest(prompt="p", strict_config=True)).succeeded
    assert "could not read the Codex CLI version" in caplog.text
    with pytest.raises(CodexUnsupportedCliError, match=r"printed no X\.Y\.Z version"):
        h.client.cli_version()

    strict = make_harness([], version_output="Usage: codex", strict_cli_version=True)
    with pytest.raises(CodexUnsupportedCliError, match="strict_cli_version=True"):
        strict.client.run_prompt("p")


def test_a_missing_cli_is_reported_by_the_version_check_as_by_a_run(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.not_installed()], version_output=None)
    with pytest.raises(CodexNotInstalledError):
        h.client.run(CodexExecRequest(prompt="p", strict_config=True))


def test_the_scripted_runner_plays_version_runs_from_the_script_when_told_to(
    make_harness: MakeHarness,
) -> None:
    h = make_harness([ScriptedRun(stdout=["codex-cli 0.130.0"]), ScriptedRun.success()], version_output=None)
    h.client.run(CodexExecRequest(prompt="p", ignore_rules=True))
    assert h.client.cli_version() == CliVersion(0, 130, 0)
    assert [argv[1] for argv in argvs(h)] == ["--version", "exec"]


def test_a_runner_without_find_program_is_asked_through_a_version_run(make_harness: MakeHarness) -> None:
    assert not make_harness([ScriptedRun.not_installed()], version_output=None).client.is_available()
    found = make_harness([])
    assert found.client.is_available()
    assert found.client.cli_version() == CliVersion(0, 169, 0)  # the same read, kept
    assert argvs(found) == [["codex", "--version"]]


def test_a_runner_with_find_program_answers_without_a_run(make_harness: MakeHarness) -> None:
    h = make_harness([])
    runner: Any = h.runner
    runner.find_program = lambda spec: None if spec.argv[0] == "codex" else spec.argv[0]
    assert not h.client.is_available()
    assert argvs(h) == []


def test_a_strict_client_still_finds_an_old_cli(make_harness: MakeHarness) -> None:
    h = make_harness([], version_output="codex-cli 0.90.0", strict_cli_version=True)
    assert h.client.is_available()


def test_strict_cli_version_must_be_a_bool(make_harness: MakeHarness) -> None:
    with pytest.raises(TypeError, match="strict_cli_version must be True or False"):
        make_harness([], strict_cli_version="yes")


def test_a_version_read_waits_no_longer_than_the_runs_limit_and_a_cut_one_is_asked_again(
    make_harness: MakeHarness,
) -> None:
    silent = ScriptedRun(stdout=[], duration_seconds=100)  # a `--version` that never answers
    answers = ScriptedRun(stdout=["codex-cli 0.169.0"])
    h = make_harness([silent, ScriptedRun.success(), answers, ScriptedRun.success()], version_output=None)
    started = h.clock.monotonic()
    assert h.client.run(CodexExecRequest(prompt="p", strict_config=True), timeout_seconds=2).succeeded
    assert h.clock.monotonic() - started < 2 + 1  # not the 30 s a reading may take alone
    assert h.client.run(CodexExecRequest(prompt="p", strict_config=True)).succeeded
    assert [argv[1] for argv in argvs(h)] == ["--version", "exec", "--version", "exec"]
    assert h.client.cli_version() == CliVersion(0, 169, 0)
