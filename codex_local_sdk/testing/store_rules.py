"""The session store rules: what every :class:`~codex_local_sdk.ports.SessionStore` must do,
as plain functions that need no test framework.

Each rule takes a factory ``make_store(max_turn_history=...) -> SessionStore``, builds the
stores it needs from it, and raises ``AssertionError`` saying what went wrong when a store
breaks it. :func:`check_session_store` runs them all::

    from codex_local_sdk.testing import check_session_store

    check_session_store(lambda max_turn_history=50: MyStore(path, max_turn_history=max_turn_history))

The pytest suite :class:`~codex_local_sdk.testing.store_contract.SessionStoreContract` runs
the same functions, one test each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import attrs

from codex_local_sdk.ports import SessionStore
from codex_local_sdk.results import CodexExecResult
from codex_local_sdk.sessions import SessionRecord, SessionTurnRecord, record_turn

StoreFactory = Callable[..., SessionStore]
"""``make_store(max_turn_history=...) -> SessionStore``: a new, empty store."""

Rule = Callable[[StoreFactory], None]
"""One rule: checks the stores ``make_store`` builds, raises ``AssertionError`` if broken."""

ANY_NAMES: tuple[str, ...] = ("tïcket-✓ 4711", "🚀 launch", 'with/slash and "quotes"')
"""Names a store must accept: unicode, spaces, slashes, quotes."""

BLANK_NAMES: tuple[str, ...] = ("", "  ")
"""Names a store must reject."""

BLANK_SESSION_IDS: tuple[str, ...] = ("", "   ", "\n")
"""Thread ids a store must reject: a later resume would pass them to the CLI."""


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


def _expect(ok: bool, what: str) -> None:
    # not `assert`: the rules must hold under `python -O` too
    if not ok:
        raise AssertionError(what)


def _expect_equal(actual: Any, expected: Any, what: str) -> None:
    _expect(actual == expected, f"{what}: got {actual!r}, expected {expected!r}")


def _refuses(call: Callable[[], object], what: str, said: str) -> None:
    """``call()`` raises ``ValueError`` saying ``what``; ``said`` is the call, as the failure names it."""
    try:
        call()
    except ValueError as exc:
        _expect(what in str(exc), f"{said} raised ValueError({str(exc)!r}) that does not say {what!r}")
    else:
        raise AssertionError(f"{said} raised no ValueError")


def _record(store: SessionStore, name: str) -> SessionRecord:
    record = store.get_record(name)
    _expect(record is not None, f"get_record({name!r}) is None after a write under that name")
    assert record is not None  # for the type checker; _expect raised otherwise
    return record


def unknown_names_are_absent(make_store: StoreFactory) -> None:
    """An unknown name reads as absent everywhere, and an empty store lists nothing."""
    store = make_store()
    _expect_equal(store.get("nobody"), None, "get of an unknown name")
    _expect_equal(store.get_record("nobody"), None, "get_record of an unknown name")
    _expect_equal(store.delete("nobody"), False, "delete of an unknown name")
    _expect_equal(store.all(), {}, "all() of an empty store")
    _expect_equal(store.list_records(), [], "list_records() of an empty store")


def set_get_delete(make_store: StoreFactory) -> None:
    """``set`` then ``get``/``all`` see the id; ``delete`` removes it and returns ``True``."""
    store = make_store()
    store.set("a", "thread-a")
    _expect_equal(store.get("a"), "thread-a", "get after set")
    _expect_equal(store.all(), {"a": "thread-a"}, "all() after set")
    _expect_equal(store.delete("a"), True, "delete of a saved name")
    _expect_equal(store.get("a"), None, "get after delete")


def set_keeps_counters_and_history(make_store: StoreFactory) -> None:
    """``set`` on an existing record changes its thread id only."""
    store = make_store()
    add_turn(store, "a")
    store.set("a", "thread-b")
    record = _record(store, "a")
    _expect_equal(
        (record.session_id, record.turn_count, len(record.turns)),
        ("thread-b", 1, 1),
        "(session_id, turn_count, turns kept) after set on a record of one turn",
    )


def any_string_is_a_name(make_store: StoreFactory, names: Sequence[str] = ANY_NAMES) -> None:
    """Any non-empty string is a name: unicode, spaces, slashes, quotes."""
    for name in names:
        store = make_store()
        store.set(name, "thread-u")
        _expect_equal(store.get(name), "thread-u", f"get({name!r}) after set")
        _expect_equal([r.name for r in store.list_records()], [name], "names of list_records()")


def blank_names_are_rejected(make_store: StoreFactory, names: Sequence[str] = BLANK_NAMES) -> None:
    """``set`` raises ``ValueError`` naming the session name for an empty or blank name."""
    for name in names:
        _refuses(partial(make_store().set, name, "thread"), "session name", f"set({name!r})")


def blank_session_ids_are_rejected(
    make_store: StoreFactory, session_ids: Sequence[str] = BLANK_SESSION_IDS
) -> None:
    """``set`` raises ``ValueError`` naming ``session_id`` for an empty or blank thread id.

    It stores nothing: a later resume would pass that id to the CLI."""
    for session_id in session_ids:
        store = make_store()
        _refuses(partial(store.set, "a", session_id), "session_id", f"set('a', {session_id!r})")
        _expect_equal(store.get("a"), None, f"get('a') after a refused set('a', {session_id!r})")


def records_round_trip(make_store: StoreFactory) -> None:
    """``set_record`` then ``get_record`` gives an equal record, every field kept: a fork's
    parent, the launch options (JSON values) and the caller's metadata too."""
    store = make_store()
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
        parent_session_id="thread-parent",
        launch_options={
            "sandbox": "read-only",
            "cwd": "/srv/ü",
            "add_dirs": ["a", "b"],
            "network_access_enabled": False,
            "config": {"model_providers": {"p": {"base_url": "http://x", "retries": 0}}},
        },
        metadata={"ticket": "4711", "tenant": "ß"},
    )
    store.set_record("r", record)
    _expect_equal(store.get_record("r"), record, "get_record after set_record")


def list_records_is_sorted_by_name(make_store: StoreFactory) -> None:
    """``list_records`` is sorted by name."""
    store = make_store()
    for name in ["b", "c", "a"]:
        store.set(name, f"thread-{name}")
    _expect_equal([r.name for r in store.list_records()], ["a", "b", "c"], "names of list_records()")


def update_returning_none_deletes(make_store: StoreFactory) -> None:
    """``update`` whose function returns ``None`` deletes the record."""
    store = make_store()
    store.set("a", "thread-a")
    _expect_equal(store.update("a", lambda record: None), None, "update returning None")
    _expect_equal(store.get("a"), None, "get after an update returning None")


def counters_follow_success(make_store: StoreFactory) -> None:
    """Turn, success and failure counters and the last status follow each turn."""
    store = make_store()
    for succeeded in (True, False, True):
        add_turn(store, "a", succeeded)
    record = _record(store, "a")
    _expect_equal(
        (record.turn_count, record.success_count, record.failure_count, record.last_turn_status),
        (3, 2, 1, "completed"),
        "(turn_count, success_count, failure_count, last_turn_status) after ok, failed, ok",
    )


def history_is_bounded(make_store: StoreFactory) -> None:
    """A record keeps ``max_turn_history`` turns; its counters count them all."""
    store = make_store(max_turn_history=2)
    for _ in range(5):
        add_turn(store, "a")
    record = _record(store, "a")
    _expect_equal(
        (record.turn_count, len(record.turns)),
        (5, 2),
        "(turn_count, turns kept) after 5 turns with max_turn_history=2",
    )


def set_record_is_bounded_too(make_store: StoreFactory) -> None:
    """``set_record`` cuts the history to ``max_turn_history`` too."""
    store = make_store(max_turn_history=1)
    turns = tuple(SessionTurnRecord(timestamp=float(i), operation="run") for i in range(3))
    store.set_record("a", SessionRecord(name="a", session_id="t", created_at=0, updated_at=0, turns=turns))
    _expect_equal(
        _record(store, "a").turns, turns[-1:], "turns kept by set_record of 3 turns, max_turn_history=1"
    )


def update_is_atomic_under_threads(make_store: StoreFactory) -> None:
    """Concurrent ``update`` calls from 8 threads, 25 each, lose no turn."""
    store = make_store()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                add_turn(store, "shared")
        except BaseException as exc:  # reported below, with the rule
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise AssertionError(f"an update from a thread raised {errors[0]!r}") from errors[0]
    _expect_equal(_record(store, "shared").turn_count, 200, "turn_count after 8 threads x 25 updates")


def records_are_values(make_store: StoreFactory) -> None:
    """Records read from the store are frozen values."""
    store = make_store()
    add_turn(store, "a")
    record = _record(store, "a")
    try:
        record.turn_count = 99  # type: ignore[misc]
    except attrs.exceptions.FrozenInstanceError:
        return
    raise AssertionError("a record read from the store could be changed in place")


RULES: tuple[Rule, ...] = (
    unknown_names_are_absent,
    set_get_delete,
    set_keeps_counters_and_history,
    any_string_is_a_name,
    blank_names_are_rejected,
    blank_session_ids_are_rejected,
    records_round_trip,
    list_records_is_sorted_by_name,
    update_returning_none_deletes,
    counters_follow_success,
    history_is_bounded,
    set_record_is_bounded_too,
    update_is_atomic_under_threads,
    records_are_values,
)
"""Every rule, in the order :func:`check_session_store` checks them."""


def check_session_store(make_store: StoreFactory) -> None:
    """Check a session store against every rule of :data:`RULES`, without pytest.

    Args:
        make_store: builds a new, empty store; called with no argument or with
            ``max_turn_history=N``.

    Raises:
        AssertionError: the first rule the store breaks, named with what it says and what
            went wrong (an error the store raised counts as breaking the rule).
    """
    for rule in RULES:
        try:
            rule(make_store)
        except Exception as exc:
            summary = (rule.__doc__ or "").strip().splitlines()[0]
            problem = str(exc) if isinstance(exc, AssertionError) else f"the store raised {exc!r}"
            raise AssertionError(f"store rule {rule.__name__!r} broken ({summary}): {problem}") from exc
