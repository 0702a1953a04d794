"""The Codex CLI without Node: the native binary of the ``openai-codex-cli-bin`` wheel.

``pip install 'codex-local-sdk[cli-bin]'`` installs it. :class:`~adapters.subprocess_runner.SubprocessRunner`
uses it when a run's ``argv[0]`` is the bare default name ``codex`` and no ``codex`` is on the
``PATH`` of the run's environment: ``argv[0]`` becomes the bundled binary, and the wheel's
``codex-path`` folder (the helpers it ships, such as ``rg``) goes first on the child's
``PATH``, as the wheel intends.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Mapping, Sequence

DEFAULT_NAME = "codex"
"""The name the bundled CLI stands in for (the client's default ``codex_bin``)."""


def bundled_codex() -> tuple[str, str | None] | None:
    """The bundled binary's path and its ``codex-path`` folder (or ``None``), or ``None``
    when ``openai-codex-cli-bin`` is not installed (or is missing its binary)."""
    try:
        package = importlib.import_module("codex_cli_bin")
        binary = str(package.bundled_codex_path())
        folder = package.bundled_path_dir()
    except (ImportError, FileNotFoundError):
        return None
    return binary, None if folder is None else str(folder)


def with_bundled_codex(argv: Sequence[str], env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """``argv`` and ``env`` as they run: the bundled CLI in place of a bare ``codex`` that the
    ``PATH`` of ``env`` lacks, when there is one; else both unchanged."""
    argv, env = list(argv), dict(env)
    if not argv or argv[0] != DEFAULT_NAME:
        return argv, env
    search_path = env.get("PATH", os.defpath)
    bundled = None if shutil.which(DEFAULT_NAME, path=search_path) else bundled_codex()
    if bundled is None:
        return argv, env
    binary, folder = bundled
    if folder is not None:
        env["PATH"] = folder + os.pathsep + search_path if search_path else folder
    return [binary, *argv[1:]], env
