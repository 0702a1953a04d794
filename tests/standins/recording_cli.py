"""A stand-in Codex CLI that records how it was started: the version it claims, and for each
``exec`` its argv and environment.

:func:`write_recording_cli` writes it as an executable into a folder; every start appends one
JSON line to ``<folder>/calls.jsonl``: ``{"argv": [...], "env": {...}}``. ``--version``
prints ``codex-cli <version>``; ``exec`` reads its prompt from stdin and prints one
successful turn.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

_SCRIPT = """#!{python}
import json, os, sys
with open({calls!r}, "a") as record:
    record.write(json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ)}}) + "\\n")
if sys.argv[1:] == ["--version"]:
    print("codex-cli {version}")
    sys.exit(0)
sys.stdin.read()
for event in (
    {{"type": "thread.started", "thread_id": "t-recorded"}},
    {{"type": "turn.started"}},
    {{"type": "item.completed", "item": {{"id": "i", "type": "agent_message", "text": "ok"}}}},
    {{"type": "turn.completed", "usage": {{"input_tokens": 1, "output_tokens": 1}}}},
):
    print(json.dumps(event), flush=True)
"""


def write_recording_cli(folder: Path, *, version: str = "0.169.0", name: str = "codex") -> Path:
    """Write the stand-in as ``folder/name``; its calls go to ``folder/calls.jsonl``."""
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / name
    calls = str(folder / "calls.jsonl")
    binary.write_text(_SCRIPT.format(python=sys.executable, calls=calls, version=version))
    binary.chmod(0o755)
    return binary


def recorded_calls(folder: Path) -> list[dict[str, Any]]:
    """The starts the stand-in in ``folder`` recorded, in order."""
    calls = folder / "calls.jsonl"
    if not calls.exists():
        return []
    return [json.loads(line) for line in calls.read_text().splitlines()]
