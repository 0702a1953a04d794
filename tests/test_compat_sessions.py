"""Session data and stores of codex-local-sdk-python 0.1.4, on this package.

``fixtures/sessions-0.1.4.json`` was written by that package's own client and store (how:
``fixtures/README.md``): schema version 2 like ours, but each record's name is under
``session_name``, previews and durations may be ``null``, and turns have no ``succeeded``.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from adapters.clock import FakeClock
from adapters.json_file_store import JsonFileSessionStore
from adapters.memory_store import InMemorySessionStore
from adapters.scripted_runner import ScriptedRun, ScriptedRunner
from codex_local_sdk import CodexLocalClient, SessionStore
from codex_local_sdk.sessions import SessionRecord, SessionTurnRecord

FIXTURE = Path(__file__).parent / "fixtures" / "sessions-0.1.4.json"
NAMES = ["imported ✓", "revue-été-ß", "ticket-4711", "夜間レビュー"]


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURE, tmp_path / "sessions.json"))


def raw_records(path: Path, schema_version: int = 2) -> dict[str, Any]:
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["schema_version"] == schema_version
    records: dict[str, Any] = payload["records"]
    return records


def as_0_1_4_wrote_it(record: SessionRecord) -> dict[str, Any]:
    """``record`` in 0.1.4's terms: its fields, with ``None`` for an empty preview."""

    def turn(t: SessionTurnRecord) -> dict[str, Any]:
        fields = attrs.asdict(t)
        del fields["succeeded"]
        return {**fields, **{k: fields[k] or None for k in ("prompt_preview", "message_preview")}}

    fields = attrs.asdict(record, recurse=False)
    for ours in ("name", "last_usage", "parent_session_id", "launch_options", "metadata"):
        del fields[ours]
    return {**fields, "session_name": record.session_name, "turns": [turn(t) for t in record.turns]}


def test_a_0_1_4_store_file_loads_as_it_is(store_file: Path) -> None:
    before = store_file.read_bytes()
    records = JsonFileSessionStore(store_file).list_records()
    assert [r.name for r in records] == NAMES
    assert {r.name: as_0_1_4_wrote_it(r) for r in records} == raw_records(store_file)
    imported = records[0]
    assert [t.duration_seconds for t in imported.turns] == [None, None]
    assert [(t.prompt_preview, t.message_preview) for t in imported.turns] == [
        ("Plan the migration", "Here is the plan"),
        ("", ""),
    ]
    review = records[1]
    assert [t.succeeded for t in review.turns] == [True, False]  # from return_code and turn_status
    assert (review.success_count, review.failure_count, review.last_usage) == (1, 1, None)
    assert store_file.read_bytes() == before  # reading leaves it for 0.1.4 to read too


def test_a_0_1_4_session_resumes_by_name(store_file: Path) -> None:
    store = JsonFileSessionStore(store_file, clock=FakeClock())
    thread_id = raw_records(store_file)["revue-été-ß"]["session_id"]
    runner = ScriptedRunner([ScriptedRun.success("Voilà", thread_id=thread_id)])
    client = CodexLocalClient(runner=runner, session_store=store, clock=FakeClock())
    result = client.resume("Et ensuite ?", session_name="revue-été-ß")
    assert runner.calls[0].argv[-3:] == ("resume", thread_id, "-")
    assert result.succeeded
    record = store.get_record("revue-été-ß")
    assert record is not None
    assert (record.turn_count, record.success_count, record.failure_count) == (3, 2, 1)
    assert [t.operation for t in record.turns] == ["start_thread", "resume", "resume"]
    assert record.turns[-1].message_preview == "Voilà"


def test_the_next_write_migrates_it_with_nothing_lost(store_file: Path) -> None:
    old = raw_records(store_file)
    store = JsonFileSessionStore(store_file)
    loaded = store.list_records()
    store.set("nouvelle", "thread-new")
    new = raw_records(store_file, schema_version=3)  # 0.1.4 can no longer read it
    assert sorted(new) == sorted([*NAMES, "nouvelle"])
    for name in NAMES:
        record = old[name]
        assert new[name] == {
            **{key: value for key, value in record.items() if key != "session_name"},
            "name": record["session_name"],
            "last_usage": None,
            "turns": [
                {
                    **turn,
                    "prompt_preview": turn["prompt_preview"] or "",
                    "message_preview": turn["message_preview"] or "",
                    "succeeded": turn["return_code"] == 0 and turn["turn_status"] != "failed",
                }
                for turn in record["turns"]
            ],
        }
    assert [r for r in store.list_records() if r.name != "nouvelle"] == loaded


def test_record_aliases_of_0_1_4() -> None:
    turn = SessionTurnRecord(1.5, "resume", None, 0, "completed", None, "ok")
    assert turn == SessionTurnRecord(
        timestamp=1.5, operation="resume", return_code=0, turn_status="completed", message_preview="ok"
    )
    assert (turn.prompt_preview, turn.duration_seconds, turn.succeeded) == ("", None, True)
    record = SessionRecord("thread-1", "name-1", 1.0, 2.0, "completed", 1, 1, 0, (turn,))
    assert record.session_name == record.name == "name-1"
    assert record == SessionRecord(
        session_id="thread-1",
        session_name="name-1",  # type: ignore[call-arg]  # accepted, not typed: write name=
        created_at=1.0,
        updated_at=2.0,
        last_turn_status="completed",
        turn_count=1,
        success_count=1,
        failure_count=0,
        turns=[turn],
    )
    assert attrs.evolve(record, name="name-2").session_name == "name-2"
    with pytest.raises(AttributeError):
        record.session_name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("thread-1", "a", 1.0, 2.0), {"session_name": "b"}),
        (("thread-1",), {"name": "a", "session_name": "b", "created_at": 1.0, "updated_at": 2.0}),
    ],
)
def test_a_record_takes_its_name_once(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="got both name and session_name: pass one"):
        SessionRecord(*args, **kwargs)


def test_json_file_store_constructors_of_0_1_4(store_file: Path) -> None:
    assert JsonFileSessionStore.SCHEMA_VERSION == 3
    by_keyword = JsonFileSessionStore(file_path=str(store_file), max_turn_history=1)
    by_position = JsonFileSessionStore(str(store_file), 1)
    for store in (by_keyword, by_position):
        assert (store.path, store.file_path, store.max_turn_history) == (store_file, str(store_file), 1)
    by_keyword.set("x", "thread-x")
    assert by_position.get("x") == "thread-x"


@pytest.mark.parametrize(
    ("kwargs", "problem"), [({}, "got neither"), ({"path": "a.json", "file_path": "b.json"}, "got both")]
)
def test_json_file_store_takes_its_file_once(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(TypeError, match=f"takes the store file once, as path .*; {problem}"):
        JsonFileSessionStore(**kwargs)


def test_in_memory_store_takes_initial_sessions() -> None:
    clock = FakeClock()
    store = InMemorySessionStore(initial={"ticket-4711": "thread-1", "夜間": "thread-2"}, clock=clock)
    assert store.all() == {"ticket-4711": "thread-1", "夜間": "thread-2"}
    assert store.get_record("夜間") == SessionRecord(
        session_id="thread-2", name="夜間", created_at=clock.time(), updated_at=clock.time()
    )
    assert InMemorySessionStore({"a": "thread-a"}, 3).max_turn_history == 3
    with pytest.raises(TypeError, match="initial must be a mapping of session names to thread ids"):
        InMemorySessionStore(initial=[("a", "thread-a")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="session_id must be a thread id"):
        InMemorySessionStore(initial={"a": " "})


class StoreOf0_1_4:
    """A store as its users wrote them for 0.1.4 (its ``InMemorySessionStore``): records in
    a dict, ``set_record`` rebuilding each with 0.1.4's fields, and no ``update``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, SessionRecord] = {}

    def get(self, name: str) -> str | None:
        record = self.get_record(name)
        return record.session_id if record is not None else None

    def set(self, name: str, session_id: str) -> None:
        with self._lock:
            self._records[name] = SessionRecord(session_id, name, 0.0, 0.0)

    def delete(self, name: str) -> bool:
        with self._lock:
            return self._records.pop(name, None) is not None

    def all(self) -> dict[str, str]:
        with self._lock:
            return {name: record.session_id for name, record in self._records.items()}

    def get_record(self, name: str) -> SessionRecord | None:
        with self._lock:
            return self._records.get(name)

    def set_record(self, name: str, record: SessionRecord) -> None:
        with self._lock:
            self._records[name] = SessionRecord(
                record.session_id,
                name,
                record.created_at,
                record.updated_at,
                record.last_turn_status,
                record.turn_count,
                record.success_count,
                record.failure_count,
                record.turns[-20:],
            )

    def list_records(self) -> list[SessionRecord]:  # 0.1.4's returned a dict; recording needs neither
        with self._lock:
            return [self._records[name] for name in sorted(self._records)]


class SubclassOf0_1_4(StoreOf0_1_4, SessionStore):
    """The same, declared a ``SessionStore`` as 0.1.4 code subclassing its ABC is."""


@pytest.mark.parametrize("make_store", [StoreOf0_1_4, SubclassOf0_1_4])
def test_a_store_without_update_records_the_turns(make_store: Callable[[], SessionStore]) -> None:
    assert "update" not in vars(StoreOf0_1_4) and "update" not in vars(SubclassOf0_1_4)
    store = make_store()
    runner = ScriptedRunner(
        [
            ScriptedRun.success("one", thread_id="thread-7"),
            ScriptedRun.failure(thread_id="thread-7"),
            ScriptedRun.success("three", thread_id="thread-7"),
        ]
    )
    client = CodexLocalClient(runner=runner, session_store=store, clock=FakeClock(), raise_on_error=False)
    thread, _ = client.start_thread("first", session_name="ticket-4711")
    client.resume("second", session_name="ticket-4711")
    thread.continue_prompt("third")
    assert [call.argv[-3:] for call in runner.calls[1:]] == [("resume", "thread-7", "-")] * 2
    record = store.get_record("ticket-4711")
    assert record is not None
    assert (record.session_id, record.turn_count, record.success_count, record.failure_count) == (
        "thread-7",
        3,
        2,
        1,
    )
    assert [(t.operation, t.succeeded) for t in record.turns] == [
        ("start_thread", True),
        ("resume", False),
        ("resume", True),
    ]
