"""Isolation: ``codex_home``, ``inherit_env=False`` with its allowlist, and ``base_url``; and the
stand-in CLI that shows what the child really got."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.scripted_runner import ScriptedRun
from adapters.subprocess_runner import SubprocessRunner
from codex_local_sdk import CodexExecRequest, CodexLocalClient, ProcessSpec
from codex_local_sdk._environment import MINIMAL_ENV, provider_key_variables
from codex_local_sdk.errors import CodexUnsupportedOptionError
from codex_local_sdk.ports import child_env
from codex_local_sdk.versions import CliVersion
from tests.conftest import MakeHarness
from tests.standins.recording_cli import recorded_calls, write_recording_cli

# -- the child's environment (pure) ---------------------------------------------------------


def test_a_spec_without_allowlist_inherits_everything_under_its_env() -> None:
    spec = ProcessSpec(argv=["codex"], env={"A": "spec"})
    assert child_env({"A": "base", "B": "base"}, spec) == {"A": "spec", "B": "base"}


def test_an_allowlist_keeps_named_and_prefixed_variables_only() -> None:
    spec = ProcessSpec(argv=["codex"], env={"CODEX_API_KEY": "k"}, env_allowlist=("PATH", "LC_*"))
    base = {"PATH": "/bin", "LC_ALL": "C", "LC_TIME": "C", "MY_SECRET": "s", "PATHOLOGY": "x"}
    assert child_env(base, spec) == {"PATH": "/bin", "LC_ALL": "C", "LC_TIME": "C", "CODEX_API_KEY": "k"}


def test_an_exclusion_keeps_out_what_a_prefix_let_in_but_not_a_name_given_whole() -> None:
    allowlist = ("CODEX_*", "!CODEX_LOCAL_*", "AWS_*", "!AWS_SECRET_KEY", "CODEX_LOCAL_MODE")
    base = {
        "CODEX_HOME": "h",
        "CODEX_LOCAL_STORE": "postgresql://app:pw@db/app",
        "CODEX_LOCAL_MODE": "x",
        "AWS_REGION": "r",
        "AWS_SECRET_KEY": "s",
    }
    kept = child_env(base, ProcessSpec(argv=["codex"], env_allowlist=allowlist))
    assert kept == {"CODEX_HOME": "h", "CODEX_LOCAL_MODE": "x", "AWS_REGION": "r"}


def test_the_key_variables_of_the_providers_a_request_configures_are_found() -> None:
    config = {
        "model_providers.a.env_key": "A_KEY",
        "model_providers": {"b": {"env_key": "B_KEY", "name": "b"}},
        "model_providers.c": {"env_key": "C_KEY"},
        "model": "m",
    }
    assert provider_key_variables(config) == ["A_KEY", "B_KEY", "C_KEY"]


# -- what the client asks for (ScriptedRunner) ----------------------------------------------


def test_codex_home_goes_into_the_childs_environment_and_a_request_overrides_it(
    make_harness: MakeHarness, tmp_path: Path
) -> None:
    h = make_harness([ScriptedRun.success(), ScriptedRun.success()], codex_home=tmp_path / "home")
    h.client.run_prompt("p")
    h.client.run_prompt("p", codex_home="/other/home")
    assert [spec.env["CODEX_HOME"] for spec in h.runner.calls] == [str(tmp_path / "home"), "/other/home"]
    assert all(spec.env_allowlist is None for spec in h.runner.calls)  # inherit_env by default


def test_without_inheriting_the_child_gets_the_minimal_names_the_provider_keys_and_the_allowlist(
    make_harness: MakeHarness,
) -> None:
    h = make_harness([ScriptedRun.success()], inherit_env=False, env_allowlist=["MY_TOOL_*"])
    h.client.run_prompt("p", config={"model_providers.fake.env_key": "FAKE_KEY"})
    [spec] = h.runner.calls
    assert spec.env_allowlist == (*MINIMAL_ENV, "FAKE_KEY", "MY_TOOL_*")
    assert {"PATH", "HOME", "LANG", "LC_*", "TZ", "TMPDIR", "HTTPS_PROXY", "SSL_CERT_FILE", "CODEX_*"} <= set(
        MINIMAL_ENV
    )


def test_base_url_is_rendered_as_the_cli_reads_it_and_a_request_overrides_the_clients(
    make_harness: MakeHarness,
) -> None:
    h = make_harness([ScriptedRun.success(), ScriptedRun.success()], base_url="http://127.0.0.1:1/v1")
    h.client.run_prompt("p")
    h.client.run_prompt("p", base_url="https://proxy.example/v1")
    first, second = (list(spec.argv) for spec in h.runner.calls)
    assert first[first.index("-c") + 1] == 'openai_base_url="http://127.0.0.1:1/v1"'
    assert second[second.index("-c") + 1] == 'openai_base_url="https://proxy.example/v1"'


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"inherit_env": "no"}, TypeError, "inherit_env must be True or False"),
        ({"env_allowlist": "PATH"}, TypeError, "single string"),
        ({"env_allowlist": ["A=B"]}, ValueError, "variable names"),
        ({"base_url": "127.0.0.1:8000"}, ValueError, "http:// or https:// URL"),
        ({"codex_home": 3}, TypeError, "codex_home must be a str or os.PathLike"),
    ],
)
def test_bad_isolation_settings_are_refused_when_the_client_is_built(
    options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        CodexLocalClient(**options)  # type: ignore[arg-type]


def test_a_bad_base_url_in_a_request_is_refused() -> None:
    with pytest.raises(ValueError, match="base_url must be an http"):
        CodexExecRequest(prompt="p", base_url="ftp://x")


# -- what the child really gets (a stand-in CLI, real processes) ----------------------------


def test_without_inheriting_a_parent_secret_stays_out_of_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SECRET", "do-not-leak")
    monkeypatch.setenv("CODEX_LOCAL_STORE", "postgresql://app:do-not-leak@db/app")
    monkeypatch.setenv("LC_TIME", "C")
    binary = write_recording_cli(tmp_path / "cli")
    client = CodexLocalClient(codex_bin=binary, inherit_env=False, codex_home=tmp_path / "home")
    assert client.run_prompt("p", api_key="sk-test").succeeded
    [call] = recorded_calls(tmp_path / "cli")
    env = call["env"]
    assert "MY_SECRET" not in env and "CODEX_LOCAL_STORE" not in env
    assert env["PATH"] and env["HOME"] and env["LC_TIME"] == "C"
    assert (env["CODEX_HOME"], env["CODEX_API_KEY"]) == (str(tmp_path / "home"), "sk-test")


def test_by_default_the_child_inherits_the_parents_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SECRET", "visible")
    binary = write_recording_cli(tmp_path / "cli")
    CodexLocalClient(codex_bin=binary).run_prompt("p")
    assert recorded_calls(tmp_path / "cli")[0]["env"]["MY_SECRET"] == "visible"


def test_an_old_stand_in_cli_refuses_a_newer_option_before_any_exec(tmp_path: Path) -> None:
    binary = write_recording_cli(tmp_path / "cli", version="0.100.0")
    client = CodexLocalClient(codex_bin=binary)
    with pytest.raises(CodexUnsupportedOptionError, match="--strict-config"):
        client.run_prompt("p", strict_config=True)
    assert [call["argv"] for call in recorded_calls(tmp_path / "cli")] == [["--version"]]  # no exec ran
    assert client.cli_version() == CliVersion(0, 100, 0)


def test_a_subprocess_runner_finds_a_program_on_the_childs_path_only(tmp_path: Path) -> None:
    write_recording_cli(tmp_path / "bin", name="codex-test-only")
    runner = SubprocessRunner()
    spec = ProcessSpec(argv=["codex-test-only", "--version"], env={"PATH": str(tmp_path / "bin")})
    assert runner.find_program(spec) == str(tmp_path / "bin" / "codex-test-only")
    assert runner.find_program(ProcessSpec(argv=["codex-test-only"], env={"PATH": "/nowhere"})) is None
    assert runner.find_program(ProcessSpec(argv=["./codex-test-only"], cwd=str(tmp_path / "bin"))) is not None
    client = CodexLocalClient(codex_bin="codex-test-only", default_env={"PATH": str(tmp_path / "bin")})
    assert client.is_available()
    assert not CodexLocalClient(codex_bin=tmp_path / "missing").is_available()
