"""A named conversation: the first call starts a Codex thread, later calls continue it,
from this process or any other (the name -> thread map is kept in a JSON file).

Run it twice: ``python thread_session.py``; the second run continues the same thread.
"""

from __future__ import annotations

import os
import sys

from codex_local_sdk import (
    Clock,
    CodexExecResult,
    CodexLocalClient,
    JsonFileSessionStore,
    ProcessRunner,
    RetryPolicy,
)

SESSION = "release-notes"


def make_client(*, runner: ProcessRunner | None = None, clock: Clock | None = None) -> CodexLocalClient:
    """The client, with sessions in ``codex-sessions.json`` (safe across processes)."""
    return CodexLocalClient(
        codex_bin=os.environ.get("CODEX_BIN", "codex"),
        session_store=JsonFileSessionStore("codex-sessions.json"),
        # a thread being continued by another run fails fast: wait it out
        retry_policy=RetryPolicy(max_attempts=3, initial_backoff_seconds=5),
        runner=runner,
        clock=clock,
    )


def ask(client: CodexLocalClient, name: str, prompt: str) -> CodexExecResult:
    """One turn of the conversation ``name``: a new thread the first time, then the same one."""
    if client.get_session_id(name) is None:
        _, result = client.start_thread(prompt, session_name=name, timeout_seconds=600)
        return result
    # A resume never guesses: it continues exactly the thread saved under this name.
    return client.resume(prompt, session_name=name, timeout_seconds=600)


def main(client: CodexLocalClient | None = None) -> int:
    client = client or make_client()
    for prompt in ("Draft release notes from the last ten commits.", "Make them half as long."):
        result = ask(client, SESSION, prompt)
        print(f"codex: {result.final_message}")
    record = client.get_session_record(SESSION)
    if record is not None:  # counters count every turn; the history keeps the latest ones
        print(
            f"{SESSION}: thread {record.session_id}, {record.turn_count} turns, {record.failure_count} failed"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
