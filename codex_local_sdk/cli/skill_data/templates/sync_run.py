"""One Codex turn: ask about a repository and use the answer.

Run it in a git repository: ``python sync_run.py``. Edit ``summarize`` for your task.
"""

from __future__ import annotations

import os
import sys

from codex_local_sdk import (
    Clock,
    CodexExecFailedError,
    CodexLocalClient,
    CodexNotInstalledError,
    CodexTimeoutError,
    ProcessRunner,
)


def make_client(*, runner: ProcessRunner | None = None, clock: Clock | None = None) -> CodexLocalClient:
    """The client: the CLI from $CODEX_BIN, else ``codex`` on PATH (tests pass fakes)."""
    return CodexLocalClient(codex_bin=os.environ.get("CODEX_BIN", "codex"), runner=runner, clock=clock)


def summarize(client: CodexLocalClient, repo: str) -> str:
    """What the repository does, in Codex's words."""
    result = client.run_prompt(
        "Summarise what this repository does in three sentences.",
        cwd=repo,  # Codex works in this folder
        sandbox="read-only",  # it may read files and run commands, not change anything
        timeout_seconds=300,  # always bound a run: the SDK then ends its whole process group
    )
    return (result.final_message or "").strip()


def main(client: CodexLocalClient | None = None) -> int:
    client = client or make_client()
    try:
        print(summarize(client, os.getcwd()))
    except CodexNotInstalledError as exc:
        print(f"install the Codex CLI first: {exc}", file=sys.stderr)
        return 1
    except CodexTimeoutError as exc:  # a subclass of CodexExecFailedError: catch it first
        print(f"no answer within {exc.timeout_seconds} s", file=sys.stderr)
        return 1
    except CodexExecFailedError as exc:  # exc.result holds the whole CodexExecResult
        print(f"codex failed (exit {exc.return_code}): {exc.turn_error or exc.stderr_tail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
