"""A session store of your own: one SQLite table, a row per session name (the SDK ships a
fuller one, `SqliteSessionStore`; this one shows what a store must do).

Certify it with the store contract, as `tests/test_docs_examples.py` does: with pytest,
`--store-factory custom_store:make_store` (the command is on the architecture page), or with
`check_session_store(make_store)` from `codex_local_sdk.testing`, which needs no pytest.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any

import attrs
import cattrs

from codex_local_sdk import CodexLocalClient, SessionRecord
from codex_local_sdk.ports import RecordUpdate

_converter = cattrs.Converter()


class OneTableSqliteStore:
    """A :class:`~codex_local_sdk.ports.SessionStore` in SQLite (threads and processes)."""

    def __init__(self, path: str, *, max_turn_history: int = 50) -> None:
        self.max_turn_history = max_turn_history
        self._lock = threading.Lock()  # the threads of this process share one connection
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS sessions (name TEXT PRIMARY KEY, record TEXT NOT NULL)")

    # The one primitive that must be atomic: the client records every turn through it.
    def update(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        _check(name)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # other processes wait here: one writer at a time
            try:
                row = self._db.execute("SELECT record FROM sessions WHERE name = ?", (name,)).fetchone()
                record = fn(_decode(row[0]) if row else None)
                if record is None:
                    self._db.execute("DELETE FROM sessions WHERE name = ?", (name,))
                else:
                    keep = self.max_turn_history  # the most recent turns; counters count all
                    record = attrs.evolve(record, turns=record.turns[-keep:] if keep else ())
                    self._db.execute("REPLACE INTO sessions VALUES (?, ?)", (name, _encode(record)))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return record

    def get_record(self, name: str) -> SessionRecord | None:
        _check(name)
        with self._lock:
            row = self._db.execute("SELECT record FROM sessions WHERE name = ?", (name,)).fetchone()
        return _decode(row[0]) if row else None

    def list_records(self) -> list[SessionRecord]:
        with self._lock:
            rows = self._db.execute("SELECT record FROM sessions ORDER BY name").fetchall()
        return [_decode(row[0]) for row in rows]  # UTF-8 byte order is code point order

    def set_record(self, name: str, record: SessionRecord) -> None:
        self.update(name, lambda _: record)

    # The name -> thread id view, on top of the records.
    def get(self, name: str) -> str | None:
        record = self.get_record(name)
        return record.session_id if record else None

    def set(self, name: str, session_id: str) -> None:
        _check(session_id, "session_id")  # a blank thread id would reach the CLI on the next resume
        now = time.time()

        def point(record: SessionRecord | None) -> SessionRecord:
            if record is None:  # a new, empty record; an existing one keeps its counters
                return SessionRecord(name=name, session_id=session_id, created_at=now, updated_at=now)
            return attrs.evolve(record, session_id=session_id, updated_at=now)

        self.update(name, point)

    def delete(self, name: str) -> bool:
        existed = False

        def remove(record: SessionRecord | None) -> None:  # None: delete the row
            nonlocal existed
            existed = record is not None

        self.update(name, remove)
        return existed

    def all(self) -> dict[str, str]:
        return {record.name: record.session_id for record in self.list_records()}


def _check(value: str, what: str = "session name") -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")


def _encode(record: SessionRecord) -> str:
    return json.dumps(_converter.unstructure(record))


def _decode(text: str) -> SessionRecord:
    return _converter.structure(json.loads(text), SessionRecord)


def make_store(**options: Any) -> OneTableSqliteStore:
    """The factory for `--store-factory custom_store:make_store` and `check_session_store`."""
    return OneTableSqliteStore(":memory:", **options)


def make_client(db_path: str = "sessions.db", **ports: Any) -> CodexLocalClient:
    return CodexLocalClient(session_store=OneTableSqliteStore(db_path), **ports)


def main(client: CodexLocalClient | None = None) -> None:
    client = client or make_client()
    client.start_thread("Remember: the release is on Friday", session_name="release")
    client.resume("When is the release?", session_name="release")
    for name, record in client.list_session_records().items():
        print(f"{name}: thread {record.session_id}, {record.turn_count} turns")


if __name__ == "__main__":
    main()
