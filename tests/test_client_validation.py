"""Bad arguments to the client fail at once, before any process starts, on every entry point.

The timeouts also run against real processes: a huge but finite value must never crash once
the CLI is running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.scripted_runner import ScriptedRun
from codex_local_sdk import (
    CodexExecFailedError,
    CodexExecRequest,
    CodexExecResult,
    CodexLocalClient,
    CodexNotInstalledError,
    CodexThreadSession,
)
from codex_local_sdk.errors import CodexSpawnError, CodexTimeoutError, failure_reason
from tests.conftest import MakeHarness
from tests.test_client_real_processes import emit, fake_cli

Call = Callable[[CodexLocalClient, dict[str, Any]], object]
REQUEST = CodexExecRequest(prompt="p")


def _live(run: Any) -> object:
    with run:
        return run.result()


async def _live_async(start: Any) -> object:
    async with await start as run:
        return await run.result()


# Every public way to run a turn, each taking the same keyword arguments.
ENTRY_POINTS: dict[str, Call] = {
    "run": lambda c, kw: c.run(REQUEST, **kw),
    "run_prompt": lambda c, kw: c.run_prompt("p", **kw),
    "run_with_schema": lambda c, kw: c.run_with_schema("p", {"type": "object"}, **kw),
    "start_thread": lambda c, kw: c.start_thread("p", **kw),
    "resume": lambda c, kw: c.resume("p", session_id="t-1", **kw),
    "run_live": lambda c, kw: _live(c.run_live(CodexExecRequest(prompt="p"), **kw)),
    "resume_live": lambda c, kw: _live(c.resume_live("p", session_id="t-1", **kw)),
    "continue_prompt": lambda c, kw: CodexThreadSession(c, "t-1").continue_prompt("p", **kw),
    "continue_live": lambda c, kw: _live(CodexThreadSession(c, "t-1").continue_live("p", **kw)),
    "run_async": lambda c, kw: asyncio.run(c.run_async(CodexExecRequest(prompt="p"), **kw)),
    "run_prompt_async": lambda c, kw: asyncio.run(c.run_prompt_async("p", **kw)),
    "run_with_schema_async": lambda c, kw: asyncio.run(c.run_with_schema_async("p", {}, **kw)),
    "start_thread_async": lambda c, kw: asyncio.run(c.start_thread_async("p", **kw)),
    "resume_async": lambda c, kw: asyncio.run(c.resume_async("p", session_id="t-1", **kw)),
    "run_live_async": lambda c, kw: asyncio.run(_live_async(c.run_live_async(REQUEST, **kw))),
    "resume_live_async": lambda c, kw: asyncio.run(_live_async(c.resume_live_async("p", last=True, **kw))),
    "continue_prompt_async": lambda c, kw: asyncio.run(
        CodexThreadSession(c, "t").continue_prompt_async("p", **kw)
    ),
    "continue_live_async": lambda c, kw: asyncio.run(
        _live_async(CodexThreadSession(c, "t-1").continue_live_async("p", **kw))
    ),
}


# -- timeouts and the grace period -------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("timeout", [float("inf"), float("-inf")])
def test_an_infinite_timeout_fails_before_any_process(
    make_harness: MakeHarness, entry: str, timeout: float
) -> None:
    h = make_harness([ScriptedRun.success()])
    with pytest.raises(ValueError, match=r"timeout_seconds must be a finite number > 0.*None"):
        ENTRY_POINTS[entry](h.client, {"timeout_seconds": timeout})
    assert h.runner.calls == []


@pytest.mark.parametrize("grace", [float("inf"), float("nan"), -1])
def test_an_infinite_or_negative_grace_period_fails_at_construction(grace: float) -> None:
    with pytest.raises(ValueError, match="terminate_grace_seconds must be a finite number >= 0"):
        CodexLocalClient(terminate_grace_seconds=grace)


def test_a_grace_period_that_is_not_a_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="terminate_grace_seconds must be a number"):
        CodexLocalClient(terminate_grace_seconds="5")  # type: ignore[arg-type]


QUICK_TURN = emit({"type": "thread.started", "thread_id": "t-1"}) + emit(
    {"type": "turn.completed", "usage": {"input_tokens": 1}}
)
THIRTY_DAYS = 30 * 86400.0  # past what select() and epoll accept (about 24.8 days)


@pytest.mark.parametrize("entry", ["run_prompt", "run_live", "run_prompt_async", "run_live_async"])
@pytest.mark.parametrize("timeout", [THIRTY_DAYS, 1e300])
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")  # the watchdog's timer
def test_a_huge_finite_timeout_runs_to_the_end(tmp_path: Path, entry: str, timeout: float) -> None:
    client = CodexLocalClient(codex_bin=fake_cli(tmp_path, QUICK_TURN))
    result = ENTRY_POINTS[entry](client, {"timeout_seconds": timeout})
    assert getattr(result, "turn_status", None) == "completed"


@pytest.mark.parametrize("entry", ["run_prompt", "run_prompt_async"])
def test_a_huge_grace_period_still_ends_a_timed_out_run(tmp_path: Path, entry: str) -> None:
    slow = emit({"type": "thread.started", "thread_id": "t-1"}) + "time.sleep(30)\n"
    client = CodexLocalClient(
        codex_bin=fake_cli(tmp_path, slow), terminate_grace_seconds=THIRTY_DAYS, raise_on_error=False
    )
    result = ENTRY_POINTS[entry](client, {"timeout_seconds": 0.3})
    assert getattr(result, "turn_status", None) == "timed_out"  # SIGTERM ended it; no crash


# -- client arguments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "error", "match"),
    [
        ({"session_id": 123}, TypeError, "session_id must be a str"),
        ({"session_id": b"t-1"}, TypeError, "session_id must be a str"),
        ({"last": "yes"}, TypeError, "last must be True or False"),
    ],
)
@pytest.mark.parametrize("entry", ["resume", "resume_live", "resume_async", "resume_live_async"])
def test_a_resume_target_of_the_wrong_type_fails_before_any_process(
    make_harness: MakeHarness, entry: str, target: dict[str, Any], error: type[Exception], match: str
) -> None:
    h = make_harness([ScriptedRun.success()])
    resume: Callable[[dict[str, Any]], object] = {
        "resume": lambda kw: h.client.resume("p", **kw),
        "resume_live": lambda kw: _live(h.client.resume_live("p", **kw)),
        "resume_async": lambda kw: asyncio.run(h.client.resume_async("p", **kw)),
        "resume_live_async": lambda kw: asyncio.run(_live_async(h.client.resume_live_async("p", **kw))),
    }[entry]
    with pytest.raises(error, match=match):
        resume(target)
    assert h.runner.calls == []


BUILT_REQUEST = {"run", "run_async", "run_live", "run_live_async"}  # these take a CodexExecRequest


@pytest.mark.parametrize("entry", sorted(set(ENTRY_POINTS) - BUILT_REQUEST))
def test_a_model_of_the_wrong_type_fails_before_any_process(make_harness: MakeHarness, entry: str) -> None:
    h = make_harness([ScriptedRun.success()])
    with pytest.raises(TypeError, match="model must be a str"):
        ENTRY_POINTS[entry](h.client, {"model": 123})
    assert h.runner.calls == []


@pytest.mark.parametrize("preview_chars", [1.5, "200", True, None])
def test_preview_chars_must_be_an_int(preview_chars: Any) -> None:
    with pytest.raises(TypeError, match="preview_chars must be an int"):
        CodexLocalClient(preview_chars=preview_chars)


@pytest.mark.parametrize(
    ("env", "error", "match"),
    [
        ({"A=B": "1"}, ValueError, r"default_env name 'A=B'.*'='"),
        ({"": "1"}, ValueError, "default_env name '' is empty"),
        ({"A\0": "1"}, ValueError, "NUL"),
        ({"A": "x\0y"}, ValueError, r"default_env\['A'\].*NUL"),
        ({"A": 1}, TypeError, r"default_env\['A'\] must be a str"),
        ({1: "x"}, TypeError, "default_env names must be str"),
        ({"A": b"x"}, TypeError, r"default_env\['A'\] must be a str"),
        (["A=1"], TypeError, "default_env must be a mapping"),
    ],
)
def test_bad_default_env_fails_at_construction(env: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        CodexLocalClient(default_env=env)


def test_os_environ_is_a_valid_default_env(make_harness: MakeHarness) -> None:
    import os

    h = make_harness([ScriptedRun.success()], default_env=os.environ)
    h.client.run_prompt("p")
    assert h.runner.calls[0].env["PATH"] == os.environ["PATH"]


@pytest.mark.parametrize(
    ("api_key", "error", "match"),
    [("sk-\0x", ValueError, "api_key holds a NUL"), (123, TypeError, "api_key must be a str")],
)
def test_a_bad_api_key_fails_before_any_process(
    make_harness: MakeHarness, api_key: Any, error: type[Exception], match: str
) -> None:
    h = make_harness([ScriptedRun.success()])
    with pytest.raises(error, match=match):
        h.client.run_prompt("p", api_key=api_key)
    assert h.runner.calls == []


def test_an_image_that_is_a_directory_is_reported_as_such(make_harness: MakeHarness, tmp_path: Path) -> None:
    (tmp_path / "shots").mkdir()
    h = make_harness([ScriptedRun.success()])
    with pytest.raises(ValueError, match="image 'shots' is a directory"):
        h.client.run_prompt("p", cwd=str(tmp_path), images=["shots"])
    assert h.runner.calls == []


def test_images_may_be_paths(make_harness: MakeHarness, tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"png")
    h = make_harness([ScriptedRun.success()])
    h.client.run_prompt("p", cwd=tmp_path, images=[tmp_path / "a.png"])
    assert h.runner.calls[0].argv[-2:] == (f"--image={tmp_path / 'a.png'}", "-")
    assert h.runner.calls[0].cwd == str(tmp_path)


def test_a_path_default_cwd_is_kept_as_a_string(make_harness: MakeHarness, tmp_path: Path) -> None:
    h = make_harness([ScriptedRun.success()], default_cwd=tmp_path)
    h.client.run_prompt("p")
    assert h.client.default_cwd == h.runner.calls[0].cwd == str(tmp_path)


def test_a_codex_bin_under_home_is_expanded(
    make_harness: MakeHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    h = make_harness([ScriptedRun.success()], codex_bin="~/bin/codex")
    h.client.run_prompt("p")
    assert h.client.codex_bin == h.runner.calls[0].argv[0] == str(tmp_path / "bin" / "codex")


def test_a_script_whose_interpreter_is_missing_says_so(tmp_path: Path) -> None:
    script = tmp_path / "codex"
    script.write_text("#!/nonexistent/python -u\nprint('hi')\n")
    script.chmod(0o755)
    client = CodexLocalClient(codex_bin=str(script))
    with pytest.raises(CodexNotInstalledError, match=r"interpreter '/nonexistent/python'.*#!") as info:
        client.run_prompt("p")
    assert info.value.interpreter == "/nonexistent/python"
    assert "no such file" not in str(info.value)


def test_a_script_found_on_path_whose_interpreter_is_missing_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "codex-test-cli"
    script.write_text("#!/nonexistent/node\n")
    script.chmod(0o755)
    client = CodexLocalClient(codex_bin="codex-test-cli", default_env={"PATH": str(tmp_path)})
    with pytest.raises(CodexNotInstalledError, match="interpreter '/nonexistent/node'"):
        client.run_prompt("p")


def test_a_binary_whose_dynamic_loader_is_missing_is_a_spawn_error(tmp_path: Path) -> None:
    elf = Path("/bin/true").read_bytes()
    loader = b"/lib64/ld-linux-x86-64.so.2"
    if loader not in elf:
        pytest.skip("not an x86-64 glibc system")
    binary = tmp_path / "codex"
    binary.write_bytes(elf.replace(loader, loader[:-1] + b"X"))
    binary.chmod(0o755)
    with pytest.raises(CodexSpawnError, match="exists, but the system found no program to run it with"):
        CodexLocalClient(codex_bin=str(binary)).run_prompt("p")


# -- a run the SDK ended says so ----------------------------------------------------------

NOISE = "ERROR codex_api: stream disconnected - retrying sampling request (1/5)"


def test_a_timeout_error_names_the_timeout(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun(hang=True, stderr=NOISE)])
    with pytest.raises(CodexTimeoutError, match=r"within the timeout of 30 s") as info:
        h.client.run_prompt("p", timeout_seconds=30)
    assert info.value.timeout_seconds == 30


@pytest.mark.parametrize(
    ("stop", "status", "match"),
    [
        ("terminate", "terminated", r"ended by the caller's terminate\(\)"),
        ("kill", "killed", r"ended by the caller's kill\(\)"),
        ("close", "interrupted", r"interrupted .*closed, cancelled"),
    ],
)
def test_a_run_the_caller_stopped_says_so_not_an_exit_code(
    make_harness: MakeHarness, stop: str, status: str, match: str
) -> None:
    h = make_harness([ScriptedRun(stdout=[{"type": "turn.started"}], hang=True, stderr=NOISE)])
    run = h.client.run_live(REQUEST)
    getattr(run, stop)()
    with pytest.raises(CodexExecFailedError, match=match) as info:
        run.result()
    assert info.value.result.turn_status == status
    assert not str(info.value).startswith("codex exited with code")
    assert NOISE in str(info.value)  # kept, as the last stderr, not as the reason
    failed = [e for e in h.events if e.type == "attempt.failed" or e.error]
    assert all("exit code" not in (e.error or "") for e in failed)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("timed_out", "timed out"),
        ("terminated", "terminated by the caller (terminate())"),
        ("killed", "killed by the caller (kill())"),
        ("interrupted", "interrupted (closed, cancelled or KeyboardInterrupt)"),
    ],
)
def test_failure_reason_names_who_ended_the_run(status: str, reason: str) -> None:
    result = CodexExecResult(
        return_code=-15,
        command=("codex",),
        stdout="",
        stderr=NOISE,
        final_message=None,
        turn_status=status,
        timed_out=status == "timed_out",
    )
    assert failure_reason(result) == reason
