"""Live streaming: show each step as Codex takes it, and stop a run that goes astray.

Run it in a git repository: ``python live_stream.py``.
"""

from __future__ import annotations

import os
import sys

from codex_local_sdk import (
    Clock,
    CodexExecFailedError,
    CodexExecRequest,
    CodexExecResult,
    CodexLocalClient,
    ProcessRunner,
)

FORBIDDEN = ("git push", "rm -rf")
"""Commands this program never lets Codex run."""


def make_client(*, runner: ProcessRunner | None = None, clock: Clock | None = None) -> CodexLocalClient:
    """The client: the CLI from $CODEX_BIN, else ``codex`` on PATH (tests pass fakes)."""
    return CodexLocalClient(codex_bin=os.environ.get("CODEX_BIN", "codex"), runner=runner, clock=clock)


def watch(client: CodexLocalClient, prompt: str) -> CodexExecResult:
    """Run ``prompt``, printing commands and messages as they happen."""
    request = CodexExecRequest(prompt=prompt, sandbox="workspace-write")
    # The with block ends the run's process group however it is left (return, error, Ctrl-C).
    with client.run_live(request, timeout_seconds=600) as run:
        for event in run.iter_events():  # each event as soon as the CLI prints it
            if event.type == "item.started" and event.item_type == "command_execution":
                command = str((event.item or {}).get("command", ""))
                print(f"$ {command}")
                if any(bad in command for bad in FORBIDDEN):
                    run.terminate()  # SIGTERM to the group, SIGKILL after the grace period
            elif event.type == "item.completed" and event.item_type == "agent_message":
                print(f"codex: {event.text}")
        try:
            return run.result()  # the same CodexExecResult a plain run returns
        except CodexExecFailedError as exc:  # failed, timed out, or terminated above
            return exc.result


def main(client: CodexLocalClient | None = None) -> int:
    client = client or make_client()
    result = watch(client, "Run the test suite and fix the first failing test.")
    print(f"{result.turn_status}: exit {result.return_code}, thread {result.thread_id}")
    return 0 if result.succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
