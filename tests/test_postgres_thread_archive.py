"""PostgresThreadArchive against the run's throwaway PostgreSQL server (``shared_postgres`` in
conftest.py): leases on the database's clock across processes, rollouts moved whole or only
their new end, and the tables beside a session store's. Without the server programs or
psycopg the tests skip, saying how to get them; in CI they must run."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_local_sdk import (
    CodexThreadBusyError,
    SessionStoreCorruptError,
    SessionStoreError,
    SessionStoreLockTimeout,
)
from codex_local_sdk.ports import ThreadLease
from tests import postgres_server
from tests.postgres_server import PostgresServer
from tests.test_thread_archive import RELATIVE, THREAD, write_rollout

if postgres_server.unavailable() is None:
    import psycopg
    from psycopg_pool import ConnectionPool

    from adapters.postgres_store import PostgresSessionStore
    from adapters.postgres_thread_archive import PostgresThreadArchive

ROOT = Path(__file__).resolve().parents[1]

MakeArchive = Callable[..., "PostgresThreadArchive"]


@pytest.fixture
def schema() -> str:
    return f"s_{uuid.uuid4().hex[:16]}"


@pytest.fixture
def make_archive(shared_postgres: PostgresServer, schema: str) -> Iterator[MakeArchive]:
    """New archives on the test's own schema (one deployment), closed after the test."""
    made: list[PostgresThreadArchive] = []

    def make(**options: Any) -> PostgresThreadArchive:
        made.append(PostgresThreadArchive(shared_postgres.dsn, schema=schema, **options))
        return made[-1]

    yield make
    for archive in made:
        archive.close()


def sql(server: PostgresServer, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def acquired(archive: PostgresThreadArchive, thread_id: str = THREAD) -> ThreadLease:
    lease = archive.acquire(thread_id)
    assert lease is not None
    return lease


def acquired_within(archive: PostgresThreadArchive, seconds: float) -> ThreadLease:
    """The lease, taken as soon as it is free (a hang check, not a speed check)."""
    deadline = time.monotonic() + seconds
    while (lease := archive.acquire(THREAD)) is None:
        assert time.monotonic() < deadline, f"the lease stayed taken for {seconds} s"
        time.sleep(0.1)
    return lease


OTHER_WORKER = """
import json, sys
from adapters.postgres_thread_archive import PostgresThreadArchive

archive = PostgresThreadArchive(sys.argv[1], schema=sys.argv[2], lease_seconds=float(sys.argv[3]))
leases = {}
for line in sys.stdin:
    command, thread, *rest = line.split()
    try:
        if command == "acquire":
            lease = archive.acquire(thread)
            leases[thread] = lease or leases.get(thread)  # keeps the one it holds
            answer = lease and lease.token
        elif command == "save":
            answer = archive.save(leases[thread], rest[0])
        else:
            answer = archive.release(leases[thread])
    except Exception as exc:
        answer = type(exc).__name__
    print(json.dumps(answer), flush=True)
"""


class OtherWorker:
    """An archive in a process of its own, as on another machine: one command a line in, one
    JSON answer a line out."""

    def __init__(self, server: PostgresServer, schema: str, lease_seconds: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", OTHER_WORKER, server.dsn, schema, str(lease_seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )

    def ask(self, *command: str) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(" ".join(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def other_worker(shared_postgres: PostgresServer, schema: str) -> Iterator[Callable[[float], OtherWorker]]:
    started: list[OtherWorker] = []

    def start(lease_seconds: float) -> OtherWorker:
        started.append(OtherWorker(shared_postgres, schema, lease_seconds))
        return started[-1]

    yield start
    for worker in started:
        worker.signal(signal.SIGCONT)
        worker.stop()


# -- leases ------------------------------------------------------------------------------------


def test_a_lease_another_process_holds_is_refused_until_released_then_taken_with_a_larger_token(
    make_archive: MakeArchive, other_worker: Callable[[float], OtherWorker]
) -> None:
    archive, other = make_archive(), other_worker(30)
    first = other.ask("acquire", THREAD)
    assert first == 1
    assert archive.acquire(THREAD) is None
    assert other.ask("acquire", THREAD) is None  # not even for its holder: one lease at a time
    other.ask("release", THREAD)
    second = acquired(archive)
    assert second.token > first
    assert other.ask("acquire", THREAD) is None


def test_a_dead_workers_lease_expires_by_the_database_clock_and_is_taken_with_a_larger_token(
    make_archive: MakeArchive, other_worker: Callable[[float], OtherWorker]
) -> None:
    archive, other = make_archive(), other_worker(2)
    token = other.ask("acquire", THREAD)
    other.stop()  # killed mid-turn: nobody renews its lease, nobody frees it
    assert archive.acquire(THREAD) is None
    assert acquired_within(archive, 15).token == token + 1


def test_a_worker_paused_past_its_lease_has_its_save_refused_and_the_newer_rollout_kept(
    tmp_path: Path, make_archive: MakeArchive, other_worker: Callable[[float], OtherWorker]
) -> None:
    archive, slow = make_archive(), other_worker(1)
    write_rollout(tmp_path / "slow", b"1\n")
    assert slow.ask("acquire", THREAD) == 1
    slow.signal(signal.SIGSTOP)  # a long stop: its lease is not renewed and expires
    fast = acquired_within(archive, 15)
    write_rollout(tmp_path / "fast", b"1\n2\nfast\n")
    assert archive.save(fast, str(tmp_path / "fast")) == 9
    slow.signal(signal.SIGCONT)

    write_rollout(tmp_path / "slow", b"1\n2\nslow\n")
    assert slow.ask("save", THREAD, str(tmp_path / "slow")) == "CodexThreadBusyError"
    assert archive.restore(THREAD, str(tmp_path / "fresh")) == 9
    assert (tmp_path / "fresh" / RELATIVE).read_bytes() == b"1\n2\nfast\n"


def test_the_archive_renews_its_leases_past_lease_seconds(make_archive: MakeArchive) -> None:
    holder, other = make_archive(lease_seconds=0.5), make_archive(lease_seconds=0.5)
    lease = acquired(holder)
    time.sleep(1.6)  # three lease times: the database's clock decides, a fake one cannot stand in
    assert other.acquire(THREAD) is None
    assert holder.renew(lease)
    holder.release(lease)
    assert not holder.renew(lease)
    assert acquired(other).token == lease.token + 1


def test_a_lease_that_expired_while_nobody_took_the_thread_is_renewed_and_a_taken_one_is_not(
    shared_postgres: PostgresServer, make_archive: MakeArchive
) -> None:
    holder, other = make_archive(), make_archive()
    lease = acquired(holder)
    expire = f"UPDATE \"{holder.schema}\".codex_thread_leases SET expires_at = now() - interval '1 s'"
    sql(shared_postgres, expire)  # the database was away for longer than the lease
    assert holder.renew(lease)
    assert other.acquire(THREAD) is None  # renewed: still the holder's
    sql(shared_postgres, expire)
    newer = acquired(other)
    assert not holder.renew(lease)
    other.release(newer)
    assert not other.renew(newer)  # released


def test_a_rollout_gone_or_empty_at_save_time_leaves_the_archived_one(
    tmp_path: Path, make_archive: MakeArchive
) -> None:
    archive = make_archive()
    path = write_rollout(tmp_path / "home", b"1\n2\n")
    lease = acquired(archive)
    archive.save(lease, str(tmp_path / "home"))
    path.write_bytes(b"")
    assert archive.save(lease, str(tmp_path / "home")) is None
    archive.release(lease)
    assert archive.restore(THREAD, str(tmp_path / "fresh")) == 4


def test_a_save_under_a_lease_that_is_not_the_threads_is_refused(
    tmp_path: Path, make_archive: MakeArchive
) -> None:
    archive = make_archive()
    write_rollout(tmp_path / "home", b"1\n")
    lease = acquired(archive)
    with pytest.raises(CodexThreadBusyError, match=r"lease \(token 2\) was lost") as caught:
        archive.save(ThreadLease(THREAD, lease.token + 1), str(tmp_path / "home"))
    assert caught.value.result is None
    archive.release(lease)
    with pytest.raises(CodexThreadBusyError):
        archive.save(lease, str(tmp_path / "home"))
    assert archive.threads() == []


# -- rollouts ----------------------------------------------------------------------------------


def saved(archive: PostgresThreadArchive, home: Path, content: bytes) -> None:
    write_rollout(home, content)
    lease = acquired(archive)
    archive.save(lease, str(home))
    archive.release(lease)


@pytest.mark.parametrize(
    ("local", "fetched"),
    [
        pytest.param(None, b"1\n2\n3\n", id="missing: all of it"),
        pytest.param(b"1\n", b"2\n3\n", id="the start of it: only the end"),
        pytest.param(b"1\n2\nlost\nturns\n", b"1\n2\n3\n", id="longer and diverged: all of it"),
        pytest.param(b"1\n2\n3\nmore\n", b"1\n2\n3\n", id="longer, extending it: all of it"),
        pytest.param(b"1\nX\n", b"1\n2\n3\n", id="shorter and diverged: all of it"),
        pytest.param(b"", b"1\n2\n3\n", id="empty: all of it"),
    ],
)
def test_restore_makes_the_local_copy_the_archived_one_fetching_only_what_it_lacks(
    tmp_path: Path, make_archive: MakeArchive, local: bytes | None, fetched: bytes
) -> None:
    archive = make_archive()
    saved(archive, tmp_path / "a", b"1\n2\n3\n")
    if local is not None:
        write_rollout(tmp_path / "b", local)
    assert archive.restore(THREAD, str(tmp_path / "b")) == len(b"1\n2\n3\n")
    assert archive.bytes_received == len(fetched)
    assert (tmp_path / "b" / RELATIVE).read_bytes() == b"1\n2\n3\n"
    assert list((tmp_path / "b" / RELATIVE).parent.iterdir()) == [tmp_path / "b" / RELATIVE]


def test_restore_leaves_an_equal_copy_and_an_unknown_thread_alone(
    tmp_path: Path, make_archive: MakeArchive
) -> None:
    archive = make_archive()
    saved(archive, tmp_path / "a", b"1\n2\n")
    assert archive.restore(THREAD, str(tmp_path / "a")) is None
    assert archive.restore("019a-never-archived", str(tmp_path / "b")) is None
    assert archive.bytes_received == 0 and not (tmp_path / "b").exists()


def test_a_save_sends_only_the_appended_bytes_and_the_whole_file_when_it_was_rewritten(
    shared_postgres: PostgresServer, tmp_path: Path, make_archive: MakeArchive
) -> None:
    archive, home = make_archive(), tmp_path / "home"
    lease = acquired(archive)
    sent = []
    for content in (b"1\n", b"1\n2\n", b"1\n2\n3\n", b"1\n2\n3\n", b"rewritten\n"):
        write_rollout(home, content)
        assert archive.save(lease, str(home)) == len(content)
        sent.append(archive.bytes_sent)
    assert sent == [2, 4, 6, 6, 16]
    table = f'"{archive.schema}".codex_threads'
    assert sql(shared_postgres, f"SELECT path, data, size, digest, token FROM {table}") == [
        (RELATIVE, b"rewritten\n", 10, hashlib.sha256(b"rewritten\n").digest(), lease.token)
    ]


def test_a_save_of_a_home_without_the_rollout_archives_nothing(
    tmp_path: Path, make_archive: MakeArchive
) -> None:
    archive = make_archive()
    assert archive.save(acquired(archive), str(tmp_path / "empty")) is None
    assert archive.threads() == []


def test_delete_forgets_the_rollout_and_the_next_lease_still_counts_on(
    tmp_path: Path, make_archive: MakeArchive
) -> None:
    archive = make_archive()
    saved(archive, tmp_path / "a", b"1\n")
    write_rollout(tmp_path / "a", b"1\n", RELATIVE.replace(THREAD, "019a-other"))
    lease = acquired(archive, "019a-other")
    archive.save(lease, str(tmp_path / "a"))
    assert archive.threads() == ["019a-other", THREAD]
    assert archive.delete(THREAD) and not archive.delete(THREAD)
    assert archive.threads() == ["019a-other"]
    assert archive.restore(THREAD, str(tmp_path / "b")) is None
    assert acquired(archive).token == 2


def test_a_stored_path_outside_sessions_is_refused(
    shared_postgres: PostgresServer, tmp_path: Path, make_archive: MakeArchive
) -> None:
    archive = make_archive()
    saved(archive, tmp_path / "a", b"1\n")
    outside = f"../../x-{THREAD}.jsonl"
    sql(shared_postgres, f'UPDATE "{archive.schema}".codex_threads SET path = %s', (outside,))
    with pytest.raises(SessionStoreCorruptError, match="has a path outside sessions/"):
        archive.restore(THREAD, str(tmp_path / "home" / "b"))
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("thread_id", ["", "../x", "a/b", "a b"])
def test_a_thread_id_that_cannot_name_a_file_is_refused(make_archive: MakeArchive, thread_id: str) -> None:
    with pytest.raises(ValueError, match="is not a thread id"):
        make_archive().acquire(thread_id)


# -- tables, connections, options --------------------------------------------------------------


def test_its_tables_sit_beside_a_session_stores_in_one_schema_and_prefix(
    shared_postgres: PostgresServer, schema: str, make_archive: MakeArchive
) -> None:
    archive = make_archive()
    store = PostgresSessionStore(shared_postgres.dsn, schema=schema)
    assert archive.migrate() == PostgresThreadArchive.SCHEMA_VERSION == 1
    assert store.migrate() == 1
    query = "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1"
    assert [t for (t,) in sql(shared_postgres, query, (schema,))] == [
        "codex_schema_version",
        "codex_sessions",
        "codex_thread_archive_version",
        "codex_thread_leases",
        "codex_threads",
    ]
    assert sql(shared_postgres, f'SELECT version FROM "{schema}".codex_thread_archive_version') == [(1,)]
    store.close()


def test_a_foreign_threads_table_is_refused_and_left_alone(
    shared_postgres: PostgresServer, schema: str, make_archive: MakeArchive
) -> None:
    sql(shared_postgres, f'CREATE SCHEMA "{schema}"')
    sql(shared_postgres, f'CREATE TABLE "{schema}".codex_threads (id int)')
    with pytest.raises(SessionStoreCorruptError, match="exists and is not a thread archive of this code"):
        make_archive().threads()
    assert sql(shared_postgres, f'SELECT * FROM "{schema}".codex_threads') == []


def test_a_pool_given_to_it_serves_it_and_stays_open(
    shared_postgres: PostgresServer, schema: str, tmp_path: Path
) -> None:
    with ConnectionPool(shared_postgres.dsn, min_size=1, max_size=2, timeout=10) as pool:
        archive = PostgresThreadArchive(pool, schema=schema)
        saved(archive, tmp_path / "a", b"1\n")
        archive.close()
        assert not pool.closed
        assert archive.restore(THREAD, str(tmp_path / "b")) == 2


def test_a_lease_change_waits_for_another_workers_row_lock_no_longer_than_the_lock_timeout(
    shared_postgres: PostgresServer, make_archive: MakeArchive
) -> None:
    archive = make_archive(lock_timeout_seconds=0.2)
    archive.release(acquired(archive))
    with psycopg.connect(shared_postgres.dsn) as holder:
        table = f'"{archive.schema}".codex_thread_leases'
        holder.execute(f"SELECT 1 FROM {table} WHERE thread_id = %s FOR UPDATE", (THREAD,))
        with pytest.raises(SessionStoreLockTimeout, match="another worker held the thread's row"):
            archive.acquire(THREAD)
    assert acquired(archive).token == 2


def test_a_connection_failure_names_the_host_and_the_reason_never_the_password(
    shared_postgres: PostgresServer,
) -> None:
    archive = PostgresThreadArchive(
        "postgresql://codex:s3cret-pw@127.0.0.1:1/threads", connect_timeout_seconds=5
    )
    with pytest.raises(SessionStoreError) as info:
        archive.acquire(THREAD)
    message = str(info.value)
    assert message.startswith("thread archive postgresql codex@127.0.0.1:1/threads")
    assert "Connection refused" in message
    assert "s3cret-pw" not in message + repr(archive) and info.value.__cause__ is None
    refused = PostgresThreadArchive(f"{shared_postgres.dsn} dbname=nosuch password=s3cret-pw")
    with pytest.raises(SessionStoreError, match='database "nosuch" does not exist') as info:
        refused.threads()
    assert "s3cret-pw" not in str(info.value)


@pytest.mark.parametrize(
    ("options", "error", "problem"),
    [
        ({"lease_seconds": 0}, ValueError, "lease_seconds must be a finite number of seconds > 0, got 0"),
        ({"lease_seconds": float("inf")}, ValueError, "lease_seconds must be a finite number"),
        ({"lease_wait_seconds": -1}, ValueError, "lease_wait_seconds must be a finite number"),
        ({"lease_wait_seconds": "5"}, TypeError, "lease_wait_seconds must be a number of seconds"),
        ({"table_prefix": "Blue-"}, ValueError, "table_prefix must be lower-case letters"),
        ({"table_prefix": "x" * 42}, ValueError, "at most 41 characters"),
        ({"schema": ""}, ValueError, "schema must name a PostgreSQL schema"),
        ({"lock_timeout_seconds": -1}, ValueError, "lock_timeout_seconds must be >= 0"),
        ({"dsn_or_pool": 42}, TypeError, "dsn_or_pool must be a connection string"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(
    options: dict[str, Any], error: type[Exception], problem: str
) -> None:
    postgres_server.skip_unless_available()
    options = {"dsn_or_pool": "", **options}
    with pytest.raises(error, match=re.escape(problem)):
        PostgresThreadArchive(**options)
