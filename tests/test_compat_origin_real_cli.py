"""A script written for codex-local-sdk-python 0.1.4 runs unchanged on ours, against the real
Codex CLI (``$CODEX_BIN``, else the pinned one; skipped when absent) offline: the loopback
provider answers the model's turns, a private ``CODEX_HOME`` holds the threads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codex_local_sdk.testing.loopback import LoopbackProvider, Reply, write_codex_home

ROOT = Path(__file__).resolve().parents[1]

# As that package's README shows its API: positional arguments, result.ok checks, the
# thread session, run_with_schema writing its answer to output_json_path.
ORIGIN_SCRIPT = """
import json
import os

from codex_local_sdk import CodexExecRequest, CodexLocalClient

client = CodexLocalClient(codex_bin=os.environ["CODEX_BIN"], raise_on_error=False)

result = client.run(CodexExecRequest(prompt="Say hello"), None, 120)
assert result.ok, result.stderr
print("plain:", result.final_message)

result = client.run(CodexExecRequest(prompt="Say hello in JSON mode", json_output=True))
assert result.ok and result.is_turn_completed, result.stderr
print("json:", result.final_message, "thread" if result.thread_id else "no thread", len(result.events) > 0)
print("usage:", result.usage["input_tokens"] >= 0)

session, first = client.start_thread("Write notes v1", None, "notes")
assert first.ok and session.session_id == first.thread_id
second = session.continue_prompt("Now v2")
assert second.ok and session.is_last_turn_complete, second.stderr
print("thread:", first.final_message, "->", second.final_message, second.thread_id == first.thread_id)
record = client.list_session_records()["notes"]
print("record:", record.session_name, record.turn_count)

schema = {
    "type": "object",
    "properties": {"answer": {"type": "integer"}},
    "required": ["answer"],
    "additionalProperties": False,
}
result = client.run_with_schema("What is six times seven?", schema, output_json_path="answer.json")
assert result.ok, result.stderr
with open("answer.json", encoding="utf-8") as f:
    print("schema:", json.load(f)["answer"], json.loads(result.final_message)["answer"])
"""

REPLIES = [
    Reply.message("Hello."),
    Reply.message("Hello, in JSON."),
    Reply.message("Notes v1"),
    Reply.message("Notes v2"),
    Reply.message('{"answer": 42}'),
]


def pinned_cli() -> str:
    binary = os.environ.get("CODEX_BIN") or str(ROOT / ".codex-cli" / "node_modules" / ".bin" / "codex")
    if not Path(binary).exists():
        pytest.skip(f"no Codex CLI at {binary}: set CODEX_BIN (make test does)")
    return binary


def test_a_script_written_for_0_1_4_runs_unchanged(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    script = tmp_path / "origin_script.py"
    script.write_text(ORIGIN_SCRIPT, encoding="utf-8")
    with LoopbackProvider(REPLIES) as provider:
        env = {
            **os.environ,
            **write_codex_home(tmp_path / "codex-home", provider.base_url),
            "CODEX_BIN": pinned_cli(),
            "PYTHONPATH": str(ROOT),
        }
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "plain: Hello.",
        "json: Hello, in JSON. thread True",
        "usage: True",
        "thread: Notes v1 -> Notes v2 True",
        "record: notes 2",
        "schema: 42 42",
    ]
    assert provider.completed_replies == len(REPLIES)
