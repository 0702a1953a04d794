#!/usr/bin/env python3
"""Check that this machine can run code that uses codex_local_sdk.

Prints one line per check: Python >= 3.10, the codex_local_sdk package and its version, the
Codex CLI (``$CODEX_BIN``, else ``codex`` on ``PATH``) and its ``--version``. Exits 0 when
every check passes; else 1, with a last line saying what is missing and how to get it.

Run it with the Python the project uses: ``python scripts/preflight.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import NamedTuple

MIN_PYTHON = (3, 10)
CLI_INSTALL = "install it with `npm install -g @openai/codex`, or set CODEX_BIN to the path of a codex binary"


class Check(NamedTuple):
    """One check: what was found, or what is missing and how to get it."""

    name: str
    ok: bool
    detail: str


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("python", True, f"{version} at {sys.executable}")
    wanted = ".".join(map(str, MIN_PYTHON))
    return Check("python", False, f"{version} is too old: install Python >= {wanted} and run with it")


def check_package() -> Check:
    try:
        import codex_local_sdk
    except ImportError as exc:
        return Check(
            "codex_local_sdk",
            False,
            f"cannot be imported ({exc}): install it with `pip install codex-local-sdk`",
        )
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("codex-local-sdk")
    except PackageNotFoundError:
        found = "not installed as a distribution (imported from a source tree)"
    return Check("codex_local_sdk", True, f"{found} at {os.path.dirname(codex_local_sdk.__file__)}")


def find_cli() -> tuple[str | None, str]:
    """The Codex CLI to check, and where it was looked for."""
    configured = os.environ.get("CODEX_BIN")
    if configured:
        path = shutil.which(configured)  # a path to an executable file, or a name on PATH
        return path, f"CODEX_BIN={configured}"
    return shutil.which("codex"), "`codex` on PATH"


def check_cli() -> Check:
    path, where = find_cli()
    if path is None:
        return Check("codex cli", False, f"not found ({where}): {CLI_INSTALL}")
    try:
        done = subprocess.run(
            [path, "--version"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("codex cli", False, f"{path} did not run ({exc}): {CLI_INSTALL}")
    said = (done.stdout.strip() or done.stderr.strip()).splitlines()
    if done.returncode != 0:
        last = said[-1] if said else "no output"
        return Check("codex cli", False, f"{path} --version exited {done.returncode} ({last}): {CLI_INSTALL}")
    return Check("codex cli", True, f"{said[0] if said else 'no version printed'} at {path}")


def main() -> int:
    checks = [check_python(), check_package(), check_cli()]
    for check in checks:
        print(f"{'ok' if check.ok else 'MISSING':8} {check.name}: {check.detail}")
    missing = [check for check in checks if not check.ok]
    if missing:
        print(f"preflight failed: {'; '.join(f'{check.name} {check.detail}' for check in missing)}")
        return 1
    print("preflight passed: ready to run codex_local_sdk code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
