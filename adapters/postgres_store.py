"""PostgresSessionStore: session records in PostgreSQL, shared by processes on many machines.

Needs psycopg 3, the ``postgres`` extra: ``pip install 'codex-local-sdk[postgres]'``. This
module imports without it; building a store raises ``ImportError`` saying so.

A record is one row of ``<schema>.<table_prefix>sessions``::

    name text PRIMARY KEY    -- the session's name, the store's key
    session_id, created_at, updated_at, last_turn_status, turn_count, success_count, failure_count
    data json                -- the whole record as cattrs unstructures it (turns, last_usage, ...)

The columns are there to be queried (``ORDER BY updated_at``, ``WHERE failure_count > 0``);
``data`` carries every field, so fields a newer record gains flow through with no migration.
``json`` rather than ``jsonb`` keeps the text as written, ``\\u0000`` included.

The tables are made by versioned migrations, recorded in ``<table_prefix>schema_version``
(a row per applied version). The first call that touches the database applies the missing
ones, or :meth:`PostgresSessionStore.migrate` does it up front; an advisory lock lets one
process migrate while the others wait. A database whose version is newer than this code
knows raises :class:`~codex_local_sdk.errors.SessionStoreSchemaError`, and a ``sessions``
table of someone else's (no version row) raises
:class:`~codex_local_sdk.errors.SessionStoreCorruptError`; both leave the database as it was.

``update(name, fn)`` is one transaction: ``SELECT ... FOR UPDATE`` locks the row, so writers of
one name take turns. A new name is first inserted as a placeholder row with ``ON CONFLICT DO
NOTHING``: of two processes creating it at once, one inserts and the other waits for that
transaction, then locks the row it made. Either way ``fn`` runs once, on the latest record
(the placeholder never shows: its transaction fills or deletes it before committing).

SQL takes values as parameters only; the schema and table names are quoted identifiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from codex_local_sdk.ports import Clock, RecordUpdate
from codex_local_sdk.sessions import SessionRecord, check_session_name

from ._postgres_database import Database, check_prefix, check_schema, require_psycopg
from ._postgres_schema import SCHEMA_VERSION, Statements, record_of, row_of
from .store_base import SessionStoreBase, check_seconds

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql
    from psycopg_pool import ConnectionPool


class PostgresSessionStore(SessionStoreBase):
    """A :class:`~codex_local_sdk.ports.SessionStore` in a PostgreSQL database.

    Every method may raise :class:`~codex_local_sdk.errors.SessionStoreError`, naming the
    server and the reason, never the password: the server cannot be reached, refused the
    login, or failed the statement; :class:`~codex_local_sdk.errors.SessionStoreLockTimeout`
    when another writer held the name's row too long; and, on first use,
    :class:`~codex_local_sdk.errors.SessionStoreSchemaError` or
    :class:`~codex_local_sdk.errors.SessionStoreCorruptError` (see the module).

    Args:
        dsn_or_pool: a connection string (``"postgresql://user:pw@host/db"`` or
            ``"host=... dbname=..."``), or a ``psycopg_pool.ConnectionPool`` the caller owns
            and closes. With a string the store connects when a call needs a connection and
            keeps a few idle ones for reuse: a server that is down fails the call at once,
            with libpq's reason, and the first call after it is back connects again. A
            pool waits up to its ``timeout`` for a connection; give it
            ``check=ConnectionPool.check_connection`` to test them on the way out.
        schema: the PostgreSQL schema of the tables, created if missing.
        table_prefix: the start of the tables' names (lower-case letters, digits, ``_``):
            deployments sharing a database and schema keep apart by prefix.
        max_turn_history: how many recent turns each record keeps (counters count all).
        lock_timeout_seconds: how long an update waits for another writer of the same name
            (``math.inf``: as long as it takes).
        connect_timeout_seconds: how long to wait for a new connection (with a string).
        clock: where ``set`` reads the time.

    Attributes:
        schema: as given.
        table_prefix: as given.
        SCHEMA_VERSION: the table layout this store makes, and the newest it reads.

    Raises:
        ImportError: psycopg is not installed (the ``postgres`` extra).
        ValueError: a malformed connection string, an empty ``schema``, a ``table_prefix``
            that is not a lower-case identifier, or a negative or NaN timeout.
        TypeError: an argument of the wrong type.
    """

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION

    def __init__(
        self,
        dsn_or_pool: str | ConnectionPool[psycopg.Connection[Any]],
        *,
        schema: str = "public",
        table_prefix: str = "codex_",
        max_turn_history: int = 50,
        lock_timeout_seconds: float = 10.0,
        connect_timeout_seconds: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        require_psycopg("PostgresSessionStore")
        super().__init__(max_turn_history=max_turn_history, clock=clock)
        self.schema = check_schema(schema)
        self.table_prefix = check_prefix(table_prefix, longest="schema_version")
        lock_timeout = check_seconds("lock_timeout_seconds", lock_timeout_seconds)
        self._sql = Statements.for_tables(schema, table_prefix)
        self._database = Database(
            dsn_or_pool,
            kind="session store",
            schema=schema,
            table_prefix=table_prefix,
            versions="schema_version",
            owned="sessions",
            migrations=self._sql.migrations,
            lock_timeout_seconds=lock_timeout,
            lock_timeout_message=(
                "another writer held the session's row longer than "
                f"lock_timeout_seconds ({lock_timeout:g} s). Retry later, or raise it."
            ),
            connect_timeout_seconds=check_seconds("connect_timeout_seconds", connect_timeout_seconds),
        )

    def __repr__(self) -> str:
        return (
            f"PostgresSessionStore({self._database.server!r}, schema={self.schema!r}, "
            f"table_prefix={self.table_prefix!r})"
        )

    def __enter__(self) -> PostgresSessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections this store made (a pool given to it stays open)."""
        self._database.close()

    def migrate(self) -> int:
        """Create or upgrade the tables now, rather than on first use.

        Returns:
            The schema version the tables now have (:attr:`SCHEMA_VERSION`).

        Raises:
            SessionStoreSchemaError: the tables are from a newer version of this code.
            SessionStoreCorruptError: a table of the store's name exists and is not its own.
            SessionStoreError: the server cannot be reached, or refused (permissions).
        """
        return self._database.migrate()

    # -- the store's primitives ------------------------------------------------------------

    def get_record(self, name: str) -> SessionRecord | None:
        """The record saved under ``name``, or ``None``."""
        _check_name(name)
        rows = self._query(self._sql.select_one, [name])
        return record_of(name, rows[0]) if rows else None

    def all(self) -> dict[str, str]:
        """Every name and its thread id."""
        return dict(self._query(self._sql.select_ids, []))

    def _snapshot(self) -> Mapping[str, SessionRecord]:
        return {row[0]: record_of(row[0], row[1:]) for row in self._query(self._sql.select_all, [])}

    def _replace(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        _check_name(name)

        def change(conn: psycopg.Connection[Any]) -> SessionRecord | None:
            record = fn(self._lock_row(conn, name))
            if record is None:
                conn.execute(self._sql.delete, [name])
            else:
                conn.execute(self._sql.update, [*row_of(record), name])
            return record

        return self._database.transaction(change)

    def _lock_row(self, conn: psycopg.Connection[Any], name: str) -> SessionRecord | None:
        """The record under ``name``, its row locked until the transaction ends; ``None`` for
        a new name, whose placeholder row this transaction then holds."""
        while True:
            row = conn.execute(self._sql.select_for_update, [name]).fetchone()
            if row is not None:
                return record_of(name, row)
            # Waits for a concurrent creator of the name: 0 rows means it committed first.
            if conn.execute(self._sql.insert_placeholder, [name]).fetchone() is not None:
                return None

    def _query(self, statement: sql.Composed, params: list[Any]) -> list[tuple[Any, ...]]:
        return self._database.transaction(lambda conn: conn.execute(statement, params).fetchall())


def _check_name(name: str) -> None:
    check_session_name(name)
    if "\x00" in name:
        raise ValueError(f"PostgreSQL cannot store a NUL character in a session name, got {name!r}")
