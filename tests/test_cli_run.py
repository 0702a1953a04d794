"""``codex-local run`` without a CLI: what its progress shows, with and without ``rich``, and
the bad input it refuses before anything runs (the real CLI's runs are in
``tests/test_cli_run_real_cli.py``)."""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from codex_local_sdk import CodexEvent, TurnProgress, Usage
from codex_local_sdk.activity import ItemDecoder, fold_items
from codex_local_sdk.cli import main
from codex_local_sdk.cli._progress import PlainProgress, RichProgress, terminal_progress


def item_event(kind: str, item: dict[str, Any]) -> CodexEvent:
    return CodexEvent.from_json_object({"type": f"item.{kind}", "item": item})


COMMAND = {"id": "c", "type": "command_execution", "command": "pytest -q", "aggregated_output": ""}
PLAN = {"id": "p", "type": "todo_list", "items": [{"text": "look", "completed": True}]}
EVENTS = [
    item_event("started", {**COMMAND, "status": "in_progress"}),
    item_event("completed", {**COMMAND, "exit_code": 1, "status": "failed"}),
    item_event("started", PLAN),
    item_event("updated", PLAN),  # the same plan: not printed again
    item_event("updated", {**PLAN, "items": [*PLAN["items"], {"text": "fix", "completed": False}]}),
    item_event("started", {"id": "f", "type": "file_change", "changes": [], "status": "in_progress"}),
    item_event(
        "completed",
        {
            "id": "f",
            "type": "file_change",
            "changes": [{"path": "app.py", "kind": "update"}],
            "status": "completed",
        },
    ),
    item_event("completed", {"id": "m", "type": "agent_message", "text": "Fixed app.py."}),
]


def progress_after(events: list[CodexEvent]) -> TurnProgress:
    """The turn as a live run would show it after ``events``."""
    log = fold_items(events)
    return TurnProgress(
        items=ItemDecoder().decode(log.snapshot()), usage=Usage(input_tokens=120, output_tokens=30)
    )


def ticking() -> Iterator[float]:
    yield from (0.0, 2.5)


def test_plain_progress_prints_a_line_per_step_then_the_message_and_totals() -> None:
    out = io.StringIO()
    clock = ticking()
    progress = PlainProgress(out, clock=lambda: next(clock))
    for event in EVENTS:
        progress.update(
            event, lambda: progress_after(EVENTS)
        )  # the snapshot may be ahead: lines follow events
    progress.close(progress_after(EVENTS), "completed")

    assert out.getvalue() == (
        "$ pytest -q\n"
        "$ pytest -q  (exit 1)\n"
        "plan:\n"
        "[x] look\n"
        "plan:\n"
        "[x] look\n"
        "[ ] fix\n"
        "~ update app.py\n"
        "\n"
        "Fixed app.py.\n"
        "\n"
        "completed · tokens: 120 in, 30 out · 2.5s\n"
    )


def test_without_rich_the_terminal_gets_plain_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rich.console", None)  # as if the cli extra were not installed

    assert isinstance(terminal_progress(io.StringIO(), plain=False), PlainProgress)


def test_with_rich_the_panel_ends_with_the_message_and_totals() -> None:
    out = io.StringIO()
    progress = terminal_progress(out, plain=False)
    assert isinstance(progress, RichProgress)
    for count, event in enumerate(EVENTS, 1):
        progress.update(event, functools.partial(progress_after, EVENTS[:count]))
    progress.close(progress_after(EVENTS), "completed")

    text = out.getvalue()
    assert "$ pytest -q  (exit 1)" in text
    assert "~ update app.py" in text
    assert "[ ] fix" in text
    *_, message, totals = text.splitlines()
    assert message == "Fixed app.py."
    assert totals.startswith("completed · tokens: 120 in, 30 out · ")


def test_plain_wins_over_rich_when_asked() -> None:
    assert isinstance(terminal_progress(io.StringIO(), plain=True), PlainProgress)


def test_an_empty_prompt_from_stdin_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("  \n"))

    assert main(["run", "-", "--codex-bin", "/no/such/codex"]) == 2
    assert "the prompt is empty" in capsys.readouterr().err


def test_a_bad_store_url_is_refused_before_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "hi", "--session", "s", "--store", "nope", "--codex-bin", "/no/such/codex"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad store URL" in err


def test_a_missing_cli_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "hi", "--json", "--codex-bin", "/no/such/codex"]) == 1

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("codex-local: ") and "/no/such/codex" in err
