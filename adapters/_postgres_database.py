"""What the PostgreSQL adapters share: one deployment's tables in a database, reached through
its connections, changed in transactions whose errors are mapped to the SDK's, and made by
versioned migrations.

The migrations of a set of tables are recorded in one version table (a row per applied
version). The first transaction of an adapter applies the missing ones, or ``migrate()``
does it up front; an advisory lock lets one process migrate while the others wait. A version
newer than the code knows raises :class:`~codex_local_sdk.errors.SessionStoreSchemaError`, and
a table of the adapter's name without a version row (someone else's) raises
:class:`~codex_local_sdk.errors.SessionStoreCorruptError`; both leave the database as it was.

This module imports without psycopg; building a :class:`Database` needs it.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from codex_local_sdk.errors import (
    SessionStoreCorruptError,
    SessionStoreError,
    SessionStoreLockTimeout,
    SessionStoreSchemaError,
)

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql

T = TypeVar("T")

INSTALL_HINT = "pip install 'codex-local-sdk[postgres]'"

_PREFIX = re.compile(r"[a-z_][a-z0-9_]*\Z")
_SET_LOCK_TIMEOUT = "SELECT set_config('lock_timeout', %s, true)"


def require_psycopg(needed_by: str) -> None:
    """Nothing, if psycopg is installed.

    Raises:
        ImportError: it is not, naming ``needed_by`` and the extra that brings it.
    """
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{needed_by} needs psycopg 3, from the 'postgres' extra: {INSTALL_HINT}", name=exc.name
        ) from exc


class Database:
    """The tables of one adapter in one schema, under one prefix.

    Args:
        dsn_or_pool: a connection string or a ``psycopg_pool.ConnectionPool`` (see
            ``_postgres_connections.connections_for``).
        kind: what the adapter is, as messages name it (``"session store"``).
        schema: the PostgreSQL schema of the tables, created if missing.
        table_prefix: the start of the tables' names.
        versions: the version table's name after the prefix (``"schema_version"``).
        owned: the name after the prefix of a table the first migration makes: finding it
            with no version row means it is someone else's.
        migrations: the statements of each version, from 1 (the newest this code knows is
            their number).
        lock_timeout_seconds: how long a statement waits for a row another transaction locked.
        lock_timeout_message: what a :class:`SessionStoreLockTimeout` says, after the server.
        connect_timeout_seconds: how long to wait for a new connection (with a string).
    """

    def __init__(
        self,
        dsn_or_pool: object,
        *,
        kind: str,
        schema: str,
        table_prefix: str,
        versions: str,
        owned: str,
        migrations: Sequence[Sequence[sql.Composed]],
        lock_timeout_seconds: float,
        lock_timeout_message: str,
        connect_timeout_seconds: float,
    ) -> None:
        from psycopg import sql

        from ._postgres_connections import connections_for

        self.kind = kind
        self.schema = schema
        self.table_prefix = table_prefix
        self._owned = owned
        self._versions_name = versions
        self._versions = sql.Identifier(schema, f"{table_prefix}{versions}")
        self._lock_timeout = _lock_timeout_setting(lock_timeout_seconds)
        self._lock_timeout_message = lock_timeout_message
        self._connections = connections_for(dsn_or_pool, connect_timeout_seconds)
        self._migrations = migrations
        self._migration_lock = threading.Lock()
        self._migrated = False

    @property
    def server(self) -> str:
        """The server as messages name it (user, host, port, database; no password)."""
        return self._connections.where

    @property
    def where(self) -> str:
        """The server and the tables, as error messages name them."""
        return f"{self.server} (tables {self._qualified}*)"

    def close(self) -> None:
        """Close the connections made here (a pool given to it stays open)."""
        self._connections.close()

    @property
    def version(self) -> int:
        """The newest schema version this code knows (the number of migrations)."""
        return len(self._migrations)

    def migrate(self) -> int:
        """Bring the tables to :attr:`version`, unless this instance did already; that version."""
        if not self._migrated:
            with self._migration_lock:
                if not self._migrated:
                    self._transaction(self._migrate)
                    self._migrated = True
        return self.version

    def transaction(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``work(conn)`` in one transaction, once the tables are migrated; its errors mapped
        to :class:`SessionStoreError` and its family."""
        self.migrate()
        return self._transaction(work)

    def _transaction(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``work(conn)`` in one transaction, its errors mapped.

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
                        conn.execute(_SET_LOCK_TIMEOUT, [self._lock_timeout]).fetchone()
                        begun = True
                        return work(conn)
                except psycopg.OperationalError:
                    if begun or not retry_if_stale or not conn.broken:
                        raise
                    self._connections.forget_idle()
                finally:
                    self._connections.checkin(conn)
        raise AssertionError("unreachable: the second attempt returns or raises")

    # -- migrations -------------------------------------------------------------------------

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        """Apply the missing migrations; when there are none (the usual case), only read."""
        from psycopg import sql

        if self._version(conn) == self.version:
            return
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"codex_local_sdk {self._qualified}"])
        current = self._version(conn)  # again: another process may have migrated meanwhile
        if current == 0 and self._has_table(conn, self._owned):
            raise SessionStoreCorruptError(
                f"{self.kind} {self.where}: a table named {self._qualified}{self._owned} exists and "
                f"is not a {self.kind} of this code (it has no schema version). Nothing was "
                "changed; choose another schema or table_prefix, or move that table away."
            )
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [self.schema]).fetchone() is None:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} "
                "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            ).format(self._versions)
        )
        for version in range(current + 1, self.version + 1):
            for statement in self._migrations[version - 1]:
                conn.execute(statement)
            conn.execute(sql.SQL("INSERT INTO {} (version) VALUES (%s)").format(self._versions), [version])

    def _version(self, conn: psycopg.Connection[Any]) -> int:
        """The tables' schema version (0: none yet).

        Raises:
            SessionStoreSchemaError: a version newer than this code's.
        """
        from psycopg import sql

        if not self._has_table(conn, self._versions_name):
            return 0
        latest = sql.SQL("SELECT coalesce(max(version), 0) FROM {}").format(self._versions)
        row = conn.execute(latest).fetchone()
        current = int(row[0]) if row is not None else 0
        if current > self.version:
            raise SessionStoreSchemaError(
                f"{self.kind} {self.where} has schema version {current}, newer than this "
                f"codex_local_sdk understands ({self.version}); upgrade codex-local-sdk to use it. "
                "Nothing was changed."
            )
        return current

    def _has_table(self, conn: psycopg.Connection[Any], name: str) -> bool:
        found = conn.execute(
            "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s",
            [self.schema, f"{self.table_prefix}{name}"],
        )
        return found.fetchone() is not None

    @property
    def _qualified(self) -> str:
        return f"{self.schema}.{self.table_prefix}"

    # -- errors -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors_mapped(self) -> Iterator[None]:
        import psycopg
        import psycopg.errors

        try:
            yield
        except psycopg.errors.LockNotAvailable:
            raise SessionStoreLockTimeout(f"{self.kind} {self.where}: {self._lock_timeout_message}") from None
        except psycopg.Error as exc:
            reason = self._connections.scrub(str(exc).strip()) or type(exc).__name__
            raise SessionStoreError(f"{self.kind} {self.where} failed: {reason}") from None


def check_schema(schema: str) -> str:
    """``schema``, if it can name a PostgreSQL schema.

    Raises:
        TypeError: not a str.
        ValueError: empty, over 63 bytes, or holding a NUL.
    """
    if not isinstance(schema, str):
        raise TypeError(f"schema must be a str, got {schema!r}")
    if not schema.strip() or "\x00" in schema or len(schema.encode()) > 63:
        raise ValueError(f"schema must name a PostgreSQL schema (1 to 63 bytes, no NUL), got {schema!r}")
    return schema


def check_prefix(prefix: str, longest: str) -> str:
    """``prefix``, if ``<prefix><longest>`` (the longest table name) is a lower-case identifier
    that fits PostgreSQL's 63 bytes.

    Raises:
        TypeError: not a str.
        ValueError: not lower-case letters, digits and ``_``, or too long.
    """
    if not isinstance(prefix, str):
        raise TypeError(f"table_prefix must be a str, got {prefix!r}")
    most = 63 - len(longest)
    if (prefix and not _PREFIX.match(prefix)) or len(prefix) > most:
        raise ValueError(
            "table_prefix must be lower-case letters, digits and underscores, not starting with a "
            f"digit, at most {most} characters (e.g. 'codex_'), got {prefix!r}"
        )
    return prefix


def _lock_timeout_setting(seconds: float) -> str:
    # PostgreSQL's lock_timeout: milliseconds, 0 disables it (waits forever); 0 s tries once.
    if seconds == math.inf:
        return "0"
    return f"{max(1, math.ceil(seconds * 1000))}ms"
