"""Structured output into the caller's types through the real Codex CLI, offline: the strict
schema the SDK writes reaches the provider as ``text.format``, and the reply comes back as an
instance of the class (the loopback provider does not enforce the schema, so a reply that
does not fit can be sent too)."""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any, Literal

import attrs
import pytest

from codex_local_sdk import CodexExecRequest, CodexLocalClient, CodexOutputError
from codex_local_sdk._output import class_schema
from codex_local_sdk.testing.loopback import Reply
from tests.test_loopback_provider_real_cli import Offline, codex_bin, offline

__all__ = ["codex_bin", "offline"]  # the fixtures this module uses


class Kind(enum.Enum):
    ADD = "add"
    FIX = "fix"


@attrs.frozen
class Change:
    path: str
    kind: Kind


@attrs.frozen
class Plan:
    summary: str
    changes: list[Change]
    risk: Literal["low", "high"]
    reviewer: str | None


@dataclasses.dataclass(frozen=True)
class Count:
    files: int
    done: bool


PLAN = {
    "summary": "two edits",
    "changes": [{"path": "a.py", "kind": "add"}, {"path": "b.py", "kind": "fix"}],
    "risk": "low",
    "reviewer": None,
}


def client(offline: Offline, **options: Any) -> CodexLocalClient:
    return CodexLocalClient(
        codex_bin=offline.codex_bin, default_env=offline.env, default_cwd=str(offline.workdir), **options
    )


def sent_format(offline: Offline) -> dict[str, Any]:
    text_format: dict[str, Any] = offline.provider.requests[-1]["text"]["format"]
    return text_format


def test_an_attrs_class_round_trips_through_the_cli(offline: Offline) -> None:
    offline.provider.enqueue(Reply.message(json.dumps(PLAN)))
    result = client(offline).run_with_schema("plan it", Plan, skip_git_repo_check=True, timeout_seconds=60)
    assert result.output == Plan(
        "two edits", [Change("a.py", Kind.ADD), Change("b.py", Kind.FIX)], "low", None
    )
    text_format = sent_format(offline)
    assert (text_format["type"], text_format["strict"]) == ("json_schema", True)
    assert text_format["schema"] == class_schema(Plan)


def test_a_dataclass_round_trips_on_each_turn_of_a_thread(offline: Offline) -> None:
    offline.provider.enqueue(
        Reply.message('{"files": 3, "done": false}'), Reply.message('{"files": 4, "done": true}')
    )
    session, first = client(offline).start_thread(
        "count", output_type=Count, skip_git_repo_check=True, timeout_seconds=60
    )
    second = session.continue_prompt("again", output_type=Count, timeout_seconds=60)
    assert (first.output, second.output) == (Count(3, False), Count(4, True))
    assert second.thread_id == first.thread_id
    assert sent_format(offline)["schema"] == class_schema(Count)


def test_a_live_run_reads_its_result_into_the_class(offline: Offline) -> None:
    offline.provider.enqueue(Reply.message('{"files": 1, "done": true}'))
    request = CodexExecRequest(prompt="count", skip_git_repo_check=True)
    with client(offline).run_live(request, output_type=Count, timeout_seconds=60) as run:
        assert run.result().output == Count(1, True)


def test_a_reply_that_does_not_fit_names_the_field(offline: Offline) -> None:
    offline.provider.enqueue(
        Reply.message(json.dumps({**PLAN, "changes": [{"path": "a.py", "kind": "drop"}]}))
    )
    with pytest.raises(CodexOutputError) as caught:
        client(offline).run_with_schema("plan it", Plan, skip_git_repo_check=True, timeout_seconds=60)
    assert caught.value.reasons == ('expected one of "add", "fix", got "drop" @ Plan.changes[0].kind',)
    assert caught.value.result.succeeded and caught.value.thread_id is not None
