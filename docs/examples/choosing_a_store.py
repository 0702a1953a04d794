"""A store named by configuration, and sessions moved from a JSON file into SQLite.

`store_from_url` reads one string (an environment variable, a command-line flag, a line of a
configuration file); `copy_sessions` is the whole migration between two stores.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from codex_local_sdk import CodexLocalClient, SessionStore, store_from_url


def copy_sessions(source: SessionStore, target: SessionStore) -> int:
    """Copy every record of ``source`` into ``target`` (same names, counters and turns)."""
    records = source.list_records()
    for record in records:
        target.set_record(record.name, record)
    return len(records)


def make_client(**ports: Any) -> CodexLocalClient:
    """The client, with sessions where ``CODEX_SESSION_STORE`` says (SQLite by default)."""
    url = os.environ.get("CODEX_SESSION_STORE", "sqlite:sessions.db")
    return CodexLocalClient(session_store=store_from_url(url), **ports)


def main(folder: str = ".") -> None:
    json_store = store_from_url(f"json:{folder}/sessions.json")
    sqlite_store = store_from_url(f"sqlite:{folder}/sessions.db")
    copied = copy_sessions(json_store, sqlite_store)
    print(f"copied {copied} sessions: {sorted(sqlite_store.all())}")
    record = sqlite_store.get_record("ticket-4711")
    if record is not None:
        print(f"ticket-4711: {record.turn_count} turns, {len(record.turns)} kept")


if __name__ == "__main__":
    main(*sys.argv[1:])
