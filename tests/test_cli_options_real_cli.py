"""Every option the SDK renders, fork and review, against the real Codex CLI offline.

Each option runs a real turn with the loopback provider where one can be made offline, and is
parsed (``--help`` after the SDK's argv, which makes the CLI parse every option first, then
exit 0) on each subcommand that takes it. The refusals the SDK makes before spawning are the
CLI's own: the last tests show the CLI refusing the same runs.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.json_file_store import JsonFileSessionStore
from codex_local_sdk import CodexExecRequest, CodexLocalClient, Usage
from codex_local_sdk._cli_options import OPTIONS, CliOption, Subcommand
from codex_local_sdk.command import NEW_THREAD, Command, build_exec_argv
from codex_local_sdk.testing.loopback import Reply
from tests.test_loopback_provider_real_cli import Offline, codex_bin, offline

__all__ = ["codex_bin", "offline"]  # the fixtures this module uses

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

VALUES: dict[str, Any] = {
    "json_output": True,
    "model": "fake-model",
    "profile": "ci",
    "sandbox": "read-only",
    "output_schema_path": "schema.json",
    "output_last_message_path": "last.txt",
    "add_dirs": ["extra"],
    "skip_git_repo_check": True,
    "ephemeral": True,
    "enable_features": ["apps"],
    "disable_features": ["apps"],
    "strict_config": True,
    "oss": True,
    "local_provider": "ollama",
    "approve_for_me": True,
    "dangerously_bypass_approvals_and_sandbox": True,
    "dangerously_bypass_hook_trust": True,
    "worktree": True,
    "thread_source": "sdk-test",
    "cyber_access_program": "standard",
    "trust": True,
    "ignore_user_config": True,
    "ignore_rules": True,
    "color": "never",
    "model_reasoning_effort": "low",
    "network_access_enabled": True,
    "web_search_mode": "disabled",
    "approval_policy": "never",
    "base_url": "http://127.0.0.1:9/v1",
    "config": {"model": "fake-model"},
    "all_sessions": True,
    "images": ["pixel.png"],
}
"""A value for every field of the table, that the CLI accepts."""

PARSED_ONLY = {
    "oss": "needs a local model server (LM Studio or Ollama)",
    "ignore_user_config": "without config.toml the CLI has no loopback provider",
}
"""The options whose turn cannot run offline, and why: they are only parsed."""

SUBCOMMANDS: tuple[Subcommand | None, ...] = (None, "resume", "fork", "review")


@pytest.fixture
def repo(offline: Offline) -> Iterator[Offline]:
    """``offline`` with its work folder a git repository holding an uncommitted change, and
    the files the option values name."""
    git = ["git", "-c", "user.email=sdk@example.com", "-c", "user.name=sdk"]
    work = offline.workdir
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=work, check=True)
    (work / "app.py").write_text("def add(a, b):\n    return a + b\n")
    subprocess.run([*git, "add", "."], cwd=work, check=True)
    subprocess.run([*git, "commit", "-qm", "add"], cwd=work, check=True)
    (work / "app.py").write_text("def add(a, b):\n    return a - b\n")
    (work / "schema.json").write_text(json.dumps({"type": "object", "additionalProperties": False}))
    (work / "pixel.png").write_bytes(PNG)
    (work / "extra").mkdir()
    yield offline


def client_for(offline: Offline) -> CodexLocalClient:
    return CodexLocalClient(codex_bin=offline.codex_bin, default_env=offline.env, default_cwd=offline.workdir)


def start(offline: Offline) -> str:
    _, result = client_for(offline).start_thread("first", skip_git_repo_check=True)
    assert result.thread_id is not None
    return result.thread_id


def parses(offline: Offline, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``argv`` with ``--help`` for its prompt: the CLI parses every option, then prints help."""
    if argv[-1] == "-":
        argv = argv[:-1]
    return subprocess.run(
        [*argv, "--help"], capture_output=True, text=True, cwd=offline.workdir, env=offline.env, timeout=60
    )


def command_for(subcommand: Subcommand | None, thread_id: str) -> Command:
    return {
        None: NEW_THREAD,
        "resume": Command.resume(thread_id),
        "fork": Command.fork(thread_id, prompt=True),
        "review": Command.review(uncommitted=True),
    }[subcommand]


@pytest.mark.parametrize("option", OPTIONS, ids=lambda option: option.field)
def test_each_option_is_parsed_by_every_subcommand_that_takes_it(repo: Offline, option: CliOption) -> None:
    request = CodexExecRequest(prompt="p", **{option.field: VALUES[option.field]})
    for subcommand in SUBCOMMANDS:
        if not option.accepted_by(subcommand):
            continue
        command = Command.resume_last() if option.field == "all_sessions" else command_for(subcommand, "t-1")
        argv = build_exec_argv(repo.codex_bin, request, command=command)
        parsed = parses(repo, argv)
        assert parsed.returncode == 0, (argv, parsed.stderr[-2000:])


@pytest.mark.parametrize(
    "option",
    [option for option in OPTIONS if option.field not in PARSED_ONLY],
    ids=lambda option: option.field,
)
def test_each_option_runs_a_turn(repo: Offline, option: CliOption) -> None:
    client = client_for(repo)
    options = {"skip_git_repo_check": True, option.field: VALUES[option.field]}
    if option.field == "all_sessions":
        start(repo)
        result = client.resume("again", last=True, **options)
    else:
        result = client.run_prompt("hi", **options)
    assert result.succeeded, (result.command, result.stderr[-2000:])


def turn_options(subcommand: Subcommand) -> dict[str, Any]:
    """Every option that runs offline and ``subcommand`` takes, but those the CLI refuses
    beside another (``approve_for_me`` beside ``dangerously_bypass_approvals_and_sandbox``,
    ``ephemeral`` beside ``worktree``)."""
    skipped = {*PARSED_ONLY, "approve_for_me", "ephemeral", "all_sessions"}
    return {
        option.field: VALUES[option.field]
        for option in OPTIONS
        if option.accepted_by(subcommand) and option.field not in skipped
    }


def test_a_resume_and_a_fork_run_with_every_option_they_take(repo: Offline) -> None:
    client = client_for(repo)
    thread_id = start(repo)
    resumed = client.resume("more", session_id=thread_id, **turn_options("resume"))
    assert resumed.succeeded, resumed.stderr[-2000:]
    assert resumed.thread_id == thread_id
    forked, result = client.fork_thread("other", session_id=thread_id, **turn_options("fork"))
    assert result.succeeded, result.stderr[-2000:]
    assert forked.session_id not in (None, thread_id)


def test_a_review_runs_with_every_option_it_takes(repo: Offline) -> None:
    result = client_for(repo).review(uncommitted=True, **turn_options("review"))
    assert result.succeeded, result.stderr[-2000:]


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (("--worktree", "resume", "{thread}"), "cannot resume an existing session"),
        (("--worktree", "review", "--uncommitted"), "not supported for code review"),
        (
            ("--cyber-access-program", "standard", "review", "--uncommitted"),
            "not supported with `codex exec review`",
        ),
        (("review", "--uncommitted", "--image=pixel.png"), "unexpected argument '--image"),
        (("-i", "pixel.png", "review", "--uncommitted"), "unexpected argument '--uncommitted'"),
        (("--all",), "unexpected argument '--all'"),
        (("fork", "{thread}", "--all"), "unexpected argument '--all'"),
        (("review", "--uncommitted", "-"), "'--uncommitted' cannot be used with '[PROMPT]'"),
        (("review", "--uncommitted", "--base", "main"), "cannot be used with '--base"),
        (("--approve-for-me", "--dangerously-bypass-approvals-and-sandbox"), "cannot be used with"),
        (("--worktree", "--ephemeral"), "--worktree cannot be combined with --ephemeral"),
    ],
)
def test_the_cli_refuses_what_the_sdk_refuses_before_spawning(
    repo: Offline, args: tuple[str, ...], refusal: str
) -> None:
    thread_id = start(repo) if "{thread}" in args else ""
    argv = [repo.codex_bin, "exec", "--json", *(arg.format(thread=thread_id) for arg in args)]
    if "review" not in args:
        argv.append("-")
    ran = subprocess.run(
        argv, input="", capture_output=True, text=True, cwd=repo.workdir, env=repo.env, timeout=60
    )
    assert ran.returncode != 0
    assert refusal in ran.stderr


def test_a_fork_continues_the_parents_history_in_a_new_thread(repo: Offline) -> None:
    client = client_for(repo)
    repo.provider.enqueue(Reply.message("parent answer"))
    parent, _ = client.start_thread(
        "remember the word apricot", session_name="main", skip_git_repo_check=True
    )

    bare, without_turn = client.fork_thread(session_name="main", new_session_name="bare")
    assert (without_turn.succeeded, without_turn.turn_status) == (True, None)
    assert len(repo.provider.requests) == 1  # no turn ran
    assert bare.session_id not in (None, parent.session_id)

    repo.provider.enqueue(Reply.message("forked answer"))
    forked, result = client.fork_thread("which word?", session_name="main", new_session_name="alt")
    assert result.final_message == "forked answer"
    assert forked.session_id not in (None, parent.session_id, bare.session_id)
    sent = json.dumps(repo.provider.requests[-1]["input"])
    assert "remember the word apricot" in sent and "parent answer" in sent and "which word?" in sent
    assert result.turn_usage == Usage(input_tokens=10, output_tokens=5)  # the parent's total is left out
    record = client.get_session_record("alt")
    assert record is not None
    assert (record.session_id, record.parent_session_id) == (forked.session_id, parent.session_id)

    forked.continue_prompt("and again?")
    assert "forked answer" in json.dumps(repo.provider.requests[-1]["input"])


def test_a_review_of_uncommitted_changes_returns_the_review(repo: Offline) -> None:
    repo.provider.enqueue(Reply.message("app.py: add() now subtracts."))
    result = client_for(repo).review(uncommitted=True)
    assert result.succeeded, result.stderr[-2000:]
    assert result.final_message == "app.py: add() now subtracts."
    assert result.usage == Usage()  # the CLI reports all-zero usage for a review
    asked = json.dumps(repo.provider.requests[-1]["input"])  # the model reads the diff with its tools
    assert "Review the current code changes (staged, unstaged, and untracked files)" in asked


PROCESS_B = """
import sys
from adapters.json_file_store import JsonFileSessionStore
from codex_local_sdk import CodexLocalClient

client = CodexLocalClient(codex_bin=sys.argv[1], session_store=JsonFileSessionStore(sys.argv[2]))
result = client.resume("what did I say?", session_name="work")
print(" ".join(result.command))
"""


def test_a_session_launched_in_one_process_resumes_by_name_in_another_as_launched(
    repo: Offline, tmp_path: Path
) -> None:
    store = tmp_path / "sessions.json"
    client = CodexLocalClient(
        codex_bin=repo.codex_bin, default_env=repo.env, session_store=JsonFileSessionStore(store)
    )
    _, first = client.start_thread(
        "hello", session_name="work", sandbox="read-only", cwd=repo.workdir, model="fake-model"
    )

    other = subprocess.run(
        [sys.executable, "-c", PROCESS_B, repo.codex_bin, str(store)],
        capture_output=True,
        text=True,
        env=repo.env,
        cwd=tmp_path,  # not the session's cwd: the record gives it
        timeout=120,
    )

    assert other.returncode == 0, other.stderr[-2000:]
    assert "--model fake-model --sandbox read-only resume" in other.stdout
    [rollout] = (repo.home / "sessions").rglob(f"rollout-*{first.thread_id}.jsonl")
    contexts = [
        json.loads(line)["payload"]
        for line in rollout.read_text().splitlines()
        if json.loads(line)["type"] == "turn_context"
    ]
    assert len(contexts) == 2
    assert {context["sandbox_policy"]["type"] for context in contexts} == {"read-only"}
    assert {context["cwd"] for context in contexts} == {str(repo.workdir)}
