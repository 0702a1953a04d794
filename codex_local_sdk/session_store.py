"""codex-local-sdk-python 0.1.4's module path for its records and stores; they live in
:mod:`codex_local_sdk.sessions`, :mod:`codex_local_sdk.ports` and the ``adapters``
package."""

from __future__ import annotations

from adapters.json_file_store import JsonFileSessionStore
from adapters.memory_store import InMemorySessionStore

from .ports import SessionStore
from .sessions import SessionRecord, SessionTurnRecord

__all__ = [
    "InMemorySessionStore",
    "JsonFileSessionStore",
    "SessionRecord",
    "SessionStore",
    "SessionTurnRecord",
]
