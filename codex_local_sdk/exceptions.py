"""codex-local-sdk-python 0.1.4's module path for its errors; they live in
:mod:`codex_local_sdk.errors`, which has the whole family."""

from __future__ import annotations

from .errors import CodexError, CodexExecFailedError, CodexNotInstalledError

__all__ = ["CodexError", "CodexExecFailedError", "CodexNotInstalledError"]
