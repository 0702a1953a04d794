"""SqliteSessionStore against real processes and real files."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import attrs
import pytest

from adapters.process_lock import ProcessLock
from adapters.sqlite_store import SqliteSessionStore
from codex_local_sdk import (
    SessionRecord,
    SessionStoreCorruptError,
    SessionStoreError,
    SessionStoreLockTimeout,
    SessionStoreSchemaError,
)
from codex_local_sdk.testing.store_rules import add_turn
from tests.store_workers import REPO, record_turns


def test_eight_processes_lose_no_turn(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    workers = [record_turns(f"sqlite:{path}", n, 50) for n in range(8)]
    assert [w.wait(timeout=300) for w in workers] == [0] * 8
    record = SqliteSessionStore(path).get_record("shared")
    assert record is not None
    assert (record.turn_count, record.success_count, record.failure_count) == (400, 200, 200)
    assert len(record.turns) == 20


def test_stores_opened_side_by_side_keep_the_database_intact(tmp_path: Path) -> None:
    # Each store opens a connection of its own; opening one must not disturb the locks of
    # those already open in the process while other processes write.
    path = tmp_path / "sessions.db"
    stores = [SqliteSessionStore(path) for _ in range(3)]
    for store in stores:
        add_turn(store, "here")
    for _ in range(2):
        workers = [record_turns(f"sqlite:{path}", n, 10) for n in range(8)]
        assert [w.wait(timeout=300) for w in workers] == [0] * 8
        for store in stores:
            assert len(store.list_records()) == 2
    record = stores[0].get_record("shared")
    assert record is not None and record.turn_count == 160
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_session_keeps_a_row_per_kept_turn(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    store = SqliteSessionStore(path, max_turn_history=3)
    for _ in range(7):
        add_turn(store, "a")
    add_turn(store, "b")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name, COUNT(*) FROM codex_turns GROUP BY name ORDER BY name").fetchall()
    assert rows == [("a", 3), ("b", 1)]
    record = store.get_record("a")
    assert record is not None and record.turn_count == 7 and len(record.turns) == 3
    store.delete("a")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM codex_turns WHERE name = 'a'").fetchone() == (0,)


WRITE_FOREVER = """
import sys
from adapters.sqlite_store import SqliteSessionStore
from codex_local_sdk.testing.store_rules import add_turn
store = SqliteSessionStore(sys.argv[1], max_turn_history=5)
i = 0
while True:
    i += 1
    add_turn(store, f"session-{i % 500}")
    if i == 50:
        print("written", flush=True)
"""


def test_sigkill_while_writing_never_leaves_an_unloadable_store(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    for _ in range(6):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITE_FOREVER, str(path)], cwd=REPO, stdout=subprocess.PIPE
        )
        assert writer.stdout is not None and writer.stdout.readline() == b"written\n"
        time.sleep(random.uniform(0, 0.05))  # kill it at a different point of a write each time
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        store = SqliteSessionStore(path)
        records = store.list_records()
        store.close()
        assert len(records) >= 50
        assert all(0 < len(record.turns) <= 5 for record in records)


def foreign_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        db.execute("INSERT INTO invoices (total) VALUES (12.5)")
    sqlite3.connect(path).close()


def newer_database(path: Path) -> None:
    store = SqliteSessionStore(path)
    store.set("a", "t")
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("UPDATE codex_local_sdk_schema SET version = 99")
    db.execute("PRAGMA journal_mode = DELETE")  # all of it in the one file
    db.close()


NOT_SQLITE = "cannot be read: file is not a database"


def random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(4).randbytes(8192))


def broken_header(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (random_bytes, SessionStoreCorruptError, NOT_SQLITE),
        (broken_header, SessionStoreCorruptError, NOT_SQLITE),
        (foreign_database, SessionStoreCorruptError, "SQLite database of something else .tables: invoices"),
        (newer_database, SessionStoreSchemaError, "schema version 99, newer than"),
    ],
    ids=["random-bytes", "broken-header", "someone-elses-schema", "newer-schema"],
)
def test_a_database_that_is_not_ours_raises_and_keeps_its_bytes(
    tmp_path: Path, make: Callable[[Path], None], error: type[Exception], match: str
) -> None:
    path = tmp_path / "sessions.db"
    make(path)
    content = path.read_bytes()
    mtime = os.stat(path).st_mtime_ns
    files = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith((".lock", ".queue")))
    store = SqliteSessionStore(path)
    for action in (store.all, lambda: store.set("b", "t"), lambda: store.get("a"), store.list_records):
        with pytest.raises(error, match=match) as info:
            action()
        assert str(path) in str(info.value) and info.value.path == str(path)  # type: ignore[attr-defined]
    assert path.read_bytes() == content
    assert os.stat(path).st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith((".lock", ".queue"))) == files


def test_an_empty_sqlite_database_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    sqlite3.connect(path).close()  # a database file with no tables: schema version 0
    SqliteSessionStore(path).set("a", "t")
    assert SqliteSessionStore(path).all() == {"a": "t"}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM codex_local_sdk_schema").fetchall() == [(1,)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_files_are_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "nested" / "sessions.db"
        store = SqliteSessionStore(path)
        store.set("a", "thread-a")
        files = sorted(path.parent.iterdir())
        modes = {p.name: os.stat(p).st_mode & 0o777 for p in files}
    finally:
        os.umask(old)
    assert {"sessions.db", "sessions.db-wal", "sessions.db-shm"} <= modes.keys()
    assert set(modes.values()) == {0o600}, modes


def test_a_writer_that_holds_the_database_too_long_is_a_lock_timeout(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    store = SqliteSessionStore(path, lock_timeout_seconds=0.2)
    store.set("a", "t-1")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a writer that does not queue on the store's lock file
    try:
        with pytest.raises(SessionStoreLockTimeout, match=r"within 0.2 s: .*raise lock_timeout_seconds"):
            store.set("a", "t-2")
        assert store.get("a") == "t-1"  # WAL: readers do not wait for the writer
    finally:
        other.rollback()
        other.close()
    store.set("a", "t-3")
    assert store.get("a") == "t-3"


def test_a_path_the_system_refuses_is_a_store_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    store = SqliteSessionStore(tmp_path / "a-file" / "sessions.db")
    actions: list[Callable[[], object]] = [lambda: store.get("a"), lambda: store.set("a", "t")]
    for action in actions:
        with pytest.raises(SessionStoreError, match=r"could not use session store .*a-file/sessions.db: "):
            action()
    assert (tmp_path / "a-file").read_text() == "not a folder"


def test_fields_the_record_does_not_know_are_ignored_on_read(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    SqliteSessionStore(path).set("a", "t")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE codex_sessions SET record = json_set(record, '$.added_later', 1)")
    record = SqliteSessionStore(path).get_record("a")
    assert record is not None and record.session_id == "t"


def test_a_record_that_does_not_match_the_schema_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    SqliteSessionStore(path).set("a", "t")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE codex_sessions SET record = json_remove(record, '$.session_id')")
    with pytest.raises(SessionStoreCorruptError, match=r"required field missing @ record 'a'.session_id"):
        SqliteSessionStore(path).get_record("a")


def test_a_store_call_inside_an_update_neither_waits_for_its_own_lock_nor_is_lost(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.sqlite3", lock_timeout_seconds=1)
    store.set("main", "t-1")

    def fn(record: SessionRecord | None) -> SessionRecord | None:
        assert store.get("other") is None  # a read, then writes, from inside the update
        store.set("other", "t-2")
        inner = add_turn(store, "main")  # the same name: the update builds on it
        assert inner is not None and record is not None
        return attrs.evolve(inner, metadata={"seen": "yes"})

    updated = done_within(5, lambda: store.update("main", fn))
    assert updated is not None and store.get_record("main") == updated
    assert (updated.turn_count, updated.metadata, store.get("other")) == (1, {"seen": "yes"}, "t-2")


def test_a_reader_does_not_wait_while_a_writer_of_its_process_waits_for_another(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sqlite3"
    store = SqliteSessionStore(path, lock_timeout_seconds=30)
    store.set("main", "t-1")
    other_process = ProcessLock(f"{path}.lock", 0)  # a descriptor of its own: as another process
    other_process.acquire()
    writer = threading.Thread(target=store.set, args=("late", "t-2"))
    writer.start()
    try:
        assert done_within(5, lambda: store.get("main")) == "t-1"
    finally:
        other_process.release()
        writer.join(10)
    assert store.get("late") == "t-2"


T = TypeVar("T")


def done_within(seconds: float, call: Callable[[], T]) -> T:
    """``call()``'s value, made in a thread; fails if it has not returned after ``seconds``."""
    outcome: list[T] = []
    thread = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"the call did not return within {seconds} s"
    return outcome[0]
