"""codex-local-sdk-python 0.1.4's module path for :class:`CodexClientEvent`, which lives in
:mod:`codex_local_sdk.events`.

The logger the logging sink writes to is also named ``codex_local_sdk.telemetry``; loggers
and modules have separate namespaces, so the two do not meet.
"""

from __future__ import annotations

from .events import CodexClientEvent

__all__ = ["CodexClientEvent"]
