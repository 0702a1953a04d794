"""Named sessions in a JSON file: start, continue from anywhere, inspect the record."""

from __future__ import annotations

from codex_local_sdk import CodexLocalClient, JsonFileSessionStore


def main(client: CodexLocalClient) -> None:
    session, first = client.start_thread(
        "Read the README and remember the project's name.",
        session_name="onboarding",
        skip_git_repo_check=True,
    )
    print(f"thread {session.session_id}: {first.final_message}")

    # Later, in any process that uses the same store:
    again = client.resume("What is the project's name?", session_name="onboarding", skip_git_repo_check=True)
    print(again.final_message, "| tokens this turn:", again.turn_usage and again.turn_usage.total_tokens)

    # Or keep a handle and continue it directly:
    session.continue_prompt("Thanks!")

    record = client.get_session_record("onboarding")
    assert record is not None
    print(f"{record.turn_count} turns ({record.success_count} ok, {record.failure_count} failed)")
    for turn in record.turns:
        print(f"- {turn.operation}: {turn.prompt_preview!r} -> {turn.turn_status}")


if __name__ == "__main__":
    main(CodexLocalClient(session_store=JsonFileSessionStore("sessions.json")))
