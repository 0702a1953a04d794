"""InMemorySessionStore: a thread-safe session store that lives as long as the process."""

from __future__ import annotations

import threading

from codex_local_sdk.ports import Clock, RecordUpdate
from codex_local_sdk.sessions import SessionRecord, bound_history, check_session_name, with_session_id

from .clock import SystemClock


class InMemorySessionStore:
    """Keeps session records in a dict, behind one lock.

    Args:
        max_turn_history: how many recent turns each record keeps (counters count all).
        clock: where ``set`` reads the time for the record's timestamps.
    """

    def __init__(self, *, max_turn_history: int = 50, clock: Clock | None = None) -> None:
        if max_turn_history < 0:
            raise ValueError(f"max_turn_history must be >= 0, got {max_turn_history}")
        self.max_turn_history = max_turn_history
        self._clock = clock if clock is not None else SystemClock()
        self._records: dict[str, SessionRecord] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        """The thread id saved under ``name``, or ``None``."""
        record = self.get_record(name)
        return record.session_id if record is not None else None

    def set(self, name: str, session_id: str) -> None:
        """Save ``session_id`` under ``name``, keeping the record's history and counters."""
        now = self._clock.time()
        self.update(name, lambda record: with_session_id(record, name, session_id, now))

    def delete(self, name: str) -> bool:
        """Forget ``name``; ``True`` if it existed."""
        with self._lock:
            return self._records.pop(check_session_name(name), None) is not None

    def all(self) -> dict[str, str]:
        """Every name and its thread id."""
        with self._lock:
            return {name: record.session_id for name, record in self._records.items()}

    def get_record(self, name: str) -> SessionRecord | None:
        """The record saved under ``name``, or ``None``."""
        with self._lock:
            return self._records.get(check_session_name(name))

    def set_record(self, name: str, record: SessionRecord) -> None:
        """Save ``record`` under ``name``, its history cut to ``max_turn_history``."""
        self.update(name, lambda _: record)

    def list_records(self) -> list[SessionRecord]:
        """Every record, sorted by name."""
        with self._lock:
            return [self._records[name] for name in sorted(self._records)]

    def update(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        """Replace the record under ``name`` by ``fn(current)`` atomically (``None`` deletes)."""
        check_session_name(name)
        with self._lock:
            record = fn(self._records.get(name))
            if record is None:
                self._records.pop(name, None)
                return None
            record = bound_history(record, self.max_turn_history)
            self._records[name] = record
            return record
