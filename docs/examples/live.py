"""Live streaming: see each event as the CLI prints it, and stop a run that goes astray."""

from __future__ import annotations

from codex_local_sdk import CodexExecFailedError, CodexExecRequest, CodexExecResult, CodexLocalClient

FORBIDDEN = ("git push", "rm -rf")


def guarded_run(client: CodexLocalClient, prompt: str) -> CodexExecResult:
    """Stream a run; terminate it the moment Codex starts a command we do not allow."""
    request = CodexExecRequest(prompt=prompt, sandbox="workspace-write")
    with client.run_live(request, timeout_seconds=600) as run:  # returns at the first event
        for event in run.iter_events():
            item = event.item or {}
            if event.type == "item.started" and event.item_type == "command_execution":
                command = str(item.get("command"))
                print(f"$ {command}")
                if any(bad in command for bad in FORBIDDEN):
                    print("forbidden: terminating the process group")
                    run.terminate()  # SIGTERM the group; SIGKILL after the grace period
            elif event.type == "item.completed" and event.item_type == "agent_message":
                print(f"codex: {event.text}")
        try:
            return run.result()  # the same CodexExecResult a run() returns
        except CodexExecFailedError as exc:  # a terminated run did not succeed
            return exc.result
    # Leaving the block, however it happens, kills a run still going and closes its pipes.


def main(client: CodexLocalClient | None = None) -> None:
    client = client or CodexLocalClient()
    result = guarded_run(client, "Tidy up the build scripts and publish the branch")
    print(f"status: {result.turn_status}, exit {result.return_code}, thread {result.thread_id}")


if __name__ == "__main__":
    main()
