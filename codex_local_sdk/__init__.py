"""codex_local_sdk: drive the Codex CLI (``codex exec``) from Python.

Sync and async runs, live event streaming, retries and timeouts, named sessions that persist
across processes, and telemetry hooks. Start with :class:`CodexLocalClient`.
"""

from typing import TYPE_CHECKING, Any

from ._adapters_check import ensure_own_adapters

ensure_own_adapters()

from .client import CodexLocalClient
from .errors import (
    CodexError,
    CodexExecFailedError,
    CodexNotInstalledError,
    CodexOutputTooLargeError,
    CodexSessionError,
    CodexSpawnError,
    CodexThreadBusyError,
    CodexTimeoutError,
    CodexUnknownThreadError,
    SessionStoreCorruptError,
    SessionStoreError,
    SessionStoreLockTimeout,
    SessionStoreSchemaError,
)
from .events import CodexClientEvent, CodexEvent
from .live import AsyncCodexLiveRun, CodexLiveRun
from .models import CodexExecRequest, CodexExecResult, RetryPolicy, SandboxMode, Usage
from .ports import (
    AsyncProcessHandle,
    Clock,
    EventSink,
    ProcessHandle,
    ProcessRunner,
    ProcessSpec,
    SessionStore,
)
from .sessions import SessionRecord, SessionTurnRecord
from .thread import CodexThreadSession

if TYPE_CHECKING:
    from adapters.json_file_store import JsonFileSessionStore
    from adapters.memory_store import InMemorySessionStore

_STORES = {
    "InMemorySessionStore": "adapters.memory_store",
    "JsonFileSessionStore": "adapters.json_file_store",
}


def __getattr__(name: str) -> Any:
    # The two stores live in adapters/, which imports this package's modules: importing them
    # on first use keeps `import adapters.memory_store` from meeting a half-built package.
    if name in _STORES:
        import importlib

        return getattr(importlib.import_module(_STORES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AsyncCodexLiveRun",
    "AsyncProcessHandle",
    "Clock",
    "CodexClientEvent",
    "CodexError",
    "CodexEvent",
    "CodexExecFailedError",
    "CodexExecRequest",
    "CodexExecResult",
    "CodexLiveRun",
    "CodexLocalClient",
    "CodexNotInstalledError",
    "CodexOutputTooLargeError",
    "CodexSessionError",
    "CodexSpawnError",
    "CodexThreadBusyError",
    "CodexThreadSession",
    "CodexTimeoutError",
    "CodexUnknownThreadError",
    "EventSink",
    "InMemorySessionStore",
    "JsonFileSessionStore",
    "ProcessHandle",
    "ProcessRunner",
    "ProcessSpec",
    "RetryPolicy",
    "SandboxMode",
    "SessionRecord",
    "SessionStore",
    "SessionStoreCorruptError",
    "SessionStoreError",
    "SessionStoreLockTimeout",
    "SessionStoreSchemaError",
    "SessionTurnRecord",
    "Usage",
]
