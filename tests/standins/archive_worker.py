"""A worker process, as one machine of a fleet: its own CODEX_HOME, a session store and a
thread archive shared with the other workers.

Run as ``python -m tests.standins.archive_worker CODEX_BIN HOME STORE ARCHIVE WORKDIR
[--lease-seconds S] [--announce]``. ``STORE`` is a store URL (``json:PATH``, ``sqlite:PATH``...) or the path
of a JSON file; ``ARCHIVE`` names the thread archive for :func:`thread_archive`. It reads
``<session> <prompt>`` a line from stdin, runs the prompt as the next turn of that named
session (the first one starts it) and prints one JSON line per turn: ``{"session": ...,
"thread_id": ..., "message": ..., "operation": ..., "events": [...]}`` (the ``thread.*`` events
of the turn) or ``{"session": ..., "error": ..., "error_type": ...}``. With ``--announce`` it
prints ``{"session": ..., "started": true}`` first, as the turn starts (before it asks for the
thread's lease).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from adapters.store_url import store_from_url
from adapters.thread_archive import DirectoryThreadArchive
from codex_local_sdk import CodexClientEvent, CodexLocalClient
from codex_local_sdk.ports import ThreadArchive


def thread_archive(name: str, *, lease_seconds: float = 60.0) -> ThreadArchive:
    """The archive ``name`` stands for, in the workers and in the tests that read it back: a
    ``postgresql://`` URL, for a :class:`PostgresThreadArchive`, else a folder, for a
    :class:`DirectoryThreadArchive`."""
    if name.startswith("postgresql://"):
        from adapters.postgres_thread_archive import PostgresThreadArchive

        return PostgresThreadArchive(name, lease_seconds=lease_seconds, lease_wait_seconds=60.0)
    return DirectoryThreadArchive(name, lease_seconds=lease_seconds, lease_wait_seconds=60.0)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    for name in ("codex_bin", "home", "store", "archive", "workdir"):
        parser.add_argument(name)
    parser.add_argument("--lease-seconds", type=float, default=60.0)
    parser.add_argument("--announce", action="store_true")
    args = parser.parse_args(argv)
    events: list[CodexClientEvent] = []

    def record(event: CodexClientEvent) -> None:
        events.append(event)
        if args.announce and event.type == "operation.started":
            print(json.dumps({"session": event.session_name, "started": True}), flush=True)

    client = CodexLocalClient(
        codex_bin=args.codex_bin,
        codex_home=args.home,
        session_store=store_from_url(args.store if ":" in args.store else f"json:{args.store}"),
        thread_archive=thread_archive(args.archive, lease_seconds=args.lease_seconds),
        timeout_seconds=60,
        event_hook=record,
    )
    for line in sys.stdin:
        session, _, prompt = line.strip().partition(" ")
        events.clear()
        answer: dict[str, Any] = {"session": session}
        try:
            if client.get_session_id(session) is None:
                _, result = client.start_thread(
                    prompt, session_name=session, cwd=args.workdir, skip_git_repo_check=True
                )
                answer["operation"] = "start_thread"
            else:
                result = client.resume(prompt, session_name=session)
                answer["operation"] = "resume"
            answer.update(thread_id=result.thread_id, message=result.final_message)
        except Exception as exc:  # the test reads it
            answer.update(error=repr(exc), error_type=type(exc).__name__)
        answer["events"] = [event.type for event in events if event.type.startswith("thread.")]
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
