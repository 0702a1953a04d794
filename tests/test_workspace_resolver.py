"""workspace_resolver: a named session continued on a machine that lays out its workspaces
differently runs in the paths this machine resolves for its record."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from adapters.scripted_runner import ScriptedRun, codex_turn_events
from codex_local_sdk import CodexLocalClient, SessionRecord, SessionWorkspace
from codex_local_sdk.sessions import continued_options
from tests.conftest import Harness, MakeHarness


def turn(message: str) -> ScriptedRun:
    return ScriptedRun(stdout=codex_turn_events(thread_id="t-1", message=message))


def add_dirs(argv: tuple[str, ...]) -> list[str]:
    """The ``--add-dir`` values of ``argv``, in order."""
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == "--add-dir"]


class Resolver:
    """Maps a tenant's session to this machine's folders, and remembers what it was asked."""

    def __init__(self) -> None:
        self.records: list[SessionRecord] = []

    def __call__(self, record: SessionRecord) -> SessionWorkspace:
        self.records.append(record)
        tenant = record.metadata["tenant"]
        cache = Path(f"/machine-b/{tenant}/cache")
        return SessionWorkspace(cwd=f"/machine-b/{tenant}/repo", add_dirs=[cache])


def start_on_machine_a(h: Harness) -> None:
    h.client.start_thread(
        "hello",
        session_name="ticket",
        metadata={"tenant": "acme"},
        cwd="/machine-a/acme",
        add_dirs=["/machine-a/shared"],
        model="m1",
    )


def test_a_resume_by_name_runs_in_the_resolved_workspace(make_harness: MakeHarness) -> None:
    resolver = Resolver()
    h = make_harness([turn("one"), turn("two"), turn("three")], workspace_resolver=resolver)
    start_on_machine_a(h)
    h.client.resume("more", session_name="ticket")
    h.client.open_session("ticket").continue_prompt("again")
    for call in h.runner.calls[1:]:
        assert call.cwd == "/machine-b/acme/repo"
        assert add_dirs(call.argv) == ["/machine-b/acme/cache"]
        assert call.argv[call.argv.index("--model") + 1] == "m1"  # the other launch options stay
    assert [record.name for record in resolver.records] == ["ticket", "ticket"]
    assert resolver.records[0].launch_options["cwd"] == "/machine-a/acme"
    # the first turn ran where it was started, and its record keeps that
    assert h.runner.calls[0].cwd == "/machine-a/acme"
    record = h.client.get_session_record("ticket")
    assert record is not None and record.launch_options["cwd"] == "/machine-a/acme"


def test_a_live_resume_by_name_runs_in_the_resolved_workspace(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one"), turn("two")], workspace_resolver=Resolver())
    start_on_machine_a(h)
    with h.client.resume_live("more", session_name="ticket") as run:
        assert run.wait().final_message == "two"
    assert h.runner.calls[1].cwd == "/machine-b/acme/repo"
    assert add_dirs(h.runner.calls[1].argv) == ["/machine-b/acme/cache"]


def test_the_calls_own_cwd_and_add_dirs_win_over_the_resolved_ones(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one"), turn("two"), turn("three")], workspace_resolver=Resolver())
    start_on_machine_a(h)
    h.client.resume("more", session_name="ticket", cwd="/explicit")
    h.client.resume("again", session_name="ticket", add_dirs=["/explicit-dir"])
    assert h.runner.calls[1].cwd == "/explicit"
    assert add_dirs(h.runner.calls[1].argv) == ["/machine-b/acme/cache"]
    assert h.runner.calls[2].cwd == "/machine-b/acme/repo"
    assert add_dirs(h.runner.calls[2].argv) == ["/explicit-dir"]


def test_a_workspace_without_cwd_runs_in_the_clients_default_cwd(make_harness: MakeHarness) -> None:
    h = make_harness(
        [turn("one"), turn("two")], default_cwd="/default", workspace_resolver=lambda _: SessionWorkspace()
    )
    start_on_machine_a(h)
    h.client.resume("more", session_name="ticket")
    assert h.runner.calls[1].cwd == "/default"
    assert add_dirs(h.runner.calls[1].argv) == []


def test_a_fork_of_a_saved_session_runs_in_the_resolved_workspace(make_harness: MakeHarness) -> None:
    h = make_harness(
        [turn("one"), ScriptedRun(stdout=codex_turn_events(thread_id="t-2", message="forked"))],
        workspace_resolver=Resolver(),
    )
    start_on_machine_a(h)
    h.client.fork_thread("branch off", session_name="ticket", new_session_name="ticket-b")
    fork = h.runner.calls[-1]  # after the CLI's version, which a fork needs
    assert fork.argv[-3:] == ("fork", "t-1", "-")
    assert fork.cwd == "/machine-b/acme/repo"
    assert add_dirs(fork.argv) == ["/machine-b/acme/cache"]


def test_without_a_resolver_the_recorded_workspace_applies(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one"), turn("two")])
    start_on_machine_a(h)
    h.client.resume("more", session_name="ticket")
    assert h.runner.calls[1].cwd == "/machine-a/acme"
    assert add_dirs(h.runner.calls[1].argv) == ["/machine-a/shared"]


def test_codex_home_is_never_taken_from_a_record(make_harness: MakeHarness) -> None:
    h = make_harness([turn("two")], codex_home="/this-machine/codex-home")
    now = time.time()
    h.store.set_record(
        "ticket",
        SessionRecord(
            session_id="t-1",
            name="ticket",
            created_at=now,
            updated_at=now,
            launch_options={"codex_home": "/other-machine/codex-home", "model": "m1"},
        ),
    )
    h.client.resume("more", session_name="ticket")
    assert h.runner.calls[0].env["CODEX_HOME"] == "/this-machine/codex-home"
    assert "m1" in h.runner.calls[0].argv


def test_a_resolver_that_returns_no_workspace_fails_before_anything_runs(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one")], workspace_resolver=lambda record: "/machine-b/repo")
    start_on_machine_a(h)
    expected = "workspace_resolver must return a SessionWorkspace for session 'ticket'"
    with pytest.raises(TypeError, match=expected):
        h.client.resume("more", session_name="ticket")
    assert len(h.runner.calls) == 1


def test_a_resolver_that_is_not_callable_is_refused() -> None:
    with pytest.raises(TypeError, match="workspace_resolver must be a function of a SessionRecord"):
        CodexLocalClient(workspace_resolver="/srv/repo")  # type: ignore[arg-type]


def test_a_workspace_takes_paths_and_refuses_a_single_path_as_its_add_dirs() -> None:
    workspace = SessionWorkspace(cwd=Path("/srv/repo"), add_dirs=(Path("/srv/a"), "/srv/b"))
    assert (workspace.cwd, workspace.add_dirs) == ("/srv/repo", ("/srv/a", "/srv/b"))
    with pytest.raises(TypeError, match="add_dirs must be a sequence of paths"):
        SessionWorkspace(add_dirs="/srv/a")
    with pytest.raises(TypeError):
        SessionWorkspace(cwd=3)  # type: ignore[arg-type]


def test_continued_options_keep_only_launch_fields_under_the_calls_options() -> None:
    record = SessionRecord(
        session_id="t-1",
        name="s",
        created_at=0.0,
        updated_at=0.0,
        launch_options={"cwd": "/a", "add_dirs": ["/x"], "model": "m1", "codex_home": "/h"},
    )
    assert continued_options(record, {"model": "m2"}) == {"cwd": "/a", "add_dirs": ["/x"], "model": "m2"}
    resolved = continued_options(record, {}, lambda _: SessionWorkspace(cwd="/b"))
    assert resolved == {"cwd": "/b", "add_dirs": (), "model": "m1"}
