"""Validation of the value objects: bad input fails at once, with a clear message."""

from __future__ import annotations

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
        CodexExecRequest(prompt="p", sandbox="everything")


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
