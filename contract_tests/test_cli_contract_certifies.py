"""The CLI contract certifies alternatives: a stand-in CLI passes it, and each test fails
against a stand-in that breaks the part of the protocol that test is about."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codex_local_sdk.testing import contracts

CONTRACT = Path(contracts.__file__).with_name("test_cli_contract.py")
MINI_CODEX = Path(__file__).parent / "standins" / "mini_codex.py"

BREAK_FOR_TEST = {
    "test_plain_run": "final_message",
    "test_event_grammar": "thread_started",
    "test_output_schema_reaches_the_provider": "schema",
    "test_last_message_file": "last_message_file",
    "test_tool_call": "tool_output",
    "test_resume_by_name_from_a_new_process": "resume",
    "test_provider_error_fails_the_turn": "failure_exit_code",
    "test_retry_after_a_failed_turn": "retry_flake",
    "test_unreachable_provider_is_ended_by_the_timeout": "hang_on_unreachable",
    "test_live_events_arrive_while_the_provider_streams": "stream_buffering",
    "test_unknown_thread_on_resume": "unknown_thread",
    "test_one_run_at_a_time_per_thread": "busy_thread",
}


def run_contract(*args: str, broken: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(CONTRACT),
            "-q",
            "-p",
            "no:cacheprovider",
            "--codex-bin",
            str(MINI_CODEX),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "MINI_CODEX_BREAK": broken},
    )


def test_every_contract_test_has_a_break() -> None:
    source = CONTRACT.read_text()
    tests = {line.split("(")[0][4:] for line in source.splitlines() if line.startswith("def test_")}
    assert tests == set(BREAK_FOR_TEST)


def test_the_stand_in_passes_the_whole_contract() -> None:
    done = run_contract()
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"{len(BREAK_FOR_TEST)} passed" in done.stdout


@pytest.mark.parametrize(("test", "broken"), sorted(BREAK_FOR_TEST.items()))
def test_each_test_catches_its_break(test: str, broken: str) -> None:
    done = run_contract("-k", test, broken=broken)
    assert done.returncode == 1, f"{test} passed against a CLI that breaks {broken!r}:\n{done.stdout[-2000:]}"
    assert "1 failed" in done.stdout
