"""Make sure ``import adapters`` finds this project's adapters, not a namesake.

``adapters`` is also the name of an unrelated distribution on PyPI. If that one is installed
and shadows ours, fail now with a message that names it, instead of an obscure
``ImportError`` deep inside the client.
"""

from __future__ import annotations

import importlib


def ensure_own_adapters() -> None:
    """Raise ``ImportError`` when ``adapters`` is not codex_local_sdk's adapters package."""
    try:
        module = importlib.import_module("adapters")
    except ImportError as exc:
        raise ImportError(
            "codex_local_sdk needs its companion package 'adapters', which is missing: "
            "reinstall codex-local-sdk"
        ) from exc
    if not getattr(module, "CODEX_LOCAL_SDK_ADAPTERS", False):
        raise ImportError(
            f"'import adapters' found a different package at {getattr(module, '__file__', '?')!r}, "
            "not the one that ships with codex-local-sdk. Uninstall that package "
            "(`pip uninstall adapters`) or install codex-local-sdk in its own virtualenv."
        )
