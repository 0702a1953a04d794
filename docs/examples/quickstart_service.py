"""A small service: each support ticket is a named Codex session, continued turn after turn.

The first message of a ticket starts a thread under the ticket's name; later messages, from
any process, resume it by name and stream the answer live. Failed attempts are retried.
"""

from __future__ import annotations

import logging

from codex_local_sdk import CodexLocalClient, JsonFileSessionStore, RetryPolicy

log = logging.getLogger("ticket-service")


def make_client(store_path: str = "sessions.json") -> CodexLocalClient:
    return CodexLocalClient(
        retry_policy=RetryPolicy(
            max_attempts=3,  # the first attempt and two retries
            initial_backoff_seconds=2,  # then 4 s
            max_total_retry_seconds=60,
            retry_on_timeouts=True,
        ),
        session_store=JsonFileSessionStore(store_path),  # survives restarts, shared by workers
        event_hook=lambda event: log.info("%s attempt=%s", event.type, event.attempt),
    )


def handle_message(client: CodexLocalClient, ticket: str, message: str, repo: str) -> str:
    """Answer ``message`` in the ticket's session, printing Codex's work as it happens."""
    name = f"ticket-{ticket}"
    if client.get_session_id(name) is None:
        _, result = client.start_thread(
            message, session_name=name, cwd=repo, skip_git_repo_check=True, timeout_seconds=600
        )
        return result.final_message or ""
    with client.resume_live(
        message, session_name=name, cwd=repo, skip_git_repo_check=True, timeout_seconds=600
    ) as run:
        for event in run.iter_events():
            if event.type == "item.started" and event.item_type == "command_execution":
                print("  running:", event.item["command"] if event.item else "?")
            elif event.type == "item.completed" and event.item_type == "agent_message":
                print("  codex:", event.text)
        return run.result().final_message or ""


def main(client: CodexLocalClient) -> None:
    print(handle_message(client, "4711", "Why does the build fail?", repo="."))
    print(handle_message(client, "4711", "Fix it, then run the tests.", repo="."))
    record = client.get_session_record("ticket-4711")
    assert record is not None
    print(f"{record.name}: {record.turn_count} turns, {record.failure_count} failed")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main(make_client())
