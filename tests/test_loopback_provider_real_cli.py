"""The loopback provider against the real Codex CLI: ``codex exec --json`` run offline.

Each test runs the binary named by ``$CODEX_BIN`` (skipped when unset) with its own
``CODEX_HOME``, prompt on stdin, and checks both ends: the JSONL the CLI prints and the
requests the provider received. One test needs no CLI: the provider's own wire format.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codex_local_sdk.testing.loopback import ENV_KEY, LoopbackProvider, Reply, write_codex_home

TIMEOUT_SECONDS = 60


@dataclass
class CodexRun:
    """One finished ``codex exec`` process."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def types(self) -> list[str]:
        return [event["type"] for event in self.events]

    def items(self, item_type: str, event_type: str = "item.completed") -> list[dict[str, Any]]:
        return [e["item"] for e in self.events if e["type"] == event_type and e["item"]["type"] == item_type]


@dataclass
class Offline:
    """A private CODEX_HOME and work folder, wired to a running loopback provider."""

    codex_bin: str
    provider: LoopbackProvider
    home: Path
    workdir: Path
    env: dict[str, str]

    def argv(self, *args: str) -> list[str]:
        return [self.codex_bin, "exec", "--json", "--skip-git-repo-check", *args, "-"]

    def popen(self, *args: str, prompt: str = "hello") -> subprocess.Popen[str]:
        """Start ``codex exec --json ... -`` reading ``prompt`` from a file, so stdin is closed."""
        prompt_file = self.home.parent / "prompt.txt"
        prompt_file.write_text(prompt)
        with prompt_file.open() as stdin:
            return subprocess.Popen(
                self.argv(*args),
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=self.workdir,
                env=self.env,
                start_new_session=True,  # the launcher spawns the native CLI: signal the group
            )

    def run(self, *args: str, prompt: str = "hello") -> CodexRun:
        started = time.monotonic()
        process = self.popen(*args, prompt=prompt)
        try:
            stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            kill_group(process)
            stdout, stderr = process.communicate()
            pytest.fail(f"codex exec hung for {TIMEOUT_SECONDS}s; stdout so far:\n{stdout}")
        return CodexRun(process.returncode, stdout, stderr, time.monotonic() - started)


def kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def codex_bin() -> str:
    binary = os.environ.get("CODEX_BIN")
    if not binary:
        pytest.skip("set CODEX_BIN to a Codex CLI binary (make test does) to run it against the provider")
    return os.path.abspath(binary) if os.sep in binary else binary


@pytest.fixture
def offline(codex_bin: str, tmp_path: Path) -> Iterator[Offline]:
    workdir = tmp_path / "work"
    workdir.mkdir()
    with LoopbackProvider() as provider:
        home = tmp_path / "codex-home"
        env = {**os.environ, **write_codex_home(home, provider.base_url)}
        yield Offline(codex_bin, provider, home, workdir, env)


USAGE_KEYS = [
    "input_tokens",
    "cached_input_tokens",
    "cache_write_input_tokens",
    "output_tokens",
    "reasoning_output_tokens",
]


def test_plain_message(offline: Offline) -> None:
    offline.provider.enqueue(
        Reply.message("Hello from loopback", usage={"input_tokens": 12, "output_tokens": 3})
    )
    last = offline.workdir / "last.txt"

    run = offline.run("--strict-config", "-o", str(last))  # strict: every key of our config.toml is known

    assert run.returncode == 0, run.stderr
    assert run.types == ["thread.started", "turn.started", "item.completed", "turn.completed"]
    assert run.items("agent_message")[0]["text"] == "Hello from loopback"
    usage = run.events[-1]["usage"]
    assert sorted(usage) == sorted(USAGE_KEYS)
    assert (usage["input_tokens"], usage["output_tokens"], usage["cached_input_tokens"]) == (12, 3, 0)
    assert last.read_text() == "Hello from loopback"
    [request] = offline.provider.requests
    assert (request["model"], request["stream"]) == ("fake-model", True)
    assert request["input"][-1]["content"] == [{"type": "input_text", "text": "hello"}]
    thread_id = run.events[0]["thread_id"]
    assert [p.name for p in (offline.home / "sessions").rglob(f"rollout-*{thread_id}.jsonl")]


def test_tool_call_then_message(offline: Offline) -> None:
    offline.provider.enqueue(Reply.tool_call("echo hi"), Reply.message("ran it"))

    run = offline.run("--sandbox", "danger-full-access")

    assert run.returncode == 0, run.stderr
    [started] = run.items("command_execution", "item.started")
    [command] = run.items("command_execution")
    assert started["status"] == "in_progress" and started["exit_code"] is None
    assert command["command"] == "/bin/bash -c 'echo hi'"
    assert (command["aggregated_output"], command["exit_code"], command["status"]) == ("hi\n", 0, "completed")
    assert run.items("agent_message")[-1]["text"] == "ran it"
    usage = run.events[-1]["usage"]  # the turn's two responses, 10 + 5 tokens each
    assert (usage["input_tokens"], usage["output_tokens"]) == (20, 10)
    call, output = offline.provider.requests[1]["input"][-2:]
    assert (call["type"], call["name"], json.loads(call["arguments"])["cmd"]) == (
        "function_call",
        "exec_command",
        "echo hi",
    )
    assert output["type"] == "function_call_output" and output["call_id"] == call["call_id"]
    assert "hi\n" in output["output"]


def test_output_schema_reaches_the_provider(offline: Offline) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    schema_file = offline.workdir / "schema.json"
    schema_file.write_text(json.dumps(schema))
    offline.provider.enqueue(Reply.message('{"answer": 42}'))

    run = offline.run("--output-schema", str(schema_file))

    assert run.returncode == 0, run.stderr
    assert json.loads(run.items("agent_message")[-1]["text"]) == {"answer": 42}
    text_format = offline.provider.requests[-1]["text"]["format"]
    assert (text_format["type"], text_format["strict"], text_format["schema"]) == (
        "json_schema",
        True,
        schema,
    )


def test_resume_continues_the_thread_and_usage_is_cumulative(offline: Offline) -> None:
    offline.provider.enqueue(
        Reply.message("first", usage={"input_tokens": 10, "output_tokens": 1}),
        Reply.message("second", usage={"input_tokens": 7, "output_tokens": 2}),
    )

    first = offline.run(prompt="remember 42")
    thread_id = first.events[0]["thread_id"]
    second = offline.run("resume", thread_id, prompt="what was it?")

    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert second.events[0] == {"type": "thread.started", "thread_id": thread_id}
    assert second.items("agent_message")[-1]["text"] == "second"
    usage = second.events[-1]["usage"]  # the thread's running total, not the turn's
    assert (usage["input_tokens"], usage["output_tokens"]) == (17, 3)
    history = json.dumps(offline.provider.requests[-1]["input"])
    assert "remember 42" in history and "first" in history


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, "boom", "high demand"),  # the CLI shows its own text for a 500
        (400, "bad request here", "bad request here"),
    ],
)
def test_provider_error_fails_the_turn(offline: Offline, status: int, body: str, message: str) -> None:
    offline.provider.enqueue(Reply.http_error(status, body))

    run = offline.run()

    assert run.returncode == 1
    assert run.types == ["thread.started", "turn.started", "error", "turn.failed"]
    assert message in run.events[-1]["error"]["message"]
    assert len(offline.provider.requests) == 1, "request_max_retries = 0: no retry"
    assert run.seconds < 20


def test_resume_of_an_unknown_thread(offline: Offline) -> None:
    thread_id = "01a20bcc-0000-7000-8000-000000000000"

    run = offline.run("resume", thread_id)

    assert (run.returncode, run.stdout) == (1, "")
    assert f"no rollout found for thread id {thread_id}" in run.stderr
    assert offline.provider.requests == []


def test_paused_events_reach_stdout_while_the_provider_streams(offline: Offline) -> None:
    early, late = Reply.message("early").items[0], Reply.message("late").items[0]
    offline.provider.enqueue(Reply(items=(early, late), pause_seconds=0.5))
    process = offline.popen()
    watchdog = threading.Timer(TIMEOUT_SECONDS, kill_group, [process])  # reading lines has no timeout
    watchdog.start()
    try:
        assert process.stdout is not None
        seen_while_streaming = []
        for line in process.stdout:
            event = json.loads(line)
            if event["type"] == "item.completed":
                seen_while_streaming.append((event["item"]["text"], offline.provider.completed_replies))
        process.wait()
    finally:
        watchdog.cancel()
        kill_group(process)
        process.communicate()
    assert process.returncode == 0
    assert [text for text, _ in seen_while_streaming] == ["early", "late"]
    # "early" is printed while the provider still pauses before "late" and the completion
    assert seen_while_streaming[0] == ("early", 0)
    assert offline.provider.completed_replies == 1


def test_the_provider_wire_format_without_a_cli() -> None:
    def answer(body: Mapping[str, Any]) -> Reply:
        if body.get("fail"):
            return Reply.http_error(503, "unavailable")
        return Reply.message(f"you sent {body['n']}", usage={"input_tokens": 4, "output_tokens": 2})

    def post(url: str, body: dict[str, Any]) -> urllib.request.Request:
        data = json.dumps(body).encode()
        return urllib.request.Request(
            f"{url}/responses", data=data, headers={"Content-Type": "application/json"}
        )

    with LoopbackProvider(handler=answer) as provider:
        assert provider.base_url.startswith("http://127.0.0.1:") and provider.env_key == ENV_KEY
        with urllib.request.urlopen(post(provider.base_url, {"n": 1}), timeout=10) as response:
            assert response.headers["Content-Type"] == "text/event-stream"
            stream = response.read().decode()
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(post(provider.base_url, {"fail": True}), timeout=10)
        with error.value as failure:  # closed, or a ResourceWarning may show up later
            assert (failure.code, failure.read()) == (503, b"unavailable")
        assert provider.requests == [{"n": 1}, {"fail": True}]

    frames = [frame.splitlines() for frame in stream.strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in frames]
    data = [json.loads(lines[1].removeprefix("data: ")) for lines in frames]
    assert names == ["response.created", "response.output_item.done", "response.completed"]
    assert [d["type"] for d in data] == names
    assert data[1]["item"]["content"][0] == {"type": "output_text", "text": "you sent 1", "annotations": []}
    assert data[2]["response"]["usage"]["input_tokens"] == 4
    assert data[2]["response"]["usage"]["total_tokens"] == 6
