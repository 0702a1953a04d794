"""Typed items: decoding every type the real CLI printed (the 0.169.0 fixture), tolerance of
odd fields and unknown types, the fold of an item's events into its final state, and the
views a result and a live run's progress answer from them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from codex_local_sdk import (
    AgentMessageItem,
    CodexEvent,
    CodexExecRequest,
    CodexExecResult,
    CodexLocalClient,
    CommandExecutionItem,
    ErrorItem,
    FileChangeItem,
    FileUpdateChange,
    McpToolCallItem,
    ReasoningItem,
    TodoItem,
    TodoListItem,
    TurnProgress,
    UnknownItem,
    WebSearchItem,
)
from codex_local_sdk.activity import ItemDecoder, ItemLog
from codex_local_sdk.items import ThreadItem, decode_item
from codex_local_sdk.testing import Pause, ScriptedRun, ScriptedRunner

FIXTURE = Path(__file__).parent / "fixtures" / "items-codex-0.169.0.jsonl"


def fixture_events() -> list[CodexEvent]:
    lines = FIXTURE.read_text().splitlines()
    return [CodexEvent.from_json_object(json.loads(line)) for line in lines]


def turns() -> list[tuple[CodexEvent, ...]]:
    """The fixture's two turns: every tool, then a warning (an error item)."""
    found: list[tuple[CodexEvent, ...]] = []
    current: list[CodexEvent] = []
    for event in fixture_events():
        current.append(event)
        if event.type == "turn.completed":
            found.append(tuple(current))
            current = []
    return found


def result_of_events(events: tuple[CodexEvent, ...]) -> CodexExecResult:
    return CodexExecResult(
        return_code=0, command=("codex",), stdout="", stderr="", final_message=None, events=events
    )


def completed_items() -> dict[str, Mapping[str, Any]]:
    """The first completed item of each type in the fixture, by type."""
    found: dict[str, Mapping[str, Any]] = {}
    for event in fixture_events():
        if event.type == "item.completed" and event.item is not None:
            found.setdefault(str(event.item["type"]), event.item)
    return found


def result_of(*items: Mapping[str, Any], kind: str = "item.completed") -> CodexExecResult:
    events = tuple(CodexEvent.from_json_object({"type": kind, "item": item}) for item in items)
    return result_of_events(events)


EXPECTED: dict[str, ThreadItem] = {
    "reasoning": ReasoningItem(id="item_0", text="Look first."),
    "command_execution": CommandExecutionItem(
        id="item_1",
        command="/bin/bash -c 'echo looked'",
        aggregated_output="looked\n",
        exit_code=0,
        status="completed",
    ),
    "file_change": FileChangeItem(
        id="item_4",
        changes=(
            FileUpdateChange(path="/work/hello.txt", kind="add"),
            FileUpdateChange(path="/work/notes.txt", kind="update"),
            FileUpdateChange(path="/work/stale.txt", kind="delete"),
        ),
        status="completed",
    ),
    "mcp_tool_call": McpToolCallItem(
        id="item_5",
        server="tiny",
        tool="add",
        arguments={"a": 2, "b": 3},
        result={"content": [{"type": "text", "text": "5"}], "structured_content": None},
        error=None,
        status="completed",
    ),
    "todo_list": TodoListItem(
        id="item_3", items=(TodoItem(text="look", completed=True), TodoItem(text="patch", completed=True))
    ),
    "web_search": WebSearchItem(  # 0.169.0 prints "id" twice; JSON keeps the second
        id="ws_9", query="codex sdk", action={"type": "search", "query": "codex sdk"}
    ),
    "agent_message": AgentMessageItem(id="item_8", text="All done."),
    "error": ErrorItem(
        id="item_0",
        message="Model metadata for `other` not found. Defaulting to fallback metadata; "
        "this can degrade performance and cause issues.",
    ),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_every_item_type_the_cli_prints_decodes_to_its_class(kind: str) -> None:
    obj = completed_items()[kind]
    item = decode_item(obj)
    assert item == attrs.evolve(EXPECTED[kind], raw=obj)
    assert item.raw is obj and item.type == kind


def test_the_fixture_holds_every_item_type() -> None:
    assert set(completed_items()) == set(EXPECTED)


FIELDS = [
    (cls, field.name)
    for cls in (
        AgentMessageItem,
        ReasoningItem,
        CommandExecutionItem,
        FileChangeItem,
        McpToolCallItem,
        WebSearchItem,
        TodoListItem,
        ErrorItem,
    )
    for field in attrs.fields(cls)
    if field.name not in ("raw", "arguments")  # arguments: any JSON value is kept as it is
]


@pytest.mark.parametrize(("cls", "name"), FIELDS, ids=[f"{cls.__name__}.{name}" for cls, name in FIELDS])
@pytest.mark.parametrize("odd", ["missing", 12345, True, ["a"], {"b": 1}, "text"])
def test_a_missing_or_odd_field_is_none_and_never_an_error(cls: type, name: str, odd: object) -> None:
    kind: str = cls.type  # type: ignore[attr-defined]
    obj = dict(completed_items()[kind])
    if odd == "missing":
        del obj[name]
    else:
        obj[name] = odd
    item = decode_item(obj)
    assert type(item) is cls
    value = getattr(item, name)
    if odd != "missing" and _fits(getattr(EXPECTED[kind], name), odd):
        return  # a value of the right JSON type: kept (a str for a str field...)
    assert value is None, (name, odd, value)
    for other in attrs.fields(cls):  # the other fields are decoded all the same
        if other.name not in (name, "raw"):
            assert getattr(item, other.name) == getattr(EXPECTED[kind], other.name)


def _fits(expected: object, odd: object) -> bool:
    if isinstance(expected, bool) or isinstance(odd, bool):
        return isinstance(expected, bool) and isinstance(odd, bool)
    if expected is None:  # the fixture's null: the mcp error, whose message may come as a bare string
        return isinstance(odd, str)
    if isinstance(expected, Mapping):
        return isinstance(odd, dict)
    if isinstance(expected, tuple):  # a list of steps or changes: entries that are not objects are skipped
        return isinstance(odd, list)
    return type(expected) is type(odd)


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (
            {"id": "x", "type": "collab_tool_call", "tool": "spawn"},
            UnknownItem(id="x", type="collab_tool_call"),
        ),
        ({"id": "x"}, UnknownItem(id="x")),
        ({"type": ["list"], "id": 3}, UnknownItem()),
        ({"type": None}, UnknownItem()),
    ],
)
def test_an_unknown_or_missing_type_is_kept_as_an_unknown_item(
    obj: dict[str, Any], expected: UnknownItem
) -> None:
    item = decode_item(obj)
    assert item == attrs.evolve(expected, raw=obj)
    assert item.raw is obj


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            [{"path": "a", "kind": "add"}, "junk", 3, {"path": 4}],
            (FileUpdateChange(path="a", kind="add"), FileUpdateChange()),
        ),
        ("not a list", None),
        ([], ()),
    ],
)
def test_odd_entries_of_a_list_field_are_skipped_or_emptied(changes: object, expected: object) -> None:
    item = decode_item({"type": "file_change", "id": "i", "changes": changes, "status": "completed"})
    assert isinstance(item, FileChangeItem) and item.changes == expected


def test_an_mcp_error_reads_as_its_message() -> None:
    for error in ({"message": "server gone"}, "server gone"):
        item = decode_item({"type": "mcp_tool_call", "error": error})
        assert isinstance(item, McpToolCallItem) and item.error == "server gone"


def test_an_events_thread_item_is_its_typed_item() -> None:
    started, completed = [e for e in fixture_events() if e.item is not None and e.item.get("id") == "item_1"][
        :2
    ]
    assert started.thread_item == CommandExecutionItem(
        id="item_1",
        command="/bin/bash -c 'echo looked'",
        aggregated_output="",
        exit_code=None,
        status="in_progress",
        raw=started.item or {},
    )
    assert isinstance(completed.thread_item, CommandExecutionItem) and completed.thread_item.exit_code == 0
    assert CodexEvent.from_json_object({"type": "turn.started"}).thread_item is None


def test_an_items_events_fold_into_its_final_state_in_first_seen_order() -> None:
    events = turns()[0]
    result = result_of_events(events)
    # the plan: started, updated, completed after the message; one item, in its last state
    kinds = [(item.id, item.type) for item in result.items]
    assert kinds[:4] == [
        ("item_0", "reasoning"),
        ("item_1", "command_execution"),
        ("item_2", "command_execution"),
        ("item_3", "todo_list"),
    ]
    assert len(kinds) == len(set(kinds))
    plan = result.todo_list
    assert plan is not None and plan.id == "item_3" and all(step.completed for step in plan.items or ())
    updated = next(e.item for e in events if e.type == "item.updated")
    assert plan.raw == updated


def test_the_views_answer_what_the_agent_did() -> None:
    result, warned = map(result_of_events, turns())
    assert [c.exit_code for c in result.commands_run] == [0, 2]
    assert [c.command for c in result.failed_commands] == ["/bin/bash -c 'ls missing-file'"]
    assert [(c.path, c.kind) for c in result.file_changes] == [
        ("/work/hello.txt", "add"),
        ("/work/notes.txt", "update"),
        ("/work/stale.txt", "delete"),
    ]
    assert [r.text for r in result.reasoning] == ["Look first."]
    assert result.has_side_effects and result.errors == ()
    assert warned.errors == (attrs.evolve(EXPECTED["error"], raw=warned.errors[0].raw),)
    assert not warned.has_side_effects and warned.commands_run == () and warned.todo_list is None


def test_file_changes_merge_across_items_and_skip_failed_patches() -> None:
    result = result_of(
        {"id": "1", "type": "file_change", "changes": [{"path": "a", "kind": "add"}], "status": "completed"},
        {"id": "2", "type": "file_change", "changes": [{"path": "b", "kind": "update"}], "status": "failed"},
        {
            "id": "3",
            "type": "file_change",
            "changes": [{"path": "a", "kind": "update"}, {"path": "c", "kind": "update"}],
        },
        {
            "id": "4",
            "type": "file_change",
            "changes": [{"path": "c", "kind": "delete"}],
            "status": "completed",
        },
    )
    assert result.file_changes == (
        FileUpdateChange(path="a", kind="add"),
        FileUpdateChange(path="c", kind="delete"),
    )


def test_a_failed_command_is_its_status_or_its_exit_code() -> None:
    result = result_of(
        {"id": "1", "type": "command_execution", "exit_code": 0, "status": "completed"},
        {"id": "2", "type": "command_execution", "exit_code": 1, "status": "completed"},
        {"id": "3", "type": "command_execution", "exit_code": None, "status": "failed"},
        {"id": "4", "type": "command_execution", "exit_code": None, "status": "in_progress"},
    )
    assert [c.id for c in result.failed_commands] == ["2", "3"]


@pytest.mark.parametrize(
    ("item", "acts"),
    [
        ({"type": "agent_message", "text": "hi"}, False),
        ({"type": "reasoning", "text": "hmm"}, False),
        ({"type": "todo_list", "items": []}, False),
        ({"type": "web_search", "query": "q"}, False),
        ({"type": "error", "message": "warn"}, False),
        ({"type": "command_execution", "status": "declined"}, False),
        ({"type": "command_execution", "status": "in_progress"}, True),
        ({"type": "command_execution", "status": "completed", "exit_code": 0}, True),
        ({"type": "file_change", "changes": [], "status": "failed"}, True),
        ({"type": "mcp_tool_call", "status": "failed"}, True),
        ({"type": "something_new"}, True),  # it might have acted: a retry must not assume not
    ],
)
def test_side_effects_are_commands_files_mcp_calls_and_unknown_items(
    item: dict[str, Any], acts: bool
) -> None:
    message = {"id": "m", "type": "agent_message", "text": "hello"}
    assert result_of(message, {"id": "x", **item}, kind="item.started").has_side_effects is acts


def test_a_result_without_json_output_has_empty_views() -> None:
    runner = ScriptedRunner([ScriptedRun(stdout=["plain text, not JSON"])])
    result = CodexLocalClient(runner=runner).run(CodexExecRequest(prompt="p", json_output=False))
    assert result.items == () and result.commands_run == () and result.file_changes == ()
    assert result.todo_list is None and not result.has_side_effects


def test_a_run_result_keeps_the_items_of_its_events() -> None:
    lines = [dict(event.raw) for event in turns()[0]]
    result = CodexLocalClient(runner=ScriptedRunner([ScriptedRun(stdout=lines)])).run_prompt("p")
    assert result.items == result_of_events(turns()[0]).items
    assert [c.exit_code for c in result.commands_run] == [0, 2]


def test_live_progress_is_a_snapshot_of_what_was_read_even_without_keeping_events() -> None:
    item = {
        "id": "c",
        "type": "command_execution",
        "command": "make",
        "exit_code": None,
        "status": "in_progress",
    }
    done = {**item, "exit_code": 0, "status": "completed", "aggregated_output": "ok\n"}
    lines: list[Any] = [
        {"type": "thread.started", "thread_id": "t"},
        {"type": "item.started", "item": item},
        Pause(1),
        {"type": "item.completed", "item": done},
        {"type": "item.completed", "item": {"id": "m", "type": "agent_message", "text": "built"}},
        {"type": "turn.completed", "usage": {"input_tokens": 3, "output_tokens": 1}},
    ]
    client = CodexLocalClient(runner=ScriptedRunner([ScriptedRun(stdout=lines)]))
    with client.run_live(CodexExecRequest(prompt="p")) as run:
        before_the_pause = run.progress  # the run's first read: the lines up to the pause
        snapshots = [run.progress for _ in run.iter_events()]
        result = run.result()

    assert before_the_pause.events_seen == 2
    assert before_the_pause.commands_run[0].status == "in_progress"  # a snapshot does not change later
    last = snapshots[-1]
    assert last.commands_run[0].status == "completed" and last.agent_message == "built"
    assert last.usage is not None and last.usage.input_tokens == 3
    assert last.events_seen == 5 and result.events == ()
    assert result.items == last.items and not result.failed_commands


def test_a_turn_keeps_its_latest_items_and_counts_the_others() -> None:
    log = ItemLog(max_items=2)
    for item_id in ("a", "b", "a", "c", "d"):
        log.add({"id": item_id, "type": "agent_message", "text": item_id})
    assert [obj["id"] for obj in log.snapshot()] == ["c", "d"] and log.dropped == 2


def test_a_result_that_dropped_items_counts_as_having_side_effects() -> None:
    message = {"id": "m", "type": "agent_message", "text": "hello"}
    assert not result_of(message).has_side_effects
    assert attrs.evolve(result_of(message), dropped_items=3).has_side_effects


def test_progress_decodes_an_item_once_per_change() -> None:
    decoder = ItemDecoder()
    first, second = (
        {"id": "1", "type": "reasoning", "text": "a"},
        {"id": "2", "type": "reasoning", "text": "b"},
    )
    before = decoder.decode((first,))
    after = decoder.decode((first, second))
    changed = decoder.decode(({**first, "text": "c"}, second))
    assert after[0] is before[0] and changed[1] is after[1]
    assert [item.text for item in changed if isinstance(item, ReasoningItem)] == ["c", "b"]


def test_the_async_twin_has_the_same_progress() -> None:
    lines = [dict(event.raw) for event in turns()[0]]

    async def progress_at_the_end() -> tuple[TurnProgress, CodexExecResult]:
        client = CodexLocalClient(runner=ScriptedRunner([ScriptedRun(stdout=lines)]))
        async with await client.run_live_async(CodexExecRequest(prompt="p")) as run:
            async for _ in run.iter_events():
                pass
            return run.progress, await run.result()

    progress, result = asyncio.run(progress_at_the_end())
    assert progress.items == result.items and len(progress.items) == 9
    assert [c.exit_code for c in progress.failed_commands] == [2] and progress.agent_message == "All done."
