"""errors.error_for and errors.failure_reason: a failed result is classified in one place."""

from __future__ import annotations

from typing import Any

import pytest

from codex_local_sdk import (
    CodexExecFailedError,
    CodexExecResult,
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


def test_a_success_has_no_error() -> None:
    assert error_for(result(return_code=0, turn_status="completed")) is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"timed_out": True, "error_message": "late"}, "timed out"),
        ({"error_message": "quota exceeded", "stderr": UNKNOWN}, "quota exceeded"),
        ({"stderr": "log line\n" + UNKNOWN + "   0: <backtrace>\n"}, UNKNOWN.strip()),
        ({"stderr": "first\nlast words\n"}, "last words"),
        ({"return_code": 2}, "exit code 2"),
    ],
)
def test_failure_reason_is_one_line(fields: dict[str, Any], reason: str) -> None:
    assert failure_reason(result(**fields)) == reason
