"""A stand-in for ``codex exec --json`` that ends each run the way its prompt asks.

The prompt (read from stdin, as the CLI reads it) is ``<mode> <report path>``. The stand-in
starts a member of its process group (``sleep``), writes a JSON report (its pid, its group
id, its children's pids) to the report path, prints ``thread.started`` and ``turn.started``,
then:

- ``complete``: finishes the turn and exits 0;
- ``hang``: works for a long time (the caller stops it, or kills it from outside);
- ``linger``: finishes the turn, closes its stdout and keeps running;
- ``daemon``: starts a daemon (a new session, ``setsid``) that inherits its stdout and
  stderr, finishes the turn and exits 0.

Standard library only: it runs with ``python -I``.
"""

import json
import os
import subprocess
import sys
import time

LIFETIME_SECONDS = 30


def emit(event: dict[str, object]) -> None:
    print(json.dumps(event), flush=True)


def finish_turn() -> None:
    emit({"type": "item.completed", "item": {"type": "agent_message", "text": "done"}})
    emit({"type": "turn.completed", "usage": {"input_tokens": 10, "output_tokens": 1}})


def main() -> None:
    mode, report = sys.stdin.read().split()
    sleeper = ["sleep", str(LIFETIME_SECONDS)]
    member = subprocess.Popen(sleeper, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    daemon = subprocess.Popen(sleeper, start_new_session=True) if mode == "daemon" else None
    facts = {
        "pid": os.getpid(),
        "pgid": os.getpgid(0),
        "members": [member.pid],
        "daemon": daemon.pid if daemon else None,
    }
    with open(report + ".tmp", "w") as file:
        json.dump(facts, file)
    os.replace(report + ".tmp", report)  # it appears whole, before any event: the caller may stop at once
    emit({"type": "thread.started", "thread_id": "t-matrix"})
    emit({"type": "turn.started"})
    if mode in {"complete", "daemon"}:
        finish_turn()
        return
    if mode == "linger":
        finish_turn()
        os.close(1)
    time.sleep(LIFETIME_SECONDS)


if __name__ == "__main__":
    main()
