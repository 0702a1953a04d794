"""Where PostgresSessionStore gets its connections: made from a connection string, or taken
from a ``psycopg_pool.ConnectionPool`` its caller owns; and how errors name the server.

Imported only once psycopg is known to be installed.
"""

from __future__ import annotations

import abc
import math
import threading
import weakref
from typing import TYPE_CHECKING, Any, TypeGuard

import psycopg
from psycopg.conninfo import conninfo_to_dict

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

KEEP_IDLE = 8
"""How many idle connections a store that connects by itself keeps for reuse."""


class ConnectionSource(abc.ABC):
    """Lends connections: ``checkout`` one, use it, ``checkin`` it (also when it broke).

    Attributes:
        where: the server as messages name it (user, host, port, database; no password).
    """

    def __init__(self, dsn: str, password: str = "") -> None:
        self.where, dsn_password = _describe(dsn)
        self._password = password or dsn_password

    @abc.abstractmethod
    def checkout(self) -> psycopg.Connection[Any]:
        """A connection, new or idle (which may have died since: the caller finds out)."""

    @abc.abstractmethod
    def checkin(self, conn: psycopg.Connection[Any]) -> None:
        """Take ``conn`` back after use."""

    @abc.abstractmethod
    def forget_idle(self) -> None:
        """Drop the idle connections: one of them was found dead, so the rest may be too."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close what this source opened."""

    def scrub(self, text: str) -> str:
        """``text`` with the password, should it appear, masked."""
        return text.replace(self._password, "***") if self._password else text


class Connections(ConnectionSource):
    """Connections to one DSN, made when needed and a few kept idle for reuse (a pool would
    wait out its timeout on a server that is down, and not say why)."""

    def __init__(self, dsn: str, connect_timeout: float) -> None:
        super().__init__(dsn)
        self._dsn = dsn
        self._options = _connect_options(connect_timeout)
        self._idle: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        # A store dropped without close() closes its idle connections too.
        weakref.finalize(self, _close_all, self._idle)

    def checkout(self) -> psycopg.Connection[Any]:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return psycopg.connect(self._dsn, **self._options)

    def checkin(self, conn: psycopg.Connection[Any]) -> None:
        if not conn.closed and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            with self._lock:
                if len(self._idle) < KEEP_IDLE:
                    self._idle.append(conn)
                    return
        conn.close()

    def forget_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        _close_all(idle)

    def close(self) -> None:
        self.forget_idle()


class PoolConnections(ConnectionSource):
    """Connections from a ``psycopg_pool.ConnectionPool`` the caller owns."""

    def __init__(self, pool: ConnectionPool[psycopg.Connection[Any]], connect_timeout: float) -> None:
        conninfo, options = _pool_target(pool)
        super().__init__(conninfo, str(options.get("password") or ""))
        self._pool = pool
        self._connect_timeout = connect_timeout

    def checkout(self) -> psycopg.Connection[Any]:
        import psycopg_pool

        try:
            return self._pool.getconn()
        except psycopg_pool.PoolTimeout:
            raise self._why_no_connection() from None

    def checkin(self, conn: psycopg.Connection[Any]) -> None:
        self._pool.putconn(conn)

    def forget_idle(self) -> None:
        self._pool.check()

    def close(self) -> None:
        """Nothing: the pool is its owner's to close."""

    def _why_no_connection(self) -> Exception:
        """The pool only says it timed out: one connection of our own says why."""
        waited = f"pool {self._pool.name!r} gave no connection within {self._pool.timeout} s"
        conninfo, options = _pool_target(self._pool)
        try:
            psycopg.connect(conninfo, **{**options, **_connect_options(self._connect_timeout)}).close()
        except psycopg.OperationalError as exc:
            return psycopg.OperationalError(f"{waited}: {exc}")
        return psycopg.OperationalError(f"{waited}, all its {self._pool.max_size} connections in use")


def _close_all(connections: list[psycopg.Connection[Any]]) -> None:
    for conn in connections:
        conn.close()


def connections_for(dsn_or_pool: object, connect_timeout: float) -> ConnectionSource:
    """The source for a connection string or a ``psycopg_pool.ConnectionPool``.

    Raises:
        TypeError: ``dsn_or_pool`` is neither.
        ValueError: a malformed connection string.
    """
    if isinstance(dsn_or_pool, str):
        return Connections(dsn_or_pool, connect_timeout)
    if _is_pool(dsn_or_pool):
        return PoolConnections(dsn_or_pool, connect_timeout)
    raise TypeError(
        "dsn_or_pool must be a connection string (postgresql://user@host/db) or a "
        f"psycopg_pool.ConnectionPool, got {type(dsn_or_pool).__name__}"
    )


def _is_pool(value: object) -> TypeGuard[ConnectionPool[psycopg.Connection[Any]]]:
    try:
        from psycopg_pool import ConnectionPool
    except ImportError:
        return False
    return isinstance(value, ConnectionPool)


def _pool_target(pool: ConnectionPool[psycopg.Connection[Any]]) -> tuple[str, dict[str, Any]]:
    """What ``pool`` connects to: its connection string and options (either may be a callable)."""
    conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
    options = pool.kwargs() if callable(pool.kwargs) else pool.kwargs
    return conninfo, dict(options or {})


def _describe(dsn: str) -> tuple[str, str]:
    """How the messages name the server (user, host, port, database; never the password),
    and the password, to scrub from the messages."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:  # the parser's words, not the DSN's text
        raise ValueError(f"dsn_or_pool is not a PostgreSQL connection string: {exc}") from None
    host = str(params.get("host") or params.get("hostaddr") or "the local socket")
    port = f":{params['port']}" if params.get("port") else ""
    user = f"{params['user']}@" if params.get("user") else ""
    database = f"/{params['dbname']}" if params.get("dbname") else ""
    return f"postgresql {user}{host}{port}{database}", str(params.get("password") or "")


def _connect_options(connect_timeout: float) -> dict[str, Any]:
    # libpq takes whole seconds, and 0 means "wait forever": at least 1.
    return {"connect_timeout": max(1, math.ceil(connect_timeout)) if connect_timeout < math.inf else 0}
