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

import contextlib
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from codex_local_sdk.errors import (
    SessionStoreCorruptError,
    SessionStoreError,
    SessionStoreLockTimeout,
    SessionStoreSchemaError,
)
from codex_local_sdk.ports import Clock, RecordUpdate
from codex_local_sdk.sessions import SessionRecord, check_session_name

from ._postgres_schema import SCHEMA_VERSION, Statements, record_of, row_of
from .store_base import SessionStoreBase

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql
    from psycopg_pool import ConnectionPool

T = TypeVar("T")

INSTALL_HINT = "pip install 'codex-local-sdk[postgres]'"

_PREFIX = re.compile(r"[a-z_][a-z0-9_]*\Z")


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"PostgresSessionStore needs psycopg 3, from the 'postgres' extra: {INSTALL_HINT}",
            name=exc.name,
        ) from exc


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
        _require_psycopg()
        from ._postgres_connections import connections_for

        super().__init__(max_turn_history=max_turn_history, clock=clock)
        self.schema = _check_schema(schema)
        self.table_prefix = _check_prefix(table_prefix)
        self._lock_timeout_seconds = _check_seconds("lock_timeout_seconds", lock_timeout_seconds)
        self._lock_timeout = _lock_timeout_setting(self._lock_timeout_seconds)
        connect_timeout = _check_seconds("connect_timeout_seconds", connect_timeout_seconds)
        self._connections = connections_for(dsn_or_pool, connect_timeout)
        self._sql = Statements.for_tables(schema, table_prefix)
        self._migration_lock = threading.Lock()
        self._migrated = False

    def __repr__(self) -> str:
        return (
            f"PostgresSessionStore({self._connections.where!r}, schema={self.schema!r}, "
            f"table_prefix={self.table_prefix!r})"
        )

    def __enter__(self) -> PostgresSessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections this store made (a pool given to it stays open)."""
        self._connections.close()

    def migrate(self) -> int:
        """Create or upgrade the tables now, rather than on first use.

        Returns:
            The schema version the tables now have (:attr:`SCHEMA_VERSION`).

        Raises:
            SessionStoreSchemaError: the tables are from a newer version of this code.
            SessionStoreCorruptError: a table of the store's name exists and is not its own.
            SessionStoreError: the server cannot be reached, or refused (permissions).
        """
        if self._migrated:
            return SCHEMA_VERSION
        with self._migration_lock:
            if not self._migrated:
                self._transaction(self._migrate)
                self._migrated = True
        return SCHEMA_VERSION

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
        self.migrate()

        def change(conn: psycopg.Connection[Any]) -> SessionRecord | None:
            record = fn(self._lock_row(conn, name))
            if record is None:
                conn.execute(self._sql.delete, [name])
            else:
                conn.execute(self._sql.update, [*row_of(record), name])
            return record

        return self._transaction(change)

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
        self.migrate()
        return self._transaction(lambda conn: conn.execute(statement, params).fetchall())

    # -- migrations -------------------------------------------------------------------------

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        """Apply the missing migrations; when there are none (the usual case), only read."""
        if self._version(conn) == SCHEMA_VERSION:
            return
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"codex_local_sdk {self._qualified}"])
        current = self._version(conn)  # again: another process may have migrated meanwhile
        if current == 0 and self._has_table(conn, "sessions"):
            raise SessionStoreCorruptError(
                f"session store {self._where}: a table named {self._qualified}sessions exists and "
                "is not a session store of this code (it has no schema version). Nothing was "
                "changed; choose another schema or table_prefix, or move that table away."
            )
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [self.schema]).fetchone() is None:
            conn.execute(self._sql.create_schema)
        conn.execute(self._sql.create_versions)
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in self._sql.migrations[version - 1]:
                conn.execute(statement)
            conn.execute(self._sql.add_version, [version])

    def _version(self, conn: psycopg.Connection[Any]) -> int:
        """The tables' schema version (0: none yet).

        Raises:
            SessionStoreSchemaError: a version newer than this code's.
        """
        if not self._has_table(conn, "schema_version"):
            return 0
        row = conn.execute(self._sql.current_version).fetchone()
        current = int(row[0]) if row is not None else 0
        if current > SCHEMA_VERSION:
            raise SessionStoreSchemaError(
                f"session store {self._where} has schema version {current}, newer than this "
                f"codex_local_sdk understands ({SCHEMA_VERSION}); upgrade codex-local-sdk to use it. "
                "Nothing was changed."
            )
        return current

    def _has_table(self, conn: psycopg.Connection[Any], name: str) -> bool:
        found = conn.execute(self._sql.table_exists, [self.schema, f"{self.table_prefix}{name}"])
        return found.fetchone() is not None

    @property
    def _qualified(self) -> str:
        return f"{self.schema}.{self.table_prefix}"

    @property
    def _where(self) -> str:
        return f"{self._connections.where} (tables {self._qualified}*)"

    # -- connections and errors -------------------------------------------------------------

    def _transaction(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``work(conn)`` in one transaction, its errors mapped to the store's.

        An idle connection may have died with its server (restarted, or a network blip):
        when the transaction's first statement fails on a dead connection, nothing was done
        yet, so it starts over once on a fresh one."""
        import psycopg

        for retry_if_stale in (True, False):
            with self._errors_mapped():
                conn = self._connections.checkout()
                begun = False
                try:
                    # Pipelined: each statement goes out at once; the replies are awaited
                    # only where a result is read.
                    with conn.pipeline(), conn.transaction():
                        conn.execute(self._sql.set_lock_timeout, [self._lock_timeout]).fetchone()
                        begun = True
                        return work(conn)
                except psycopg.OperationalError:
                    if begun or not retry_if_stale or not conn.broken:
                        raise
                    self._connections.forget_idle()
                finally:
                    self._connections.checkin(conn)
        raise AssertionError("unreachable: the second attempt returns or raises")

    @contextlib.contextmanager
    def _errors_mapped(self) -> Iterator[None]:
        import psycopg
        import psycopg.errors

        try:
            yield
        except psycopg.errors.LockNotAvailable:
            raise SessionStoreLockTimeout(
                f"session store {self._where}: another writer held the session's row longer than "
                f"lock_timeout_seconds ({self._lock_timeout_seconds:g} s). Retry later, or raise it."
            ) from None
        except psycopg.Error as exc:
            reason = self._connections.scrub(str(exc).strip()) or type(exc).__name__
            raise SessionStoreError(f"session store {self._where} failed: {reason}") from None


def _check_name(name: str) -> None:
    check_session_name(name)
    if "\x00" in name:
        raise ValueError(f"PostgreSQL cannot store a NUL character in a session name, got {name!r}")


def _check_schema(schema: str) -> str:
    if not isinstance(schema, str):
        raise TypeError(f"schema must be a str, got {schema!r}")
    if not schema.strip() or "\x00" in schema or len(schema.encode()) > 63:
        raise ValueError(f"schema must name a PostgreSQL schema (1 to 63 bytes, no NUL), got {schema!r}")
    return schema


def _check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str):
        raise TypeError(f"table_prefix must be a str, got {prefix!r}")
    # The longest table name, <prefix>schema_version, must fit PostgreSQL's 63 bytes.
    if (prefix and not _PREFIX.match(prefix)) or len(prefix) > 63 - len("schema_version"):
        raise ValueError(
            "table_prefix must be lower-case letters, digits and underscores, not starting with a "
            f"digit, at most 49 characters (e.g. 'codex_'), got {prefix!r}"
        )
    return prefix


def _check_seconds(what: str, seconds: float) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, got {seconds!r}")
    if not seconds >= 0:  # NaN too
        raise ValueError(f"{what} must be >= 0 (math.inf waits as long as it takes), got {seconds!r}")
    return float(seconds)


def _lock_timeout_setting(seconds: float) -> str:
    # PostgreSQL's lock_timeout: milliseconds, 0 disables it (waits forever); 0 s tries once.
    if seconds == math.inf:
        return "0"
    return f"{max(1, math.ceil(seconds * 1000))}ms"
