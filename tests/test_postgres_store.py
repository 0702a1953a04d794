"""PostgresSessionStore against a real, throwaway PostgreSQL server that this module starts
(``tests/postgres_server.py``) and removes when it ends, also when tests fail. Without the
server programs or psycopg the tests skip, saying how to get them; in CI they must run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.scripted_runner import ScriptedRun, ScriptedRunner
from codex_local_sdk import CodexLocalClient, SessionStoreError
from codex_local_sdk.errors import SessionStoreCorruptError, SessionStoreLockTimeout, SessionStoreSchemaError
from codex_local_sdk.sessions import SessionRecord, SessionTurnRecord
from codex_local_sdk.testing import codex_turn_events
from codex_local_sdk.testing.store_contract import SessionStoreContract
from codex_local_sdk.testing.store_rules import add_turn
from tests import postgres_server
from tests.postgres_server import FAST, PostgresServer, throwaway_server

if postgres_server.unavailable() is None:
    import psycopg
    from psycopg_pool import ConnectionPool

    from adapters.postgres_store import PostgresSessionStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def postgres() -> None:
    """Skips the test where PostgreSQL or psycopg is missing, saying how to get them; fails it in CI."""
    postgres_server.skip_unless_available()


@pytest.fixture
def server(shared_postgres: PostgresServer) -> PostgresServer:
    """The server of the test run (see conftest.py)."""
    return shared_postgres


@pytest.fixture
def own_server(postgres: None) -> Iterator[PostgresServer]:
    """A server of the test's own, for a test that stops it."""
    with throwaway_server(FAST) as running:
        yield running


MakeStore = Callable[..., "PostgresSessionStore"]


@pytest.fixture
def make_store(server: PostgresServer) -> Iterator[MakeStore]:
    """New stores, each in a schema of its own, closed after the test."""
    made: list[PostgresSessionStore] = []

    def make(**options: Any) -> PostgresSessionStore:
        made.append(PostgresSessionStore(server.dsn, schema=f"s_{uuid.uuid4().hex[:16]}", **options))
        return made[-1]

    yield make
    for store in made:
        store.close()


def sql(server: PostgresServer, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def tables_of(server: PostgresServer, schema: str) -> list[str]:
    query = "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1"
    return [table for (table,) in sql(server, query, (schema,))]


class TestPostgresSessionStore(SessionStoreContract):
    pass


def test_the_postgres_tests_run_in_ci() -> None:
    if not os.environ.get("CI"):
        pytest.skip("checks CI only (CI is not set): elsewhere the PostgreSQL tests may skip")
    assert postgres_server.unavailable() is None


def test_without_the_server_programs_the_reason_says_how_to_get_them(tmp_path: Path) -> None:
    reason = postgres_server.unavailable(search_path=str(tmp_path), debian=tmp_path)
    assert reason is not None and "apt-get install postgresql" in reason and "on PATH" in reason


def test_the_store_contract_certifies_it_from_the_command_line(server: PostgresServer) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "codex_local_sdk.testing.pytest_plugin",
            "--pyargs",
            "codex_local_sdk.testing.contracts.test_store_contract",
            "--store-factory",
            "tests.postgres_server:make_store",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, postgres_server.DSN_VARIABLE: server.dsn},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b\d+ passed\b", done.stdout) and "skipped" not in done.stdout, done.stdout


WRITER = """
import sys
from adapters.postgres_store import PostgresSessionStore
from codex_local_sdk.testing.store_rules import add_turn

store = PostgresSessionStore(sys.argv[1], schema=sys.argv[2])
sys.stdin.readline()  # all start together
for _ in range(int(sys.argv[3])):
    add_turn(store, "shared")
"""


def test_eight_processes_of_fifty_turns_into_one_new_name_lose_none(server: PostgresServer) -> None:
    schema = f"s_{uuid.uuid4().hex[:16]}"
    PostgresSessionStore(server.dsn, schema=schema).migrate()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, server.dsn, schema, "50"],
            stdin=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(8)
    ]
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.close()
    assert [writer.wait(timeout=300) for writer in writers] == [0] * 8
    record = PostgresSessionStore(server.dsn, schema=schema).get_record("shared")
    assert record is not None and record.turn_count == 400


def test_threads_creating_one_name_at_once_lose_nothing(make_store: MakeStore) -> None:
    store = make_store()
    rounds, writers = 10, 8
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for i in range(rounds):
                barrier.wait()
                add_turn(store, f"new-{i}")
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {record.name: record.turn_count for record in store.list_records()} == {
        f"new-{i}": writers for i in range(rounds)
    }


def turn(message: str) -> ScriptedRun:
    return ScriptedRun(stdout=codex_turn_events(thread_id="t-1", message=message, usage={"input_tokens": 10}))


def test_a_server_stopped_mid_run_fails_the_recording_and_the_next_update_after_a_restart_works(
    own_server: PostgresServer,
) -> None:
    store = PostgresSessionStore(own_server.dsn)
    client = CodexLocalClient(
        runner=ScriptedRunner([turn("one"), turn("two"), turn("three")]), session_store=store
    )
    client.start_thread("hello", session_name="s")
    with client.resume_live("more", session_name="s") as run:
        own_server.stop()
        with pytest.raises(SessionStoreError) as info:
            run.wait()
    assert info.value.result is not None and info.value.result.final_message == "two"
    assert str(own_server.folder) in str(info.value)
    own_server.start()
    assert client.resume("again", session_name="s").final_message == "three"
    record = store.get_record("s")
    assert record is not None and [t.message_preview for t in record.turns] == ["one", "three"]


def test_connections_left_idle_across_a_server_restart_are_replaced(server: PostgresServer) -> None:
    schema = f"s_{uuid.uuid4().hex[:16]}"
    with ConnectionPool(server.dsn, min_size=2, max_size=2, timeout=10) as pool:
        own, pooled = (
            PostgresSessionStore(server.dsn, schema=schema),
            PostgresSessionStore(pool, schema=schema),
        )
        own.set("a", "t")
        pooled.set("b", "u")
        server.stop()
        server.start()
        assert own.all() == pooled.all() == {"a": "t", "b": "u"}


def test_a_connection_failure_names_the_host_and_the_reason_never_the_password(postgres: None) -> None:
    store = PostgresSessionStore(
        "postgresql://codex:s3cret-pw@127.0.0.1:1/sessions", connect_timeout_seconds=5
    )
    with pytest.raises(SessionStoreError) as info:
        store.get("a")
    message = str(info.value)
    assert "postgresql codex@127.0.0.1:1/sessions" in message and "Connection refused" in message
    assert "s3cret-pw" not in message + repr(store) and info.value.__cause__ is None


def test_a_refused_login_says_why(server: PostgresServer) -> None:
    store = PostgresSessionStore(f"{server.dsn} dbname=nosuch password=s3cret-pw")
    with pytest.raises(SessionStoreError, match='database "nosuch" does not exist') as info:
        store.set("a", "t")
    assert "s3cret-pw" not in str(info.value)


def test_an_update_waits_for_the_row_lock_no_longer_than_the_lock_timeout(
    server: PostgresServer, make_store: MakeStore
) -> None:
    store = make_store(lock_timeout_seconds=0.2)
    store.set("a", "t")
    with psycopg.connect(server.dsn) as holder:
        holder.execute(f'SELECT 1 FROM "{store.schema}".codex_sessions WHERE name = %s FOR UPDATE', ("a",))
        with pytest.raises(SessionStoreLockTimeout, match="another writer held the session's row"):
            store.set("a", "u")
    assert store.get("a") == "t"


def test_values_are_parameters_never_sql(make_store: MakeStore) -> None:
    store = make_store()
    name = "x'); DROP TABLE codex_sessions; --"
    store.set(name, "'; DELETE FROM codex_sessions; --")
    store.set("b", "t")
    assert store.all() == {name: "'; DELETE FROM codex_sessions; --", "b": "t"}


def test_schema_and_table_prefix_keep_deployments_apart(server: PostgresServer) -> None:
    schema = f"s_{uuid.uuid4().hex[:16]}"
    blue = PostgresSessionStore(server.dsn, schema=schema, table_prefix="blue_")
    green = PostgresSessionStore(server.dsn, schema=schema, table_prefix="green_")
    elsewhere = PostgresSessionStore(server.dsn, schema=f"{schema} 2", table_prefix="blue_")
    for store, thread in ((blue, "t-blue"), (green, "t-green"), (elsewhere, "t-else")):
        store.set("a", thread)
    assert (blue.get("a"), green.get("a"), elsewhere.get("a")) == ("t-blue", "t-green", "t-else")
    tables = sql(
        server, "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
    )
    assert sorted(t for (t,) in tables) == [
        "blue_schema_version",
        "blue_sessions",
        "green_schema_version",
        "green_sessions",
    ]


def test_the_columns_hold_what_is_queried_and_data_the_whole_record(
    server: PostgresServer, make_store: MakeStore
) -> None:
    store = make_store()
    for succeeded in (True, False):
        add_turn(store, "a", succeeded)
    (row,) = sql(
        server,
        "SELECT session_id, turn_count, failure_count, last_turn_status, data FROM "
        f'"{store.schema}".codex_sessions',
    )
    assert row[:4] == ("thread-1", 2, 1, "failed")
    assert len(row[4]["turns"]) == 2 and row[4]["name"] == "a"


def test_text_with_a_nul_character_round_trips(make_store: MakeStore) -> None:
    store = make_store()
    turn = SessionTurnRecord(timestamp=1.0, operation="run", prompt_preview="a\x00b")
    store.set_record("a", SessionRecord(name="a", session_id="t", created_at=0, updated_at=0, turns=(turn,)))
    record = store.get_record("a")
    assert record is not None and record.turns == (turn,)


def test_fields_it_does_not_know_are_read_past(server: PostgresServer, make_store: MakeStore) -> None:
    store = make_store()
    store.set("a", "t")
    sql(
        server,
        f'UPDATE "{store.schema}".codex_sessions '
        """SET data = (data::jsonb || '{"metadata": {"k": 1}}')::json""",
    )
    record = store.get_record("a")
    assert record is not None and record.session_id == "t"


def test_migrate_makes_the_tables_once_and_says_the_version(
    server: PostgresServer, make_store: MakeStore
) -> None:
    store = make_store()
    assert store.migrate() == PostgresSessionStore.SCHEMA_VERSION == 1
    again = PostgresSessionStore(server.dsn, schema=store.schema)
    assert again.migrate() == 1 and again.all() == {}
    assert sql(server, f'SELECT version FROM "{store.schema}".codex_schema_version') == [(1,)]


def test_a_database_that_is_up_to_date_needs_no_right_to_create_tables(
    server: PostgresServer, make_store: MakeStore
) -> None:
    schema = make_store().schema
    PostgresSessionStore(server.dsn, schema=schema).migrate()
    role = f"worker_{uuid.uuid4().hex[:8]}"
    sql(server, f"CREATE ROLE {role} LOGIN")
    sql(server, f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
    sql(server, f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO {role}')
    worker = PostgresSessionStore(f"{server.dsn} user={role}", schema=schema)
    worker.set("a", "t")
    assert worker.get("a") == "t"


def test_a_newer_schema_is_refused_and_left_alone(server: PostgresServer, make_store: MakeStore) -> None:
    store = make_store()
    store.set("a", "t")
    sql(server, f'INSERT INTO "{store.schema}".codex_schema_version (version) VALUES (2)')
    newcomer = PostgresSessionStore(server.dsn, schema=store.schema)
    with pytest.raises(SessionStoreSchemaError, match="schema version 2, newer than this codex_local_sdk"):
        newcomer.get("a")
    assert sql(server, f'SELECT name, session_id FROM "{store.schema}".codex_sessions') == [("a", "t")]


def test_a_foreign_table_of_the_same_name_is_refused_and_left_alone(server: PostgresServer) -> None:
    schema = f"s_{uuid.uuid4().hex[:16]}"
    sql(server, f'CREATE SCHEMA "{schema}"')
    sql(server, f'CREATE TABLE "{schema}".codex_sessions (id int)')
    sql(server, f'INSERT INTO "{schema}".codex_sessions VALUES (7)')
    with pytest.raises(SessionStoreCorruptError, match="exists and is not a session store of this code"):
        PostgresSessionStore(server.dsn, schema=schema).set("a", "t")
    assert sql(server, f'SELECT * FROM "{schema}".codex_sessions') == [(7,)]
    assert tables_of(server, schema) == ["codex_sessions"]


def test_a_pool_given_to_it_serves_it(server: PostgresServer) -> None:
    with ConnectionPool(server.dsn, min_size=1, max_size=2, timeout=10) as pool:
        store = PostgresSessionStore(pool, schema=f"s_{uuid.uuid4().hex[:16]}")
        for _ in range(3):
            add_turn(store, "a")
        record = store.get_record("a")
        assert record is not None and record.turn_count == 3
        store.close()  # the pool is the caller's: it stays open
        assert not pool.closed and store.get("a") == "thread-1"


def test_a_pool_that_cannot_connect_says_why(postgres: None) -> None:
    with ConnectionPool("postgresql://codex:s3cret-pw@127.0.0.1:1/db", open=False, timeout=0.5) as pool:
        pool.open(wait=False)
        store = PostgresSessionStore(pool)
        with pytest.raises(
            SessionStoreError, match=r"gave no connection within 0\.5 s: .*Connection refused"
        ) as info:
            store.get("a")
        assert "s3cret-pw" not in str(info.value)


@pytest.mark.parametrize(
    ("arguments", "error", "problem"),
    [
        (("nonsense",), ValueError, "dsn_or_pool is not a PostgreSQL connection string"),
        (
            (42,),
            TypeError,
            "dsn_or_pool must be a connection string (postgresql://user@host/db) or a psycopg_pool",
        ),
        (("", {"schema": ""}), ValueError, "schema must name a PostgreSQL schema"),
        (("", {"schema": 7}), TypeError, "schema must be a str, got 7"),
        (("", {"table_prefix": "Blue-"}), ValueError, "table_prefix must be lower-case letters, digits"),
        (("", {"table_prefix": "x" * 50}), ValueError, "at most 49 characters"),
        (("", {"lock_timeout_seconds": -1}), ValueError, "lock_timeout_seconds must be >= 0"),
        (
            ("", {"connect_timeout_seconds": "5"}),
            TypeError,
            "connect_timeout_seconds must be a number of seconds",
        ),
        (("", {"max_turn_history": -1}), ValueError, "max_turn_history must be an int >= 0"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(
    postgres: None, arguments: tuple[Any, ...], error: type[Exception], problem: str
) -> None:
    *positional, options = arguments if isinstance(arguments[-1], dict) else (*arguments, {})
    with pytest.raises(error, match=re.escape(problem)):
        PostgresSessionStore(*positional, **options)


@pytest.mark.parametrize(
    ("module", "name"),
    [("adapters.postgres_store", "PostgresSessionStore"), ("codex_local_sdk", "PostgresThreadArchive")],
)
def test_without_psycopg_the_module_imports_and_the_class_names_the_extra(module: str, name: str) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["psycopg"] = None  # as if not installed
        from {module} import {name}
        try:
            {name}("postgresql://localhost/db")
        except ImportError as exc:
            print(exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"{name} needs psycopg 3, from the 'postgres' extra: pip install 'codex-local-sdk[postgres]'"
    )
