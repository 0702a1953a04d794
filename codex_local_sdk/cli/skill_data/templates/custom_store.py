"""A session store of your own: session records as JSON text in any key-value backend.

``KeyValueSessionStore`` keeps each record under its session name in a
``MutableMapping[str, str]``: a dict here; your database, cache or key-value service in
production. ``test_the_store_keeps_the_contract`` checks it against every rule the client
relies on (run it with pytest, or call it).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import MutableMapping
from typing import Any

import attrs
import cattrs

from codex_local_sdk import Clock, CodexLocalClient, ProcessRunner, SessionRecord
from codex_local_sdk.ports import RecordUpdate

_converter = cattrs.Converter()  # SessionRecord <-> JSON-ready dicts


class KeyValueSessionStore:
    """A :class:`codex_local_sdk.SessionStore` on a key-value backend.

    Args:
        backend: where the records live, as JSON text by session name.
        max_turn_history: how many recent turns each record keeps (its counters count all).
    """

    def __init__(self, backend: MutableMapping[str, str], *, max_turn_history: int = 50) -> None:
        if max_turn_history < 0:
            raise ValueError(f"max_turn_history must be >= 0, got {max_turn_history}")
        self.max_turn_history = max_turn_history
        self._backend = backend
        # One writer at a time in this process. Shared by several processes, make update()
        # one transaction of your backend instead (a row lock, a compare-and-set loop).
        self._lock = threading.Lock()

    def update(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        """The one atomic read-modify-write: the client records every turn through it."""
        _check(name)
        with self._lock:
            text = self._backend.get(name)
            record = fn(_decode(text) if text is not None else None)
            if record is None:
                self._backend.pop(name, None)
                return None
            keep = self.max_turn_history  # the latest turns; the counters count all of them
            record = attrs.evolve(record, turns=record.turns[-keep:] if keep else ())
            self._backend[name] = _encode(record)
            return record

    def get_record(self, name: str) -> SessionRecord | None:
        _check(name)
        text = self._backend.get(name)
        return _decode(text) if text is not None else None

    def set_record(self, name: str, record: SessionRecord) -> None:
        self.update(name, lambda _: record)

    def list_records(self) -> list[SessionRecord]:
        return [_decode(text) for _, text in sorted(dict(self._backend).items())]

    def get(self, name: str) -> str | None:
        record = self.get_record(name)
        return record.session_id if record is not None else None

    def set(self, name: str, session_id: str) -> None:
        _check(session_id, "session_id")  # a blank thread id would reach the CLI on the next resume
        now = time.time()

        def point(record: SessionRecord | None) -> SessionRecord:
            if record is None:
                return SessionRecord(name=name, session_id=session_id, created_at=now, updated_at=now)
            # another thread now: the old thread's token total says nothing about it
            return attrs.evolve(record, session_id=session_id, updated_at=now, last_usage=None)

        self.update(name, point)

    def delete(self, name: str) -> bool:
        existed = False

        def remove(record: SessionRecord | None) -> None:
            nonlocal existed
            existed = record is not None

        self.update(name, remove)
        return existed

    def all(self) -> dict[str, str]:
        return {record.name: record.session_id for record in self.list_records()}


def _check(value: str, what: str = "session name") -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"a {what} must be a non-empty string, got {value!r}")


def _encode(record: SessionRecord) -> str:
    return json.dumps(_converter.unstructure(record))


def _decode(text: str) -> SessionRecord:
    return _converter.structure(json.loads(text), SessionRecord)


def make_store(**options: Any) -> KeyValueSessionStore:
    """A new, empty store (the factory the store contract calls)."""
    return KeyValueSessionStore({}, **options)


def test_the_store_keeps_the_contract() -> None:
    from codex_local_sdk.testing import check_session_store

    check_session_store(make_store)  # AssertionError naming the first rule broken


def make_client(*, runner: ProcessRunner | None = None, clock: Clock | None = None) -> CodexLocalClient:
    """The client, with sessions in a :class:`KeyValueSessionStore`."""
    return CodexLocalClient(
        codex_bin=os.environ.get("CODEX_BIN", "codex"), session_store=make_store(), runner=runner, clock=clock
    )


def main(client: CodexLocalClient | None = None) -> int:
    client = client or make_client()
    client.start_thread("Remember: the release is on Friday.", session_name="release", timeout_seconds=300)
    result = client.resume("When is the release?", session_name="release", timeout_seconds=300)
    print(f"codex: {result.final_message}")
    record = client.get_session_record("release")
    if record is not None:
        print(f"release: thread {record.session_id}, {record.turn_count} turns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
