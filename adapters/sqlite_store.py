"""SqliteSessionStore: session records in an SQLite database, the embedded store for one machine.

The database (schema version 1)::

    codex_local_sdk_schema (version)             one row: the schema this database is at
    codex_sessions (name PRIMARY KEY, session_id, updated_at, turn_count, record)
    codex_turns (name, position, turn)           a row per kept turn, oldest first by position

``record`` and ``turn`` hold the rest of each :class:`~codex_local_sdk.sessions.SessionRecord`
and :class:`~codex_local_sdk.sessions.SessionTurnRecord` as JSON (through cattrs), so a field
added to the records later is stored without a new schema; the columns are what the store
queries. An update reads and writes one session's rows: its cost does not grow with the
number of sessions.

Every change is one read-modify-write inside ``BEGIN IMMEDIATE``, so it is atomic across
threads and processes; writers queue on a :class:`~adapters.process_lock.ProcessLock`
(``<path>.lock``) first, so that under contention none waits much longer than the others
(SQLite's own wait polls, with sleeps of up to 100 ms). The database runs in WAL mode with
``synchronous=FULL``: readers never wait for a writer, and a committed change survives a
crash of the process or of the machine.

A file that is not an SQLite database, or a database that holds other tables and not this
store's, raises :class:`~codex_local_sdk.errors.SessionStoreCorruptError` and is left as it
is: the store reads the schema before anything that writes (switching to WAL mode included).
A database of a newer schema raises :class:`~codex_local_sdk.errors.SessionStoreSchemaError`;
an older one is migrated forward on first use.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import attrs
import cattrs

from codex_local_sdk.errors import (
    SessionStoreError,
    SessionStoreLockTimeout,
    SessionStoreSchemaError,
)
from codex_local_sdk.ports import Clock, RecordUpdate
from codex_local_sdk.sessions import SessionRecord, SessionTurnRecord, check_session_name

from .process_lock import ProcessLock, ProcessLockTimeout
from .store_base import SessionStoreBase, check_seconds, corrupt_store_error

SCHEMA_VERSION = 1
"""The schema this code creates, and the newest it reads."""
_SCHEMA_TABLE = "codex_local_sdk_schema"
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        f"CREATE TABLE {_SCHEMA_TABLE} (version INTEGER NOT NULL)",
        "CREATE TABLE codex_sessions (name TEXT PRIMARY KEY, session_id TEXT NOT NULL, "
        "updated_at REAL NOT NULL, turn_count INTEGER NOT NULL, record TEXT NOT NULL)",
        "CREATE TABLE codex_turns (name TEXT NOT NULL, position INTEGER NOT NULL, turn TEXT NOT NULL, "
        "PRIMARY KEY (name, position)) WITHOUT ROWID",
    ),
}
"""The statements that bring a database from the version before each key to that version."""
_LONGEST_BUSY_TIMEOUT = 2**31 - 1  # milliseconds: SQLite's busy_timeout is a C int

_converter = cattrs.Converter(forbid_extra_keys=False)
_to_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


class SqliteSessionStore(SessionStoreBase):
    """A :class:`~codex_local_sdk.ports.SessionStore` in an SQLite database (stdlib ``sqlite3``).

    The embedded choice for one machine: an update costs about the same with ten sessions or
    a hundred thousand, and any number of processes on the machine may share the file (not
    over a network file system: SQLite's locks need a local disk).

    Every method may raise :class:`~codex_local_sdk.errors.SessionStoreCorruptError` (the
    file is not this store's database), :class:`~codex_local_sdk.errors.SessionStoreSchemaError`
    (its schema is newer than this code), :class:`~codex_local_sdk.errors.SessionStoreLockTimeout`
    (other processes held it too long) or :class:`~codex_local_sdk.errors.SessionStoreError`
    (the system refused to open, read or write it).

    Args:
        path: the database file; it and its folder are created on first use, the file with
            mode 0600 (SQLite gives its ``-wal`` and ``-shm`` files the same mode).
        max_turn_history: how many recent turns each record keeps (counters count all).
        lock_timeout_seconds: how long a write waits for other writers: ``0`` tries once,
            ``math.inf`` waits as long as it takes.
        clock: where ``set`` reads the time.

    Attributes:
        path: the database file, as given.
        SCHEMA_VERSION: the schema this store creates, and the newest it reads.

    Raises:
        ValueError: an empty ``path``, a negative ``max_turn_history``, or a negative or NaN
            ``lock_timeout_seconds``.
        TypeError: an argument of the wrong type.
    """

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_turn_history: int = 50,
        *,
        lock_timeout_seconds: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(max_turn_history=max_turn_history, clock=clock)
        if not isinstance(path, (str, os.PathLike)) or isinstance(os.fspath(path), bytes):
            raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
        if not os.fspath(path) or os.fspath(path) == ":memory:":
            raise ValueError(f"path must name the database file, got {path!r}")
        self._lock_timeout = check_seconds("lock_timeout_seconds", lock_timeout_seconds)
        self.path = Path(path)
        self._writers = ProcessLock(f"{os.path.abspath(path)}.lock", self._lock_timeout)
        # This process's writers hold the ProcessLock one at a time (it is one descriptor);
        # the connection serves one transaction at a time. A reader waits only for the latter.
        self._writer_lock = threading.Lock()
        self._connection_lock = threading.Lock()
        self._owner: int | None = None  # the thread in a transaction (a store call in fn joins it)
        self._writes = 0  # write transactions run, those joined by a store call in fn included
        self._connection: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SqliteSessionStore({str(self.path)!r})"

    def close(self) -> None:
        """Close the database connection (the next call opens it again)."""
        with self._connection_lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- reads that touch one row, not the whole store ----------------------------------------

    def get(self, name: str) -> str | None:
        """The thread id saved under ``name``, or ``None``."""
        check_session_name(name)
        with self._reading() as db:
            row = db.execute("SELECT session_id FROM codex_sessions WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def get_record(self, name: str) -> SessionRecord | None:
        """The record saved under ``name``, or ``None``."""
        check_session_name(name)
        with self._reading() as db:
            return _read_record(db, name, str(self.path))[0]

    def all(self) -> dict[str, str]:
        """Every name and its thread id."""
        with self._reading() as db:
            return dict(db.execute("SELECT name, session_id FROM codex_sessions"))

    def _snapshot(self) -> Mapping[str, SessionRecord]:
        with self._reading() as db:
            turns: dict[str, list[str]] = {}
            for name, turn in db.execute("SELECT name, turn FROM codex_turns ORDER BY name, position"):
                turns.setdefault(name, []).append(turn)
            rows = db.execute("SELECT name, record FROM codex_sessions").fetchall()
        return {name: _decode(record, turns.get(name, ()), name, str(self.path)) for name, record in rows}

    def _replace(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        with self._writing() as db:
            current, positions = _read_record(db, name, str(self.path))
            writes = self._writes
            record = fn(current)
            if self._writes != writes:  # fn wrote through this store: build on what it wrote
                current, positions = _read_record(db, name, str(self.path))
            if record is not None:
                _write_record(db, name, record, current.turns if current else (), positions)
            elif current is not None:
                db.execute("DELETE FROM codex_sessions WHERE name = ?", (name,))
                db.execute("DELETE FROM codex_turns WHERE name = ?", (name,))
            return record

    def _write_many(self, records: Mapping[str, SessionRecord]) -> None:
        """Store ``records`` (new names, their history cut to ``max_turn_history`` by the
        caller) in one transaction: a bulk load, as a migration from another store does."""
        with self._writing() as db:
            for name, record in records.items():
                _write_record(db, name, record, (), [])

    # -- the connection ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, in a read transaction: one snapshot for the queries in the block."""
        if self._owner == threading.get_ident():  # a store call in an update's fn
            yield from self._joined()
            return
        with self._mapped_errors(), self._connection_lock:
            yield from self._transaction("BEGIN")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The connection, in the one write transaction of the database (once queued)."""
        self._writes += 1
        if self._owner == threading.get_ident():  # a store call in an update's fn
            yield from self._joined()
            return
        with self._mapped_errors(), self._queued(), self._connection_lock:
            yield from self._transaction("BEGIN IMMEDIATE")

    def _joined(self) -> Iterator[sqlite3.Connection]:
        """The transaction this thread has open, for a store call made inside it."""
        assert self._connection is not None
        with self._mapped_errors():
            yield self._connection

    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        db = self._open()
        self._owner = threading.get_ident()
        try:
            yield from _transaction(db, begin)
        finally:
            self._owner = None

    @contextlib.contextmanager
    def _queued(self) -> Iterator[None]:
        """This process's turn at the database's writer lock, within the lock timeout."""
        timeout = self._lock_timeout if math.isfinite(self._lock_timeout) else -1
        if not self._writer_lock.acquire(timeout=timeout):
            raise self._lock_timeout_error()
        try:
            try:
                self._writers.acquire()
            except ProcessLockTimeout:
                raise self._lock_timeout_error() from None
            try:
                yield
            finally:
                self._writers.release()
        finally:
            self._writer_lock.release()

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = _connect(self.path, self._lock_timeout)
            try:
                _check_and_migrate(self._connection, str(self.path))
            except BaseException:
                self._connection.close()
                self._connection = None
                raise
        return self._connection

    @contextlib.contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        """sqlite3's and the system's errors, as the store's."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            message = str(exc)
            if "locked" in message or "busy" in message:
                raise self._lock_timeout_error() from None
            if "not a database" in message or "malformed" in message:
                raise corrupt_store_error(str(self.path), message) from None
            raise self._system_error(message) from exc
        except OSError as exc:
            raise self._system_error(f"{exc.strerror or exc} ({exc.filename})") from exc

    def _lock_timeout_error(self) -> SessionStoreLockTimeout:
        return SessionStoreLockTimeout(
            f"could not lock session store {self.path} within {self._lock_timeout} s: other "
            "processes are writing to it. Retry later, or raise lock_timeout_seconds.",
            path=str(self.path),
        )

    def _system_error(self, reason: str) -> SessionStoreError:
        return SessionStoreError(
            f"could not use session store {self.path}: {reason}. Check that its folder exists or "
            "can be created, that this process may read and write there, and that the disk is not full.",
            path=str(self.path),
        )


def _transaction(db: sqlite3.Connection, begin: str) -> Iterator[sqlite3.Connection]:
    db.execute(begin)
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


def _connect(path: Path, lock_timeout: float) -> sqlite3.Connection:
    """A connection to ``path`` (created, mode 0600, when missing); nothing written yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _create_private(path)
    busy_ms = _LONGEST_BUSY_TIMEOUT if math.isinf(lock_timeout) else int(lock_timeout * 1000)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute(f"PRAGMA busy_timeout = {min(busy_ms, _LONGEST_BUSY_TIMEOUT)}")
    return db


def _create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600, unless it exists. An existing database is never
    opened outside SQLite: closing a descriptor of it drops every lock SQLite holds on it in
    this process (POSIX record locks belong to the process, not the descriptor), and the
    database can then be corrupted by the other processes using it."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))


def _check_and_migrate(db: sqlite3.Connection, path: str) -> None:
    """Check that ``db`` is this store's (or empty) before writing anything to it; then switch
    it to WAL mode and bring its schema to :data:`SCHEMA_VERSION`."""
    version = _schema_version(db, path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    if version == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _schema_version(db, path)  # another process may have migrated it meanwhile
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[step]:
                db.execute(statement)
        db.execute(f"DELETE FROM {_SCHEMA_TABLE}")
        db.execute(f"INSERT INTO {_SCHEMA_TABLE} (version) VALUES (?)", (SCHEMA_VERSION,))
    except BaseException:
        db.rollback()
        raise
    db.commit()


def _schema_version(db: sqlite3.Connection, path: str) -> int:
    """The database's schema version, ``0`` for an empty database.

    Raises:
        SessionStoreCorruptError: it holds tables, and not this store's.
        SessionStoreSchemaError: its schema is newer than this code's.
    """
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return 0
    if _SCHEMA_TABLE not in tables:
        shown = ", ".join(sorted(tables)[:5])
        raise corrupt_store_error(path, f"it is an SQLite database of something else (tables: {shown})")
    row = db.execute(f"SELECT version FROM {_SCHEMA_TABLE}").fetchone()
    if row is None or not isinstance(row[0], int):
        raise corrupt_store_error(path, f"its {_SCHEMA_TABLE} table holds no version")
    if row[0] > SCHEMA_VERSION:
        raise SessionStoreSchemaError(
            f"session store {path} has schema version {row[0]}, newer than this codex_local_sdk "
            f"understands ({SCHEMA_VERSION}); upgrade codex-local-sdk to read it. The database was "
            "left untouched.",
            path=path,
        )
    return int(row[0])


def _read_record(db: sqlite3.Connection, name: str, path: str) -> tuple[SessionRecord | None, list[int]]:
    """The record under ``name`` (``None`` if there is none), and its turns' positions."""
    row = db.execute("SELECT record FROM codex_sessions WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None, []
    turns = db.execute(
        "SELECT position, turn FROM codex_turns WHERE name = ? ORDER BY position", (name,)
    ).fetchall()
    return _decode(row[0], [turn for _, turn in turns], name, path), [position for position, _ in turns]


def _decode(record: str, turns: Sequence[str], name: str, path: str) -> SessionRecord:
    try:
        fields = _converter.structure({**json.loads(record), "turns": ()}, SessionRecord)
        return attrs.evolve(fields, turns=tuple(_turn(text) for text in turns))
    except cattrs.BaseValidationError as exc:
        problems = "; ".join(cattrs.transform_error(exc, path=f"record {name!r}"))
        raise corrupt_store_error(path, f"a record does not match the schema: {problems}") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise corrupt_store_error(path, f"record {name!r} does not match the schema ({exc})") from None


@functools.lru_cache(maxsize=2048)
def _turn(text: str) -> SessionTurnRecord:
    """A stored turn, decoded once: each update of a session reads all its kept turns again,
    and all but the newest were read by the update before (turns are frozen values)."""
    return _converter.structure(json.loads(text), SessionTurnRecord)


def _write_record(
    db: sqlite3.Connection,
    name: str,
    record: SessionRecord,
    old_turns: Sequence[SessionTurnRecord],
    positions: Sequence[int],
) -> None:
    """Upsert ``record``'s row, and its turns' rows given the ones stored (``old_turns`` at
    ``positions``): a recorded turn usually drops the oldest rows and adds one."""
    fields = _converter.unstructure(record)
    del fields["turns"]
    db.execute(
        "INSERT INTO codex_sessions (name, session_id, updated_at, turn_count, record) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET session_id = excluded.session_id, "
        "updated_at = excluded.updated_at, turn_count = excluded.turn_count, record = excluded.record",
        (name, record.session_id, record.updated_at, record.turn_count, _to_json(fields)),
    )
    dropped = _dropped_turns(old_turns, record.turns)
    if dropped == len(old_turns):
        db.execute("DELETE FROM codex_turns WHERE name = ?", (name,))
    elif dropped:
        db.execute("DELETE FROM codex_turns WHERE name = ? AND position < ?", (name, positions[dropped]))
    kept = len(old_turns) - dropped
    first = positions[-1] + 1 if positions else 0
    db.executemany(
        "INSERT INTO codex_turns (name, position, turn) VALUES (?, ?, ?)",
        [
            (name, first + i, _to_json(_converter.unstructure(turn)))
            for i, turn in enumerate(record.turns[kept:])
        ],
    )


def _dropped_turns(old: Sequence[SessionTurnRecord], new: Sequence[SessionTurnRecord]) -> int:
    """How many of the oldest stored turns to drop so that the rest begin ``new``
    (all of them when ``new`` does not continue ``old``)."""
    for dropped in range(len(old)):
        kept = len(old) - dropped
        if kept <= len(new) and tuple(new[:kept]) == tuple(old[dropped:]):
            return dropped
    return len(old)
