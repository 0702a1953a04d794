"""The session store contract, run against the shipped stores (a store named with
``--store-factory module:callable`` is certified by ``codex_local_sdk.testing.contracts``;
the SQLite store is certified that way too), and the checks of ``--store-factory`` itself."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from adapters.json_file_store import JsonFileSessionStore
from adapters.memory_store import InMemorySessionStore
from adapters.sqlite_store import SqliteSessionStore
from codex_local_sdk.sessions import SessionRecord
from codex_local_sdk.testing.pytest_plugin import load_store_factory
from codex_local_sdk.testing.store_contract import SessionStoreContract
from codex_local_sdk.testing.store_rules import StoreFactory


class TestInMemorySessionStore(SessionStoreContract):
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return InMemorySessionStore


class TestJsonFileSessionStore(SessionStoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        def make(**options: Any) -> JsonFileSessionStore:
            return JsonFileSessionStore(tmp_path / "sessions.json", **options)

        return make


class TestJsonFileSessionStoreFromVersion2(SessionStoreContract):
    """The contract on a store file that an earlier version wrote (schema version 2)."""

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        path = tmp_path / "sessions.json"
        path.write_text('{"schema_version": 2, "records": {\n}}\n', encoding="utf-8")

        def make(**options: Any) -> JsonFileSessionStore:
            return JsonFileSessionStore(path, **options)

        return make


VERSION_2_FILE = (
    '{"schema_version": 2, "records": {\n"a": {"created_at": 1.0, "failure_count": 0, '
    '"last_turn_status": null, "last_usage": null, "name": "a", "session_id": "t-1", '
    '"success_count": 0, "turn_count": 0, "turns": [], "updated_at": 1.0}\n}}\n'
)


def test_a_version_2_file_is_read_as_it_is_and_written_as_version_3_on_the_next_change(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sessions.json"
    path.write_text(VERSION_2_FILE, encoding="utf-8")
    store = JsonFileSessionStore(path)
    kept = store.get_record("a")
    assert kept is not None and (kept.session_id, kept.launch_options, kept.metadata) == ("t-1", {}, {})
    assert store.list_records() == [kept]
    assert path.read_text(encoding="utf-8") == VERSION_2_FILE  # reading writes nothing
    forked = SessionRecord(
        session_id="t-2",
        name="b",
        created_at=2.0,
        updated_at=2.0,
        parent_session_id="t-1",
        launch_options={"model": "m", "add_dirs": ["x"]},
        metadata={"ticket": "4711"},
    )
    store.update("b", lambda _: forked)
    assert json.loads(path.read_text(encoding="utf-8"))["schema_version"] == 3
    reopened = JsonFileSessionStore(path)
    assert (reopened.get_record("a"), reopened.get_record("b")) == (kept, forked)


class TestSqliteSessionStore(SessionStoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        databases = itertools.count()

        def make(**options: Any) -> SqliteSessionStore:
            return SqliteSessionStore(tmp_path / f"sessions-{next(databases)}.db", **options)

        return make


_FOLDER = tempfile.TemporaryDirectory(prefix="codex-store-contract-")
_DATABASES = itertools.count()


def sqlite_store(**options: Any) -> SqliteSessionStore:
    """A new, empty SQLite store: the factory ``--store-factory`` certifies below."""
    return SqliteSessionStore(Path(_FOLDER.name) / f"sessions-{next(_DATABASES)}.db", **options)


def test_the_sqlite_store_passes_the_contract_through_store_factory() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--pyargs",
            "codex_local_sdk.testing.contracts.test_store_contract",
            "--store-factory",
            "contract_tests.test_store_contract:sqlite_store",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"\b(\d+) passed\b", done.stdout) and "skipped" not in done.stdout, done.stdout[-2000:]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("adapters.memory_store", "give it as module:callable"),
        ("no_such_module:make", "No module named 'no_such_module' (is it on PYTHONPATH?)"),
        ("adapters.memory_store:make", "adapters.memory_store has no callable 'make'"),
        ("adapters.json_file_store:encode_payload", "missing a required argument: 'records'"),
    ],
)
def test_a_bad_store_factory_is_named_before_any_test_runs(spec: str, problem: str) -> None:
    with pytest.raises(pytest.UsageError, match=re.escape(problem)):
        load_store_factory(spec)


def json_file_store(**options: Any) -> JsonFileSessionStore:
    return JsonFileSessionStore("sessions.json", **options)


def sqlite_file_store(**options: Any) -> SqliteSessionStore:
    return SqliteSessionStore("sessions.db", **options)


@pytest.mark.parametrize("make", [InMemorySessionStore, json_file_store, sqlite_file_store])
@pytest.mark.parametrize(
    ("options", "error", "problem"),
    [
        ({"max_turn_history": -1}, ValueError, "max_turn_history must be an int >= 0, got -1"),
        ({"max_turn_history": 2.5}, TypeError, "max_turn_history must be an int >= 0, got 2.5"),
        ({"max_turn_history": True}, TypeError, "max_turn_history must be an int >= 0, got True"),
        ({"max_turn_history": "50"}, TypeError, "max_turn_history must be an int >= 0, got '50'"),
        ({"clock": "system"}, TypeError, "clock must be a Clock"),
    ],
)
def test_shipped_stores_refuse_bad_options(
    make: StoreFactory, options: dict[str, Any], error: type[Exception], problem: str
) -> None:
    with pytest.raises(error, match=re.escape(problem)):
        make(**options)


@pytest.mark.parametrize(
    ("value", "error", "problem"),
    [
        (-1, ValueError, "lock_timeout_seconds must be >= 0 (math.inf waits as long as it takes), got -1"),
        (float("nan"), ValueError, "lock_timeout_seconds must be >= 0 (math.inf waits as long as it"),
        ("10", TypeError, "lock_timeout_seconds must be a number of seconds, got '10'"),
        (None, TypeError, "lock_timeout_seconds must be a number of seconds, got None"),
        (True, TypeError, "lock_timeout_seconds must be a number of seconds, got True"),
    ],
)
@pytest.mark.parametrize("make", [json_file_store, sqlite_file_store])
def test_file_stores_refuse_a_bad_lock_timeout(
    make: StoreFactory, value: Any, error: type[Exception], problem: str
) -> None:
    with pytest.raises(error, match=re.escape(problem)):
        make(lock_timeout_seconds=value)


@pytest.mark.parametrize(
    ("path", "error", "problem"),
    [
        ("", ValueError, "path must name the store file, got ''"),
        (None, TypeError, "takes the store file once, as path (or file_path=, its former name); got neither"),
        (b"sessions.json", TypeError, "path must be a str or os.PathLike, got b'sessions.json'"),
    ],
)
def test_json_file_store_refuses_a_bad_path(path: Any, error: type[Exception], problem: str) -> None:
    with pytest.raises(error, match=re.escape(problem)):
        JsonFileSessionStore(path)


@pytest.mark.parametrize(
    ("path", "error", "problem"),
    [
        ("", ValueError, "path must name the database file, got ''"),
        (":memory:", ValueError, "path must name the database file, got ':memory:'"),
        (b"sessions.db", TypeError, "path must be a str or os.PathLike, got b'sessions.db'"),
    ],
)
def test_sqlite_store_refuses_a_bad_path(path: Any, error: type[Exception], problem: str) -> None:
    with pytest.raises(error, match=re.escape(problem)):
        SqliteSessionStore(path)


def test_sqlite_store_accepts_limits_at_the_edges(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.db", max_turn_history=0, lock_timeout_seconds=0)
    store.set("a", "t")
    assert SqliteSessionStore(tmp_path / "s.db", lock_timeout_seconds=float("inf")).get("a") == "t"


def test_json_file_store_accepts_limits_at_the_edges(tmp_path: Path) -> None:
    store = JsonFileSessionStore(tmp_path / "s.json", max_turn_history=0, lock_timeout_seconds=0)
    store.set("a", "t")
    assert JsonFileSessionStore(tmp_path / "s.json", lock_timeout_seconds=float("inf")).get("a") == "t"
