"""The session store a command uses: ``--store``, else ``$CODEX_LOCAL_STORE``, else a file
in the user's state folder (:func:`default_store_url`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..ports import SessionStore
from . import UsageError

STORE_ENV = "CODEX_LOCAL_STORE"
"""The environment variable naming the default store (a store URL)."""

STORE_HELP = (
    f"the session store: json:PATH, sqlite:PATH or postgresql://... "
    f"(default: ${STORE_ENV}, else sqlite:$XDG_STATE_HOME/codex-local/sessions.sqlite)"
)


def default_store_url(environ: Mapping[str, str] = os.environ) -> str:
    """``$CODEX_LOCAL_STORE`` when set, else ``sqlite:`` a file in the user's state folder:
    ``$XDG_STATE_HOME/codex-local/sessions.sqlite`` (``~/.local/state`` when unset)."""
    if environ.get(STORE_ENV):
        return environ[STORE_ENV]
    state = environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return f"sqlite:{os.path.join(state, 'codex-local', 'sessions.sqlite')}"


def add_store_option(parser: Any) -> None:
    """Add ``--store URL`` to ``parser``."""
    parser.add_argument("--store", metavar="URL", help=STORE_HELP)


def store_file(url: str) -> Path | None:
    """The file a ``json:`` or ``sqlite:`` store URL names, as ``store_from_url`` reads it;
    ``None`` for any other URL."""
    scheme, colon, rest = url.partition(":")
    if not colon or scheme.lower() not in ("json", "sqlite") or not rest.strip():
        return None
    return Path(os.path.abspath(os.path.expanduser(rest)))


@contextlib.contextmanager
def open_store(url: str | None) -> Iterator[SessionStore]:
    """The store ``url`` names (default: :func:`default_store_url`, its folder created),
    closed on the way out when it has ``close()`` (its connections and files).

    Raises:
        UsageError: the URL is in no known form, or its store is not installed.
    """
    import codex_local_sdk

    if url is None:
        url = default_store_url()
        default_file = None if os.environ.get(STORE_ENV) else store_file(url)
        if default_file is not None:
            default_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        store: SessionStore = codex_local_sdk.store_from_url(url)
    except (ValueError, TypeError, ImportError) as exc:
        raise UsageError(f"bad store URL: {exc}") from None
    try:
        yield store
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()
