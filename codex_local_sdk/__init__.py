"""codex_local_sdk: drive the Codex CLI (``codex exec``) from Python.

Sync and async runs, live event streaming, retries and timeouts, named sessions that persist
across processes, and telemetry hooks. Start with :class:`CodexLocalClient`.
"""

from ._adapters_check import ensure_own_adapters

ensure_own_adapters()

from adapters.json_file_store import JsonFileSessionStore  # noqa: E402
from adapters.memory_store import InMemorySessionStore  # noqa: E402

from .client import CodexLocalClient  # noqa: E402
from .errors import (  # noqa: E402
    CodexError,
    CodexExecFailedError,
    CodexNotInstalledError,
    CodexSessionError,
    CodexSpawnError,
    CodexTimeoutError,
    CodexUnknownThreadError,
    SessionStoreCorruptError,
    SessionStoreError,
    SessionStoreLockTimeout,
    SessionStoreSchemaError,
)
from .events import CodexClientEvent, CodexEvent  # noqa: E402
from .live import AsyncCodexLiveRun, CodexLiveRun  # noqa: E402
from .models import CodexExecRequest, CodexExecResult, RetryPolicy, SandboxMode, Usage  # noqa: E402
from .ports import (  # noqa: E402
    AsyncProcessHandle,
    Clock,
    EventSink,
    ProcessHandle,
    ProcessRunner,
    ProcessSpec,
    SessionStore,
)
from .sessions import SessionRecord, SessionTurnRecord  # noqa: E402
from .thread import CodexThreadSession  # noqa: E402

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
    "CodexSessionError",
    "CodexSpawnError",
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
