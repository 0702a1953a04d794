"""The CLI contract: the ``codex exec --json`` protocol as the SDK relies on it, checked
through the SDK's public API against a real binary.

The binary is ``--codex-bin PATH`` (an option of :mod:`codex_local_sdk.testing.pytest_plugin`),
by default ``$CODEX_BIN``; without either the suite is skipped. Every test gets its own
``CODEX_HOME`` and a model provider on loopback, so nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

import codex_local_sdk
from adapters.json_file_store import JsonFileSessionStore
from codex_local_sdk import (
    CodexClientEvent,
    CodexExecFailedError,
    CodexExecRequest,
    CodexLocalClient,
    CodexThreadBusyError,
    CodexTimeoutError,
    CodexUnknownThreadError,
    InMemorySessionStore,
    RetryPolicy,
)
from codex_local_sdk.testing.loopback import LoopbackProvider, Reply, unreachable_base_url, write_codex_home

SDK_HOME = str(Path(codex_local_sdk.__file__).resolve().parents[1])
"""The folder that holds the SDK's packages (site-packages, or a source tree): a ``python -c``
started there imports the same SDK."""


@attrs.define
class Offline:
    """A private CODEX_HOME, a loopback provider, and clients wired to both."""

    codex_bin: str
    provider: LoopbackProvider
    env: dict[str, str]
    workdir: Path
    events: list[CodexClientEvent] = attrs.Factory(list)

    def client(self, **options: Any) -> CodexLocalClient:
        return CodexLocalClient(
            codex_bin=self.codex_bin,
            default_env=self.env,
            default_cwd=str(self.workdir),
            event_hook=self.events.append,
            **options,
        )

    def request(self, prompt: str = "hello", **fields: Any) -> CodexExecRequest:
        return CodexExecRequest(prompt=prompt, skip_git_repo_check=True, **fields)


@pytest.fixture
def codex_bin(request: pytest.FixtureRequest) -> str:
    binary = request.config.getoption("--codex-bin")
    if not binary:
        pytest.skip("no CLI to certify: pass --codex-bin PATH or set CODEX_BIN (make test does)")
    binary = str(binary)
    return os.path.abspath(binary) if os.sep in binary else binary  # runs use other cwds


@pytest.fixture
def offline(codex_bin: str, tmp_path: Path) -> Iterator[Offline]:
    workdir = tmp_path / "work"
    workdir.mkdir()
    with LoopbackProvider() as provider:
        env = write_codex_home(tmp_path / "codex-home", provider.base_url)
        yield Offline(codex_bin, provider, env, workdir)


def test_plain_run(offline: Offline) -> None:
    offline.provider.enqueue(
        Reply.message("Hello from loopback", usage={"input_tokens": 12, "output_tokens": 3})
    )
    result = offline.client().run(offline.request())
    assert result.final_message == "Hello from loopback"
    assert result.thread_id
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (12, 3)
    assert result.return_code == 0 and result.turn_status == "completed"


def test_event_grammar(offline: Offline) -> None:
    result = offline.client().run(offline.request())
    types = [event.type for event in result.events]
    assert types[0] == "thread.started"
    assert types[-1] == "turn.completed"
    assert "turn.started" in types
    started = types.index("turn.started")
    items = [event for event in result.events[started:] if event.type.startswith("item.")]
    assert items and all(event.item_type for event in items)


def test_output_schema_reaches_the_provider(offline: Offline) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    offline.provider.enqueue(Reply.message('{"answer": 42}'))
    result = offline.client().run_with_schema("answer", schema, skip_git_repo_check=True)
    assert result.parse_json() == {"answer": 42}
    text_format = offline.provider.requests[-1]["text"]["format"]
    assert (text_format["type"], text_format["strict"], text_format["schema"]) == (
        "json_schema",
        True,
        schema,
    )


def test_last_message_file(offline: Offline) -> None:
    offline.provider.enqueue(Reply.message("written to a file"))
    target = offline.workdir / "last.txt"
    result = offline.client().run(offline.request(output_last_message_path=str(target)))
    assert target.read_text() == result.final_message == "written to a file"


def test_tool_call(offline: Offline) -> None:
    offline.provider.enqueue(Reply.tool_call("echo contract-$((40 + 2))"), Reply.message("ran it"))
    result = offline.client().run(offline.request(sandbox="danger-full-access"))
    commands = [
        e.item for e in result.events if e.type == "item.completed" and e.item_type == "command_execution"
    ]
    assert len(commands) == 1 and commands[0] is not None
    assert "contract-42" in commands[0]["aggregated_output"]
    assert commands[0]["exit_code"] == 0
    assert result.final_message == "ran it"
    tool_output = [
        i for i in offline.provider.requests[-1]["input"] if i.get("type") == "function_call_output"
    ]
    assert tool_output and "contract-42" in json.dumps(tool_output)


RESUME_IN_NEW_PROCESS = """
import json, sys
from codex_local_sdk import CodexLocalClient, JsonFileSessionStore
codex_bin, store, cwd, env = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
client = CodexLocalClient(codex_bin=codex_bin, default_env=env, default_cwd=cwd,
                          session_store=JsonFileSessionStore(store))
result = client.resume("and now?", session_name="contract", skip_git_repo_check=True)
print(json.dumps({"thread_id": result.thread_id, "message": result.final_message}))
"""


def test_resume_by_name_from_a_new_process(offline: Offline, tmp_path: Path) -> None:
    store = tmp_path / "sessions.json"
    offline.provider.enqueue(Reply.message("first answer"), Reply.message("second answer"))
    session, _ = offline.client(session_store=JsonFileSessionStore(store)).start_thread(
        "remember this", session_name="contract", skip_git_repo_check=True
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RESUME_IN_NEW_PROCESS,
            offline.codex_bin,
            str(store),
            str(offline.workdir),
            json.dumps(offline.env),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=SDK_HOME,
        check=True,
    )
    assert json.loads(done.stdout) == {"thread_id": session.session_id, "message": "second answer"}
    assert "first answer" in json.dumps(offline.provider.requests[-1]["input"])
    record = JsonFileSessionStore(store).get_record("contract")
    assert record is not None and record.turn_count == 2


def test_provider_error_fails_the_turn(offline: Offline) -> None:
    offline.provider.enqueue(Reply.http_error(500))
    with pytest.raises(CodexExecFailedError) as info:
        offline.client().run(offline.request())
    result = info.value.result
    assert (result.return_code, result.turn_status) == (1, "failed")
    assert info.value.turn_error and info.value.turn_error in str(info.value)


def test_retry_after_a_failed_turn(offline: Offline) -> None:
    offline.provider.enqueue(Reply.http_error(500), Reply.message("second time lucky"))
    client = offline.client(retry_policy=RetryPolicy(max_attempts=2, initial_backoff_seconds=0.1))
    result = client.run(offline.request())
    assert (result.final_message, result.attempts) == ("second time lucky", 2)
    assert [e.type for e in offline.events] == [
        "operation.started",
        "attempt.started",
        "attempt.failed",
        "retry.scheduled",
        "attempt.started",
        "attempt.succeeded",
        "operation.finished",
    ]
    assert offline.events[2].return_code == 1 and offline.events[2].turn_status == "failed"
    assert len({e.operation_id for e in offline.events}) == 1


def test_unreachable_provider_is_ended_by_the_timeout(offline: Offline, tmp_path: Path) -> None:
    env = write_codex_home(tmp_path / "unreachable-home", unreachable_base_url())
    client = CodexLocalClient(
        codex_bin=offline.codex_bin,
        default_env=env,
        default_cwd=str(offline.workdir),
        event_hook=offline.events.append,
        terminate_grace_seconds=2,
    )
    run = client.run_live(offline.request(), timeout_seconds=4)
    pid = run.pid
    with pytest.raises(CodexTimeoutError), run:
        run.result()
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)


def test_live_events_arrive_while_the_provider_streams(offline: Offline) -> None:
    two_messages = Reply(
        items=(*Reply.message("early").items, *Reply.message("late").items), pause_seconds=1.5
    )
    offline.provider.enqueue(two_messages)
    with offline.client().run_live(offline.request()) as run:
        for event in run.iter_events():
            if event.item_type == "agent_message":
                assert event.text == "early"
                assert offline.provider.completed_replies == 0, "the first message came only at the end"
                break
        assert run.result().final_message == "late"


def test_unknown_thread_on_resume(offline: Offline) -> None:
    with pytest.raises(CodexUnknownThreadError, match="no thread"):
        offline.client().resume(
            "hello?", session_id="01a20bcc-0000-7000-8000-000000000000", skip_git_repo_check=True
        )


def test_one_run_at_a_time_per_thread(codex_bin: str, tmp_path: Path) -> None:
    in_turn, release = threading.Event(), threading.Event()

    def hold_the_slow_turn(body: Mapping[str, Any]) -> Reply:
        if "slow turn" in json.dumps(body["input"][-1]):
            in_turn.set()
            release.wait(60)
        return Reply.message("done")

    with LoopbackProvider(handler=hold_the_slow_turn) as provider:
        env = write_codex_home(tmp_path / "codex-home", provider.base_url)
        client = CodexLocalClient(
            codex_bin=codex_bin,
            default_env=env,
            default_cwd=str(tmp_path),
            session_store=InMemorySessionStore(),
        )
        client.start_thread("begin", session_name="shared", skip_git_repo_check=True)
        with client.resume_live("slow turn", session_name="shared", skip_git_repo_check=True) as slow:
            assert in_turn.wait(60), "the provider never saw the slow turn"
            with pytest.raises(CodexThreadBusyError, match="being continued by another run"):
                client.resume("meanwhile", session_name="shared", skip_git_repo_check=True)
            release.set()
            assert slow.result().final_message == "done"
        assert client.resume("afterwards", session_name="shared", skip_git_repo_check=True).succeeded
        record = client.get_session_record("shared")
        assert record is not None
        assert (record.turn_count, record.failure_count) == (4, 1)
