"""``codex-local sessions list|show NAME|delete NAME|export|copy SRC_URL DST_URL``: the named
sessions of a store, read, removed, exported as JSON, or copied to another store."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from ..sessions import SessionRecord
from ._stores import add_store_option, open_store

COLUMNS = ("NAME", "THREAD", "TURNS", "OK", "FAILED", "LAST STATUS", "LAST USED")


def register(subparsers: Any) -> None:
    """Add ``sessions`` and its actions to the ``codex-local`` parser."""
    sessions = subparsers.add_parser("sessions", help="list, show, delete, export or copy named sessions")
    actions = sessions.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="a table of the store's sessions")
    show = actions.add_parser("show", help="one session's turns")
    show.add_argument("name", metavar="NAME")
    delete = actions.add_parser("delete", help="remove one session from the store")
    delete.add_argument("name", metavar="NAME")
    export = actions.add_parser("export", help="every record of the store as JSON, on stdout")
    for parser, handler in ((listing, list_sessions), (show, show_session), (delete, delete_session)):
        add_store_option(parser)
        parser.set_defaults(handler=handler)
    add_store_option(export)
    export.set_defaults(handler=export_sessions)
    copy = actions.add_parser("copy", help="copy every record of one store into another")
    copy.add_argument("source", metavar="SRC_URL")
    copy.add_argument("target", metavar="DST_URL")
    copy.set_defaults(handler=copy_sessions)


def list_sessions(args: argparse.Namespace) -> int:
    """Print a table of the store's sessions, by name."""
    rows = [COLUMNS, *(_row(record) for record in _records_by_name(args.store))]
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def show_session(args: argparse.Namespace) -> int:
    """Print one session and its kept turns."""
    with open_store(args.store) as store:
        record = store.get_record(args.name)
    if record is None:
        print(f"codex-local: no session named {args.name!r}", file=sys.stderr)
        return 1
    print(f"{record.name}  thread {record.session_id}  {record.turn_count} turns")
    for turn in record.turns:
        status = turn.turn_status or f"exit {turn.return_code}"
        print(f"{_when(turn.timestamp)}  {turn.operation}  {status}  {turn.prompt_preview!r}")
        if turn.message_preview:
            print(f"    -> {turn.message_preview}")
    return 0


def delete_session(args: argparse.Namespace) -> int:
    """Remove one session; exit 1 when there was none."""
    with open_store(args.store) as store:
        deleted = store.delete(args.name)
    if not deleted:
        print(f"codex-local: no session named {args.name!r}", file=sys.stderr)
        return 1
    print(f"deleted {args.name}")
    return 0


def export_sessions(args: argparse.Namespace) -> int:
    """Print every record as one JSON array."""
    import cattrs

    json.dump(cattrs.Converter().unstructure(_records_by_name(args.store)), sys.stdout, indent=2)
    print()
    return 0


def copy_sessions(args: argparse.Namespace) -> int:
    """Copy every record of SRC_URL into DST_URL (a name already there is replaced)."""
    with open_store(args.source) as source, open_store(args.target) as target:
        records = source.list_records()
        for record in records:
            target.set_record(record.name, record)
    print(f"copied {len(records)} sessions")
    return 0


def _records_by_name(url: str | None) -> list[SessionRecord]:
    with open_store(url) as store:
        return sorted(store.list_records(), key=lambda record: record.name)


def _row(record: SessionRecord) -> tuple[str, ...]:
    return (
        record.name,
        record.session_id,
        str(record.turn_count),
        str(record.success_count),
        str(record.failure_count),
        record.last_turn_status or "-",
        _when(record.updated_at),
    )


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
