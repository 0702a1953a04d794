"""CodexLocalClient.run and friends, on ScriptedRunner + FakeClock."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.clock import FakeClock
from adapters.scripted_runner import ScriptedRun, ScriptedRunner
from codex_local_sdk import (
    CodexClientEvent,
    CodexExecFailedError,
    CodexExecRequest,
    CodexLocalClient,
    CodexNotInstalledError,
    CodexTimeoutError,
    RetryPolicy,
    Usage,
)
from tests.conftest import MakeHarness


def test_run_returns_the_summary_of_the_turn(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success("hello", thread_id="t-9", duration_seconds=2.0)])
    result = h.client.run(CodexExecRequest(prompt="say hello", cwd="/work"))
    assert result.final_message == "hello"
    assert result.thread_id == "t-9"
    assert result.turn_status == "completed"
    assert result.usage == Usage(input_tokens=10, output_tokens=5)
    assert result.turn_usage == result.usage  # a new thread: its total is this turn's
    assert result.duration_seconds == 2.0
    assert (result.return_code, result.attempts, result.timed_out) == (0, 1, False)
    assert [e.type for e in result.events][:2] == ["thread.started", "turn.started"]
    call = h.runner.calls[0]
    assert call.argv == result.command == ("codex", "exec", "--json", "-")
    assert call.stdin == b"say hello"
    assert call.cwd == "/work"


def test_default_cwd_and_env_apply(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success()], default_cwd="/srv", default_env={"A": "1"})
    h.client.run_prompt("p")
    assert (h.runner.calls[0].cwd, dict(h.runner.calls[0].env)) == ("/srv", {"A": "1"})


def test_a_relative_codex_bin_is_made_absolute_at_construction(
    make_harness: MakeHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    h = make_harness([ScriptedRun.success()], codex_bin="./bin/codex")
    monkeypatch.chdir("/")  # a later chdir does not move it
    h.client.run_prompt("p", cwd="/srv")
    assert h.client.codex_bin == str(tmp_path / "bin" / "codex")
    assert h.runner.calls[0].argv[0] == str(tmp_path / "bin" / "codex")


@pytest.mark.parametrize("codex_bin", ["codex", "/opt/codex/bin/codex"])
def test_a_bare_name_or_an_absolute_codex_bin_is_kept(make_harness: MakeHarness, codex_bin: str) -> None:
    h = make_harness([ScriptedRun.success()], codex_bin=codex_bin)
    h.client.run_prompt("p", cwd="/srv")
    assert h.client.codex_bin == h.runner.calls[0].argv[0] == codex_bin


def test_api_key_goes_only_into_the_child_environment(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success()])
    result = h.client.run_prompt("p", api_key="sk-secret")
    call = h.runner.calls[0]
    assert call.env["CODEX_API_KEY"] == "sk-secret"
    assert not any("sk-secret" in arg for arg in call.argv)
    assert "sk-secret" not in repr(call)
    assert "sk-secret" not in repr(result)
    assert not any("sk-secret" in repr(event) for event in h.events)


def test_non_json_lines_are_kept_not_fatal(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=["warming up", {"type": "thread.started", "thread_id": "t"}])])
    result = h.client.run_prompt("p")
    assert result.unparsed_lines == ("warming up",)
    assert result.thread_id == "t"


def test_failure_raises_with_the_turn_message(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.failure("quota exceeded")])
    with pytest.raises(CodexExecFailedError, match="quota exceeded") as info:
        h.client.run_prompt("p")
    assert info.value.return_code == 1
    assert info.value.turn_error == "quota exceeded"
    assert info.value.result.turn_status == "failed"


def test_failure_message_falls_back_to_stderr(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stderr="error: unexpected argument '--full-auto'\n", exit_code=2)])
    with pytest.raises(CodexExecFailedError, match="--full-auto"):
        h.client.run_prompt("p")


# What the real CLI's stderr looks like when it cannot go on: log lines, the error, a backtrace.
CLI_CRASH_STDERR = """WARNING: proceeding, even though we could not create PATH aliases
2026-12-02T18:23:05.193975Z ERROR codex_core::session: Failed to create session: boom
Error: thread/start: failed to create session: boom (code -32600)

Stack backtrace:
   0: <unknown>
   1: <unknown>
"""


def test_failure_message_quotes_the_cli_error_line(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stderr=CLI_CRASH_STDERR, exit_code=1)])
    with pytest.raises(CodexExecFailedError) as info:
        h.client.run_prompt("p")
    assert str(info.value) == (
        "codex exited with code 1 after 1 attempt(s): "
        "Error: thread/start: failed to create session: boom (code -32600)"
    )
    assert "Stack backtrace" in info.value.stderr_tail
    [failed] = [e for e in h.events if e.type == "attempt.failed"]
    assert failed.error == "Error: thread/start: failed to create session: boom (code -32600)"


def test_raise_on_error_false_returns_the_failed_result(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.failure("nope")], raise_on_error=False)
    result = h.client.run_prompt("p")
    assert not result.succeeded
    assert result.error_message == "nope"


def test_timeout_terminates_and_reports(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=[{"type": "turn.started"}], hang=True)])
    with pytest.raises(CodexTimeoutError) as info:
        h.client.run_prompt("p", timeout_seconds=30)
    result = info.value.result
    assert result.timed_out and result.turn_status == "timed_out"
    assert result.return_code == -15
    assert result.duration_seconds == 30
    assert h.clock.monotonic() == 30


def test_timeout_escalates_to_kill_after_the_grace(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(hang=True, ignores_sigterm=True)], terminate_grace_seconds=2)
    with pytest.raises(CodexTimeoutError) as info:
        h.client.run_prompt("p", timeout_seconds=10)
    assert info.value.result.return_code == -9
    assert h.clock.monotonic() == 12


def test_not_installed_is_not_retried(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.not_installed()] * 3, retry_policy=RetryPolicy(max_attempts=3))
    with pytest.raises(CodexNotInstalledError, match="PATH searched"):
        h.client.run_prompt("p")
    assert len(h.runner.calls) == 1
    assert h.event_types() == ["attempt.started", "attempt.failed"]


def test_a_raising_hook_never_breaks_a_run(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    def hook(event: CodexClientEvent) -> None:
        raise RuntimeError("telemetry down")

    h = make_harness([ScriptedRun.success("still fine")], event_hook=hook)
    with caplog.at_level(logging.ERROR):
        assert h.client.run_prompt("p").final_message == "still fine"
    assert "telemetry down" in caplog.text


def test_a_raising_event_sink_never_breaks_a_run_nor_starves_the_hook(
    caplog: pytest.LogCaptureFixture, in_mode: Callable[[CodexLocalClient], CodexLocalClient]
) -> None:
    class BrokenSink:
        def emit(self, event: CodexClientEvent) -> None:
            raise RuntimeError("sink down")

    clock = FakeClock()
    hooked: list[str] = []
    client = in_mode(
        CodexLocalClient(
            runner=ScriptedRunner([ScriptedRun.success("still fine")], clock=clock),
            clock=clock,
            event_sink=BrokenSink(),
            event_hook=lambda event: hooked.append(event.type),
        )
    )
    with caplog.at_level(logging.ERROR):
        assert client.run_prompt("p").final_message == "still fine"
    assert "sink down" in caplog.text
    assert hooked == ["operation.started", "attempt.started", "attempt.succeeded", "operation.finished"]


@pytest.mark.parametrize("timeout", [-1, 0, float("nan")])
def test_bad_timeouts_fail_before_any_process(make_harness: MakeHarness, timeout: float) -> None:
    h = make_harness([])
    with pytest.raises(ValueError, match="timeout_seconds"):
        h.client.run_prompt("p", timeout_seconds=timeout)
    assert h.runner.calls == []


def test_missing_image_fails_before_any_process(make_harness: MakeHarness, tmp_path: Path) -> None:
    h = make_harness([])
    with pytest.raises(ValueError, match="does not exist"):
        h.client.run_prompt("p", cwd=str(tmp_path), images=["missing.png"])
    assert h.runner.calls == []


def test_existing_image_is_passed(make_harness: MakeHarness, tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"png")
    h = make_harness([ScriptedRun.success()])
    h.client.run_prompt("p", cwd=str(tmp_path), images=["x.png"])
    assert "--image=x.png" in h.runner.calls[0].argv


def test_run_with_schema_hands_the_schema_bytes_to_the_runner(make_harness: MakeHarness) -> None:
    # writing it to a private file and removing it is the runner's job: tests/test_run_files.py
    h = make_harness([ScriptedRun.success('{"answer": 42}')])
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}}
    result = h.client.run_with_schema("p", schema)
    assert result.parse_json() == {"answer": 42}
    spec = h.runner.calls[0]
    assert spec.argv[spec.argv.index("--output-schema") + 1] == "{file:output-schema.json}"
    assert json.loads(spec.input_files["output-schema.json"]) == schema


@pytest.mark.parametrize(
    ("schema", "problem"),
    [(["type", "object"], "got list"), ({"default": {1, 2}}, "not JSON-serialisable")],
)
def test_a_bad_schema_is_refused_before_any_run(make_harness: MakeHarness, schema: Any, problem: str) -> None:
    h = make_harness([])
    with pytest.raises(TypeError, match=problem):
        h.client.run_with_schema("p", schema)
    assert h.runner.calls == []


def test_non_json_mode_reads_the_last_message_file(make_harness: MakeHarness, tmp_path: Path) -> None:
    h = make_harness([ScriptedRun(stdout=["plain text output"], output_files={"last.txt": b"from the file"})])
    result = h.client.run_prompt(
        "p", json_output=False, cwd=str(tmp_path), output_last_message_path="last.txt"
    )
    assert result.final_message == "from the file"
    assert result.events == ()
    assert h.runner.calls[0].output_files == ("last.txt",)


def test_non_json_mode_without_file_uses_stdout(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(stdout=["plain text output"])])
    assert h.client.run_prompt("p", json_output=False).final_message == "plain text output"
