"""A ticket service: each support ticket is a named Codex session, continued turn after turn.

Any worker process can take any message of any ticket: the ticket name -> Codex thread
mapping, with each ticket's counters and recent turns, is in a JSON file all workers share.
Failed attempts are retried; later turns are streamed live.
"""

from __future__ import annotations

import logging
from typing import Any

from codex_local_sdk import CodexClientEvent, CodexEvent, CodexLocalClient, JsonFileSessionStore, RetryPolicy

log = logging.getLogger("ticket-service")


# --8<-- [start:client]
def make_client(store_path: str = "sessions.json", **ports: Any) -> CodexLocalClient:
    return CodexLocalClient(
        retry_policy=RetryPolicy(
            max_attempts=3,  # the first attempt and up to two retries
            initial_backoff_seconds=2,  # wait 2 s before the first retry, 4 s before the second
            jitter_ratio=0,  # exactly those waits (the default spreads each by up to 20 %)
            max_total_retry_seconds=1800,  # no retry that would start 30 min after the first try
            retry_on_timeouts=True,  # a run that hit its timeout is killed, then tried again
        ),
        session_store=JsonFileSessionStore(store_path),  # survives restarts, shared by workers
        event_hook=log_trouble,
        **ports,  # tests pass a fake runner= and clock= here
    )


def log_trouble(event: CodexClientEvent) -> None:
    if event.type in ("attempt.failed", "live.startup_failed"):
        log.warning("%s attempt %s failed: %s", event.operation, event.attempt, event.error)
    elif event.type in ("retry.scheduled", "live.startup_retried"):
        log.warning("%s: retrying in %.0f s", event.operation, event.delay_seconds or 0)


# --8<-- [end:client]


# --8<-- [start:answer]
TIMEOUT = 600  # seconds per attempt


def answer(client: CodexLocalClient, ticket: str, message: str, repo: str) -> str:
    """Answer ``message`` in the ticket's Codex session, showing the work as it happens."""
    name = f"ticket-{ticket}"
    if client.get_session_id(name) is None:
        # The ticket's first message: a new Codex thread, saved under the ticket's name.
        _, result = client.start_thread(
            message, session_name=name, cwd=repo, sandbox="read-only", timeout_seconds=TIMEOUT
        )
        return result.final_message or ""
    # Any later message, in any worker: continue the thread by name, streamed live.
    with client.resume_live(
        message, session_name=name, cwd=repo, sandbox="workspace-write", timeout_seconds=TIMEOUT
    ) as run:
        for event in run.iter_events():
            show_progress(event)
        return run.result().final_message or ""  # reading the result records the turn


def show_progress(event: CodexEvent) -> None:
    item = event.item or {}
    if event.type == "item.started" and event.item_type == "command_execution":
        print(f"  $ {item.get('command')}")
    elif event.type == "item.completed" and event.item_type == "command_execution":
        print(f"    exit {item.get('exit_code')}")


# --8<-- [end:answer]


# --8<-- [start:report]
def report(client: CodexLocalClient, ticket: str) -> str:
    record = client.get_session_record(f"ticket-{ticket}")
    if record is None:
        return f"ticket {ticket}: no session"
    return (
        f"ticket {ticket}: thread {record.session_id}, {record.turn_count} turns "
        f"({record.failure_count} failed), last: {record.last_turn_status}"
    )


# --8<-- [end:report]


def main(client: CodexLocalClient | None = None, repo: str = ".") -> None:
    client = client or make_client()
    print("codex:", answer(client, "4711", "Why does `make test` fail?", repo))
    print("codex:", answer(client, "4711", "Fix it, then run the tests.", repo))
    print(report(client, "4711"))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
