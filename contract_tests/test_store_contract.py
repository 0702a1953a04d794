"""The session store contract, run against every store: the two shipped ones, and any store
named with ``--store-factory module:callable``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from adapters.json_file_store import JsonFileSessionStore
from adapters.memory_store import InMemorySessionStore
from adapters.store_contract import SessionStoreContract, StoreFactory
from contract_tests.conftest import STORE_FACTORY, load_store_factory


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


class TestUserStore(SessionStoreContract):
    @pytest.fixture
    def make_store(self, request: pytest.FixtureRequest) -> StoreFactory:
        factory = request.config.stash.get(STORE_FACTORY, None)
        if factory is None:
            pytest.skip("no --store-factory module:callable given")
        return factory


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
