"""InMemorySessionStore: a thread-safe session store that lives as long as the process."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from codex_local_sdk.ports import Clock, RecordUpdate
from codex_local_sdk.sessions import SessionRecord

from .store_base import SessionStoreBase


class InMemorySessionStore(SessionStoreBase):
    """Keeps session records in a dict, behind one lock.

    Args:
        initial: sessions to start with, ``{name: session_id}`` (as ``set`` saves them).
        max_turn_history: how many recent turns each record keeps (counters count all).
        clock: where ``set`` reads the time for the record's timestamps.

    Raises:
        ValueError: a negative ``max_turn_history``, or a blank name or thread id in ``initial``.
        TypeError: ``initial`` is not a mapping, a ``max_turn_history`` that is not an ``int``,
            or a ``clock`` that is not a :class:`~codex_local_sdk.ports.Clock`.
    """

    def __init__(
        self,
        initial: Mapping[str, str] | None = None,
        max_turn_history: int = 50,
        *,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(max_turn_history=max_turn_history, clock=clock)
        if initial is not None and not isinstance(initial, Mapping):
            raise TypeError(f"initial must be a mapping of session names to thread ids, got {initial!r}")
        self._records: dict[str, SessionRecord] = {}
        self._lock = threading.Lock()
        for name, session_id in (initial or {}).items():
            self.set(name, session_id)

    def _snapshot(self) -> Mapping[str, SessionRecord]:
        with self._lock:
            return dict(self._records)

    def _replace(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        with self._lock:
            record = fn(self._records.get(name))
            if record is None:
                self._records.pop(name, None)
            else:
                self._records[name] = record
            return record
