"""Every example in docs/examples runs, on the SDK's fakes, so none can rot; and the API
reference names everything the package exports."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import codex_local_sdk
from adapters.clock import FakeClock
from adapters.scripted_runner import ScriptedRun, ScriptedRunner, codex_turn_events
from codex_local_sdk import CodexLocalClient, InMemorySessionStore, RetryPolicy

DOCS = Path(__file__).resolve().parents[1] / "docs"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", DOCS / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scripted_client(*runs: ScriptedRun, **options: Any) -> CodexLocalClient:
    clock = FakeClock()
    return CodexLocalClient(
        runner=ScriptedRunner(list(runs), clock=clock),
        clock=clock,
        session_store=InMemorySessionStore(clock=clock),
        **options,
    )


def test_quickstart_service(capsys: pytest.CaptureFixture[str]) -> None:
    tool_turn: list[dict[str, Any]] = [
        {"type": "thread.started", "thread_id": "t-1"},
        {"type": "item.started", "item": {"type": "command_execution", "command": "make test"}},
        *codex_turn_events(thread_id="t-1", message="Fixed; tests pass.")[1:],
    ]
    client = scripted_client(
        ScriptedRun.success("A missing import.", thread_id="t-1"), ScriptedRun(stdout=tool_turn)
    )
    load("quickstart_service").main(client)
    out = capsys.readouterr().out
    assert "A missing import." in out
    assert "running: make test" in out and "codex: Fixed; tests pass." in out
    assert "ticket-4711: 2 turns, 0 failed" in out


def test_retries(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("retries")
    runs = [ScriptedRun.failure("overloaded"), ScriptedRun(hang=True), ScriptedRun.success("all green")]
    example.main(scripted_client(*runs, retry_policy=example.POLICY, event_hook=example.print_retries))
    assert capsys.readouterr().out.splitlines() == [
        "attempt 1 failed: overloaded",
        "retrying in 1 s",
        "attempt 2 failed: timed out",
        "retrying in 2 s",
        "done after 3 attempt(s): all green",
    ]


def test_retries_giving_up(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("retries")
    policy = RetryPolicy(max_attempts=2, retry_on_timeouts=True)
    example.main(scripted_client(ScriptedRun(hang=True), ScriptedRun(hang=True), retry_policy=policy))
    assert "gave up after 2 attempts" in capsys.readouterr().out


def test_sessions(capsys: pytest.CaptureFixture[str]) -> None:
    runs = [
        ScriptedRun.success("Noted: widgets.", usage={"input_tokens": 10, "output_tokens": 2}),
        ScriptedRun.success("widgets", usage={"input_tokens": 25, "output_tokens": 4}),
        ScriptedRun.success("You're welcome."),
    ]
    load("sessions").main(scripted_client(*runs))
    out = capsys.readouterr().out
    assert "thread thread-1: Noted: widgets." in out
    assert "widgets | tokens this turn: 17" in out
    assert "3 turns (3 ok, 0 failed)" in out
    assert '- resume: "What is the project\'s name?" -> completed' in out


def test_live_async(capsys: pytest.CaptureFixture[str]) -> None:
    runs = [
        ScriptedRun.success("It starts the app."),
        ScriptedRun.success("LGTM"),
        ScriptedRun.success("nit"),
    ]
    load("live_async").main(scripted_client(*runs))
    out = capsys.readouterr().out
    assert "event: item.completed agent_message" in out
    assert "final: It starts the app." in out
    assert "['LGTM', 'nit']" in out


def test_telemetry(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("telemetry")
    example.main(scripted_client(ScriptedRun.success("3 TODOs"), event_hook=example.count_events))
    out = capsys.readouterr().out
    assert "run attempt 1: exit 0" in out
    assert "{'attempt.started': 1, 'attempt.succeeded': 1}" in out


def test_testing_with_fakes(capsys: pytest.CaptureFixture[str]) -> None:
    load("testing_with_fakes").main()
    assert capsys.readouterr().out.count("passed:") == 3


def test_every_export_is_in_the_api_reference() -> None:
    reference = (DOCS / "guide" / "reference.md").read_text()
    documented = set(re.findall(r"^::: codex_local_sdk\.(\w+)$", reference, flags=re.MULTILINE))
    assert set(codex_local_sdk.__all__) <= documented
