"""Runner contract: one scenario, two runners, identical results and telemetry.

Every scenario is a list of :class:`ScriptedRun` (one per process start). It runs through
:class:`ScriptedRunner` on a :class:`FakeClock`, and through the real
:class:`SubprocessRunner` starting ``standins/script_player.py``, which plays the same
script in a real process. The client must see the same results, events and telemetry from
both: that is what makes ``ScriptedRunner`` safe to use in tests of code built on the SDK.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from adapters.clock import FakeClock
from adapters.scripted_runner import Pause, ScriptedRun, ScriptedRunner
from adapters.sinks import CallbackSink
from adapters.subprocess_runner import SubprocessRunner
from codex_local_sdk import (
    CodexClientEvent,
    CodexExecRequest,
    CodexExecResult,
    CodexLocalClient,
    CodexNotInstalledError,
    CodexSpawnError,
    RetryPolicy,
)

PLAYER = Path(__file__).parent / "standins" / "script_player.py"
EVENTS: list[dict[str, Any]] = [
    {"type": "thread.started", "thread_id": "t-1"},
    {"type": "turn.started"},
    {"type": "item.completed", "item": {"id": "i0", "type": "agent_message", "text": "hi"}},
    {"type": "turn.completed", "usage": {"input_tokens": 3, "output_tokens": 1}},
]
NO_RETRY = RetryPolicy()
RETRY = RetryPolicy(max_attempts=3, initial_backoff_seconds=0)


@attrs.frozen
class Scenario:
    runs: list[ScriptedRun]
    policy: RetryPolicy = NO_RETRY
    timeout: float | None = None
    live: bool = False


SCENARIOS = {
    "success": Scenario([ScriptedRun.success("hello", thread_id="t-9")]),
    "turn_failed": Scenario([ScriptedRun.failure("provider said no")]),
    "usage_error_on_stderr": Scenario([ScriptedRun(stderr="error: unexpected argument\n", exit_code=2)]),
    "non_json_and_unknown_events": Scenario(
        [
            ScriptedRun(
                stdout=[
                    "booting...",
                    EVENTS[0],
                    {"type": "future.event", "x": [1, 2]},
                    "{broken",
                    {"type": "item.completed", "item": {"type": "new_kind_of_item", "data": {}}},
                    EVENTS[3],
                ]
            )
        ]
    ),
    "retry_then_success": Scenario([ScriptedRun.failure("flaky"), ScriptedRun(stdout=EVENTS)], RETRY),
    "retries_exhausted": Scenario([ScriptedRun(exit_code=3, stderr="bad\n")] * 3, RETRY),
    "timeout": Scenario([ScriptedRun(stdout=EVENTS[:2], hang=True)], timeout=1.0),
    "timeout_ignoring_sigterm": Scenario(
        [ScriptedRun(stdout=EVENTS[:2], hang=True, ignores_sigterm=True)], timeout=1.0
    ),
    "timeout_mid_pause": Scenario([ScriptedRun(stdout=[*EVENTS[:2], Pause(30), *EVENTS[2:]])], timeout=1.0),
    "live": Scenario([ScriptedRun(stdout=EVENTS)], live=True),
    "live_with_a_pause": Scenario([ScriptedRun(stdout=[EVENTS[0], Pause(0.2), *EVENTS[1:]])], live=True),
    "live_startup_retry": Scenario(
        [ScriptedRun(exit_code=1, stderr="no\n"), ScriptedRun(stdout=EVENTS)], RETRY, live=True
    ),
}


def observe(client: CodexLocalClient, scenario: Scenario, events: list[CodexClientEvent]) -> dict[str, Any]:
    """What a user of the client can see, minus wall-clock durations and timestamps."""
    request = CodexExecRequest(prompt="play")
    result: CodexExecResult
    streamed: list[dict[str, Any]] = []
    if scenario.live:
        with client.run_live(request, timeout_seconds=scenario.timeout) as run:
            streamed = [dict(event.raw) for event in run.iter_events()]
            result = run.result()
    else:
        result = client.run(request, timeout_seconds=scenario.timeout)
    timing = {"duration_seconds", "command"}
    fields = attrs.asdict(result, recurse=False, filter=lambda a, _: a.name not in timing)
    fields["events"] = [dict(event.raw) for event in result.events]
    telemetry = [
        (
            e.type,
            e.attempt,
            e.return_code,
            e.turn_status,
            e.error,
            e.delay_seconds,
            dict(e.event.raw) if e.event else None,
        )
        for e in events
    ]
    return {"result": fields, "streamed": streamed, "telemetry": telemetry}


def scripted_client(scenario: Scenario, events: list[CodexClientEvent], **options: Any) -> CodexLocalClient:
    clock = FakeClock()
    return CodexLocalClient(
        codex_bin=str(PLAYER),
        raise_on_error=False,
        retry_policy=scenario.policy,
        runner=ScriptedRunner(scenario.runs, clock=clock),
        clock=clock,
        event_sink=CallbackSink(events.append),
        terminate_grace_seconds=0.5,
        **options,
    )


def real_client(
    scenario: Scenario, events: list[CodexClientEvent], tmp_path: Path, **options: Any
) -> CodexLocalClient:
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            [
                {
                    "stdout": [
                        {"pause": step.seconds} if isinstance(step, Pause) else step.decode()
                        for step in run.stdout
                    ],
                    "stderr": run.stderr,
                    "exit_code": run.exit_code,
                    "duration_seconds": run.duration_seconds,
                    "hang": run.hang,
                    "ignores_sigterm": run.ignores_sigterm,
                }
                for run in scenario.runs
            ]
        )
    )
    return CodexLocalClient(
        codex_bin=str(PLAYER),
        raise_on_error=False,
        retry_policy=scenario.policy,
        default_env={"SCRIPT_PLAYER_SCRIPT": str(script)},
        runner=SubprocessRunner(),
        event_sink=CallbackSink(events.append),
        terminate_grace_seconds=0.5,
        **options,
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_both_runners_look_the_same_to_the_client(name: str, tmp_path: Path) -> None:
    scenario = SCENARIOS[name]
    scripted_events: list[CodexClientEvent] = []
    real_events: list[CodexClientEvent] = []
    scripted = observe(scripted_client(scenario, scripted_events), scenario, scripted_events)
    real = observe(real_client(scenario, real_events, tmp_path), scenario, real_events)
    assert real == scripted


SpawnCase = Callable[[Path], tuple[str, ScriptedRun]]


def missing_binary(tmp_path: Path) -> tuple[str, ScriptedRun]:
    binary = str(tmp_path / "no-such-codex")
    return binary, ScriptedRun(spawn_error=CodexNotInstalledError(binary, os.environ.get("PATH", "")))


def not_executable(tmp_path: Path) -> tuple[str, ScriptedRun]:
    binary = tmp_path / "codex"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return str(binary), ScriptedRun(spawn_error=CodexSpawnError(str(binary), "permission denied"))


@pytest.mark.parametrize(
    ("case", "error"), [(missing_binary, CodexNotInstalledError), (not_executable, CodexSpawnError)]
)
def test_spawn_errors_are_the_same_from_both_runners(
    case: SpawnCase, error: type[Exception], tmp_path: Path
) -> None:
    binary, run = case(tmp_path)
    outcomes = []
    for runner in (ScriptedRunner([run]), SubprocessRunner()):
        events: list[CodexClientEvent] = []
        client = CodexLocalClient(codex_bin=binary, runner=runner, event_sink=CallbackSink(events.append))
        with pytest.raises(error) as info:
            client.run_prompt("p")
        outcomes.append(
            (type(info.value), getattr(info.value, "binary", None), [(e.type, e.attempt) for e in events])
        )
    assert outcomes[0] == outcomes[1]
