"""``codex-local sessions`` and ``codex-local doctor``, run in-process through ``main``.

The stores are real (JSON, SQLite, and PostgreSQL on a throwaway server where one can run);
the CLIs doctor checks are stand-in scripts, so no Codex CLI is needed.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_local_sdk.cli import main
from codex_local_sdk.cli._stores import default_store_url, open_store
from codex_local_sdk.sessions import SessionRecord, SessionTurnRecord
from tests import postgres_server

RECORDS = [
    SessionRecord(
        session_id="thread-a",
        name="alpha",
        created_at=1_700_000_000.0,
        updated_at=1_700_000_100.0,
        last_turn_status="completed",
        turn_count=2,
        success_count=2,
        turns=(
            SessionTurnRecord(
                timestamp=1_700_000_100.0,
                operation="resume",
                prompt_preview="and now the tests",
                return_code=0,
                turn_status="completed",
                message_preview="All green.",
            ),
        ),
    ),
    SessionRecord(
        session_id="thread-b",
        name="beta",
        created_at=1_700_000_000.0,
        updated_at=1_700_000_200.0,
        last_turn_status="failed",
        turn_count=1,
        failure_count=1,
    ),
]


def filled(url: str) -> str:
    """``url``, its store holding :data:`RECORDS`."""
    with open_store(url) as store:
        for record in RECORDS:
            store.set_record(record.name, record)
    return url


def records_in(url: str) -> list[SessionRecord]:
    with open_store(url) as store:
        return store.list_records()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    reason = postgres_server.unavailable()
    if reason is not None:
        pytest.skip(reason)
    with postgres_server.throwaway_server(postgres_server.FAST) as server:
        yield f"postgresql://postgres@/postgres?host={server.folder}"


def test_sessions_list_shows_the_same_table_over_json_sqlite_and_postgresql(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = []
    for url in (f"json:{tmp_path}/s.json", f"sqlite:{tmp_path}/s.sqlite", postgres_url):
        assert main(["sessions", "list", "--store", filled(url)]) == 0
        tables.append(capsys.readouterr().out)

    assert tables[0] == tables[1] == tables[2]
    header, alpha, beta = tables[0].splitlines()
    assert header.split()[:3] == ["NAME", "THREAD", "TURNS"]
    assert alpha.split()[:6] == ["alpha", "thread-a", "2", "2", "0", "completed"]
    assert beta.split()[:6] == ["beta", "thread-b", "1", "0", "1", "failed"]


def test_sessions_delete_removes_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = filled(f"sqlite:{tmp_path}/s.sqlite")

    assert main(["sessions", "delete", "alpha", "--store", url]) == 0
    assert main(["sessions", "delete", "alpha", "--store", url]) == 1

    assert [record.name for record in records_in(url)] == ["beta"]
    assert "no session named 'alpha'" in capsys.readouterr().err


def test_sessions_show_lists_the_turns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "show", "alpha", "--store", filled(f"json:{tmp_path}/s.json")]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0] == "alpha  thread thread-a  2 turns"
    assert "resume  completed  'and now the tests'" in out
    assert "-> All green." in out


def test_sessions_export_then_copy_keeps_every_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = filled(f"json:{tmp_path}/s.json"), f"sqlite:{tmp_path}/copy.sqlite"

    assert main(["sessions", "copy", source, target]) == 0
    assert main(["sessions", "export", "--store", target]) == 0

    exported = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert [record["name"] for record in exported] == ["alpha", "beta"]
    assert records_in(target) == RECORDS


@pytest.mark.parametrize("url", ["sessions.json", "mysql://db/app", "json:"])
def test_a_bad_store_url_is_one_line_and_exit_2(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "list", "--store", url]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("codex-local: error: bad store URL: ")


def test_the_default_store_is_in_the_users_state_folder_unless_the_environment_names_one() -> None:
    assert default_store_url({"XDG_STATE_HOME": "/state"}) == "sqlite:/state/codex-local/sessions.sqlite"
    assert default_store_url({"CODEX_LOCAL_STORE": "json:/x.json"}) == "json:/x.json"


# -- doctor ------------------------------------------------------------------------------------


def cli_standin(folder: Path, version: str) -> Path:
    """A script that answers ``--version`` as a Codex CLI ``version`` would."""
    script = folder / "codex"
    script.write_text(f"#!/bin/sh\necho 'codex-cli {version}'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def healthy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """An environment doctor finds healthy; returns the arguments that point doctor at it."""
    home = tmp_path / "codex-home"
    monkeypatch.setenv("CODEX_HOME", str(home))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-print-me")
    monkeypatch.delenv("CODEX_API_KEY", raising=False)
    cli = cli_standin(tmp_path, "0.169.0")
    return ["doctor", "--codex-bin", str(cli), "--store", f"json:{tmp_path}/s.json"]


def doctor(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    code = main(args)
    out = capsys.readouterr().out
    assert "sk-never-print-me" not in out
    return code, {line.split(":")[0][4:].strip(): line for line in out.splitlines()}


def test_doctor_passes_a_healthy_setup(healthy: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(healthy, capsys)

    assert code == 0, lines
    assert all(line.startswith("ok ") for line in lines.values())
    assert "0.169.0" in lines["Codex CLI"]
    assert "OPENAI_API_KEY" in lines["login"]


def test_doctor_never_prints_the_password_of_a_store_url(
    healthy: list[str], postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with_password = postgres_url.replace("postgresql://postgres@", "postgresql://postgres:s3cret-pw@")
    code, lines = doctor([*healthy[:-1], with_password], capsys)
    assert code == 0, lines
    assert lines["session store"].startswith("ok ") and "s3cret-pw" not in lines["session store"]


def test_doctor_says_how_to_get_a_missing_cli(
    healthy: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = doctor([*healthy, "--codex-bin", str(tmp_path / "no-such-codex")], capsys)

    assert code == 1
    assert lines["Codex CLI"].startswith("FAIL")
    assert "not found. Fix: install it" in lines["Codex CLI"]


def test_doctor_says_a_too_old_cli_needs_an_upgrade(
    healthy: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old").mkdir()
    old = cli_standin(tmp_path / "old", "0.100.0")
    code, lines = doctor([*healthy, "--codex-bin", str(old)], capsys)

    assert code == 1
    assert "0.100.0, older than 0.117.0" in lines["Codex CLI"]
    assert "Fix: upgrade it" in lines["Codex CLI"]


def test_doctor_says_codex_home_is_not_writable(
    healthy: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a folder below a file cannot exist, even for root
    monkeypatch.setenv("CODEX_HOME", str(blocker / "home"))

    code, lines = doctor(healthy, capsys)

    assert code == 1
    assert lines["CODEX_HOME"].startswith("FAIL")
    assert "is not writable" in lines["CODEX_HOME"]


def test_doctor_says_when_no_login_is_present(
    healthy: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")

    code, lines = doctor(healthy, capsys)

    assert code == 1
    assert "Fix: run codex login" in lines["login"]


def test_doctor_creates_no_store_it_checks(
    healthy: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CODEX_LOCAL_STORE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for args in (healthy[:-2], [*healthy[:-1], f"sqlite:{tmp_path}/new/s.sqlite"]):
        code, lines = doctor(args, capsys)
        assert code == 0, lines
        assert "does not exist yet" in lines["session store"]
    assert not (tmp_path / "state").exists() and not (tmp_path / "new").exists()
