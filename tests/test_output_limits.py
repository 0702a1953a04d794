"""Output that would grow memory without limit: a line that never ends, endless non-JSON lines.

Real processes over the real SubprocessRunner. The CLI is played by small Python scripts;
each writes its pid to a file, so the test can check that its whole group is gone.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from adapters.subprocess_runner import SubprocessRunner
from codex_local_sdk import CodexExecRequest, CodexLocalClient, CodexOutputTooLargeError
from codex_local_sdk._jsonl import DEFAULT_MAX_LINE_BYTES, KEPT_UNPARSED_LINES
from tests.test_client_real_processes import emit, fake_cli
from tests.test_subprocess_runner import group_alive

REQUEST = CodexExecRequest(prompt="go")
CAP = 1 << 20

# A leader and a grandchild (same group) that both print the same line forever, no newline.
ENDLESS_LINE = (
    emit({"type": "thread.started", "thread_id": "t-long"})
    + """
import os, pathlib
pathlib.Path(os.environ["PID_FILE"]).write_text(str(os.getpgrp()))  # before the fork: one writer
os.fork()
chunk = b"x" * 65536
while True:
    os.write(1, chunk)
"""
)


def pgid_of(tmp_path: Path) -> int:
    return int((tmp_path / "pgid").read_text())


def capped_client(tmp_path: Path, body: str, cap: int | None = CAP) -> CodexLocalClient:
    runner = SubprocessRunner() if cap is None else SubprocessRunner(max_line_bytes=cap)
    return CodexLocalClient(
        codex_bin=fake_cli(tmp_path, body), runner=runner, default_env={"PID_FILE": str(tmp_path / "pgid")}
    )


def check_too_large(error: CodexOutputTooLargeError, cap: int, tmp_path: Path) -> None:
    result = error.result
    assert result.exceeded_line_limit == cap
    assert result.turn_status == "output_too_large" and not result.succeeded and not result.timed_out
    assert result.thread_id == "t-long"  # what came before the long line is kept
    assert f"{cap:,} bytes" in str(error) and "SubprocessRunner(max_line_bytes=" in str(error)
    assert not group_alive(pgid_of(tmp_path))


def test_a_line_without_end_ends_run_with_output_too_large_and_the_group_gone(tmp_path: Path) -> None:
    client = capped_client(tmp_path, ENDLESS_LINE)
    started = time.monotonic()
    with pytest.raises(CodexOutputTooLargeError) as caught:
        client.run(REQUEST, timeout_seconds=60)
    assert time.monotonic() - started < 30  # the cap ended it, not the timeout
    check_too_large(caught.value, CAP, tmp_path)


def test_async_run_ends_a_line_without_end_the_same_way(tmp_path: Path) -> None:
    client = capped_client(tmp_path, ENDLESS_LINE)
    with pytest.raises(CodexOutputTooLargeError) as caught:
        asyncio.run(client.run_async(REQUEST, timeout_seconds=60))
    check_too_large(caught.value, CAP, tmp_path)


def test_live_run_yields_the_events_before_the_long_line_then_raises(tmp_path: Path) -> None:
    client = capped_client(tmp_path, ENDLESS_LINE)
    with client.run_live(REQUEST, timeout_seconds=60) as run:
        assert [event.type for event in run.iter_events()] == ["thread.started"]
        with pytest.raises(CodexOutputTooLargeError) as caught:
            run.result()
    check_too_large(caught.value, CAP, tmp_path)


def test_async_live_run_raises_the_same_way(tmp_path: Path) -> None:
    client = capped_client(tmp_path, ENDLESS_LINE)

    async def scenario() -> CodexOutputTooLargeError:
        async with await client.run_live_async(REQUEST, timeout_seconds=60) as run:
            assert [event.type async for event in run.iter_events()] == ["thread.started"]
            with pytest.raises(CodexOutputTooLargeError) as caught:
                await run.result()
            return caught.value

    check_too_large(asyncio.run(scenario()), CAP, tmp_path)


def test_the_default_cap_is_64_mib(tmp_path: Path) -> None:
    # 80 MiB without a newline, then silence: only the cap can end this before the timeout.
    body = (
        emit({"type": "thread.started", "thread_id": "t-long"})
        + """
import os, pathlib
pathlib.Path(os.environ["PID_FILE"]).write_text(str(os.getpgrp()))
chunk = b"x" * (1 << 20)
for _ in range(80):
    os.write(1, chunk)
time.sleep(60)
"""
    )
    client = capped_client(tmp_path, body, cap=None)
    with pytest.raises(CodexOutputTooLargeError) as caught:
        client.run(REQUEST, timeout_seconds=20)
    check_too_large(caught.value, DEFAULT_MAX_LINE_BYTES, tmp_path)
    assert "67,108,864 bytes" in str(caught.value)


def test_a_long_line_under_the_cap_is_one_event(tmp_path: Path) -> None:
    text = "y" * (2 * CAP)
    body = emit({"type": "item.completed", "item": {"type": "agent_message", "text": text}})
    client = capped_client(tmp_path, body, cap=3 * CAP)
    assert client.run(REQUEST, timeout_seconds=60).final_message == text


def test_runner_rejects_a_cap_below_one() -> None:
    with pytest.raises(ValueError, match="max_line_bytes"):
        SubprocessRunner(max_line_bytes=0)


NOISE_LINES = 20_000
NOISY = (
    emit({"type": "thread.started", "thread_id": "t-noisy"})
    + f"""
for number in range({NOISE_LINES}):
    print(f"noise {{number}}")
"""
    + emit({"type": "turn.completed", "usage": {"input_tokens": 1}})
)


@pytest.mark.parametrize("live", [True, False])
def test_many_non_json_lines_keep_only_the_first_and_last(tmp_path: Path, live: bool) -> None:
    client = capped_client(tmp_path, NOISY, cap=None)
    if live:
        with client.run_live(REQUEST, timeout_seconds=60) as run:
            assert [event.type for event in run.iter_events()] == ["thread.started", "turn.completed"]
            result = run.result()
    else:
        result = client.run(REQUEST, timeout_seconds=60)
    kept = [*range(KEPT_UNPARSED_LINES), *range(NOISE_LINES - KEPT_UNPARSED_LINES, NOISE_LINES)]
    assert result.unparsed_lines == tuple(f"noise {number}" for number in kept)
    assert result.dropped_unparsed_lines == NOISE_LINES - 2 * KEPT_UNPARSED_LINES
    assert result.succeeded and result.turn_status == "completed"


def test_a_line_over_the_cap_fails_even_a_completed_turn(tmp_path: Path) -> None:
    # The turn completes and the CLI exits 0 at once, but a line of its output was dropped.
    body = (
        emit({"type": "thread.started", "thread_id": "t-long"})
        + emit({"type": "turn.completed", "usage": {"input_tokens": 1}})
        + """
import os, pathlib
pathlib.Path(os.environ["PID_FILE"]).write_text(str(os.getpgrp()))
sys.stdout.write("z" * (2 * (1 << 20)) + "\\n")
"""
    )
    client = capped_client(tmp_path, body)
    with pytest.raises(CodexOutputTooLargeError) as caught:
        client.run(REQUEST, timeout_seconds=60)
    check_too_large(caught.value, CAP, tmp_path)
