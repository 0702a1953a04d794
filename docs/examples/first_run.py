"""A first run: one prompt, one result."""

from __future__ import annotations

from codex_local_sdk import CodexLocalClient


def main(client: CodexLocalClient | None = None) -> None:
    client = client or CodexLocalClient()  # runs `codex` from PATH; codex_bin= takes a path
    result = client.run_prompt(
        "List the modules of this project and what each does",
        sandbox="read-only",  # Codex may read files and run read-only commands
        timeout_seconds=300,  # at 300 s the CLI's whole process group is killed
    )
    print(result.final_message)  # the last agent message
    print("thread:", result.thread_id)  # the Codex thread, to continue later
    print("ran:", " ".join(result.command))  # the argv; the prompt went on stdin
    print("status:", result.turn_status, "exit:", result.return_code)


if __name__ == "__main__":
    main()
