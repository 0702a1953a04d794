"""Make sure the package's names are this project's, not a namesake's.

``adapters`` is also the name of an unrelated distribution on PyPI. If that one is installed
and shadows ours, fail now with a message that names it, instead of an obscure
``ImportError`` deep inside the client. And ``codex-local-sdk-python`` installs a
``codex_local_sdk`` package too: installed beside ours, the two mix their files in one
folder, so importing fails at once with a message saying to uninstall it.
"""

from __future__ import annotations

import importlib
import os
import sys

NAMESAKE_DISTRIBUTION = "codex-local-sdk-python"
"""The distribution whose import package is also ``codex_local_sdk``."""

# Its metadata folder: codex_local_sdk_python-0.1.4.dist-info (a wheel names it so)
_NAMESAKE_DIR_NAME = NAMESAKE_DISTRIBUTION.replace("-", "_")


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


def ensure_no_namesake_distribution() -> None:
    """Raise ``ImportError`` when ``codex-local-sdk-python`` is installed in this environment.

    ``importlib.metadata`` costs more to import than this whole package, so a listing of the
    ``sys.path`` folders looks for its metadata first, and ``importlib.metadata`` only
    confirms what that listing found.
    """
    if not any(_holds_namesake_metadata(entry) for entry in sys.path):
        return
    from importlib import metadata

    try:
        namesake = metadata.distribution(NAMESAKE_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return
    raise ImportError(
        f"{NAMESAKE_DISTRIBUTION} {namesake.version} is installed in this environment "
        f"({namesake.locate_file('')}), and it installs a 'codex_local_sdk' package too, which "
        f"mixes its files with codex-local-sdk's. Uninstall it (`pip uninstall {NAMESAKE_DISTRIBUTION}`), "
        "then reinstall codex-local-sdk (`pip install --force-reinstall codex-local-sdk`)."
    )


def _holds_namesake_metadata(folder: str) -> bool:
    try:
        names = os.listdir(folder or ".")
    except OSError:  # a zip file, a folder that is gone
        return False
    return any(
        name.endswith((".dist-info", ".egg-info")) and name.partition("-")[0].lower() == _NAMESAKE_DIR_NAME
        for name in names
    )
