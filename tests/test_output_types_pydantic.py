"""Structured output into pydantic v2 models, which the SDK duck-types (pydantic is not one
of its dependencies; the dev extra installs it so these run in CI)."""

from __future__ import annotations

import json
from typing import Literal

import pytest

from adapters.scripted_runner import ScriptedRun
from codex_local_sdk import CodexOutputError
from codex_local_sdk._output import output_spec, pydantic_schema
from tests.conftest import MakeHarness

pytest.importorskip("pydantic", reason="pydantic is not installed (pip install '.[dev]')")
from pydantic import BaseModel


class PydanticFinding(BaseModel):
    path: str
    line: int = 0


class PydanticReview(BaseModel):
    verdict: Literal["approve", "reject"]
    findings: list[PydanticFinding]
    note: str | None = None


def test_a_pydantic_model_s_schema_is_made_strict() -> None:
    schema = pydantic_schema(PydanticReview)
    assert schema["required"] == ["verdict", "findings", "note"]
    assert schema["additionalProperties"] is False
    finding = schema["$defs"]["PydanticFinding"]
    assert (finding["required"], finding["additionalProperties"]) == (["path", "line"], False)
    assert "default" not in json.dumps(schema)  # the reply gives every field


def test_a_pydantic_reply_is_validated_by_the_model(make_harness: MakeHarness) -> None:
    h = make_harness(
        [ScriptedRun.success('{"verdict": "approve", "findings": [{"path": "a", "line": 2}], "note": null}')]
    )
    result = h.client.run_with_schema("p", PydanticReview)
    assert result.output == PydanticReview(verdict="approve", findings=[PydanticFinding(path="a", line=2)])
    assert json.loads(h.runner.calls[0].input_files["output-schema.json"]) == pydantic_schema(PydanticReview)


def test_a_pydantic_reply_that_does_not_fit_names_the_field(make_harness: MakeHarness) -> None:
    h = make_harness(
        [
            ScriptedRun.success(
                '{"verdict": "approve", "findings": [{"path": "a", "line": "x"}], "note": null}'
            )
        ]
    )
    with pytest.raises(CodexOutputError) as caught:
        h.client.run_with_schema("p", PydanticReview)
    assert caught.value.reasons[0].endswith("@ PydanticReview.findings[0].line"), caught.value.reasons


def test_a_pydantic_free_form_mapping_is_refused_by_name() -> None:
    class Loose(BaseModel):
        meta: dict[str, int]

    with pytest.raises(TypeError, match=r"^Loose\.meta: a free-form mapping is not supported"):
        output_spec(Loose)
