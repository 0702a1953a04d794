"""Forks and code reviews on ScriptedRunner + FakeClock: their argv, stdin, records and usage;
and sessions that remember how they were launched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.json_file_store import JsonFileSessionStore
from adapters.scripted_runner import ScriptedRun, ScriptedRunner, codex_turn_events
from codex_local_sdk import CodexLocalClient, CodexUnknownThreadError, Usage
from tests.conftest import MakeHarness

ZERO_USAGE = {"input_tokens": 0, "output_tokens": 0}


def turn(message: str, total_input: int, *, thread_id: str = "t-1") -> ScriptedRun:
    """A turn whose usage is the thread's running total, as the CLI reports."""
    return ScriptedRun(
        stdout=codex_turn_events(thread_id=thread_id, message=message, usage={"input_tokens": total_input})
    )


def exec_calls(runner: ScriptedRunner) -> list[Any]:
    """The runs of ``codex exec``: a fork first reads the CLI's version (``fork`` came in 0.148.0)."""
    return [call for call in runner.calls if call.argv[1:2] != ("--version",)]


FORK_WITHOUT_TURN = ScriptedRun(stdout=[{"type": "thread.started", "thread_id": "t-2"}])


def test_a_fork_of_a_named_session_is_saved_under_its_new_name_with_its_parent(
    make_harness: MakeHarness,
) -> None:
    h = make_harness(
        [turn("one", 10), turn("forked", 25, thread_id="t-2"), turn("next", 40, thread_id="t-2")]
    )
    h.client.start_thread("hello", session_name="main")

    forked, result = h.client.fork_thread("try the other way", session_name="main", new_session_name="alt")

    spec = exec_calls(h.runner)[1]
    assert spec.argv[-4:] == ("--json", "fork", "t-1", "-")
    assert spec.stdin == b"try the other way"
    assert (forked.session_id, forked.session_name, result.thread_id) == ("t-2", "alt", "t-2")
    assert result.turn_usage == Usage(input_tokens=15)  # from the parent's total, 10
    record = h.client.get_session_record("alt")
    assert record is not None
    assert (record.session_id, record.parent_session_id, record.turn_count) == ("t-2", "t-1", 1)
    assert record.turns[0].operation == "fork_thread"
    parent = h.client.get_session_record("main")
    assert parent is not None and (parent.session_id, parent.last_usage) == ("t-1", Usage(input_tokens=10))
    assert forked.continue_prompt("go on").turn_usage == Usage(input_tokens=15)
    assert exec_calls(h.runner)[2].argv[-3:] == ("resume", "t-2", "-")


def test_a_fork_without_a_prompt_reads_no_stdin_and_runs_no_turn(make_harness: MakeHarness) -> None:
    h = make_harness([FORK_WITHOUT_TURN])
    forked, result = h.client.fork_thread(session_id="t-1", model="m")
    spec = exec_calls(h.runner)[0]
    assert spec.argv[1:] == ("exec", "--json", "--model", "m", "fork", "t-1")
    assert spec.stdin == b""
    assert (forked.session_id, forked.session_name, result.turn_status, result.turn_usage) == (
        "t-2",
        None,
        None,
        None,
    )
    assert result.succeeded


def test_a_thread_session_forks_by_its_id_and_measures_the_fork_from_its_total(
    make_harness: MakeHarness,
) -> None:
    h = make_harness([turn("one", 10), turn("forked", 22, thread_id="t-2")])
    session, _ = h.client.start_thread("hello", sandbox="read-only")
    forked, result = session.fork("and now", color="never")
    assert exec_calls(h.runner)[1].argv[1:] == (
        *("exec", "--json", "--sandbox", "read-only", "--color", "never", "fork", "t-1", "-"),
    )
    assert result.turn_usage == Usage(input_tokens=12)
    assert forked.last_result == result
    assert session.session_id == "t-1"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({}, "exactly one of session_id= or session_name=.*got none"),
        ({"session_id": "t-1", "session_name": "main"}, "got both"),
        (
            {"session_id": "t-1", "all_sessions": True},
            r"all_sessions \(--all\) is not accepted by codex exec fork",
        ),
        ({"session_id": "t-1", "cyber_access_program": "standard"}, "needs a prompt on codex exec fork"),
        ({"session_id": " "}, "session_id must be a thread id"),
        ({"session_id": "t-1", "new_session_name": ""}, "session name"),
    ],
)
def test_a_bad_fork_fails_before_anything_runs(
    make_harness: MakeHarness, call: dict[str, Any], message: str
) -> None:
    h = make_harness([])
    with pytest.raises(ValueError, match=message):
        h.client.fork_thread(**call)
    assert h.runner.calls == []


REVIEW = ScriptedRun(stdout=codex_turn_events(thread_id="t-9", message="No issues found.", usage=ZERO_USAGE))


@pytest.mark.parametrize(
    ("target", "tail", "stdin"),
    [
        ({"uncommitted": True}, ("review", "--uncommitted"), b""),
        ({"base": "main", "title": "Add fork"}, ("review", "--base", "main", "--title", "Add fork"), b""),
        ({"commit": "abc123"}, ("review", "--commit", "abc123"), b""),
        ({"instructions": "look for races"}, ("review", "-"), b"look for races"),
    ],
)
def test_a_review_renders_exactly_what_codex_exec_review_accepts(
    make_harness: MakeHarness, target: dict[str, Any], tail: tuple[str, ...], stdin: bytes
) -> None:
    h = make_harness([REVIEW])
    result = h.client.review(**target, cwd="/repo", model="m")
    spec = exec_calls(h.runner)[0]
    assert spec.argv[1:] == ("exec", "--json", "--model", "m", *tail)
    assert (spec.stdin, spec.cwd) == (stdin, "/repo")
    assert result.final_message == "No issues found."
    assert result.usage == Usage()  # the CLI reports none for a review


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({}, "exactly one of uncommitted=True, base=, commit= or instructions=; got none"),
        ({"uncommitted": True, "instructions": "x"}, "got uncommitted=True and instructions="),
        ({"base": "main", "commit": "abc"}, "got base= and commit="),
        ({"title": "only a title"}, "got none"),
        ({"base": ""}, "base must be a non-blank string"),
        (
            {"uncommitted": True, "images": ["x.png"]},
            r"images \(--image\) is not accepted by codex exec review",
        ),
        ({"uncommitted": True, "worktree": True}, "worktree .* codex exec review"),
        ({"instructions": "   "}, "prompt is empty"),
    ],
)
def test_a_bad_review_fails_before_anything_runs(
    make_harness: MakeHarness, call: dict[str, Any], message: str
) -> None:
    h = make_harness([])
    with pytest.raises(ValueError, match=message):
        h.client.review(**call)
    assert h.runner.calls == []


def test_a_review_streams_live(make_harness: MakeHarness) -> None:
    h = make_harness([REVIEW])
    with h.client.review_live(base="main", keep_events=True) as run:
        types = [event.type for event in run.iter_events()]
        result = run.result()
    assert exec_calls(h.runner)[0].argv[-3:] == ("review", "--base", "main")
    assert types == ["thread.started", "turn.started", "item.completed", "turn.completed"]
    assert result.final_message == "No issues found."


def test_a_thread_started_in_a_worktree_resumes_without_the_flag_resume_refuses(
    make_harness: MakeHarness,
) -> None:
    h = make_harness([turn("one", 10), turn("two", 20), turn("forked", 25, thread_id="t-2")])
    session, _ = h.client.start_thread("hello", worktree=True, model="m")
    session.continue_prompt("more")
    session.fork("other")
    assert "--worktree" in exec_calls(h.runner)[0].argv
    assert exec_calls(h.runner)[1].argv[1:] == ("exec", "--json", "--model", "m", "resume", "t-1", "-")
    assert exec_calls(h.runner)[2].argv[-4:] == ("m", "fork", "t-1", "-")


def test_a_fork_of_a_thread_the_cli_does_not_know_is_an_unknown_thread(make_harness: MakeHarness) -> None:
    stderr = "Error: thread/fork: thread/fork failed: no rollout found for thread id t-404 (code -32600)\n"
    h = make_harness([ScriptedRun(stderr=stderr, exit_code=1)])
    with pytest.raises(CodexUnknownThreadError, match="no thread 't-404' to resume or fork"):
        h.client.fork_thread("p", session_id="t-404")


# -- sessions remember how they were launched --------------------------------------------


def json_client(
    path: Path, script: list[ScriptedRun], **settings: Any
) -> tuple[CodexLocalClient, ScriptedRunner]:
    """A client of the JSON store at ``path``, as another process would build it."""
    runner = ScriptedRunner(script)
    return CodexLocalClient(runner=runner, session_store=JsonFileSessionStore(path), **settings), runner


def test_a_session_resumed_by_name_elsewhere_runs_as_it_was_launched(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    a, _ = json_client(path, [turn("one", 10)])
    a.start_thread(
        "hello", session_name="work", sandbox="read-only", cwd=tmp_path, model="m", metadata={"t": "1"}
    )

    b, runner = json_client(path, [turn("two", 20)], default_cwd="/elsewhere")
    b.resume("more", session_name="work")

    spec = runner.calls[0]
    assert spec.argv[1:] == ("exec", "--json", "--model", "m", "--sandbox", "read-only", "resume", "t-1", "-")
    assert spec.cwd == str(tmp_path)  # the record's cwd wins over the client's default
    record = b.get_session_record("work")
    assert record is not None
    assert record.launch_options == {"model": "m", "sandbox": "read-only", "cwd": str(tmp_path)}
    assert record.metadata == {"t": "1"}


def test_the_call_wins_over_the_thread_session_which_wins_over_the_record(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("two", 20), turn("three", 30), turn("four", 40)])
    h.client.start_thread("hello", session_name="work", model="launched", profile="p", sandbox="read-only")
    session = h.client.open_session("work", model="session")
    session.continue_prompt("more")
    session.continue_prompt("again", model="call", sandbox="workspace-write")
    h.client.resume("by name", session_name="work", profile="q")
    argv = [call.argv for call in exec_calls(h.runner)[1:]]
    assert argv[0][3:9] == ("--model", "session", "--profile", "p", "--sandbox", "read-only")
    assert argv[1][3:9] == ("--model", "call", "--profile", "p", "--sandbox", "workspace-write")
    assert argv[2][3:9] == ("--model", "launched", "--profile", "q", "--sandbox", "read-only")


def test_a_fork_of_a_saved_session_keeps_its_launch_options_and_metadata(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("forked", 15, thread_id="t-2")])
    h.client.start_thread("hello", session_name="main", model="m", metadata={"ticket": "4711"})
    h.client.fork_thread("other", session_name="main", new_session_name="alt", sandbox="read-only")
    assert exec_calls(h.runner)[1].argv[3:7] == ("--model", "m", "--sandbox", "read-only")
    record = h.client.get_session_record("alt")
    assert record is not None
    assert (record.launch_options, record.metadata) == (
        {"model": "m", "sandbox": "read-only"},
        {"ticket": "4711"},
    )


def test_a_fork_given_metadata_keeps_that_instead_of_the_parents(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("forked", 15, thread_id="t-2")])
    h.client.start_thread("hello", session_name="main", metadata={"ticket": "4711"})
    h.client.fork_thread("other", session_name="main", new_session_name="alt", metadata={"ticket": "4712"})
    record = h.client.get_session_record("alt")
    assert record is not None and record.metadata == {"ticket": "4712"}


def test_metadata_maps_strings_to_strings(make_harness: MakeHarness) -> None:
    h = make_harness([])
    with pytest.raises(TypeError, match="metadata must map str to str"):
        h.client.start_thread("hello", session_name="s", metadata={"n": 1})  # type: ignore[dict-item]
    assert h.runner.calls == []
