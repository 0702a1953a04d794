"""The session store contract, run against the two shipped stores (a store named with
``--store-factory module:callable`` is certified by ``codex_local_sdk.testing.contracts``),
and the checks of ``--store-factory`` itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from adapters.json_file_store import JsonFileSessionStore
from adapters.memory_store import InMemorySessionStore
from codex_local_sdk.testing.pytest_plugin import load_store_factory
from codex_local_sdk.testing.store_contract import SessionStoreContract
from codex_local_sdk.testing.store_rules import StoreFactory


class TestInMemorySessionStore(SessionStoreContract):
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return InMemorySessionStore


class TestJsonFileSessionStore(SessionStoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        def make(**options: Any) -> JsonFileSessionStore:
            return JsonFileSessionStore(tmp_path / "sessions.json", **options)

        return make


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("adapters.memory_store", "give it as module:callable"),
        ("no_such_module:make", "No module named 'no_such_module' (is it on PYTHONPATH?)"),
        ("adapters.memory_store:make", "adapters.memory_store has no callable 'make'"),
        ("adapters.json_file_store:JsonFileSessionStore", "missing a required argument: 'path'"),
    ],
)
def test_a_bad_store_factory_is_named_before_any_test_runs(spec: str, problem: str) -> None:
    with pytest.raises(pytest.UsageError, match=re.escape(problem)):
        load_store_factory(spec)
