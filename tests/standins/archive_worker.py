"""A worker process, as one machine of a fleet: its own CODEX_HOME, a session store and a
thread archive shared with the other workers.

Run as ``python -m tests.standins.archive_worker CODEX_BIN HOME STORE_FILE ARCHIVE WORKDIR``, where
``ARCHIVE`` is a folder (a DirectoryThreadArchive) or a ``postgresql://`` URL (a
PostgresThreadArchive); it reads one prompt a line from stdin, runs it as the next turn of the named session
``ticket`` (the first one starts it) and prints one JSON line per turn:
``{"thread_id": ..., "message": ..., "operation": ...}`` or ``{"error": ...}``.
"""

from __future__ import annotations

import json
import sys

from adapters.json_file_store import JsonFileSessionStore
from adapters.thread_archive import DirectoryThreadArchive
from codex_local_sdk import CodexLocalClient
from codex_local_sdk.ports import ThreadArchive

SESSION = "ticket"


def archive_of(spec: str) -> ThreadArchive:
    """The archive ``spec`` names: a ``postgresql://`` URL, else a folder."""
    if spec.startswith("postgresql://"):
        from adapters.postgres_thread_archive import PostgresThreadArchive

        return PostgresThreadArchive(spec)
    return DirectoryThreadArchive(spec)


def main(codex_bin: str, home: str, store_file: str, archive: str, workdir: str) -> None:
    client = CodexLocalClient(
        codex_bin=codex_bin,
        codex_home=home,
        session_store=JsonFileSessionStore(store_file),
        thread_archive=archive_of(archive),
        timeout_seconds=60,
    )
    for line in sys.stdin:
        prompt = line.strip()
        try:
            if client.get_session_id(SESSION) is None:
                _, result = client.start_thread(
                    prompt, session_name=SESSION, cwd=workdir, skip_git_repo_check=True
                )
                operation = "start_thread"
            else:
                result = client.resume(prompt, session_name=SESSION, cwd=workdir, skip_git_repo_check=True)
                operation = "resume"
            answer = {"thread_id": result.thread_id, "message": result.final_message, "operation": operation}
        except Exception as exc:  # the test reads it
            answer = {"error": repr(exc)}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:6])
