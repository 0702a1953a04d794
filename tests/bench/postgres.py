"""Figure 6's PostgreSQL entry: a throwaway, durable PostgreSQL server (default settings:
``fsync`` and ``synchronous_commit`` on), started on first use and stopped when the bench
exits, with a seeded database per size whose ``postgresql://`` URL any process opens with
``store_from_url``.
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import psycopg
from psycopg import sql

from adapters.postgres_store import PostgresSessionStore
from codex_local_sdk.sessions import SessionRecord
from codex_local_sdk.testing.store_rules import add_turn
from tests.postgres_server import throwaway_server


@contextlib.contextmanager
def postgres_databases() -> Iterator[Callable[[int], str]]:
    """A durable throwaway server; ``new_database(sessions)`` makes a database on it holding
    ``sessions`` records of one turn each (``session-0`` ...), and returns its URL."""
    with throwaway_server() as server:
        made = 0

        def new_database(sessions: int) -> str:
            nonlocal made
            made += 1
            name = f"bench_{made}"
            with psycopg.connect(server.dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            url = f"postgresql://postgres@/{name}?host={server.folder}"
            seed(url, sessions)
            return url

        yield new_database


def seed(url: str, sessions: int) -> None:
    """``sessions`` records of one turn each: one through the store, copied by the server."""
    with PostgresSessionStore(url) as store:
        add_turn(store, "session-0")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO codex_sessions (name, session_id, created_at, updated_at, last_turn_status, "
            "turn_count, success_count, failure_count, data) "
            "SELECT 'session-' || i, session_id, created_at, updated_at, last_turn_status, turn_count, "
            "success_count, failure_count, jsonb_set(data::jsonb, '{name}', to_jsonb('session-' || i))::json "
            "FROM codex_sessions, generate_series(1, %s) AS i WHERE name = 'session-0'",
            [sessions - 1],
        )
        conn.execute("VACUUM ANALYZE codex_sessions")


_server = contextlib.ExitStack()
_new_database: Callable[[int], str] | None = None


def postgres_store(_folder: Path, records: Mapping[str, SessionRecord]) -> str:
    """Figure 6's seed for ``PostgresSessionStore``: a new database on the bench's server
    holding as many one-turn sessions as ``records`` (named as they are), and its URL."""
    global _new_database
    if _new_database is None:
        _new_database = _server.enter_context(postgres_databases())
        atexit.register(_server.close)
    return _new_database(len(records))
