"""The session store contract, run against the store ``--store-factory module:callable`` names
(skipped without it)."""

from __future__ import annotations

import pytest

from codex_local_sdk.testing.pytest_plugin import STORE_FACTORY
from codex_local_sdk.testing.store_contract import SessionStoreContract
from codex_local_sdk.testing.store_rules import StoreFactory


class TestUserStore(SessionStoreContract):
    @pytest.fixture
    def make_store(self, request: pytest.FixtureRequest) -> StoreFactory:
        factory = request.config.stash.get(STORE_FACTORY, None)
        if factory is None:
            pytest.skip("no store to certify: pass --store-factory module:callable")
        return factory
