"""The session store contract, run against every store: the two shipped ones, and any store
named with ``--store-factory module:callable``."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from adapters.json_file_store import JsonFileSessionStore
from adapters.memory_store import InMemorySessionStore
from adapters.store_contract import SessionStoreContract, StoreFactory


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
        spec = request.config.getoption("--store-factory")
        if not spec:
            pytest.skip("no --store-factory module:callable given")
        module, _, name = str(spec).partition(":")
        factory: StoreFactory = getattr(importlib.import_module(module), name)
        return factory
