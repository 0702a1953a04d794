"""Two workers take turns on one named session: two machines, each with its own CODEX_HOME and
its own folder layout, sharing a session store and a thread archive. The real Codex CLI runs
offline, against a scripted model provider on 127.0.0.1.

Run it with the CLI's path: ``python docs/examples/fleet.py .codex-cli/node_modules/.bin/codex``.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codex_local_sdk import (
    CodexClientEvent,
    CodexLocalClient,
    DirectoryThreadArchive,
    SessionRecord,
    SessionWorkspace,
    SqliteSessionStore,
)
from codex_local_sdk.testing import LoopbackProvider, Reply, write_codex_home


def make_worker(machine: Path, shared: Path, codex_bin: str, provider_url: str) -> CodexLocalClient:
    """One worker: its own CODEX_HOME and checkouts under ``machine``; the store and the
    archive in ``shared`` (a folder every machine mounts)."""

    def workspace(record: SessionRecord) -> SessionWorkspace:
        # Each machine keeps its checkouts in its own place: find this one's.
        return SessionWorkspace(cwd=machine / "checkouts" / record.metadata["repo"])

    return CodexLocalClient(
        codex_bin=codex_bin,
        codex_home=machine / "codex-home",
        default_env=write_codex_home(machine / "codex-home", provider_url),  # offline: the fake key
        session_store=SqliteSessionStore(shared / "sessions.sqlite3"),
        thread_archive=DirectoryThreadArchive(shared / "threads", lease_seconds=60, lease_wait_seconds=30),
        workspace_resolver=workspace,
        event_hook=lambda event: print_thread_event(machine.name, event),
        timeout_seconds=60,
    )


def print_thread_event(worker: str, event: CodexClientEvent) -> None:
    if event.type == "thread.restored":
        print(f"  {worker} restored the thread from the archive")


def answer(body: Mapping[str, Any]) -> Reply:
    """The scripted model: it says where the CLI runs and which prompts of the session it got."""
    texts = [part["text"] for item in body["input"] if item.get("role") == "user" for part in item["content"]]
    cwd = re.findall(r"<cwd>(.*?)</cwd>", "".join(texts))[-1]  # the CLI tells the model where it runs
    prompts = [text for text in texts if not text.startswith("<")]
    return Reply.message(f"in {'/'.join(Path(cwd).parts[-3:])}, read: " + " / ".join(prompts))


def main(codex_bin: str = "codex") -> None:
    with tempfile.TemporaryDirectory() as tmp, LoopbackProvider(handler=answer) as provider:
        root = Path(tmp)
        for machine in ("worker-a", "worker-b"):
            (root / machine / "checkouts" / "shop").mkdir(parents=True)
        shared = root / "shared"
        a, b = (
            make_worker(root / name, shared, codex_bin, provider.base_url)
            for name in ("worker-a", "worker-b")
        )

        session, first = a.start_thread(
            "Find the bug",
            session_name="ticket-4711",
            metadata={"repo": "shop"},
            cwd=root / "worker-a" / "checkouts" / "shop",
            skip_git_repo_check=True,
        )
        print("worker-a:", first.final_message)
        for worker, name, prompt in ((b, "worker-b", "Fix it"), (a, "worker-a", "Add a test")):
            result = worker.resume(prompt, session_name="ticket-4711")
            print(f"{name}:", result.final_message)

        record = b.get_session_record("ticket-4711")
        assert record is not None
        print(f"one thread: {record.session_id == session.session_id}, {record.turn_count} turns recorded")
        print("archived threads:", len(DirectoryThreadArchive(shared / "threads").threads()))


if __name__ == "__main__":
    # A relative path would be looked up from the run's cwd (a checkout): make it absolute.
    main(*(os.path.abspath(path) for path in sys.argv[1:2]))
