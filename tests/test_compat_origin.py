"""Code written against codex-local-sdk-python 0.1.4's public API runs on ours.

Each test is written as that package's documentation shows its API, not by reaching into
our internals.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from adapters.scripted_runner import ScriptedRun, ScriptedRunner
from codex_local_sdk import (
    CodexClientEvent,
    CodexExecRequest,
    CodexExecResult,
    CodexLocalClient,
    CodexThreadSession,
    SandboxMode,
    Usage,
)
from codex_local_sdk.command import build_exec_argv
from tests.conftest import MakeHarness

# The constructors as 0.1.4's code calls them: accepted at run time, not typed (type checkers
# know only our keyword signatures), so they are called through Any here.
OriginRequest: Any = CodexExecRequest
OriginResult: Any = CodexExecResult
OriginClientEvent: Any = CodexClientEvent


def result(**fields: Any) -> CodexExecResult:
    base: dict[str, Any] = {"return_code": 0, "command": ("codex",), "stdout": "", "stderr": ""}
    return CodexExecResult(**{"final_message": None, **base, **fields})


@pytest.mark.parametrize(
    ("return_code", "turn_status", "ok", "completed", "failed", "terminal"),
    [
        (0, "completed", True, True, False, True),
        (0, "failed", True, False, True, True),
        (1, "interrupted", False, False, False, True),
        (-9, "killed", False, False, False, False),
        (0, None, True, False, False, False),
    ],
)
def test_result_helpers(
    return_code: int, turn_status: str | None, ok: bool, completed: bool, failed: bool, terminal: bool
) -> None:
    run = result(return_code=return_code, turn_status=turn_status)
    assert (run.ok, run.is_turn_completed, run.is_turn_failed, run.is_turn_terminal) == (
        ok,
        completed,
        failed,
        terminal,
    )


def test_usage_reads_as_a_mapping() -> None:
    usage = Usage(input_tokens=12, output_tokens=3)
    assert usage["input_tokens"] == 12
    assert usage.get("output_tokens") == 3
    assert usage.get("total", 0) == 0
    assert "cached_input_tokens" in usage and "total" not in usage
    assert list(usage.keys()) == list(usage) == [name for name, _ in usage.items()]
    assert dict(usage)["output_tokens"] == 3
    assert json.loads(json.dumps(dict(usage)))["input_tokens"] == 12
    with pytest.raises(KeyError):
        usage["total_tokens"]


def test_results_built_positionally_in_0_1_4_order_with_a_usage_dict() -> None:
    run = OriginResult(
        0, ("codex", "exec"), "out", "err", "hi", "thread-1", "completed", {"input_tokens": 5}, (), 1.5
    )
    assert (run.final_message, run.thread_id, run.turn_status) == ("hi", "thread-1", "completed")
    assert run.usage == Usage(input_tokens=5)
    assert run.usage["input_tokens"] == 5
    assert run.duration_seconds == 1.5


def test_client_event_names_of_0_1_4() -> None:
    event = OriginClientEvent(
        type="retry.scheduled",
        operation="run",
        timestamp=1.0,
        retry_delay_seconds=0.5,
        message="boom",
        metadata={"pid": 7},
    )
    assert (event.delay_seconds, event.error, event.data) == (0.5, "boom", {"pid": 7})
    assert (event.retry_delay_seconds, event.message, event.metadata) == (0.5, "boom", {"pid": 7})


def test_client_event_built_positionally_in_0_1_4_order() -> None:
    event = OriginClientEvent(
        "attempt.failed", "run", 2, ("codex",), "s", "t-1", 0.25, 1, "failed", 3.0, "bad", {"k": 1}, 9.0
    )
    assert (event.attempt, event.session_name, event.session_id) == (2, "s", "t-1")
    assert (event.retry_delay_seconds, event.return_code, event.turn_status) == (0.25, 1, "failed")
    assert (event.duration_seconds, event.message, event.metadata, event.timestamp) == (
        3.0,
        "bad",
        {"k": 1},
        9.0,
    )


def test_client_event_takes_a_field_once() -> None:
    with pytest.raises(TypeError, match="got both delay_seconds and retry_delay_seconds"):
        OriginClientEvent(type="t", operation="o", timestamp=1.0, delay_seconds=1.0, retry_delay_seconds=2.0)
    with pytest.raises(TypeError, match="multiple values for argument 'operation'"):
        OriginClientEvent("t", "o", operation="o", timestamp=1.0)


def test_request_built_positionally_in_0_1_4_order() -> None:
    request = OriginRequest(
        "do it",
        "/tmp",
        True,
        "m",
        "p",
        "read-only",
        False,
        True,
        True,
        "last.txt",
        "schema.json",
        ("a.png",),
        ("-x",),
    )
    assert (request.prompt, request.cwd, request.model, request.profile) == ("do it", "/tmp", "m", "p")
    assert (request.sandbox, request.full_auto, request.ephemeral) == (SandboxMode.READ_ONLY, False, True)
    assert (request.output_last_message_path, request.output_schema_path) == ("last.txt", "schema.json")
    assert (request.images, request.extra_args, request.skip_git_repo_check) == (("a.png",), ("-x",), True)
    with pytest.raises(TypeError, match="at most 13 positional arguments"):
        OriginRequest(*(["x"] * 14))


def test_full_auto_renders_the_workspace_write_sandbox_and_warns() -> None:
    with pytest.warns(DeprecationWarning, match=r"sandbox=SandboxMode.WORKSPACE_WRITE") as caught:
        request = CodexExecRequest(prompt="go", full_auto=True)
    assert caught[0].filename == __file__  # points at the caller's line
    argv = build_exec_argv("codex", request)
    assert argv[argv.index("--sandbox") + 1] == "workspace-write"
    assert "--full-auto" not in argv


def test_full_auto_leaves_an_explicit_sandbox_alone() -> None:
    with pytest.warns(DeprecationWarning):
        request = CodexExecRequest(prompt="go", full_auto=True, sandbox=SandboxMode.READ_ONLY)
    argv = build_exec_argv("codex", request)
    assert argv[argv.index("--sandbox") + 1] == "read-only"


def test_old_module_paths_re_export_the_same_objects() -> None:
    import codex_local_sdk
    from codex_local_sdk import exceptions, session_store, telemetry

    for module in (exceptions, session_store, telemetry):
        for name in module.__all__:
            assert getattr(module, name) is getattr(codex_local_sdk, name), (module.__name__, name)
    assert set(session_store.__all__) == {
        "InMemorySessionStore",
        "JsonFileSessionStore",
        "SessionRecord",
        "SessionStore",
        "SessionTurnRecord",
    }
    assert set(exceptions.__all__) == {"CodexError", "CodexExecFailedError", "CodexNotInstalledError"}
    assert telemetry.__all__ == ["CodexClientEvent"]


def test_the_telemetry_module_leaves_the_telemetry_logger_alone(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from codex_local_sdk import telemetry

    logger = logging.getLogger("codex_local_sdk.telemetry")
    with caplog.at_level(logging.INFO, logger="codex_local_sdk.telemetry"):
        logger.info("still a logger")
    assert [record.message for record in caplog.records] == ["still a logger"]
    assert telemetry.CodexClientEvent is CodexClientEvent


def test_importing_beside_the_0_1_4_distribution_says_to_uninstall_it(tmp_path: Path) -> None:
    dist_info = tmp_path / "codex_local_sdk_python-0.1.4.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: codex-local-sdk-python\nVersion: 0.1.4\n", encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    code = "import codex_local_sdk"
    beside = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert beside.returncode != 0
    assert "ImportError: codex-local-sdk-python 0.1.4 is installed" in beside.stderr
    assert "pip uninstall codex-local-sdk-python" in beside.stderr
    shutil.rmtree(dist_info)
    alone = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert alone.returncode == 0, alone.stderr


def test_live_handle_properties(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success("streamed"), ScriptedRun.success("again")])
    with h.client.run_live(CodexExecRequest(prompt="p"), keep_events=True) as run:
        first = next(iter(run.iter_events()))
        assert run.events[0] == first
        seen = [first, *run.iter_events()]
        assert run.events == tuple(seen)
        run.result()
        assert (run.is_complete, run.return_code) == (True, 0)
    with h.client.run_live(CodexExecRequest(prompt="p")) as run:  # events not kept: none
        assert len(list(run.iter_events())) == 4
        assert run.events == ()


def test_async_live_handle_properties(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success("streamed")])

    async def scenario() -> None:
        async with await h.client.run_live_async(CodexExecRequest(prompt="p"), keep_events=True) as run:
            types = [event.type async for event in run.iter_events()]
            await run.result()
            assert [event.type for event in run.events] == types
            assert (run.is_complete, run.return_code) == (True, 0)

    asyncio.run(scenario())


SLEEPING_CLI = (
    "#!{python}\nimport json, sys, time\nsys.stdin.read()\n"
    'print(json.dumps({{"type": "thread.started", "thread_id": "t-1"}}), flush=True)\n'
    "time.sleep(60)\n"
)


@pytest.mark.parametrize(("stop", "status"), [("terminate", "terminated"), ("kill", "killed")])
def test_async_terminate_and_kill_act_without_await(tmp_path: Path, stop: str, status: str) -> None:
    cli = tmp_path / "codex"
    cli.write_text(SLEEPING_CLI.format(python=sys.executable))
    cli.chmod(0o755)
    client = CodexLocalClient(codex_bin=str(cli), raise_on_error=False, terminate_grace_seconds=2)

    async def scenario() -> CodexExecResult:
        async with await client.run_live_async(CodexExecRequest(prompt="go")) as run:
            assert run.pid is not None and not run.is_complete
            getattr(run, stop)()  # as 0.1.4's code calls it: no await
            assert exits_without_the_loop(run.pid)  # the signal was sent by the call itself
            result = await run.wait(timeout=10)
            assert run.is_complete and run.return_code == result.return_code
            return result

    result = asyncio.run(scenario())
    assert result.turn_status == status
    assert result.return_code in (-15, -9)


def exits_without_the_loop(pid: int, bound_seconds: float = 5.0) -> bool:
    """Whether ``pid`` exits (a zombie, or gone) within the bound, while the loop is blocked."""
    stat = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + bound_seconds
    while time.monotonic() < deadline:
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.02)
    return False


def test_thread_session_with_default_cwd_positionally(tmp_path: Path) -> None:
    runner = ScriptedRunner([ScriptedRun.success("one"), ScriptedRun.success("two")])
    client = CodexLocalClient(runner=runner)
    thread = CodexThreadSession(client, "thread-1", str(tmp_path), "sk-test", None)
    assert (thread.default_cwd, thread.session_name) == (str(tmp_path), None)
    thread.continue_prompt("first")
    thread.continue_prompt("second", cwd="/elsewhere")
    assert [call.cwd for call in runner.calls] == [str(tmp_path), "/elsewhere"]
    assert runner.calls[0].env is not None and runner.calls[0].env.get("CODEX_API_KEY") == "sk-test"
