"""What the agent did, for a CI job: the commands it ran (and which failed), the files it
changed, its plan and its answer, from the result's typed views. Exits 1 if a command failed."""

from __future__ import annotations

import os
import sys

from codex_local_sdk import CodexExecRequest, CodexExecResult, CodexLocalClient


def report(result: CodexExecResult, cwd: str) -> None:
    """Print what the turn did, from the typed views of its result."""
    for command in result.commands_run:
        mark = "FAIL" if command.failed else "ok"
        print(f"[{mark:>4}] {command.command} (exit {command.exit_code})")
    for change in result.file_changes:  # one line per file, however many patches touched it
        print(f"{change.kind:>6}  {os.path.relpath(change.path or '?', cwd)}")
    if result.todo_list is not None:
        steps = result.todo_list.items or ()
        print(f"plan: {sum(1 for step in steps if step.completed)}/{len(steps)} steps done")
    print(f"answer: {result.final_message}")
    print(f"safe to retry: {'no' if result.has_side_effects else 'yes'}")


def main(client: CodexLocalClient | None = None, cwd: str | None = None) -> int:
    client = client or CodexLocalClient()
    cwd = cwd or os.getcwd()
    request = CodexExecRequest(prompt="Fix the failing test", cwd=cwd, sandbox="workspace-write")
    result = client.run(request, timeout_seconds=900)
    report(result, cwd)
    return 1 if result.failed_commands else 0


if __name__ == "__main__":
    sys.exit(main())
