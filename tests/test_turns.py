"""The turn rules, as plain functions, on the memory store alone (no runner, no client)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.clock import FakeClock
from adapters.memory_store import InMemorySessionStore
from codex_local_sdk import _turns
from codex_local_sdk._run_files import SCHEMA_PATH, schema_input
from codex_local_sdk._telemetry import Telemetry
from codex_local_sdk._turns import Turn
from codex_local_sdk.errors import CodexSessionError, SessionStoreError
from codex_local_sdk.events import CodexClientEvent
from codex_local_sdk.models import CodexExecRequest, CodexExecResult, Usage
from codex_local_sdk.ports import RecordUpdate
from codex_local_sdk.sessions import SessionRecord


class ListSink:
    def __init__(self) -> None:
        self.events: list[CodexClientEvent] = []

    def emit(self, event: CodexClientEvent) -> None:
        self.events.append(event)


def result(**fields: Any) -> CodexExecResult:
    defaults: dict[str, Any] = {
        "return_code": 0,
        "command": ("codex",),
        "stdout": "",
        "stderr": "",
        "final_message": "done",
        "thread_id": "t-1",
        "turn_status": "completed",
    }
    return CodexExecResult(**{**defaults, **fields})


def saved(store: InMemorySessionStore, name: str, thread_id: str, last_usage: Usage | None = None) -> None:
    store.set_record(
        name,
        SessionRecord(session_id=thread_id, name=name, created_at=1.0, updated_at=1.0, last_usage=last_usage),
    )


def finalize(
    store: Any, turn: Turn, outcome: CodexExecResult, sink: ListSink | None = None
) -> CodexExecResult:
    clock = FakeClock(wall_offset=1000.0)
    return _turns.finalize(
        store,
        "resume",
        "the prompt",
        turn,
        outcome,
        clock=clock,
        preview_chars=200,
        telemetry=Telemetry(sink or ListSink(), clock, "resume"),
    )


# -- which thread a run continues ----------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "given"),
    [
        ({}, "got none"),
        ({"session_id": "t-1", "last": True}, "got session_id and last=True"),
        ({"session_id": "t-1", "session_name": "a", "last": True}, "session_id and session_name and last"),
    ],
)
def test_resume_needs_exactly_one_target(target: dict[str, Any], given: str) -> None:
    args = {"session_id": None, "session_name": None, "last": False, **target}
    with pytest.raises(ValueError, match=given):
        _turns.resume_target(InMemorySessionStore(), **args)


def test_resume_by_name_takes_the_thread_from_the_store() -> None:
    store = InMemorySessionStore()
    saved(store, "work", "t-9")
    turn, record = _turns.resume_target(store, None, "work", False)
    assert turn == Turn(thread_id="t-9", session_name="work")
    assert record == store.get_record("work")


def test_resume_by_id_or_last_records_nothing() -> None:
    store = InMemorySessionStore()
    assert _turns.resume_target(store, "t-3", None, False) == (Turn(thread_id="t-3"), None)
    assert _turns.resume_target(store, None, None, True) == (Turn(last=True), None)


def test_a_resume_checks_its_target_before_its_options() -> None:
    request, turn = _turns.resume(InMemorySessionStore(), "p", "t-1", None, False, {"model": "m"})
    assert (request.prompt, request.model, turn) == ("p", "m", Turn(thread_id="t-1"))
    with pytest.raises(ValueError, match="exactly one of"):
        _turns.resume(InMemorySessionStore(), "p", None, None, False, {"model": 7})


def test_resume_of_an_unknown_name_lists_the_known_ones() -> None:
    store = InMemorySessionStore()
    saved(store, "work", "t-9")
    with pytest.raises(CodexSessionError, match=r"no session named 'play'.*\['work'\]"):
        _turns.resume_target(store, None, "play", False)


@pytest.mark.parametrize(
    ("session_id", "last", "error"),
    [
        (7, False, TypeError),
        (None, "yes", TypeError),
        ("  ", False, ValueError),
        ("--last", False, ValueError),  # would reach the CLI as its option
    ],
)
def test_resume_refuses_a_bad_id_or_flag(session_id: Any, last: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        _turns.resume_target(InMemorySessionStore(), session_id, None, last or session_id is None)


def test_a_new_thread_forces_json_and_starts_the_named_session_afresh() -> None:
    request, turn = _turns.start("hi", "work", {"model": "m"})
    assert request.json_output and request.model == "m"
    assert turn == Turn(
        session_name="work", previous_usage=Usage(), new_session=True, launch_options={"model": "m"}
    )
    with pytest.raises(ValueError, match="session name"):
        _turns.start("hi", " ", {})


def test_a_thread_session_needs_the_thread_id_the_run_reported() -> None:
    assert _turns.started_thread(result(thread_id="t-5")) == "t-5"
    with pytest.raises(CodexSessionError, match="exited with code 3 without reporting a thread id"):
        _turns.started_thread(result(thread_id=None, return_code=3))


# -- the process spec ----------------------------------------------------------------------


def spec(request: CodexExecRequest, turn: Turn = _turns.NEW_THREAD, **settings: Any) -> Any:
    args: dict[str, Any] = {
        "codex_bin": "/bin/codex",
        "default_cwd": "/work",
        "default_env": {"A": "1"},
        "api_key": None,
        **settings,
    }
    return _turns.process_spec(request, turn, **args)


def test_the_spec_runs_the_prompt_in_the_default_cwd_with_the_default_env() -> None:
    built = spec(CodexExecRequest(prompt="héllo"))
    assert built.argv[0] == "/bin/codex"
    assert (built.stdin, built.cwd, built.env) == ("héllo".encode(), "/work", {"A": "1"})


def test_the_spec_adds_the_api_key_to_a_copy_of_the_env_and_keeps_the_request_cwd() -> None:
    env = {"A": "1"}
    built = spec(CodexExecRequest(prompt="p", cwd="/elsewhere"), default_env=env, api_key="sk-1")
    assert built.env == {"A": "1", "CODEX_API_KEY": "sk-1"}
    assert built.cwd == "/elsewhere"
    assert env == {"A": "1"}


def test_the_spec_resumes_the_turns_thread() -> None:
    assert spec(CodexExecRequest(prompt="p"), Turn(thread_id="t-1")).argv[-2:] == ("t-1", "-")
    assert "--last" in spec(CodexExecRequest(prompt="p"), Turn(last=True)).argv


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"api_key": ""}, ValueError, "api_key is empty"),
        ({"api_key": "a\0b"}, ValueError, "NUL"),
    ],
)
def test_the_spec_refuses_a_bad_api_key(
    settings: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        spec(CodexExecRequest(prompt="p"), **settings)


def test_the_spec_names_the_files_the_runner_handles() -> None:
    request = CodexExecRequest(
        prompt="p", images=["shot.png"], output_last_message_path="last.txt", output_schema_path=SCHEMA_PATH
    )
    made = _turns.process_spec(
        request,
        _turns.NEW_THREAD,
        codex_bin="/bin/codex",
        default_cwd="/work",
        default_env={},
        api_key=None,
        input_files=schema_input({"type": "object"}),
    )
    assert made.required_files == ("shot.png",)  # the runner checks them, in the run's cwd
    assert made.output_files == ("last.txt",)
    assert made.input_files == {"output-schema.json": b'{"type": "object"}'}
    assert SCHEMA_PATH in made.argv


# -- the start and the record of a named turn ----------------------------------------------


def test_begin_takes_the_previous_total_and_clears_it_in_the_record() -> None:
    store = InMemorySessionStore()
    saved(store, "work", "t-1", last_usage=Usage(input_tokens=10))
    turn = _turns.begin(store, Turn(thread_id="t-1", session_name="work"))
    assert turn.previous_usage == Usage(input_tokens=10)
    record = store.get_record("work")
    assert record is not None and record.last_usage is None


def test_begin_forgets_a_total_of_another_thread() -> None:
    store = InMemorySessionStore()
    saved(store, "work", "t-other", last_usage=Usage(input_tokens=10))
    assert _turns.begin(store, Turn(thread_id="t-1", session_name="work")).previous_usage is None


def test_begin_leaves_unnamed_and_new_sessions_alone() -> None:
    store = InMemorySessionStore()
    saved(store, "work", "t-1", last_usage=Usage(input_tokens=10))
    for turn in (Turn(thread_id="t-1"), Turn(session_name="work", new_session=True)):
        assert _turns.begin(store, turn) is turn
    record = store.get_record("work")
    assert record is not None and record.last_usage == Usage(input_tokens=10)


def test_finalize_records_the_turn_and_reports_it() -> None:
    store, sink = InMemorySessionStore(), ListSink()
    saved(store, "work", "t-1")
    turn = Turn(thread_id="t-1", session_name="work", previous_usage=Usage(input_tokens=10))
    outcome = finalize(store, turn, result(usage=Usage(input_tokens=25)), sink)
    assert outcome.turn_usage == Usage(input_tokens=15)
    assert outcome.requested_thread_id == "t-1"
    record = store.get_record("work")
    assert record is not None
    assert (record.turn_count, record.success_count, record.updated_at) == (1, 1, 1000.0)
    assert record.last_usage == Usage(input_tokens=25)
    (event,) = sink.events
    assert (event.type, event.operation, event.session_name, event.session_id) == (
        "session.updated",
        "resume",
        "work",
        "t-1",
    )
    assert event.data == {"turn_count": 1, "success_count": 1, "failure_count": 0}


def test_finalize_of_an_unnamed_turn_records_nothing() -> None:
    store, sink = InMemorySessionStore(), ListSink()
    outcome = finalize(store, Turn(thread_id="t-1"), result(usage=Usage(input_tokens=5)), sink)
    assert outcome.turn_usage is None
    assert store.all() == {} and sink.events == []


def test_a_new_session_that_reported_no_thread_is_not_recorded() -> None:
    store = InMemorySessionStore()
    finalize(store, _turns.new_thread("work"), result(thread_id=None, return_code=1))
    assert store.all() == {}


class FailingStore(InMemorySessionStore):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def update(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        raise self.error


def test_a_turn_the_store_cannot_record_reaches_the_caller_in_the_error() -> None:
    cause = OSError("disk full")
    store, sink = FailingStore(cause), ListSink()
    outcome = result(thread_id="t-7")
    with pytest.raises(SessionStoreError, match=r"the turn ran \(thread t-7\).*'work'") as caught:
        finalize(store, Turn(thread_id="t-7", session_name="work"), outcome, sink)
    assert caught.value.result is not None and caught.value.result.thread_id == "t-7"
    assert caught.value.__cause__ is cause
    assert sink.events == []


def test_a_store_error_of_the_store_itself_gets_the_turn_too() -> None:
    error = SessionStoreError("locked")
    with pytest.raises(SessionStoreError) as caught:
        finalize(FailingStore(error), Turn(thread_id="t-7", session_name="work"), result(thread_id="t-7"))
    assert caught.value is error
    assert error.result is not None and error.result.thread_id == "t-7"


def test_begin_wraps_a_store_failure_saying_nothing_ran() -> None:
    with pytest.raises(SessionStoreError, match=r"before the turn.*nothing ran") as caught:
        _turns.begin(FailingStore(OSError("disk full")), Turn(thread_id="t-1", session_name="work"))
    assert caught.value.result is None
