"""store_from_url: a session store named by one string, for configuration files and command lines."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from codex_local_sdk.ports import SessionStore

from .json_file_store import JsonFileSessionStore
from .sqlite_store import SqliteSessionStore

_FILE_STORES: dict[str, Callable[..., SessionStore]] = {
    "json": JsonFileSessionStore,
    "sqlite": SqliteSessionStore,
}
_FORMS = "json:PATH, sqlite:PATH or postgresql://USER@HOST/DATABASE"


def store_from_url(url: str, **options: Any) -> SessionStore:
    """The session store ``url`` names::

        store_from_url("json:sessions.json")                  # JsonFileSessionStore
        store_from_url("sqlite:/var/lib/app/sessions.db")     # SqliteSessionStore
        store_from_url("postgresql://app@db.internal/app")    # PostgresSessionStore

    A path is taken as written after ``json:`` or ``sqlite:`` (relative to the current
    folder unless it starts with ``/``; a leading ``~`` is the home folder). A
    ``postgresql://`` (or ``postgres://``) URL is given to ``PostgresSessionStore`` whole, as
    its connection string; it needs the ``postgres`` extra
    (``pip install 'codex-local-sdk[postgres]'``).

    Args:
        url: the store, in one of the forms above.
        **options: passed on to the store's constructor (``max_turn_history=``,
            ``lock_timeout_seconds=``, ...).

    Returns:
        A new store; nothing is opened or read until it is first used.

    Raises:
        TypeError: ``url`` is not a string, or an option the store does not take.
        ValueError: ``url`` is in none of the forms above, or names no path.
        ImportError: a ``postgresql://`` URL, where the PostgreSQL store or its extra is
            not installed.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a string such as {_FORMS}, got {url!r}")
    scheme, colon, rest = url.partition(":")
    scheme = scheme.lower()
    if colon and scheme in ("postgresql", "postgres"):
        store: SessionStore = _postgres_store_class()(url, **options)
        return store
    if colon and scheme in _FILE_STORES:
        if not rest.strip():
            raise ValueError(f"store URL {url!r} names no file: write it as {scheme}:PATH")
        return _FILE_STORES[scheme](os.path.expanduser(rest), **options)
    # Show the scheme only: the rest of a database URL may hold a password.
    given = f"a URL starting {scheme + ':'!r}" if colon else "no scheme"
    raise ValueError(f"a session store URL is {_FORMS}; got {given}")


def _postgres_store_class() -> Any:
    """``PostgresSessionStore``, imported only when a URL asks for it."""
    try:
        module = importlib.import_module("adapters.postgres_store")
    except ModuleNotFoundError as exc:
        if exc.name != "adapters.postgres_store":
            raise
        raise ImportError(
            "a postgresql:// session store needs PostgresSessionStore (adapters.postgres_store), "
            "which this installation of codex-local-sdk does not have: upgrade codex-local-sdk and "
            "install its postgres extra, pip install 'codex-local-sdk[postgres]'"
        ) from None
    return module.PostgresSessionStore
