"""Typed items against the real Codex CLI, offline: every item type the CLI prints, produced
by a scripted turn on the loopback provider, read back through the SDK's typed views.

The model catalog offers the freeform ``apply_patch`` tool (real ``file_change`` items),
``[tools.update_plan]`` gives ``todo_list`` items, a tiny stdio MCP server (in
``tests/standins/mcp_server.py``) gives ``mcp_tool_call`` items, and a catalog that does not
know the configured model makes the CLI print an ``error`` item. Every type can be produced
offline with 0.169.0.

``tests/fixtures/items-codex-0.169.0.jsonl`` holds the lines of :func:`every_tool_turn` as
0.169.0 printed them (paths under the work folder shown as ``/work``); the unit tests in
``tests/test_items.py`` decode it. Regenerate it with
``CODEX_BIN=... python -m tests.test_items_real_cli``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codex_local_sdk import (
    CodexExecRequest,
    CodexExecResult,
    CodexLocalClient,
    ErrorItem,
    FileUpdateChange,
    McpToolCallItem,
    TodoItem,
    TurnProgress,
    WebSearchItem,
)
from codex_local_sdk.testing.loopback import LoopbackProvider, Reply, write_codex_home
from tests.test_loopback_provider_real_cli import Offline, codex_bin, offline

__all__ = ["codex_bin", "offline"]  # the fixtures this module uses

CLI_VERSION = "0.169.0"
FIXTURE = Path(__file__).parent / "fixtures" / f"items-codex-{CLI_VERSION}.jsonl"
MCP_SERVER = Path(__file__).parent / "standins" / "mcp_server.py"

PATCH = """*** Begin Patch
*** Add File: hello.txt
+hello
*** Update File: notes.txt
@@
-old
+new
*** Delete File: stale.txt
*** End Patch
"""


def tools_config() -> dict[str, Any]:
    """``write_codex_home`` options that enable apply_patch, update_plan and the MCP server."""
    extra = f"""
[mcp_servers.tiny]
command = {json.dumps(sys.executable)}
args = [{json.dumps(str(MCP_SERVER))}]
default_tools_approval_mode = "approve"

[tools.update_plan]
enabled = true
"""
    return {"model_options": {"apply_patch_tool_type": "freeform"}, "extra_config": extra}


def every_tool_turn() -> list[Reply]:
    """One turn that makes the CLI print every item type it has a tool for."""
    return [
        Reply(items=(*Reply.reasoning("Look first.").items, *Reply.tool_call("echo looked").items)),
        Reply.tool_call("ls missing-file"),
        Reply.function_call("update_plan", plan(look="completed", patch="in_progress")),
        Reply.apply_patch(PATCH),
        Reply.function_call("add", {"a": 2, "b": 3}, namespace="mcp__tiny"),
        Reply.function_call("add", {"a": 2}, namespace="mcp__tiny"),  # the server says it failed
        Reply.function_call("update_plan", plan(look="completed", patch="completed")),
        Reply(items=(*Reply.web_search("codex sdk").items, *Reply.message("All done.").items)),
    ]


def plan(**steps: str) -> dict[str, Any]:
    return {"plan": [{"step": step, "status": status} for step, status in steps.items()]}


def prepare(workdir: Path, home: Path, base_url: str) -> CodexLocalClient:
    (workdir / "notes.txt").write_text("old\n")
    (workdir / "stale.txt").write_text("stale\n")
    env = write_codex_home(home, base_url, **tools_config())
    return CodexLocalClient(codex_bin=os.environ["CODEX_BIN"], default_env=env, default_cwd=str(workdir))


def request() -> CodexExecRequest:
    return CodexExecRequest(prompt="do it all", skip_git_repo_check=True, sandbox="danger-full-access")


def test_every_item_type_comes_back_typed(offline: Offline) -> None:
    offline.provider.enqueue(*every_tool_turn())
    client = prepare(offline.workdir, offline.home, offline.provider.base_url)

    result = client.run(request(), timeout_seconds=120)

    assert result.succeeded, result.stderr
    work = offline.workdir
    assert [(c.exit_code, c.status) for c in result.commands_run] == [(0, "completed"), (2, "failed")]
    assert result.commands_run[0].command == "/bin/bash -c 'echo looked'"
    assert result.commands_run[0].aggregated_output == "looked\n"
    [failed] = result.failed_commands
    assert "missing-file" in (failed.aggregated_output or "")
    assert result.file_changes == (
        FileUpdateChange(path=str(work / "hello.txt"), kind="add"),
        FileUpdateChange(path=str(work / "notes.txt"), kind="update"),
        FileUpdateChange(path=str(work / "stale.txt"), kind="delete"),
    )
    assert (work / "hello.txt").read_text() == "hello\n" and not (work / "stale.txt").exists()
    assert [r.text for r in result.reasoning] == ["Look first."]
    call, refused = [item for item in result.items if isinstance(item, McpToolCallItem)]
    assert (call.server, call.tool, call.arguments, call.status, call.error) == (
        "tiny",
        "add",
        {"a": 2, "b": 3},
        "completed",
        None,
    )
    assert call.result is not None and call.result["content"] == [{"type": "text", "text": "5"}]
    assert (refused.arguments, refused.status, refused.error) == ({"a": 2}, "failed", None)
    assert refused.result is not None and refused.result["content"][0]["text"] == "add needs a and b"
    assert result.todo_list is not None  # updated: one item, in its last state
    assert result.todo_list.items == (
        TodoItem(text="look", completed=True),
        TodoItem(text="patch", completed=True),
    )
    [search] = [item for item in result.items if isinstance(item, WebSearchItem)]
    assert (search.query, search.action) == ("codex sdk", {"type": "search", "query": "codex sdk"})
    assert result.final_message == "All done."
    assert result.has_side_effects
    assert {item.type for item in result.items} == {
        "reasoning",
        "command_execution",
        "file_change",
        "mcp_tool_call",
        "todo_list",
        "web_search",
        "agent_message",
    }


def test_the_fixture_has_the_shape_the_cli_prints_today(offline: Offline) -> None:
    offline.provider.enqueue(*every_tool_turn(), Reply.message("fine"))
    client = prepare(offline.workdir, offline.home, offline.provider.base_url)

    turns = [client.run(request(), timeout_seconds=120), client.run(warning_request(offline.workdir))]

    assert all(turn.succeeded for turn in turns), [turn.stderr for turn in turns]
    assert item_shapes("".join(turn.stdout for turn in turns)) == item_shapes(FIXTURE.read_text())


def warning_request(workdir: Path) -> CodexExecRequest:
    """A model the catalog does not describe: the CLI warns with an error item, then works."""
    return CodexExecRequest(prompt="hi", cwd=str(workdir), skip_git_repo_check=True, model="other")


def test_a_warning_is_an_error_item(offline: Offline) -> None:
    offline.provider.enqueue(Reply.message("fine"))
    client = CodexLocalClient(codex_bin=offline.codex_bin, default_env=offline.env)

    result = client.run(warning_request(offline.workdir))

    assert result.succeeded, result.stderr
    [error] = result.errors
    assert isinstance(error, ErrorItem)
    assert error.message is not None and "Model metadata for `other` not found" in error.message
    assert not result.has_side_effects


def test_live_progress_follows_the_turn(offline: Offline) -> None:
    offline.provider.enqueue(Reply.tool_call("exit 4"), Reply.apply_patch(PATCH), Reply.message("done"))
    client = prepare(offline.workdir, offline.home, offline.provider.base_url)
    seen: list[TurnProgress] = []

    with client.run_live(request(), timeout_seconds=120) as run:
        for _ in run.iter_events():
            seen.append(run.progress)
        result = run.result()

    assert result.succeeded, result.stderr
    # each snapshot holds what was read so far (events may arrive together, so no exact steps)
    assert len(seen[0].items) < len(seen[-1].items) == 3
    last = seen[-1]
    assert [c.exit_code for c in last.failed_commands] == [4]
    assert [c.kind for c in last.file_changes] == ["add", "update", "delete"]
    assert last.agent_message == "done" and last.usage == result.usage
    assert last.items == result.items  # kept without keep_events
    assert last.events_seen == len(seen)


def item_shapes(jsonl: str) -> set[tuple[str, str, tuple[str, ...]]]:
    """(event type, item type, the item's keys) of each item event of a JSONL text."""
    events = [json.loads(line) for line in jsonl.splitlines() if line.strip()]
    return {
        (event["type"], event["item"]["type"], tuple(sorted(event["item"])))
        for event in events
        if isinstance(event.get("item"), Mapping)
    }


def capture() -> str:
    """The JSONL of two turns, :func:`every_tool_turn` and :func:`warning_request`'s, with
    the work folder's path shown as ``/work``."""
    with tempfile.TemporaryDirectory() as tmp, LoopbackProvider(every_tool_turn()) as provider:
        workdir = Path(tmp, "work")
        workdir.mkdir()
        client = prepare(workdir, Path(tmp, "home"), provider.base_url)
        turns: list[CodexExecResult] = [client.run(request()), client.run(warning_request(workdir))]
        assert all(turn.succeeded for turn in turns), [turn.stderr for turn in turns]
        return "".join(turn.stdout for turn in turns).replace(str(workdir), "/work")


if __name__ == "__main__":
    FIXTURE.write_text(capture())
    print(f"wrote {FIXTURE}")
