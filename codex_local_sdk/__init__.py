"""codex_local_sdk: drive the Codex CLI (``codex exec``) from Python.

Sync and async runs, live event streaming, retries and timeouts, named sessions that persist
across processes, and telemetry hooks. Start with :class:`CodexLocalClient`.

Every name below is imported on first use (PEP 562), so ``import codex_local_sdk`` costs
little and a name pays only for the modules it needs.
"""

from __future__ import annotations

from ._adapters_check import ensure_no_namesake_distribution, ensure_own_adapters

ensure_no_namesake_distribution()
ensure_own_adapters()

TYPE_CHECKING = False  # as typing's, which type checkers read as True; `import typing` costs more
if TYPE_CHECKING:
    from typing import Any

    from adapters.json_file_store import JsonFileSessionStore
    from adapters.memory_store import InMemorySessionStore
    from adapters.otel_sink import OpenTelemetrySink
    from adapters.postgres_store import PostgresSessionStore
    from adapters.postgres_thread_archive import PostgresThreadArchive
    from adapters.sqlite_store import SqliteSessionStore
    from adapters.store_url import store_from_url
    from adapters.thread_archive import DirectoryThreadArchive

    from .activity import TurnProgress
    from .client import CodexLocalClient
    from .errors import (
        CodexAuthError,
        CodexError,
        CodexExecFailedError,
        CodexNotInstalledError,
        CodexOutputError,
        CodexOutputTooLargeError,
        CodexRateLimitError,
        CodexSessionError,
        CodexSpawnError,
        CodexThreadBusyError,
        CodexTimeoutError,
        CodexUnknownThreadError,
        CodexUnsupportedCliError,
        CodexUnsupportedOptionError,
        CodexUsageLimitError,
        SessionStoreCorruptError,
        SessionStoreError,
        SessionStoreLockTimeout,
        SessionStoreSchemaError,
        ThreadArchiveError,
    )
    from .events import CodexClientEvent, CodexEvent, Usage
    from .items import (
        AgentMessageItem,
        CommandExecutionItem,
        ErrorItem,
        FileChangeItem,
        FileUpdateChange,
        McpToolCallItem,
        ReasoningItem,
        TodoItem,
        TodoListItem,
        UnknownItem,
        WebSearchItem,
    )
    from .live import AsyncCodexLiveRun, CodexLiveRun
    from .models import CodexExecRequest, RetryPolicy, SandboxMode
    from .ports import (
        AsyncProcessHandle,
        Clock,
        EventSink,
        ProcessHandle,
        ProcessRunner,
        ProcessSpec,
        SessionStore,
        ThreadArchive,
        ThreadLease,
    )
    from .results import CodexExecResult, FailureKind
    from .sessions import SessionRecord, SessionTurnRecord, SessionWorkspace
    from .thread import CodexThreadSession
    from .versions import CliVersion

# Where each name lives. The stores live in adapters/, which imports this package's modules:
# importing them on first use also keeps `import adapters.memory_store` from meeting a
# half-built package, and leaves a store's optional dependency unloaded until it is used.
_HOMES = {
    "codex_local_sdk.activity": ["TurnProgress"],
    "codex_local_sdk.client": ["CodexLocalClient"],
    "codex_local_sdk.errors": [
        "CodexAuthError",
        "CodexError",
        "CodexExecFailedError",
        "CodexNotInstalledError",
        "CodexOutputError",
        "CodexOutputTooLargeError",
        "CodexRateLimitError",
        "CodexSessionError",
        "CodexSpawnError",
        "CodexThreadBusyError",
        "CodexTimeoutError",
        "CodexUnknownThreadError",
        "CodexUnsupportedCliError",
        "CodexUnsupportedOptionError",
        "CodexUsageLimitError",
        "SessionStoreCorruptError",
        "SessionStoreError",
        "SessionStoreLockTimeout",
        "SessionStoreSchemaError",
        "ThreadArchiveError",
    ],
    "codex_local_sdk.events": ["CodexClientEvent", "CodexEvent", "Usage"],
    "codex_local_sdk.items": [
        "AgentMessageItem",
        "CommandExecutionItem",
        "ErrorItem",
        "FileChangeItem",
        "FileUpdateChange",
        "McpToolCallItem",
        "ReasoningItem",
        "TodoItem",
        "TodoListItem",
        "UnknownItem",
        "WebSearchItem",
    ],
    "codex_local_sdk.live": ["AsyncCodexLiveRun", "CodexLiveRun"],
    "codex_local_sdk.models": ["CodexExecRequest", "RetryPolicy", "SandboxMode"],
    "codex_local_sdk.ports": [
        "AsyncProcessHandle",
        "Clock",
        "EventSink",
        "ProcessHandle",
        "ProcessRunner",
        "ProcessSpec",
        "SessionStore",
        "ThreadArchive",
        "ThreadLease",
    ],
    "codex_local_sdk.results": ["CodexExecResult", "FailureKind"],
    "codex_local_sdk.sessions": ["SessionRecord", "SessionTurnRecord", "SessionWorkspace"],
    "codex_local_sdk.thread": ["CodexThreadSession"],
    "codex_local_sdk.versions": ["CliVersion"],
    "adapters.json_file_store": ["JsonFileSessionStore"],
    "adapters.memory_store": ["InMemorySessionStore"],
    "adapters.otel_sink": ["OpenTelemetrySink"],
    "adapters.postgres_store": ["PostgresSessionStore"],
    "adapters.postgres_thread_archive": ["PostgresThreadArchive"],
    "adapters.sqlite_store": ["SqliteSessionStore"],
    "adapters.store_url": ["store_from_url"],
    "adapters.thread_archive": ["DirectoryThreadArchive"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # __import__, not importlib.import_module: `python -X importtime` shows only the former
    value = getattr(__import__(module, fromlist=[name]), name)
    globals()[name] = value  # the next lookup finds it without calling this again
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AgentMessageItem",
    "AsyncCodexLiveRun",
    "AsyncProcessHandle",
    "CliVersion",
    "Clock",
    "CodexAuthError",
    "CodexClientEvent",
    "CodexError",
    "CodexEvent",
    "CodexExecFailedError",
    "CodexExecRequest",
    "CodexExecResult",
    "CodexLiveRun",
    "CodexLocalClient",
    "CodexNotInstalledError",
    "CodexOutputError",
    "CodexOutputTooLargeError",
    "CodexRateLimitError",
    "CodexSessionError",
    "CodexSpawnError",
    "CodexThreadBusyError",
    "CodexThreadSession",
    "CodexTimeoutError",
    "CodexUnknownThreadError",
    "CodexUnsupportedCliError",
    "CodexUnsupportedOptionError",
    "CodexUsageLimitError",
    "CommandExecutionItem",
    "DirectoryThreadArchive",
    "ErrorItem",
    "EventSink",
    "FailureKind",
    "FileChangeItem",
    "FileUpdateChange",
    "InMemorySessionStore",
    "JsonFileSessionStore",
    "McpToolCallItem",
    "OpenTelemetrySink",
    "PostgresSessionStore",
    "PostgresThreadArchive",
    "ProcessHandle",
    "ProcessRunner",
    "ProcessSpec",
    "ReasoningItem",
    "RetryPolicy",
    "SandboxMode",
    "SessionRecord",
    "SessionStore",
    "SessionStoreCorruptError",
    "SessionStoreError",
    "SessionStoreLockTimeout",
    "SessionStoreSchemaError",
    "SessionTurnRecord",
    "SessionWorkspace",
    "SqliteSessionStore",
    "ThreadArchive",
    "ThreadArchiveError",
    "ThreadLease",
    "TodoItem",
    "TodoListItem",
    "TurnProgress",
    "UnknownItem",
    "Usage",
    "WebSearchItem",
    "store_from_url",
]
