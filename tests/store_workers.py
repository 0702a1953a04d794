"""Processes that write one session store at once, for the stores' tests against real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

RECORD_TURNS = """
import sys
from adapters.store_url import store_from_url
from codex_local_sdk.testing.store_rules import add_turn
store = store_from_url(sys.argv[1], max_turn_history=20)
worker = int(sys.argv[2])
for i in range(int(sys.argv[3])):
    add_turn(store, "shared", succeeded=(i + worker) % 2 == 0)
"""


def python(code: str, *args: str) -> subprocess.Popen[bytes]:
    """``code`` run by this interpreter in a new process, from the repository's root."""
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO)


def record_turns(url: str, worker: int, turns: int) -> subprocess.Popen[bytes]:
    """A process that records ``turns`` turns under ``"shared"`` in the store at ``url``
    (history cut to 20), every other one failed, starting with a success for an even ``worker``."""
    return python(RECORD_TURNS, url, str(worker), str(turns))
