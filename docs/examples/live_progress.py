"""Live progress: redraw a one-line status as the agent works, from ``run.progress``."""

from __future__ import annotations

from codex_local_sdk import CodexExecRequest, CodexLocalClient, TurnProgress


def status_line(progress: TurnProgress) -> str:
    """One line: commands run (and failed), files changed, plan, the agent's latest words."""
    commands, failed = len(progress.commands_run), len(progress.failed_commands)
    running = [c.command for c in progress.commands_run if c.status == "in_progress"]
    plan = progress.todo_list.items if progress.todo_list is not None else None
    parts = [
        f"{commands} commands ({failed} failed)",
        f"{len(progress.file_changes)} files changed",
        *([f"plan {sum(1 for s in plan if s.completed)}/{len(plan)}"] if plan else []),
        *([f"running {running[-1]}"] if running else []),
        *([f"says {progress.agent_message!r}"] if progress.agent_message else []),
    ]
    return " | ".join(parts)


def main(client: CodexLocalClient | None = None) -> None:
    client = client or CodexLocalClient()
    request = CodexExecRequest(prompt="Fix the failing test", sandbox="workspace-write")
    shown = ""
    with client.run_live(request, timeout_seconds=900) as run:
        for _ in run.iter_events():
            line = status_line(run.progress)  # a snapshot of the turn so far; cheap to read
            if line != shown:  # a terminal would redraw in place: print("\r" + line, end="")
                print(line)
                shown = line
        result = run.result()
    print(f"done: {result.turn_status}, {len(result.items)} items")


if __name__ == "__main__":
    main()
