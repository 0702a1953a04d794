"""Structured output into the caller's types: the strict schema of a class, the reading of a
reply into it, and ``output_type=`` on every kind of turn (ScriptedRunner, sync and asyncio)."""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any, Literal, Optional

import attrs
import pytest

from adapters.scripted_runner import ScriptedRun
from codex_local_sdk import (
    CodexExecFailedError,
    CodexExecRequest,
    CodexOutputError,
)
from codex_local_sdk._output import class_schema, output_spec
from tests.conftest import MakeHarness
from tests.test_imports import run_python


class Severity(enum.Enum):
    LOW = "low"
    HIGH = "high"


@attrs.frozen
class Finding:
    path: str
    line: int
    severity: Severity


@attrs.frozen
class Review:
    verdict: Literal["approve", "reject"]
    score: float
    findings: list[Finding]
    tags: tuple[str, ...]
    note: Optional[str]  # noqa: UP045 - the typing spelling is read as well as `str | None`
    owner: Finding | None = None
    urgent: bool = False


@dataclasses.dataclass(frozen=True)
class DataFinding:
    path: str
    line: int
    severity: Severity


@dataclasses.dataclass(frozen=True)
class DataReview:
    verdict: Literal["approve", "reject"]
    score: float
    findings: list[DataFinding]
    tags: tuple[str, ...]
    note: Optional[str]  # noqa: UP045
    owner: DataFinding | None = None
    urgent: bool = False


FINDING_SCHEMA = {
    "type": "object",
    "properties": {
        "path": {"type": "string"},
        "line": {"type": "integer"},
        "severity": {"type": "string", "enum": ["low", "high"]},
    },
    "required": ["path", "line", "severity"],
    "additionalProperties": False,
}


def review_schema(finding: str) -> dict[str, Any]:
    ref = {"$ref": f"#/$defs/{finding}"}
    return {
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": ["approve", "reject"]},
            "score": {"type": "number"},
            "findings": {"type": "array", "items": ref},
            "tags": {"type": "array", "items": {"type": "string"}},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "owner": {"anyOf": [ref, {"type": "null"}]},
            "urgent": {"type": "boolean"},
        },
        # every field is required, defaults too: strict structured outputs want them all
        "required": ["verdict", "score", "findings", "tags", "note", "owner", "urgent"],
        "additionalProperties": False,
        "$defs": {finding: FINDING_SCHEMA},
    }


REPLY = {
    "verdict": "reject",
    "score": 2,
    "findings": [{"path": "a.py", "line": 3, "severity": "high"}],
    "tags": ["style"],
    "note": None,
    "owner": None,
    "urgent": True,
}
REVIEW = Review("reject", 2.0, [Finding("a.py", 3, Severity.HIGH)], ("style",), None, None, True)
DATA_REVIEW = DataReview("reject", 2.0, [DataFinding("a.py", 3, Severity.HIGH)], ("style",), None, None, True)


# -- the schema of a class ---------------------------------------------------------------------


def test_an_attrs_class_gives_a_strict_schema() -> None:
    assert class_schema(Review) == review_schema("Finding")


def test_a_dataclass_gives_the_same_strict_schema() -> None:
    assert class_schema(DataReview) == review_schema("DataFinding")


@attrs.frozen
class Node:
    name: str
    children: list[Node]


@attrs.frozen
class Tree:
    root: Node
    shadow: list[Tree]


def test_a_class_that_holds_itself_is_described_by_reference() -> None:
    schema = class_schema(Tree)
    assert schema["properties"]["shadow"] == {"type": "array", "items": {"$ref": "#"}}
    assert schema["$defs"]["Node"]["properties"]["children"] == {
        "type": "array",
        "items": {"$ref": "#/$defs/Node"},
    }


def other_finding() -> type[Any]:
    @attrs.frozen
    class Finding:  # same name as the module's, another class
        text: str

    return Finding


def test_two_classes_of_one_name_get_a_definition_each() -> None:
    @attrs.frozen
    class Both:
        first: Finding
        second: other_finding()  # type: ignore[valid-type]

    schema = class_schema(Both)
    assert schema["properties"]["first"] == {"$ref": "#/$defs/Finding"}
    assert schema["properties"]["second"] == {"$ref": "#/$defs/Finding2"}
    assert schema["$defs"]["Finding2"]["properties"] == {"text": {"type": "string"}}


@attrs.frozen
class Other:
    text: str


def holder(annotation: Any) -> type[Any]:
    """An attrs class ``Holder`` with one nested field ``inner.field`` of type ``annotation``."""
    inner = attrs.make_class("Inner", {"field": attrs.field(type=annotation)})
    return attrs.make_class("Holder", {"inner": attrs.field(type=list[inner])})  # type: ignore[valid-type]


@pytest.mark.parametrize(
    ("annotation", "says"),
    [
        (dict[str, Any], "dict[str, Any] is not supported (a strict schema needs named properties"),
        (Any, "Any is not supported"),
        (Finding | Other, "a union of Finding and Other is not supported"),
        (int | str, "a union of int and str is not supported"),
        (tuple[int, str], "tuple[int, str] is not supported"),
        (list, "list is not supported"),
        (set[int], "set[int] is not supported"),
        (Literal[b"x"], "are not JSON scalars"),
    ],
)
def test_a_field_no_strict_schema_can_describe_is_named(annotation: Any, says: str) -> None:
    with pytest.raises(TypeError, match=r"^Holder\.inner\[\]\.field: ") as caught:
        output_spec(holder(annotation))
    assert says in str(caught.value)


@pytest.mark.parametrize("output_type", [int, list[int], "Review", Review(**attrs.asdict(REVIEW)), object])
def test_what_is_not_a_schema_nor_a_class_is_refused(output_type: Any) -> None:
    with pytest.raises(
        TypeError, match=r"must be a JSON Schema \(a dict\), an attrs class, a dataclass or a pydantic"
    ):
        output_spec(output_type)


# -- run_with_schema with a class --------------------------------------------------------------


@pytest.mark.parametrize(("output_type", "expected"), [(Review, REVIEW), (DataReview, DATA_REVIEW)])
def test_the_reply_is_read_into_the_class(
    make_harness: MakeHarness, output_type: type[Any], expected: Any
) -> None:
    h = make_harness([ScriptedRun.success(json.dumps(REPLY))])
    result = h.client.run_with_schema("review it", output_type)
    assert type(result.output) is output_type
    assert result.output == expected
    assert type(result.output.score) is float  # JSON's 2 is a float field's 2.0
    assert result.output_errors == ()
    assert result.parse_json() == REPLY  # the raw reply still reads as JSON
    spec = h.runner.calls[0]
    assert spec.argv[spec.argv.index("--output-schema") + 1] == "{file:output-schema.json}"
    assert json.loads(spec.input_files["output-schema.json"]) == class_schema(output_type)


def test_a_mapping_schema_gives_the_parsed_json(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success('{"answer": 42}')])
    result = h.client.run_with_schema("p", {"type": "object"})
    assert result.output == result.parse_json() == {"answer": 42}


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({**REPLY, "score": "2"}, 'expected a number, got "2" @ Review.score'),
        ({**REPLY, "urgent": 1}, "expected true or false, got 1 @ Review.urgent"),
        (
            {**REPLY, "findings": [{"path": "a.py", "line": 3.5, "severity": "high"}]},
            "@ Review.findings[0].line",
        ),
        (
            {**REPLY, "findings": [{"path": "a.py", "line": 3, "severity": "odd"}]},
            'expected one of "low", "high", got "odd" @ Review.findings[0].severity',
        ),
        ({**REPLY, "verdict": "maybe"}, 'expected one of "approve", "reject", got "maybe" @ Review.verdict'),
        ({k: v for k, v in REPLY.items() if k != "tags"}, "required field missing @ Review.tags"),
        ({**REPLY, "extra": 1}, "extra fields found (extra) @ Review"),
        ([REPLY], "expected a JSON object, got list @ Review"),
        ("not json", "the final message is not valid JSON"),
    ],
)
def test_a_reply_that_does_not_fit_raises_naming_the_field(
    make_harness: MakeHarness, reply: Any, reason: str
) -> None:
    text = reply if isinstance(reply, str) else json.dumps(reply)
    h = make_harness([ScriptedRun.success(text, thread_id="t-7")])
    with pytest.raises(CodexOutputError) as caught:
        h.client.run_with_schema("review it", Review)
    error = caught.value
    assert any(reason in one for one in error.reasons), error.reasons
    assert error.raw_text == text
    assert error.thread_id == "t-7" and error.result.output is None
    assert reason in str(error)
    assert isinstance(error, CodexExecFailedError) and isinstance(error, ValueError)


def test_every_field_that_does_not_fit_has_its_reason(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success(json.dumps({**REPLY, "score": "x", "tags": [1]}))])
    with pytest.raises(CodexOutputError) as caught:
        h.client.run_with_schema("review it", Review)
    assert [reason.rsplit(" @ ", 1)[1] for reason in caught.value.reasons] == [
        "Review.score",
        "Review.tags[0]",
    ]


def test_without_raise_on_error_the_result_says_the_reply_did_not_fit(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success('{"verdict": "approve"}')], raise_on_error=False)
    result = h.client.run_with_schema("review it", Review)
    assert result.succeeded and result.output is None
    assert "required field missing @ Review.score" in result.output_errors


def test_a_run_that_ended_without_a_message_has_nothing_to_read(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[json.dumps({"type": "turn.completed"})])], raise_on_error=False)
    result = h.client.run_with_schema("review it", Review)
    assert result.output is None
    assert result.output_errors == ("the run produced no final message to read",)


@pytest.mark.parametrize("raise_on_error", [True, False])
def test_a_failed_run_is_a_failed_run_not_an_output_error(
    make_harness: MakeHarness, raise_on_error: bool
) -> None:
    h = make_harness([ScriptedRun.failure("provider down")], raise_on_error=raise_on_error)
    if raise_on_error:
        with pytest.raises(CodexExecFailedError) as caught:
            h.client.run_with_schema("review it", Review)
        assert type(caught.value) is CodexExecFailedError
        return
    result = h.client.run_with_schema("review it", Review)
    assert (result.output, result.output_errors) == (None, ())


def test_an_unsupported_type_fails_before_any_run(make_harness: MakeHarness) -> None:
    h = make_harness([])
    with pytest.raises(TypeError, match=r"Holder\.inner\[\]\.field: dict"):
        h.client.run_with_schema("p", holder(dict[str, int]))
    with pytest.raises(TypeError, match=r"Holder\.inner\[\]\.field: Any"):
        h.client.start_thread("p", output_type=holder(Any))
    assert h.runner.calls == []


def test_an_output_type_and_a_schema_path_are_one_too_many(make_harness: MakeHarness) -> None:
    h = make_harness([])
    with pytest.raises(ValueError, match="either output_type= or output_schema_path="):
        h.client.resume("p", session_id="t-1", output_type=Review, output_schema_path="s.json")
    with pytest.raises(ValueError, match="either output_type= or output_schema_path="):
        h.client.run_live(CodexExecRequest(prompt="p", output_schema_path="s.json"), output_type=Review)
    assert h.runner.calls == []


# -- output_type= on threads and live runs -----------------------------------------------------


def reply(thread_id: str = "t-1", **fields: Any) -> ScriptedRun:
    return ScriptedRun.success(json.dumps({**REPLY, **fields}), thread_id=thread_id)


def test_every_turn_of_a_thread_can_read_its_own_type(make_harness: MakeHarness) -> None:
    h = make_harness([reply(score=1), ScriptedRun.success("plain words"), reply(score=3), reply(score=4)])
    session, first = h.client.start_thread("first", session_name="s", output_type=Review)
    assert first.output.score == 1.0
    assert session.continue_prompt("no type this time").output is None  # per turn, not carried
    assert session.continue_prompt("third", output_type=DataReview).output.score == 3.0
    assert h.client.resume("fourth", session_id="t-1", output_type=Review).output.score == 4.0
    with_schema = [("--output-schema" in call.argv, bool(call.input_files)) for call in h.runner.calls]
    assert with_schema == [(True, True), (False, False), (True, True), (True, True)]


def test_a_turn_whose_reply_does_not_fit_is_still_recorded(make_harness: MakeHarness) -> None:
    h = make_harness([reply(thread_id="t-5", score="bad")])
    with pytest.raises(CodexOutputError) as caught:
        h.client.start_thread("first", session_name="s", output_type=Review)
    assert caught.value.thread_id == "t-5"
    record = h.store.get_record("s")
    assert record is not None and record.session_id == "t-5" and record.turn_count == 1


def test_live_runs_read_their_result_into_the_type(make_harness: MakeHarness) -> None:
    h = make_harness([reply(score=1), reply(score=2)])
    with h.client.run_live(CodexExecRequest(prompt="p"), output_type=Review) as run:
        assert run.result().output.score == 1.0
    with h.client.resume_live("p", session_id="t-1", output_type=DataReview) as run:
        assert type(run.result().output) is DataReview
    assert all("--output-schema" in call.argv for call in h.runner.calls)


def test_a_live_result_that_does_not_fit_raises(make_harness: MakeHarness) -> None:
    h = make_harness([reply(urgent="yes")])
    with h.client.run_live(CodexExecRequest(prompt="p"), output_type=Review) as run:
        events = list(run.iter_events())
        with pytest.raises(CodexOutputError, match=r"Review\.urgent"):
            run.result()
    assert events  # the events came as usual: only the final reading failed


def test_a_thread_session_continues_live_with_a_type(make_harness: MakeHarness) -> None:
    h = make_harness([reply(score=1), reply(score=2)])
    session, _ = h.client.start_thread("first")
    with session.continue_live("next", output_type=Review) as run:
        assert run.result().output.score == 2.0


def test_annotations_that_cannot_be_resolved_are_a_clear_type_error() -> None:
    @attrs.frozen
    class Local:
        value: NoSuchName  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(
        TypeError, match=r"^Local: the annotations of .*Local cannot be resolved .*NoSuchName"
    ):
        output_spec(Local)


def test_cattrs_is_loaded_only_to_read_a_reply_into_a_class() -> None:
    done = run_python(
        "import sys, attrs\n"
        "from codex_local_sdk import CodexLocalClient\n"
        "from codex_local_sdk.testing import ScriptedRun, ScriptedRunner\n"
        "@attrs.frozen\n"
        "class Answer:\n"
        "    n: int\n"
        "client = CodexLocalClient(runner=ScriptedRunner([ScriptedRun.success('{\"n\": 1}')] * 2))\n"
        "assert client.run_with_schema('p', {'type': 'object'}).output == {'n': 1}\n"
        "print('cattrs' in sys.modules)\n"
        "assert client.run_with_schema('p', Answer).output == Answer(1)\n"
        "print('cattrs' in sys.modules)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
