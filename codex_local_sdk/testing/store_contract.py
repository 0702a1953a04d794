"""The session store contract as a pytest suite: one test per rule of
:mod:`codex_local_sdk.testing.store_rules`.

Subclass :class:`SessionStoreContract` in a test module and give it a ``make_store``
fixture that returns a factory ``make_store(max_turn_history=...) -> SessionStore``::

    class TestMyStore(SessionStoreContract):
        @pytest.fixture
        def make_store(self, tmp_path):
            return lambda max_turn_history=50: MyStore(tmp_path, max_turn_history=max_turn_history)

Or certify a factory from the command line, with the installed package alone::

    pytest -p codex_local_sdk.testing.pytest_plugin \\
        --pyargs codex_local_sdk.testing.contracts --store-factory mypackage.stores:make_store

This module imports pytest; :func:`~codex_local_sdk.testing.check_session_store` checks the
same rules without it.
"""

from __future__ import annotations

import pytest

from codex_local_sdk.ports import SessionStore

from . import store_rules
from .store_rules import StoreFactory


class SessionStoreContract:
    """Tests every :class:`~codex_local_sdk.ports.SessionStore` must pass.

    A subclass provides a ``make_store`` fixture (a :data:`StoreFactory`); each test builds
    new stores from it. A failing test raises ``AssertionError`` (or the store's own error).
    """

    @pytest.fixture
    def store(self, make_store: StoreFactory) -> SessionStore:
        """A new store from ``make_store()``, for the tests a subclass adds."""
        return make_store()

    def test_unknown_names(self, make_store: StoreFactory) -> None:
        store_rules.unknown_names_are_absent(make_store)

    def test_set_get_delete(self, make_store: StoreFactory) -> None:
        store_rules.set_get_delete(make_store)

    def test_set_keeps_counters_and_history(self, make_store: StoreFactory) -> None:
        store_rules.set_keeps_counters_and_history(make_store)

    @pytest.mark.parametrize("name", store_rules.ANY_NAMES)
    def test_unicode_names(self, make_store: StoreFactory, name: str) -> None:
        store_rules.any_string_is_a_name(make_store, [name])

    @pytest.mark.parametrize("name", store_rules.BLANK_NAMES)
    def test_empty_names_are_rejected(self, make_store: StoreFactory, name: str) -> None:
        store_rules.blank_names_are_rejected(make_store, [name])

    @pytest.mark.parametrize("session_id", store_rules.BLANK_SESSION_IDS)
    def test_blank_session_ids_are_rejected(self, make_store: StoreFactory, session_id: str) -> None:
        store_rules.blank_session_ids_are_rejected(make_store, [session_id])

    def test_records_round_trip(self, make_store: StoreFactory) -> None:
        store_rules.records_round_trip(make_store)

    def test_list_records_is_sorted_by_name(self, make_store: StoreFactory) -> None:
        store_rules.list_records_is_sorted_by_name(make_store)

    def test_update_returning_none_deletes(self, make_store: StoreFactory) -> None:
        store_rules.update_returning_none_deletes(make_store)

    def test_counters_follow_success(self, make_store: StoreFactory) -> None:
        store_rules.counters_follow_success(make_store)

    def test_history_is_bounded(self, make_store: StoreFactory) -> None:
        store_rules.history_is_bounded(make_store)

    def test_set_record_is_bounded_too(self, make_store: StoreFactory) -> None:
        store_rules.set_record_is_bounded_too(make_store)

    def test_update_is_atomic_under_threads(self, make_store: StoreFactory) -> None:
        store_rules.update_is_atomic_under_threads(make_store)

    def test_records_are_values(self, make_store: StoreFactory) -> None:
        store_rules.records_are_values(make_store)
