"""The version check, isolation and ``base_url`` against the real Codex CLI, offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.subprocess_runner import SubprocessRunner
from codex_local_sdk import CodexLocalClient, ProcessSpec
from codex_local_sdk.ports import AsyncProcessHandle, ProcessHandle
from codex_local_sdk.testing.loopback import ENV_KEY, Reply, write_codex_home
from codex_local_sdk.versions import NEWEST_READ
from tests.test_loopback_provider_real_cli import Offline, codex_bin, offline

__all__ = ["codex_bin", "offline"]  # the fixtures this module uses


class CountingRunner:
    """A :class:`SubprocessRunner` that notes the arguments of every start."""

    handles_run_files = True

    def __init__(self) -> None:
        self.inner = SubprocessRunner()
        self.argvs: list[tuple[str, ...]] = []

    def start(self, spec: ProcessSpec) -> ProcessHandle:
        self.argvs.append(spec.argv[1:])
        return self.inner.start(spec)

    async def start_async(self, spec: ProcessSpec) -> AsyncProcessHandle:
        self.argvs.append(spec.argv[1:])
        return await self.inner.start_async(spec)


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MY_SECRET", "s3cr3t")
    yield "s3cr3t"


def test_the_real_cli_version_is_read_once_for_many_runs(offline: Offline) -> None:
    runner = CountingRunner()
    client = CodexLocalClient(codex_bin=offline.codex_bin, default_env=offline.env, runner=runner)
    for _ in range(3):
        offline.provider.enqueue(Reply.message("ok"))
        result = client.run_prompt("hi", cwd=offline.workdir, skip_git_repo_check=True, ignore_rules=True)
        assert result.succeeded, result.stderr
    assert client.cli_version() == NEWEST_READ
    assert [argv[0] for argv in runner.argvs] == ["--version", "exec", "exec", "exec"]


def test_without_inheriting_the_agents_shell_does_not_see_a_parent_secret(
    offline: Offline, secret: str, tmp_path: Path
) -> None:
    offline.provider.enqueue(
        Reply.tool_call('echo "secret=${MY_SECRET:-absent} home=$CODEX_HOME key=${CODEX_API_KEY:+set}"'),
        Reply.message("done"),
    )
    client = CodexLocalClient(
        codex_bin=offline.codex_bin,
        inherit_env=False,
        codex_home=offline.home,
        default_env={ENV_KEY: offline.env[ENV_KEY]},  # the key config.toml's provider names
    )
    result = client.run_prompt(
        "hi", cwd=offline.workdir, skip_git_repo_check=True, sandbox="danger-full-access", api_key="sk-x"
    )
    assert result.succeeded, result.stderr
    [command] = [
        e.item for e in result.events if e.type == "item.completed" and e.item_type == "command_execution"
    ]
    assert command is not None
    assert command["aggregated_output"].strip() == f"secret=absent home={offline.home} key=set"

    offline.provider.enqueue(Reply.tool_call('echo "secret=${MY_SECRET:-absent}"'), Reply.message("done"))
    inheriting = CodexLocalClient(codex_bin=offline.codex_bin, default_env=offline.env)
    result = inheriting.run_prompt(
        "hi", cwd=offline.workdir, skip_git_repo_check=True, sandbox="danger-full-access"
    )
    [command] = [
        e.item for e in result.events if e.type == "item.completed" and e.item_type == "command_execution"
    ]
    assert command is not None and command["aggregated_output"].strip() == f"secret={secret}"


def test_base_url_points_the_built_in_provider_at_the_given_url(offline: Offline, tmp_path: Path) -> None:
    env = write_codex_home(tmp_path / "home", "http://127.0.0.1:9/v1")  # its own provider leads nowhere
    offline.provider.enqueue(Reply.message("via base_url"))
    client = CodexLocalClient(
        codex_bin=offline.codex_bin, default_env=env, base_url=offline.provider.base_url
    )
    result = client.run_prompt(
        "hi",
        cwd=offline.workdir,
        skip_git_repo_check=True,
        config={"model_provider": "openai"},
        api_key="sk-test",
        timeout_seconds=60,
    )
    assert (result.succeeded, result.final_message) == (True, "via base_url")
    assert len(offline.provider.requests) == 1
