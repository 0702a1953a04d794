"""Named sessions: start one, continue it by name from anywhere, read its record."""

from __future__ import annotations

from typing import Any

from codex_local_sdk import CodexLocalClient, JsonFileSessionStore


def make_client(store_path: str = "sessions.json", **ports: Any) -> CodexLocalClient:
    return CodexLocalClient(session_store=JsonFileSessionStore(store_path), **ports)


def main(client: CodexLocalClient | None = None) -> None:
    client = client or make_client()
    session, first = client.start_thread(
        "Read the README and remember the project's name.", session_name="onboarding"
    )
    print(f"started thread {session.session_id}: {first.final_message}")

    # Later, in this process or any other that opens the same store file:
    again = client.resume("What is the project's name?", session_name="onboarding")
    assert again.usage is not None and again.turn_usage is not None
    print(f"{again.final_message} | thread total: {again.usage.input_tokens} input tokens,")
    print(f"  this turn: {again.turn_usage.input_tokens} (the CLI reports running totals)")

    # Or keep the handle (or client.open_session("onboarding")) and continue it directly:
    session.continue_prompt("Thanks, that's all.")

    record = client.get_session_record("onboarding")
    assert record is not None
    counts = f"{record.turn_count} turns, {record.success_count} ok, {record.failure_count} failed"
    print(f"{record.name}: {counts}")
    for turn in record.turns:
        print(f"  {turn.operation:<12} {turn.turn_status:<9} {turn.prompt_preview!r}")
    print("by name:", client.list_sessions())


if __name__ == "__main__":
    main()
