"""store_from_url: each form gives its store, options pass through, bad URLs say what to write."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from codex_local_sdk import JsonFileSessionStore, SqliteSessionStore, store_from_url


def test_json_and_sqlite_urls_give_their_stores(tmp_path: Path) -> None:
    json_store = store_from_url(f"json:{tmp_path}/sessions.json", max_turn_history=3)
    sqlite_store = store_from_url(f"sqlite:{tmp_path}/sessions.db", lock_timeout_seconds=1)
    assert isinstance(json_store, JsonFileSessionStore) and json_store.max_turn_history == 3
    assert isinstance(sqlite_store, SqliteSessionStore)
    assert (json_store.path, sqlite_store.path) == (tmp_path / "sessions.json", tmp_path / "sessions.db")
    sqlite_store.set("a", "t")
    assert store_from_url(f"SQLITE:{tmp_path}/sessions.db").get("a") == "t"


def test_a_path_may_start_at_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    store = store_from_url("sqlite:~/state/sessions.db")
    assert isinstance(store, SqliteSessionStore) and store.path == tmp_path / "state" / "sessions.db"


class RecordingPostgresStore:
    def __init__(self, dsn_or_pool: str, **options: Any) -> None:
        self.dsn, self.options = dsn_or_pool, options


@pytest.mark.parametrize("url", ["postgresql://app@db.internal:5433/app", "postgres://app@db/app"])
def test_a_postgresql_url_goes_whole_to_the_postgres_store(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("adapters.postgres_store")
    module.PostgresSessionStore = RecordingPostgresStore  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "adapters.postgres_store", module)
    store = store_from_url(url, max_turn_history=7)
    assert isinstance(store, RecordingPostgresStore)
    assert (store.dsn, store.options) == (url, {"max_turn_history": 7})


def test_a_postgresql_url_without_the_store_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "adapters.postgres_store", None)  # as if it were not installed
    with pytest.raises(ImportError, match=re.escape("pip install 'codex-local-sdk[postgres]'")) as info:
        store_from_url("postgresql://app:s3cret@db/app")
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "error", "problem"),
    [
        (None, TypeError, "url must be a string such as json:PATH, sqlite:PATH or postgresql://"),
        (Path("sessions.db"), TypeError, "url must be a string"),
        ("sessions.json", ValueError, "a session store URL is json:PATH, sqlite:PATH or postgresql://"),
        ("mysql://app:s3cret@db/app", ValueError, "got a URL starting 'mysql:'"),
        ("json:", ValueError, "store URL 'json:' names no file: write it as json:PATH"),
        ("sqlite:  ", ValueError, "names no file: write it as sqlite:PATH"),
    ],
)
def test_bad_urls_say_what_to_write(url: Any, error: type[Exception], problem: str) -> None:
    with pytest.raises(error, match=re.escape(problem)) as info:
        store_from_url(url)
    assert "s3cret" not in str(info.value)


def test_options_the_store_does_not_take_are_type_errors(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="lock_timeout"):
        store_from_url(f"json:{tmp_path}/s.json", lock_timeout=3)
