"""Validation of the value objects: bad input fails at once, with a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codex_local_sdk import CodexExecRequest, CodexExecResult, RetryPolicy, Usage


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"max_attempts": 0}, ValueError, "max_attempts must be >= 1"),
        ({"max_attempts": 1.5}, TypeError, "max_attempts must be an int"),
        ({"max_attempts": True}, TypeError, "max_attempts must be an int"),
        ({"initial_backoff_seconds": -1}, ValueError, "initial_backoff_seconds"),
        ({"initial_backoff_seconds": float("nan")}, ValueError, "initial_backoff_seconds"),
        ({"max_backoff_seconds": float("inf")}, ValueError, "max_backoff_seconds"),
        ({"backoff_multiplier": 0}, ValueError, "backoff_multiplier"),
        ({"jitter_ratio": 1.5}, ValueError, "jitter_ratio"),
        ({"jitter_ratio": -0.1}, ValueError, "jitter_ratio"),
        ({"max_total_retry_seconds": -1}, ValueError, "max_total_retry_seconds"),
        ({"retry_on_exit_codes": ["1"]}, TypeError, "retry_on_exit_codes"),
    ],
)
def test_bad_retry_policies_fail_at_once(fields: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        RetryPolicy(**fields)


def test_default_policy_never_retries() -> None:
    assert RetryPolicy().max_attempts == 1


def test_exit_codes_accept_any_iterable() -> None:
    assert RetryPolicy(retry_on_exit_codes=[1, 2]).retry_on_exit_codes == (1, 2)


@pytest.mark.parametrize("prompt", ["", "   \n"])
def test_empty_prompt_is_rejected(prompt: str) -> None:
    with pytest.raises(ValueError, match="prompt is empty"):
        CodexExecRequest(prompt=prompt)


def test_a_single_string_is_not_a_list_of_images() -> None:
    with pytest.raises(TypeError, match="single string"):
        CodexExecRequest(prompt="p", images="a.png")


def test_unknown_sandbox_is_rejected() -> None:
    with pytest.raises(ValueError):
        CodexExecRequest(prompt="p", sandbox="everything")  # type: ignore[arg-type]


def test_request_repr_shortens_the_prompt() -> None:
    assert "x" * 50 not in repr(CodexExecRequest(prompt="x" * 1000))


def test_usage_difference_is_one_turn() -> None:
    assert Usage(input_tokens=30, output_tokens=9) - Usage(input_tokens=20, output_tokens=6) == Usage(
        input_tokens=10, output_tokens=3
    )


def result(**fields: Any) -> CodexExecResult:
    base: dict[str, Any] = {
        "return_code": 0,
        "command": ("codex",),
        "stdout": "",
        "stderr": "",
        "final_message": None,
    }
    return CodexExecResult(**{**base, **fields})


def test_success_needs_exit_zero_and_no_failed_turn() -> None:
    assert result(turn_status="completed").succeeded
    assert not result(return_code=1).succeeded
    assert not result(turn_status="failed").succeeded


def test_parse_json_explains_what_is_wrong() -> None:
    assert result(final_message='{"a": 1}').parse_json() == {"a": 1}
    with pytest.raises(ValueError, match="not valid JSON"):
        result(final_message="nope").parse_json()
    with pytest.raises(ValueError, match="no final message"):
        result().parse_json()


@pytest.mark.parametrize(
    "field", ["model", "profile", "cwd", "output_schema_path", "output_last_message_path"]
)
@pytest.mark.parametrize("value", [123, b"bytes", ["a"]])
def test_a_string_field_of_another_type_is_a_type_error(field: str, value: Any) -> None:
    with pytest.raises(TypeError, match=f"{field} must be a"):
        CodexExecRequest(prompt="p", **{field: value})


@pytest.mark.parametrize("field", ["json_output", "skip_git_repo_check", "ephemeral"])
@pytest.mark.parametrize("value", ["false", 0, 1, None])
def test_a_flag_that_is_not_a_bool_is_a_type_error(field: str, value: Any) -> None:
    with pytest.raises(TypeError, match=f"{field} must be True or False"):
        CodexExecRequest(prompt="p", **{field: value})


@pytest.mark.parametrize(
    "fields",
    [{"model": "a\0b"}, {"cwd": "/tmp\0"}, {"images": ["a\0.png"]}, {"extra_args": ["--x\0"]}],
)
def test_a_nul_character_in_an_argument_is_a_value_error(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="NUL"):
        CodexExecRequest(prompt="p", **fields)


def test_paths_may_be_path_objects_and_are_kept_as_strings() -> None:
    request = CodexExecRequest(
        prompt="p",
        cwd=Path("/srv"),
        output_schema_path=Path("s.json"),
        output_last_message_path=Path("o.txt"),
        images=[Path("a.png"), "b.png"],
        add_dirs=(Path("d"),),
    )
    assert (request.cwd, request.output_schema_path, request.output_last_message_path) == (
        "/srv",
        "s.json",
        "o.txt",
    )
    assert (request.images, request.add_dirs) == (("a.png", "b.png"), ("d",))


def test_extra_args_take_strings_only() -> None:
    with pytest.raises(TypeError, match="expected strings"):
        CodexExecRequest(prompt="p", extra_args=[Path("x")])


@pytest.mark.parametrize("value", ["no", 0, None])
def test_retry_on_timeouts_must_be_a_bool(value: Any) -> None:
    with pytest.raises(TypeError, match="retry_on_timeouts must be True or False"):
        RetryPolicy(retry_on_timeouts=value)
