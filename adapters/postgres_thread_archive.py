"""PostgresThreadArchive: threads' rollouts and leases in PostgreSQL, shared by workers on many
machines.

Needs psycopg 3, the ``postgres`` extra: ``pip install 'codex-local-sdk[postgres]'``. This
module imports without it; building an archive raises ``ImportError`` saying so.

Two tables in ``<schema>``, made by versioned migrations recorded in
``<table_prefix>thread_archive_version`` (as :class:`~adapters.postgres_store.PostgresSessionStore`
does its own, and beside them when both share a schema and prefix)::

    <table_prefix>thread_leases    a row per thread ever leased
        thread_id text PRIMARY KEY
        token bigint           -- the last lease's fencing token; the next lease takes token + 1
        holder text            -- who took it: host, pid and a random part
        expires_at timestamptz -- by the database's clock; '-infinity' once released

    <table_prefix>threads          a row per archived rollout: a restore reads one row
        thread_id text PRIMARY KEY
        path text              -- the rollout's path relative to CODEX_HOME
        data bytea             -- the whole rollout
        size bigint, digest bytea  -- its length and SHA-256
        token bigint           -- the lease token of the save that wrote it
        saved_at timestamptz

Leases expire by the database's clock (``now()``), so the workers' clocks need not agree. A
lease row stays when the lease is freed, or the rollout deleted: its token is where the next
lease counts on from.

A rollout only grows while a thread runs, so transfers move only what is new where they can:
a save whose archived rollout is the start of the local file (its first ``size`` bytes hash
to ``digest``) sends the appended bytes (``data = data || ...``), and a restore into a home
whose copy is the start of the archived one (checked in SQL, ``sha256(substring(data ...))``)
fetches the rest. Anything else moves the whole file: a local copy that diverged, even a
longer one, is replaced by the archived one. :attr:`PostgresThreadArchive.bytes_sent` and
:attr:`PostgresThreadArchive.bytes_received` count what moved.

SQL takes values as parameters only; the schema and table names are quoted identifiers.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from codex_local_sdk.errors import SessionStoreCorruptError
from codex_local_sdk.ports import ThreadLease

from ._postgres_database import Database, check_prefix, check_schema, require_psycopg
from ._postgres_thread_schema import SCHEMA_VERSION, VERSIONS, statements
from .store_base import check_seconds, write_atomically
from .thread_archive import (
    LeaseRenewals,
    check_lease_time,
    check_thread_id,
    lost_lease_error,
    resolve_home,
    rollout_to_save,
)

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool


class PostgresThreadArchive:
    """A :class:`~codex_local_sdk.ports.ThreadArchive` in a PostgreSQL database.

    Every method may raise :class:`~codex_local_sdk.errors.SessionStoreError`, naming the
    server and the reason, never the password (the server cannot be reached, refused the
    login, or failed the statement), as :class:`~adapters.postgres_store.PostgresSessionStore`
    does; :class:`~codex_local_sdk.errors.SessionStoreLockTimeout` when another worker held a
    thread's row too long; and, on first use,
    :class:`~codex_local_sdk.errors.SessionStoreSchemaError` or
    :class:`~codex_local_sdk.errors.SessionStoreCorruptError` (see the module).

    Args:
        dsn_or_pool: a connection string (``"postgresql://user:pw@host/db"`` or
            ``"host=... dbname=..."``), or a ``psycopg_pool.ConnectionPool`` the caller owns
            and closes, as for ``PostgresSessionStore``.
        schema: the PostgreSQL schema of the tables, created if missing.
        table_prefix: the start of the tables' names (lower-case letters, digits, ``_``).
        lease_seconds: how long a lease lasts unless renewed, by the database's clock; the
            archive renews the leases it gave every third of it, in a background thread.
        lease_wait_seconds: how long a turn waits for another worker's lease.
        lock_timeout_seconds: how long a lease change or a save waits for another worker's
            transaction on the same thread (``math.inf``: as long as it takes).
        connect_timeout_seconds: how long to wait for a new connection (with a string).

    Attributes:
        schema: as given.
        table_prefix: as given.
        holder: how this archive names itself in the leases it takes (host, pid, a random part).
        bytes_sent: the rollout bytes its saves sent to the database so far.
        bytes_received: the rollout bytes its restores fetched from the database so far.
        SCHEMA_VERSION: the table layout this archive makes, and the newest it reads.

    Raises:
        ImportError: psycopg is not installed (the ``postgres`` extra).
        ValueError: a malformed connection string, an empty ``schema``, a ``table_prefix``
            that is not a lower-case identifier, a lease time that is not a finite number
            > 0 (``lease_wait_seconds`` may be 0), or a negative or NaN timeout.
        TypeError: an argument of the wrong type.
    """

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION

    def __init__(
        self,
        dsn_or_pool: str | ConnectionPool[psycopg.Connection[Any]],
        *,
        schema: str = "public",
        table_prefix: str = "codex_",
        lease_seconds: float = 60.0,
        lease_wait_seconds: float = 30.0,
        lock_timeout_seconds: float = 10.0,
        connect_timeout_seconds: float = 10.0,
    ) -> None:
        require_psycopg("PostgresThreadArchive")
        self.schema = check_schema(schema)
        self.table_prefix = check_prefix(table_prefix, longest=VERSIONS)
        self.lease_seconds = check_lease_time("lease_seconds", lease_seconds, may_be_zero=False)
        self.lease_wait_seconds = check_lease_time("lease_wait_seconds", lease_wait_seconds, may_be_zero=True)
        lock_timeout = check_seconds("lock_timeout_seconds", lock_timeout_seconds)
        self._sql, migrations = statements(schema, table_prefix)
        self._database = Database(
            dsn_or_pool,
            kind="thread archive",
            schema=schema,
            table_prefix=table_prefix,
            versions=VERSIONS,
            owned="threads",
            migrations=migrations,
            lock_timeout_seconds=lock_timeout,
            lock_timeout_message=(
                "another worker held the thread's row longer than "
                f"lock_timeout_seconds ({lock_timeout:g} s). Retry later, or raise it."
            ),
            connect_timeout_seconds=check_seconds("connect_timeout_seconds", connect_timeout_seconds),
        )
        self.holder = f"{socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:8]}"
        self.bytes_sent = 0
        self.bytes_received = 0
        self._mutex = threading.Lock()
        self._renewals = LeaseRenewals(self.renew, self.lease_seconds)

    def __repr__(self) -> str:
        return (
            f"PostgresThreadArchive({self._database.server!r}, schema={self.schema!r}, "
            f"table_prefix={self.table_prefix!r})"
        )

    def __enter__(self) -> PostgresThreadArchive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop renewing leases, and close the connections this archive made (a pool given to
        it stays open). Leases still held expire after ``lease_seconds``."""
        self._renewals.stop_all()
        self._database.close()

    def migrate(self) -> int:
        """Create or upgrade the tables now, rather than on first use.

        Returns:
            The schema version the tables now have (:attr:`SCHEMA_VERSION`).

        Raises:
            SessionStoreSchemaError: the tables are from a newer version of this code.
            SessionStoreCorruptError: a table of the archive's name exists and is not its own.
            SessionStoreError: the server cannot be reached, or refused (permissions).
        """
        return self._database.migrate()

    # -- leases ------------------------------------------------------------------------------

    def acquire(self, thread_id: str) -> ThreadLease | None:
        """Take the lease on ``thread_id`` and renew it in the background until :meth:`release`;
        ``None`` while another worker holds it."""
        params = {"thread": check_thread_id(thread_id), "holder": self.holder, "seconds": self.lease_seconds}
        row = self._database.transaction(lambda conn: conn.execute(self._sql["acquire"], params).fetchone())
        if row is None:
            return None
        lease = ThreadLease(thread_id=thread_id, token=int(row[0]))
        self._renewals.start(lease)
        return lease

    def renew(self, lease: ThreadLease) -> bool:
        """Extend ``lease`` by ``lease_seconds``; ``False`` if it was lost: released, or taken
        by another worker (a lease that expired while the database was away is renewed if
        nobody took the thread meanwhile: its token is still the last)."""
        params = {**_lease_params(lease), "seconds": self.lease_seconds}
        row = self._database.transaction(lambda conn: conn.execute(self._sql["renew"], params).fetchone())
        return row is not None

    def release(self, lease: ThreadLease) -> None:
        """Stop renewing ``lease`` and free its thread (nothing if it was lost already)."""
        self._renewals.stop(lease)
        self._database.transaction(lambda conn: conn.execute(self._sql["release"], _lease_params(lease)))

    # -- rollouts ----------------------------------------------------------------------------

    def restore(self, thread_id: str, codex_home: str | None) -> int | None:
        """Bring the archived rollout of ``thread_id`` into ``codex_home``, at the same relative
        path, where it is missing or differs there: only the missing end when the local copy
        is the start of the archived one, else the whole of it.

        Returns:
            The size of the rollout written (``bytes_received`` counts what was fetched), or
            ``None`` when nothing needed copying (no archived rollout, or the same one there
            already).
        """
        params: dict[str, Any] = {"thread": check_thread_id(thread_id)}
        summary = self._query("summary", params)
        if summary is None:
            return None
        home = resolve_home(codex_home)
        held = _read(os.path.join(home, _checked_path(summary[0], thread_id)))
        if held is not None:
            params.update(n=len(held), digest=hashlib.sha256(held).digest())
            if (len(held), params["digest"]) == (summary[1], bytes(summary[2])):
                return None
        fetched = self._query("fetch" if held is None else "fetch_after", params)
        if fetched is None:  # deleted meanwhile
            return None
        path, data, appends = fetched[0], bytes(fetched[1]), fetched[2]
        if appends and not data:  # the same by now
            return None
        content = held + data if appends and held else data
        write_atomically(os.path.join(home, _checked_path(path, thread_id)), content)
        with self._mutex:
            self.bytes_received += len(data)
        return len(content)

    def save(self, lease: ThreadLease, codex_home: str | None) -> int | None:
        """Copy the rollout of ``lease.thread_id`` out of ``codex_home`` in one transaction:
        only the appended bytes when the archived rollout is the start of it, else the whole.

        Returns:
            The rollout's size, or ``None`` when ``codex_home`` holds no rollout of that thread.

        Raises:
            CodexThreadBusyError: ``lease`` was lost (it expired, or another worker took the
                thread); the archive is left as it was.
        """
        found = rollout_to_save(codex_home, lease.thread_id)
        if found is None:
            return None
        relative, content = found
        sent = self._database.transaction(lambda conn: self._save(conn, lease, relative, content))
        with self._mutex:
            self.bytes_sent += sent
        return len(content)

    def threads(self) -> list[str]:
        """The ids of every archived thread, sorted."""
        rows = self._database.transaction(lambda conn: conn.execute(self._sql["threads"]).fetchall())
        return [thread for (thread,) in rows]

    def delete(self, thread_id: str) -> bool:
        """Forget the archived rollout of ``thread_id``; ``True`` if there was one. Its lease
        row stays, so a later lease on the thread still gets a larger token."""
        return self._query("delete", {"thread": check_thread_id(thread_id)}) is not None

    # -- internals ---------------------------------------------------------------------------

    def _query(self, name: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row of the statement ``name``, in a transaction of its own."""
        return self._database.transaction(lambda conn: conn.execute(self._sql[name], params).fetchone())

    def _save(self, conn: psycopg.Connection[Any], lease: ThreadLease, relative: str, content: bytes) -> int:
        """Write ``content`` as the thread's rollout under ``lease``, its lease row locked; the
        bytes sent."""
        params: dict[str, Any] = _lease_params(lease)
        held = conn.execute(self._sql["lock_lease"], params).fetchone()
        if held is None or not held[0]:
            raise lost_lease_error(lease)
        archived = conn.execute(self._sql["summary"], params).fetchone()
        digest, start = _digest_after(content, relative, archived)
        params.update(path=relative, size=len(content), digest=digest)
        if start is None:
            conn.execute(self._sql["put"], {**params, "data": content})
            return len(content)
        appended = content[start:]
        if appended:  # else unchanged: an update would still rewrite the whole value
            conn.execute(self._sql["append"], {**params, "data": appended})
        return len(appended)


def _lease_params(lease: ThreadLease) -> dict[str, Any]:
    return {"thread": lease.thread_id, "token": lease.token}


def _digest_after(
    content: bytes, relative: str, archived: tuple[Any, ...] | None
) -> tuple[bytes, int | None]:
    """The sha256 of ``content`` and, when ``content`` at ``relative`` is the ``archived``
    rollout (path, size, digest) with bytes appended (or none), where those bytes start; the
    content is hashed once, its archived part first."""
    digest = hashlib.sha256()
    if archived is None or archived[0] != relative or archived[1] > len(content):
        digest.update(content)
        return digest.digest(), None
    size = archived[1]
    digest.update(memoryview(content)[:size])
    extends = digest.digest() == bytes(archived[2])
    digest.update(memoryview(content)[size:])
    return digest.digest(), size if extends else None


def _checked_path(path: str, thread_id: str) -> str:
    """``path``, the archived relative path of a rollout of ``thread_id``, if it stays inside
    ``CODEX_HOME`` where the CLI keeps rollouts (``sessions/YYYY/MM/DD/rollout-*-<id>.jsonl``).

    Raises:
        SessionStoreCorruptError: it does not (a row that this code did not write).
    """
    parts = path.split("/")
    if (
        len(parts) != 5
        or parts[0] != "sessions"
        or any(part in ("", ".", "..") for part in parts)
        or not parts[-1].endswith(f"-{thread_id}.jsonl")
    ):
        raise SessionStoreCorruptError(
            f"the archived rollout of {thread_id!r} has a path outside sessions/: {path!r}. The row "
            "was not written by this archive; delete it, or repair its path."
        )
    return os.path.join(*parts)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return None
