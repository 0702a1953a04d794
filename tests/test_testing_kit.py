"""The testing kit: it imports without pytest, its store rules catch each kind of broken store
(with or without pytest), and its pytest plugin is light and loaded once."""

from __future__ import annotations

import inspect
import itertools
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import attrs
import pytest

from adapters.json_file_store import JsonFileSessionStore
from adapters.memory_store import InMemorySessionStore
from codex_local_sdk.ports import RecordUpdate
from codex_local_sdk.sessions import SessionRecord, with_session_id
from codex_local_sdk.testing import store_rules
from codex_local_sdk.testing.store_contract import SessionStoreContract
from codex_local_sdk.testing.store_rules import RULES, StoreFactory, check_session_store

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


# -- imports ------------------------------------------------------------------------------------

WITHOUT_PYTEST = "import sys\nsys.modules['pytest'] = sys.modules['_pytest'] = None\n"


def test_the_kit_imports_without_pytest() -> None:
    done = run_python(
        WITHOUT_PYTEST + "from codex_local_sdk.testing import ScriptedRunner, FakeClock, LoopbackProvider\n"
        "from codex_local_sdk.testing import *\n"
        "check_session_store(InMemorySessionStore)\n"
    )
    assert done.returncode == 0, done.stderr


def test_session_store_contract_says_it_needs_pytest() -> None:
    done = run_python(WITHOUT_PYTEST + "from codex_local_sdk.testing import SessionStoreContract\n")
    assert "ImportError: SessionStoreContract is a pytest test class and needs pytest" in done.stderr
    assert "check_session_store checks the same rules without it" in done.stderr


def test_session_store_contract_is_importable_from_the_kit() -> None:
    from codex_local_sdk.testing import SessionStoreContract as from_the_kit

    assert from_the_kit is SessionStoreContract


def test_unknown_names_are_attribute_errors() -> None:
    import codex_local_sdk.testing

    with pytest.raises(AttributeError, match="has no attribute 'NoSuchFake'"):
        _ = codex_local_sdk.testing.NoSuchFake


def test_loading_the_plugin_imports_nothing_of_the_sdk() -> None:
    # pytest loads the plugin in every run of an environment that has the package installed.
    done = run_python(
        "import sys\n"
        "import codex_local_sdk\n"
        "before = set(sys.modules)\n"
        "import codex_local_sdk.testing.pytest_plugin\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.startswith(('codex_local_sdk', 'adapters'))))\n"
    )
    assert done.stdout.strip() == "['codex_local_sdk.testing', 'codex_local_sdk.testing.pytest_plugin']"


def test_the_plugin_is_loaded_once_when_also_given_with_p() -> None:
    # pyproject's addopts gives -p too, and the editable install registers the entry point.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "codex_local_sdk.testing.pytest_plugin",
            "--help",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("--store-factory=MODULE:CALLABLE") == 1


# -- the store rules ----------------------------------------------------------------------------


class DeletesReportNoneForUnknownNames(InMemorySessionStore):
    def delete(self, name: str) -> bool:
        return super().delete(name) or None  # type: ignore[return-value]


class ListsNothing(InMemorySessionStore):
    def all(self) -> dict[str, str]:
        return {}


class SetStartsOver(InMemorySessionStore):
    def set(self, name: str, session_id: str) -> None:
        self.set_record(name, SessionRecord(name=name, session_id=session_id, created_at=0, updated_at=0))


class RejectsSlashes(InMemorySessionStore):
    def set(self, name: str, session_id: str) -> None:
        if "/" in name:
            raise ValueError("no slashes in a session name")
        super().set(name, session_id)


class IgnoresBlankNames(InMemorySessionStore):
    def set(self, name: str, session_id: str) -> None:
        if name.strip():
            super().set(name, session_id)


class AcceptsBlankSessionIds(InMemorySessionStore):
    def set(self, name: str, session_id: str) -> None:
        self.update(name, lambda record: with_session_id(record, name, session_id, 0.0))


class ForgetsTheLastStatus(InMemorySessionStore):
    def set_record(self, name: str, record: SessionRecord) -> None:
        super().set_record(name, attrs.evolve(record, last_turn_status=None))


class ListsInReverse(InMemorySessionStore):
    def list_records(self) -> list[SessionRecord]:
        return super().list_records()[::-1]


class UpdateReturnsTheDeletedRecord(InMemorySessionStore):
    def update(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        before = self.get_record(name)
        return super().update(name, fn) or before


class CountsEveryTurnAsASuccess(InMemorySessionStore):
    def update(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        def lenient(record: SessionRecord | None) -> SessionRecord | None:
            new = fn(record)
            return new and attrs.evolve(new, success_count=new.turn_count, failure_count=0)

        return super().update(name, lenient)


class KeepsAllHistory(InMemorySessionStore):
    def __init__(self, **options: Any) -> None:
        super().__init__(**{**options, "max_turn_history": 1000})


class SetRecordKeepsAllHistory(InMemorySessionStore):
    def set_record(self, name: str, record: SessionRecord) -> None:
        self._records[name] = record


class UpdatesWithoutALock(InMemorySessionStore):
    def _replace(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        record = fn(self._records.get(name))
        time.sleep(0)  # lets another thread read the same record meanwhile
        if record is None:
            self._records.pop(name, None)
        else:
            self._records[name] = record
        return record


class HandsOutMutableRecords(InMemorySessionStore):
    def get_record(self, name: str) -> Any:
        record = super().get_record(name)
        return record and types.SimpleNamespace(**attrs.asdict(record, recurse=False))


BREAKS: dict[str, type[InMemorySessionStore]] = {
    "unknown_names_are_absent": DeletesReportNoneForUnknownNames,
    "set_get_delete": ListsNothing,
    "set_keeps_counters_and_history": SetStartsOver,
    "any_string_is_a_name": RejectsSlashes,
    "blank_names_are_rejected": IgnoresBlankNames,
    "blank_session_ids_are_rejected": AcceptsBlankSessionIds,
    "records_round_trip": ForgetsTheLastStatus,
    "list_records_is_sorted_by_name": ListsInReverse,
    "update_returning_none_deletes": UpdateReturnsTheDeletedRecord,
    "counters_follow_success": CountsEveryTurnAsASuccess,
    "history_is_bounded": KeepsAllHistory,
    "set_record_is_bounded_too": SetRecordKeepsAllHistory,
    "update_is_atomic_under_threads": UpdatesWithoutALock,
    "records_are_values": HandsOutMutableRecords,
}


def test_every_rule_has_a_break() -> None:
    assert [rule.__name__ for rule in RULES] == list(BREAKS)


@pytest.mark.parametrize(("rule", "broken"), BREAKS.items(), ids=list(BREAKS))
def test_each_rule_catches_its_break(rule: str, broken: StoreFactory) -> None:
    with pytest.raises(Exception):  # noqa: B017 - an AssertionError, or the store's own error
        getattr(store_rules, rule)(broken)


def test_the_memory_store_keeps_every_rule() -> None:
    check_session_store(InMemorySessionStore)


def test_the_json_file_store_keeps_every_rule(tmp_path: Path) -> None:
    paths = (tmp_path / f"sessions-{n}.json" for n in itertools.count())  # a new store each call
    check_session_store(lambda **options: JsonFileSessionStore(next(paths), **options))


def test_check_session_store_names_the_rule_broken() -> None:
    with pytest.raises(AssertionError) as info:
        check_session_store(ListsInReverse)
    assert str(info.value) == (
        "store rule 'list_records_is_sorted_by_name' broken (``list_records`` is sorted by name.): "
        "names of list_records(): got ['c', 'b', 'a'], expected ['a', 'b', 'c']"
    )


def test_a_store_error_breaks_the_rule_too() -> None:
    with pytest.raises(
        AssertionError, match=r"'any_string_is_a_name' broken .*: the store raised ValueError"
    ):
        check_session_store(RejectsSlashes)


def test_the_rules_hold_under_python_O() -> None:
    # The rules do not use `assert`, which `python -O` removes.
    done = run_python(
        "from codex_local_sdk.testing import check_session_store\n"
        "from tests.test_testing_kit import ListsInReverse\n"
        "check_session_store(ListsInReverse)\n",
        "-O",
    )
    assert "AssertionError: store rule 'list_records_is_sorted_by_name' broken" in done.stderr


def test_the_pytest_contract_runs_each_rule_once() -> None:
    methods = {
        name: inspect.getsource(method)
        for name, method in vars(SessionStoreContract).items()
        if name.startswith("test_")
    }
    calls = sorted(
        rule.__name__
        for rule in RULES
        for source in methods.values()
        if f"store_rules.{rule.__name__}(" in source
    )
    assert calls == sorted(rule.__name__ for rule in RULES)
    assert len(methods) == len(RULES)


def test_the_pytest_contract_fails_on_a_broken_store() -> None:
    with pytest.raises(AssertionError, match="names of list_records"):
        SessionStoreContract().test_list_records_is_sorted_by_name(ListsInReverse)
