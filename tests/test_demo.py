"""`make demo` runs docs/examples/demo.py against the real CLI, offline: keep it working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[1] / "docs" / "examples" / "demo.py"


@pytest.mark.skipif(
    not os.environ.get("CODEX_BIN"), reason="needs the Codex CLI in CODEX_BIN (make test sets it)"
)
def test_demo_runs_a_resumed_conversation_offline() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CODEX_DEMO_REAL"}
    done = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Turn 1: you said 'Hello! Please remember the number 42.'" in out
    assert "Earlier you said: 'Hello! Please remember the number 42.'" in out  # the resumed thread
    assert "live: item.completed (agent_message)" in out
    assert "ran \"/bin/bash -c 'ls -1'\" -> exit 0" in out  # what the agent did, from the typed views
    assert "   add NOTES.md" in out
    assert '"turn_count": 3, "success_count": 3' in out
