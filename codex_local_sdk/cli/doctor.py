"""``codex-local doctor``: whether this host can run the Codex CLI through the SDK.

It checks the CLI (found, its version, supported by this SDK), ``CODEX_HOME`` (exists or can
be created, writable), a login or an API key (present; never printed) and the session store
(reachable). Each problem is printed with its fix; the exit code is 1 when there is one.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from ._stores import STORE_ENV, add_store_option, default_store_url, open_store, store_file
from .run import CODEX_BIN_ENV, add_codex_bin_option, codex_bin_of

API_KEY_VARIABLES = ("OPENAI_API_KEY", "CODEX_API_KEY")
"""Environment variables the CLI takes an API key from."""


def register(subparsers: Any) -> None:
    """Add ``doctor`` to the ``codex-local`` parser."""
    doctor = subparsers.add_parser(
        "doctor",
        help="check that this host can run the Codex CLI",
        description="Check the Codex CLI, CODEX_HOME, the login and the session store; print the fix "
        "for each problem and exit 1 when there is one.",
    )
    add_codex_bin_option(doctor)
    add_store_option(doctor)
    doctor.set_defaults(handler=doctor_command)


def doctor_command(args: argparse.Namespace) -> int:
    """Run every check, print one line each; return 1 when one failed."""
    home = Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")
    checks = [_check_cli(codex_bin_of(args)), _check_home(home)]
    checks += [_check_login(home), _check_store(args.store)]
    for ok, line in checks:
        print(f"{'ok ' if ok else 'FAIL'} {line}")
    return 0 if all(ok for ok, _ in checks) else 1


def _check_cli(codex_bin: str) -> tuple[bool, str]:
    from ..client import CodexLocalClient
    from ..errors import CodexError
    from ..versions import OLDEST_SUPPORTED

    client = CodexLocalClient(codex_bin)
    if not client.is_available():
        return False, (
            f"Codex CLI: {codex_bin!r} not found. Fix: install it (npm install -g @openai/codex, or "
            f"pip install 'codex-local-sdk[cli-bin]'), or name it with --codex-bin or ${CODEX_BIN_ENV}"
        )
    try:
        version = client.cli_version()
    except CodexError as exc:
        return False, f"Codex CLI: {codex_bin} does not report its version ({exc}). Fix: reinstall it"
    if version < OLDEST_SUPPORTED:
        return False, (
            f"Codex CLI: {codex_bin} is {version}, older than {OLDEST_SUPPORTED}, the oldest this SDK "
            f"supports. Fix: upgrade it (npm install -g @openai/codex@latest)"
        )
    return True, f"Codex CLI: {codex_bin} {version} (supported: {OLDEST_SUPPORTED} or later)"


def _check_home(home: Path) -> tuple[bool, str]:
    """Whether the CLI can write in ``home``: a file made there and removed, or, when it does
    not exist yet, its nearest existing parent a writable folder (nothing is created)."""
    existing = home
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if existing == home:
            with tempfile.TemporaryFile(dir=home):
                pass
        elif not (existing.is_dir() and os.access(existing, os.W_OK)):
            raise NotADirectoryError(f"{existing} is not a writable folder")
    except OSError as exc:
        return False, (
            f"CODEX_HOME: {home} is not writable ({exc.strerror or exc}). Fix: make it writable, or "
            "set CODEX_HOME to a folder you own"
        )
    return True, f"CODEX_HOME: {home} ({'writable' if existing == home else 'can be created'})"


def _check_login(home: Path) -> tuple[bool, str]:
    present = [name for name in API_KEY_VARIABLES if os.environ.get(name)]
    if (home / "auth.json").is_file():
        present.append(str(home / "auth.json"))
    if not present:
        return False, (
            f"login: none. Fix: run codex login, or set {' or '.join(API_KEY_VARIABLES)} "
            "(a provider in config.toml may name another key variable)"
        )
    return True, f"login: found in {', '.join(present)}"


def _check_store(url: str | None) -> tuple[bool, str]:
    from ..errors import SessionStoreError
    from . import UsageError

    future = store_file(url or default_store_url())
    if future is not None and not future.exists():  # a check creates nothing: the first session will
        folder = next(p for p in (future.parent, *future.parents) if p.exists())
        if os.access(folder, os.W_OK | os.X_OK):
            return True, f"session store: {future} does not exist yet; the first named session creates it"
        return False, (
            f"session store: {future} cannot be created, {folder} is not writable. Fix: pass a "
            f"writable store with --store URL, or set {STORE_ENV}"
        )
    try:
        with open_store(url) as store:
            count = len(store.list_records())
            where = repr(store)  # the stores' reprs never show a password, a URL may hold one
    except (UsageError, SessionStoreError) as exc:
        return False, f"session store: {exc}. Fix: pass a reachable store with --store URL"
    return True, f"session store: {where} reachable ({count} sessions)"
