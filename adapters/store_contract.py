"""The SessionStore conformance suite: what every store must do, as pytest tests.

Subclass :class:`SessionStoreContract` in a test module and give it a ``make_store``
fixture that returns a factory ``make_store(max_turn_history=...) -> SessionStore``::

    class TestMyStore(SessionStoreContract):
        @pytest.fixture
        def make_store(self, tmp_path):
            return lambda max_turn_history=50: MyStore(tmp_path, max_turn_history=max_turn_history)

Or run ``pytest contract_tests --store-factory mypackage.stores:make_store``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs
import pytest

from codex_local_sdk.models import CodexExecResult
from codex_local_sdk.ports import SessionStore
from codex_local_sdk.sessions import SessionRecord, SessionTurnRecord, record_turn

StoreFactory = Callable[..., SessionStore]
"""``make_store(max_turn_history=...) -> SessionStore``: a new, empty store."""


def finished_turn(succeeded: bool = True, thread_id: str = "thread-1") -> CodexExecResult:
    """A result to record: exit 0 and completed, or exit 1 and failed, of ``thread_id``."""
    return CodexExecResult(
        return_code=0 if succeeded else 1,
        command=("codex", "exec"),
        stdout="",
        stderr="",
        final_message="answer",
        thread_id=thread_id,
        turn_status="completed" if succeeded else "failed",
    )


def add_turn(store: SessionStore, name: str, succeeded: bool = True) -> SessionRecord | None:
    """Record one turn under ``name`` through ``update``, as the client does.

    Returns:
        The new record.
    """
    return store.update(
        name,
        lambda record: record_turn(
            record,
            name=name,
            result=finished_turn(succeeded),
            operation="resume",
            prompt="question",
            now=1_700_000_000.0,
            preview_chars=20,
        ),
    )


class SessionStoreContract:
    """Tests every :class:`~codex_local_sdk.ports.SessionStore` must pass.

    A subclass provides a ``make_store`` fixture (a :data:`StoreFactory`); each test gets a
    new store from it. A failing test raises ``AssertionError`` (or the store's own error).
    """

    @pytest.fixture
    def store(self, make_store: StoreFactory) -> SessionStore:
        """A new store from ``make_store()``."""
        return make_store()

    def test_unknown_names(self, store: SessionStore) -> None:
        """An unknown name reads as absent everywhere, and an empty store lists nothing."""
        assert store.get("nobody") is None
        assert store.get_record("nobody") is None
        assert store.delete("nobody") is False
        assert store.all() == {}
        assert store.list_records() == []

    def test_set_get_delete(self, store: SessionStore) -> None:
        """``set`` then ``get``/``all`` see the id; ``delete`` removes it and returns ``True``."""
        store.set("a", "thread-a")
        assert store.get("a") == "thread-a"
        assert store.all() == {"a": "thread-a"}
        assert store.delete("a") is True
        assert store.get("a") is None

    def test_set_keeps_counters_and_history(self, store: SessionStore) -> None:
        """``set`` on an existing record changes its thread id only."""
        add_turn(store, "a")
        store.set("a", "thread-b")
        record = store.get_record("a")
        assert record is not None
        assert (record.session_id, record.turn_count, len(record.turns)) == ("thread-b", 1, 1)

    @pytest.mark.parametrize("name", ["tïcket-✓ 4711", "🚀 launch", 'with/slash and "quotes"'])
    def test_unicode_names(self, store: SessionStore, name: str) -> None:
        """Any non-empty string is a name: unicode, spaces, slashes, quotes."""
        store.set(name, "thread-u")
        assert store.get(name) == "thread-u"
        assert [r.name for r in store.list_records()] == [name]

    @pytest.mark.parametrize("name", ["", "  "])
    def test_empty_names_are_rejected(self, store: SessionStore, name: str) -> None:
        """``set`` raises ``ValueError`` for an empty or blank name."""
        with pytest.raises(ValueError, match="session name"):
            store.set(name, "thread")

    @pytest.mark.parametrize("session_id", ["", "   ", "\n"])
    def test_blank_session_ids_are_rejected(self, store: SessionStore, session_id: str) -> None:
        """``set`` raises ``ValueError`` for an empty or blank thread id, and stores nothing:
        a later resume would pass it to the CLI."""
        with pytest.raises(ValueError, match="session_id"):
            store.set("a", session_id)
        assert store.get("a") is None

    def test_records_round_trip(self, store: SessionStore) -> None:
        """``set_record`` then ``get_record`` gives an equal record, every field kept."""
        record = SessionRecord(
            name="r",
            session_id="thread-r",
            created_at=1.5,
            updated_at=2.5,
            last_turn_status="failed",
            turn_count=3,
            success_count=2,
            failure_count=1,
            turns=(
                SessionTurnRecord(
                    timestamp=2.5, operation="resume", prompt_preview="é", return_code=1, turn_status="failed"
                ),
            ),
        )
        store.set_record("r", record)
        assert store.get_record("r") == record

    def test_list_records_is_sorted_by_name(self, store: SessionStore) -> None:
        """``list_records`` is sorted by name."""
        for name in ["b", "c", "a"]:
            store.set(name, f"thread-{name}")
        assert [r.name for r in store.list_records()] == ["a", "b", "c"]

    def test_update_returning_none_deletes(self, store: SessionStore) -> None:
        """``update`` whose function returns ``None`` deletes the record."""
        store.set("a", "thread-a")
        assert store.update("a", lambda record: None) is None
        assert store.get("a") is None

    def test_counters_follow_success(self, store: SessionStore) -> None:
        """Turn, success and failure counters and the last status follow each turn."""
        for succeeded in (True, False, True):
            add_turn(store, "a", succeeded)
        record = store.get_record("a")
        assert record is not None
        assert (record.turn_count, record.success_count, record.failure_count) == (3, 2, 1)
        assert record.last_turn_status == "completed"

    def test_history_is_bounded(self, make_store: StoreFactory) -> None:
        """A record keeps ``max_turn_history`` turns; its counters count them all."""
        store = make_store(max_turn_history=2)
        for _ in range(5):
            add_turn(store, "a")
        record = store.get_record("a")
        assert record is not None
        assert (record.turn_count, len(record.turns)) == (5, 2)

    def test_set_record_is_bounded_too(self, make_store: StoreFactory) -> None:
        """``set_record`` cuts the history to ``max_turn_history`` too."""
        store = make_store(max_turn_history=1)
        turns = tuple(SessionTurnRecord(timestamp=float(i), operation="run") for i in range(3))
        store.set_record(
            "a", SessionRecord(name="a", session_id="t", created_at=0, updated_at=0, turns=turns)
        )
        record = store.get_record("a")
        assert record is not None and record.turns == turns[-1:]

    def test_update_is_atomic_under_threads(self, store: SessionStore) -> None:
        """Concurrent ``update`` calls from threads lose no turn."""

        def work() -> None:
            for _ in range(25):
                add_turn(store, "shared")

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        record = store.get_record("shared")
        assert record is not None and record.turn_count == 200

    def test_records_are_values(self, store: SessionStore) -> None:
        """Records read from the store are frozen values."""
        add_turn(store, "a")
        record = store.get_record("a")
        assert record is not None
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            record.turn_count = 99  # type: ignore[misc]
