"""errors.error_for and errors.failure_reason: a failed result is classified in one place."""

from __future__ import annotations

from typing import Any

import pytest

from codex_local_sdk import (
    CodexExecFailedError,
    CodexExecResult,
    CodexOutputTooLargeError,
    CodexThreadBusyError,
    CodexTimeoutError,
    CodexUnknownThreadError,
)
from codex_local_sdk.errors import error_for, failure_reason

UNKNOWN = "Error: thread/resume: no rollout found for thread id t-1\n"
BUSY = "Error: thread/resume: thread t-1 already has an active writer\n"


def result(**fields: Any) -> CodexExecResult:
    defaults: dict[str, Any] = {
        "return_code": 1,
        "command": ("codex",),
        "stdout": "",
        "stderr": "",
        "final_message": None,
    }
    return CodexExecResult(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"return_code": -15, "timed_out": True, "turn_status": "timed_out"}, CodexTimeoutError),
        (
            {"return_code": 0, "turn_status": "output_too_large", "exceeded_line_limit": 64},
            CodexOutputTooLargeError,
        ),
        ({"stderr": UNKNOWN, "requested_thread_id": "t-1"}, CodexUnknownThreadError),
        ({"stderr": BUSY, "requested_thread_id": "t-1"}, CodexThreadBusyError),
        ({"stderr": UNKNOWN}, CodexExecFailedError),  # not a resume by id: the marker means nothing
        ({"return_code": 0, "turn_status": "failed"}, CodexExecFailedError),
    ],
)
def test_each_failure_gets_its_error(fields: dict[str, Any], error: type[CodexExecFailedError]) -> None:
    found = error_for(result(**fields))
    assert type(found) is error
    assert found.result == result(**fields)


@pytest.mark.parametrize(("duration", "named"), [(3.0, 3.0), (1.0, None)])
def test_a_timeout_names_its_limit_only_when_the_run_reached_it(duration: float, named: float | None) -> None:
    timed_out = result(return_code=-15, timed_out=True, turn_status="timed_out", duration_seconds=duration)
    error = error_for(timed_out, 3.0)
    assert isinstance(error, CodexTimeoutError) and error.timeout_seconds == named  # else: a CLI lingered


def test_a_success_has_no_error() -> None:
    assert error_for(result(return_code=0, turn_status="completed")) is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"timed_out": True, "error_message": "late"}, "timed out"),
        ({"turn_status": "terminated", "return_code": -15}, "terminated by the caller (terminate())"),
        ({"turn_status": "killed", "return_code": -9}, "killed by the caller (kill())"),
        ({"turn_status": "interrupted"}, "interrupted (closed, cancelled or KeyboardInterrupt)"),
        ({"exceeded_line_limit": 1024, "error_message": "cut"}, "a stdout line passed 1,024 bytes"),
        ({"error_message": "quota exceeded", "stderr": UNKNOWN}, "quota exceeded"),
        ({"stderr": "log line\n" + UNKNOWN + "   0: <backtrace>\n"}, UNKNOWN.strip()),
        ({"stderr": "first\nlast words\n"}, "last words"),
        ({"return_code": 2}, "exit code 2"),
    ],
)
def test_failure_reason_is_one_line(fields: dict[str, Any], reason: str) -> None:
    assert failure_reason(result(**fields)) == reason
