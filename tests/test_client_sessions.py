"""Named sessions: start -> resume by name -> resume by id, records and their telemetry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.memory_store import InMemorySessionStore
from adapters.scripted_runner import ScriptedRun, codex_turn_events
from codex_local_sdk import (
    CodexExecFailedError,
    CodexLiveRun,
    CodexSessionError,
    CodexThreadBusyError,
    CodexUnknownThreadError,
    RetryPolicy,
    SessionStoreError,
    SessionStoreLockTimeout,
    Usage,
)
from codex_local_sdk.ports import ProcessSpec, RecordUpdate
from codex_local_sdk.sessions import SessionRecord
from tests.conftest import MakeHarness, sync_only


def turn(message: str, total_input: int, *, thread_id: str = "t-1") -> ScriptedRun:
    """A turn of thread t-1 whose usage is the thread's running total, as the CLI reports."""
    return ScriptedRun(
        stdout=codex_turn_events(
            thread_id=thread_id,
            message=message,
            usage={"input_tokens": total_input, "output_tokens": total_input // 10},
        )
    )


def test_start_then_resume_by_name_then_by_id(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("two", 20), turn("three", 30)])
    session, first = h.client.start_thread("hello", session_name="ticket-4711", skip_git_repo_check=True)
    assert (session.session_id, session.session_name, first.thread_id) == ("t-1", "ticket-4711", "t-1")
    second = h.client.resume("more", session_name="ticket-4711")
    third = h.client.resume("again", session_id="t-1")
    assert [r.final_message for r in (first, second, third)] == ["one", "two", "three"]
    # by name, the record's launch options apply; by id there is no record to read
    assert h.runner.calls[1].argv == (
        "codex",
        "exec",
        "--json",
        "--skip-git-repo-check",
        "resume",
        "t-1",
        "-",
    )
    assert h.runner.calls[2].argv == ("codex", "exec", "--json", "resume", "t-1", "-")
    assert h.runner.calls[0].argv == ("codex", "exec", "--json", "--skip-git-repo-check", "-")
    record = h.client.get_session_record("ticket-4711")
    assert record is not None
    assert (record.turn_count, record.success_count, record.failure_count) == (2, 2, 0)
    assert [t.operation for t in record.turns] == ["start_thread", "resume"]
    assert h.client.list_sessions() == {"ticket-4711": "t-1"}


def test_turn_usage_is_the_difference_of_running_totals(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("two", 25), turn("three", 45)])
    session, first = h.client.start_thread("hello", session_name="s")
    second = h.client.resume("more", session_name="s")
    third = session.continue_prompt("again")
    assert [r.usage.input_tokens for r in (first, second, third) if r.usage] == [10, 25, 45]
    assert [r.turn_usage.input_tokens for r in (first, second, third) if r.turn_usage] == [10, 15, 20]


def test_a_name_pointed_at_another_thread_forgets_the_old_threads_total(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 100), turn("two", 30, thread_id="t-2"), turn("three", 50, thread_id="t-2")])
    h.client.start_thread("hello", session_name="s")
    h.client.save_session("s", "t-2")
    record = h.client.get_session_record("s")
    assert record is not None and record.last_usage is None and record.turn_count == 1
    second = h.client.resume("more", session_name="s")
    third = h.client.resume("again", session_name="s")
    assert second.turn_usage is None  # t-2's total before this turn is unknown, not 100
    assert third.turn_usage == Usage(input_tokens=20, output_tokens=2)


def test_unnamed_thread_session_continues_by_id(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("two", 30)])
    session, _ = h.client.start_thread("hello", model="m1")
    result = session.continue_prompt("more")
    assert h.runner.calls[1].argv == ("codex", "exec", "--json", "--model", "m1", "resume", "t-1", "-")
    assert result.turn_usage == Usage(input_tokens=20, output_tokens=2)
    assert session.last_result is result
    assert session.is_last_turn_complete
    assert h.client.list_sessions() == {}


def test_resume_accepts_the_options_of_a_new_run(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10)])
    h.client.save_session("s", "t-1")
    h.client.resume(
        "more",
        session_name="s",
        cwd="/repo",
        model="m",
        sandbox="read-only",
        skip_git_repo_check=True,
        config={"a": 1},
    )
    call = h.runner.calls[0]
    assert call.cwd == "/repo"
    assert call.argv == (
        "codex",
        "exec",
        "--json",
        "--model",
        "m",
        "--sandbox",
        "read-only",
        "--skip-git-repo-check",
        "-c",
        "a=1",
        "resume",
        "t-1",
        "-",
    )


def test_failed_turns_are_counted(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), ScriptedRun.failure("bad", thread_id="t-1")])
    h.client.start_thread("hello", session_name="s")
    with pytest.raises(CodexExecFailedError):
        h.client.resume("more", session_name="s")
    record = h.client.get_session_record("s")
    assert record is not None
    assert (record.turn_count, record.success_count, record.failure_count) == (2, 1, 1)
    assert record.last_turn_status == "failed"


def test_history_is_bounded_but_counters_are_not(make_harness: MakeHarness) -> None:
    runs = [turn(f"m{i}", 10 * (i + 1)) for i in range(7)]
    h = make_harness(runs, session_store=InMemorySessionStore(max_turn_history=3))
    h.client.start_thread("hello", session_name="s")
    for _ in range(6):
        h.client.resume("more", session_name="s")
    record = h.client.get_session_record("s")
    assert record is not None
    assert record.turn_count == 7
    assert [t.message_preview for t in record.turns] == ["m4", "m5", "m6"]


@pytest.mark.parametrize(("chars", "prompt_preview"), [(0, ""), (5, "abcd…"), (100, "abcdefgh")])
def test_preview_length_is_configurable(make_harness: MakeHarness, chars: int, prompt_preview: str) -> None:
    h = make_harness([turn("one", 10)], preview_chars=chars)
    h.client.start_thread("abcdefgh", session_name="s", api_key="sk-never-stored")
    record = h.client.get_session_record("s")
    assert record is not None
    assert record.turns[0].prompt_preview == prompt_preview
    assert "sk-never-stored" not in repr(record)


def test_every_recorded_turn_emits_session_updated(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("two", 20)])
    h.client.start_thread("hello", session_name="s")
    h.client.resume("more", session_name="s")
    updates = [e for e in h.events if e.type == "session.updated"]
    assert [(e.session_name, e.session_id, e.data["turn_count"]) for e in updates] == [
        ("s", "t-1", 1),
        ("s", "t-1", 2),
    ]
    assert updates[-1].data == {"turn_count": 2, "success_count": 2, "failure_count": 0}


def test_starting_a_name_again_starts_a_fresh_record(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("new", 5, thread_id="t-2")])
    h.client.start_thread("hello", session_name="s")
    h.client.start_thread("hello again", session_name="s")
    record = h.client.get_session_record("s")
    assert record is not None
    assert (record.session_id, record.turn_count) == ("t-2", 1)


@pytest.mark.parametrize(
    "targets",
    [
        {},
        {"session_id": "t-1", "session_name": "s"},
        {"session_id": "t", "last": True},
        {"session_name": "s", "last": True},
    ],
)
def test_resume_needs_exactly_one_target(make_harness: MakeHarness, targets: dict[str, Any]) -> None:
    h = make_harness([])
    h.client.save_session("s", "t-1")
    with pytest.raises(ValueError, match="exactly one of"):
        h.client.resume("more", **targets)
    assert h.runner.calls == []


def test_resume_last_is_passed_explicitly(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10)])
    h.client.resume("more", last=True)
    assert h.runner.calls[0].argv[-3:] == ("resume", "--last", "-")


def test_unknown_session_name_is_a_clear_error(make_harness: MakeHarness) -> None:
    h = make_harness([])
    with pytest.raises(CodexSessionError, match="no session named 'ghost'"):
        h.client.resume("more", session_name="ghost")
    with pytest.raises(CodexSessionError, match="no session named 'ghost'"):
        h.client.open_session("ghost")


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_session_names_are_rejected(make_harness: MakeHarness, name: str) -> None:
    h = make_harness([])
    with pytest.raises(ValueError, match="session name"):
        h.client.start_thread("p", session_name=name)


def test_a_run_without_thread_id_cannot_start_a_thread(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[{"type": "turn.completed"}])])
    with pytest.raises(CodexSessionError, match="without reporting a thread id"):
        h.client.start_thread("p", session_name="s")
    assert h.client.get_session_record("s") is None


def test_unknown_thread_on_resume_says_so(make_harness: MakeHarness) -> None:
    stderr = "Error: thread/resume: no rollout found for thread id 0199-abc\n"
    h = make_harness([ScriptedRun(stderr=stderr, exit_code=1)])
    with pytest.raises(CodexUnknownThreadError, match="no thread '0199-abc' to resume"):
        h.client.resume("more", session_id="0199-abc")


BUSY_STDERR = "Error: thread/resume: thread/resume failed: thread t-1 already has an active writer\n"


def test_a_thread_busy_with_another_run_says_so_and_counts_as_a_failed_turn(
    make_harness: MakeHarness,
) -> None:
    h = make_harness([turn("one", 10), ScriptedRun(stderr=BUSY_STDERR, exit_code=1)])
    h.client.start_thread("hello", session_name="s")
    with pytest.raises(CodexThreadBusyError, match="thread 't-1' is being continued by another run") as info:
        h.client.resume("more", session_name="s")
    assert info.value.result.requested_thread_id == "t-1"
    record = h.client.get_session_record("s")
    assert record is not None
    assert (record.session_id, record.turn_count, record.failure_count) == ("t-1", 2, 1)


def test_a_retry_policy_waits_a_busy_thread_out(make_harness: MakeHarness) -> None:
    busy = ScriptedRun(stderr=BUSY_STDERR, exit_code=1)
    h = make_harness(
        [turn("one", 10), busy, busy, turn("two", 20)],
        retry_policy=RetryPolicy(
            max_attempts=3, initial_backoff_seconds=5, max_backoff_seconds=30, jitter_ratio=0
        ),
    )
    h.client.start_thread("hello", session_name="s")
    result = h.client.resume("more", session_name="s")
    assert (result.final_message, result.attempts) == ("two", 3)
    assert h.clock.sleeps == [5, 10]


class FlakyStore(InMemorySessionStore):
    """An in-memory store whose next ``update`` after ``passes`` more raises ``failure``."""

    failure: Exception | None = None
    passes = 0

    def update(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        if self.failure is not None and self.passes == 0:
            failure, self.failure = self.failure, None
            raise failure
        self.passes = max(0, self.passes - 1)
        return super().update(name, fn)


@pytest.mark.parametrize(
    "failure",
    [SessionStoreLockTimeout("another process holds the lock"), ConnectionError("store host unreachable")],
)
def test_a_turn_the_store_cannot_record_still_reaches_the_caller(
    make_harness: MakeHarness, failure: Exception
) -> None:
    store = FlakyStore()
    store.failure = failure
    h = make_harness([turn("one", 10)], session_store=store)
    with pytest.raises(SessionStoreError) as info:
        h.client.start_thread("hello", session_name="s")
    assert info.value.result is not None
    assert (info.value.result.thread_id, info.value.result.final_message) == ("t-1", "one")
    if isinstance(failure, SessionStoreError):
        assert info.value is failure
    else:
        assert info.value.__cause__ is failure
        assert "the turn ran (thread t-1) but the session store could not record it under 's'" in str(
            info.value
        )
    assert h.client.get_session_record("s") is None


def test_a_live_turn_the_store_could_not_record_is_recorded_by_the_next_wait(
    make_harness: MakeHarness,
) -> None:
    store = FlakyStore()
    h = make_harness([turn("one", 10), turn("two", 20)], session_store=store)
    session, _ = h.client.start_thread("hello", session_name="s")
    with session.continue_live("more") as run:
        store.failure = SessionStoreLockTimeout("another process holds the lock")
        with pytest.raises(SessionStoreLockTimeout) as info:
            run.wait()
        assert info.value.result is not None and info.value.result.final_message == "two"
        assert run.wait().final_message == "two"
    record = h.client.get_session_record("s")
    assert record is not None and record.turn_count == 2


def test_open_session_continues_the_named_session(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("two", 20)])
    h.client.start_thread("hello", session_name="s")
    session = h.client.open_session("s", cwd="/repo")
    session.continue_prompt("more")
    assert h.runner.calls[1].cwd == "/repo"
    record = h.client.get_session_record("s")
    assert record is not None and record.turn_count == 2


def test_session_store_apis(make_harness: MakeHarness) -> None:
    h = make_harness([])
    h.client.save_session("a", "t-a")
    h.client.save_session("b", "t-b")
    assert h.client.get_session_id("a") == "t-a"
    records = h.client.list_session_records()
    assert list(records) == ["a", "b"]
    assert [record.name for record in records.values()] == ["a", "b"]
    assert h.client.delete_session("a") is True
    assert h.client.delete_session("a") is False
    assert h.client.get_session_id("a") is None
    with pytest.raises(ValueError, match="session_id must be a thread id"):
        h.client.save_session("c", "")


@pytest.mark.parametrize("session_id", ["", "   ", "\t\n", 123, None])
def test_a_blank_session_id_is_refused_before_the_store(make_harness: MakeHarness, session_id: Any) -> None:
    h = make_harness([])
    with pytest.raises(ValueError, match="session_id must be a thread id"):
        h.client.save_session("c", session_id)
    assert h.client.get_session_id("c") is None


def test_specs_keep_the_same_environment_for_resume(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("two", 20)])
    session, _ = h.client.start_thread("hello", api_key="sk-1")
    session.continue_prompt("more")
    specs: list[ProcessSpec] = h.runner.calls
    assert [s.env.get("CODEX_API_KEY") for s in specs] == ["sk-1", "sk-1"]


def test_an_opened_session_sends_its_api_key_and_a_turn_may_override_it(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 10), turn("two", 20), turn("three", 30)])
    h.client.start_thread("hello", session_name="s")
    session = h.client.open_session("s", api_key="sk-1")
    session.continue_prompt("more")
    session.continue_prompt("again", api_key="sk-2")
    specs: list[ProcessSpec] = h.runner.calls
    assert [s.env.get("CODEX_API_KEY") for s in specs] == [None, "sk-1", "sk-2"]


# -- live turns: recorded when closed; a turn never recorded leaves the next usage unknown --


def test_a_live_turn_read_to_its_end_is_recorded_when_its_block_ends(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 100), turn("two", 200), turn("three", 300)])
    session, _ = h.client.start_thread("hello", session_name="s")
    with session.continue_live("more") as run:
        assert [e.type for e in run.iter_events()][-1] == "turn.completed"  # no result()
    with session.continue_live("again") as run:
        third = run.result()
    record = h.client.get_session_record("s")
    assert record is not None
    assert (record.turn_count, record.success_count) == (3, 3)
    assert [t.message_preview for t in record.turns] == ["one", "two", "three"]
    assert third.turn_usage == Usage(input_tokens=100, output_tokens=10)


def test_a_live_turn_closed_mid_run_is_recorded_as_interrupted(make_harness: MakeHarness) -> None:
    started = [{"type": "thread.started", "thread_id": "t-1"}, {"type": "turn.started"}]
    h = make_harness([turn("one", 100), ScriptedRun(stdout=started, hang=True), turn("three", 300)])
    session, _ = h.client.start_thread("hello", session_name="s")
    with session.continue_live("more"):
        pass
    record = h.client.get_session_record("s")
    assert record is not None
    assert (record.turn_count, record.failure_count, record.last_turn_status) == (2, 1, "interrupted")
    assert record.last_usage is None  # the interrupted turn may have used tokens
    assert session.continue_prompt("again").turn_usage is None  # unknown, not 200


def test_a_live_turn_never_closed_leaves_the_next_turn_usage_unknown(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 100), turn("two", 200), turn("three", 300)])
    h.client.start_thread("hello", session_name="s")
    dropped = h.client.resume_live("more", session_name="s")
    list(dropped.iter_events())  # read to its end, then neither result() nor close()
    third = h.client.resume("again", session_name="s")
    assert third.turn_usage is None  # not 200: the dropped turn's tokens are in the total
    record = h.client.get_session_record("s")
    assert record is not None and record.last_usage == Usage(input_tokens=300, output_tokens=30)


def test_a_turn_the_store_failed_to_record_leaves_the_next_turn_usage_unknown(
    make_harness: MakeHarness,
) -> None:
    store = FlakyStore()
    h = make_harness([turn("one", 100), turn("two", 200), turn("three", 300)], session_store=store)
    session, _ = h.client.start_thread("hello", session_name="s")
    store.failure, store.passes = SessionStoreLockTimeout("another process holds the lock"), 1
    with pytest.raises(SessionStoreLockTimeout):
        session.continue_prompt("more")  # ran, but not recorded
    third = session.continue_prompt("again")
    assert third.turn_usage is None  # not 200


def test_closing_never_raises_a_store_error_nor_masks_the_callers_exception(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    store = FlakyStore()
    h = make_harness([turn("one", 100), turn("two", 200)], session_store=store)
    session, _ = h.client.start_thread("hello", session_name="s")
    with pytest.raises(KeyError, match="the caller's"), session.continue_live("more") as run:
        list(run.iter_events())
        store.failure = ConnectionError("store host unreachable")
        raise KeyError("the caller's")
    assert "its turn could not be recorded" in caplog.text
    record = h.client.get_session_record("s")
    assert record is not None and record.turn_count == 1
    assert run.result().final_message == "two"  # records it now
    record = h.client.get_session_record("s")
    assert record is not None and record.turn_count == 2


def test_an_unnamed_session_does_not_count_a_live_turn_twice(make_harness: MakeHarness) -> None:
    h = make_harness([turn("one", 100), turn("two", 200), turn("three", 300)])
    session, _ = h.client.start_thread("hello")
    with session.continue_live("more") as run:
        run.result()
    assert session.continue_prompt("again").turn_usage is None  # not 200: the live turn was not seen


def test_an_async_live_turn_read_to_its_end_is_recorded_when_its_block_ends(
    make_harness: MakeHarness,
) -> None:
    h = make_harness([turn("one", 100), turn("two", 200), turn("three", 300)])

    async def scenario() -> Usage | None:
        session, _ = await h.client.start_thread_async("hello", session_name="s")
        async with await session.continue_live_async("more") as run:
            _ = [event async for event in run.iter_events()]
        async with await session.continue_live_async("again") as run:
            return (await run.result()).turn_usage

    assert asyncio.run(scenario()) == Usage(input_tokens=100, output_tokens=10)
    record = h.client.get_session_record("s")
    assert record is not None and record.turn_count == 3


def test_an_async_live_turn_closed_mid_run_is_recorded_as_interrupted(make_harness: MakeHarness) -> None:
    started = [{"type": "thread.started", "thread_id": "t-1"}, {"type": "turn.started"}]
    h = make_harness([turn("one", 100), ScriptedRun(stdout=started, hang=True)])

    async def scenario() -> None:
        session, _ = await h.client.start_thread_async("hello", session_name="s")
        async with await session.continue_live_async("more") as run:
            await run.iter_events().__anext__()

    asyncio.run(scenario())
    record = h.client.get_session_record("s")
    assert record is not None
    assert (record.turn_count, record.last_turn_status, record.last_usage) == (2, "interrupted", None)


def test_a_store_that_cannot_mark_the_turn_as_started_stops_it_before_it_runs(
    make_harness: MakeHarness,
) -> None:
    store = FlakyStore()
    h = make_harness([turn("one", 100), turn("two", 200)], session_store=store)
    h.client.start_thread("hello", session_name="s")
    store.failure = ConnectionError("store host unreachable")
    with pytest.raises(SessionStoreError, match="nothing ran") as info:
        h.client.resume_live("more", session_name="s")
    assert info.value.result is None and len(h.runner.calls) == 1
    record = h.client.get_session_record("s")
    assert record is not None and record.last_usage == Usage(input_tokens=100, output_tokens=10)


def test_a_live_turn_closed_after_a_later_turn_was_recorded_leaves_the_usage_unknown(
    make_harness: MakeHarness,
) -> None:
    h = make_harness([turn("one", 100), turn("two", 200), turn("three", 300), turn("four", 400)])
    h.client.start_thread("hello", session_name="s")
    held = h.client.resume_live("more", session_name="s")
    list(held.iter_events())  # read to its end, closed only after the next turn
    h.client.resume("again", session_name="s")
    held.close()  # records "two" (total 200) after "three" (total 300)
    record = h.client.get_session_record("s")
    assert record is not None and record.turn_count == 3 and record.last_usage is None
    assert h.client.resume("on", session_name="s").turn_usage is None  # not 400 - 200


@sync_only
def test_closing_while_the_turn_is_being_recorded_records_it_once(make_harness: MakeHarness) -> None:
    class ClosingStore(InMemorySessionStore):
        """Closes ``run`` inside the next update, as a signal handler might mid-record."""

        run: CodexLiveRun | None = None

        def update(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
            run, self.run = self.run, None
            if run is not None:
                run.close()
            return super().update(name, fn)

    store = ClosingStore()
    h = make_harness([turn("one", 100), turn("two", 200)], session_store=store)
    h.client.start_thread("hello", session_name="s")
    with h.client.resume_live("more", session_name="s") as run:
        store.run = run
        assert run.result().final_message == "two"
    record = h.client.get_session_record("s")
    assert record is not None and record.turn_count == 2
