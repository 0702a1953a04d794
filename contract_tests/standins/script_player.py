#!/usr/bin/env python3
"""A stand-in for the Codex CLI that plays a script: the runner contract's real process.

It ignores its arguments, reads (and discards) stdin like the CLI does, then plays the next
run of the JSON list in the file named by ``$SCRIPT_PLAYER_SCRIPT`` (the n-th start plays
the n-th run; a ``.count`` file beside the script keeps n)::

    [{"stdout": ["line", {"pause": 1.5}, ...], "stderr": "text", "exit_code": 0,
      "duration_seconds": 0.0, "hang": false, "ignores_sigterm": false}, ...]

The same fields as ``adapters.scripted_runner.ScriptedRun``, so one scenario runs through
both runners. Standard library only.
"""

import json
import os
import signal
import sys
import time


def main() -> int:
    path = os.environ["SCRIPT_PLAYER_SCRIPT"]
    with open(path, encoding="utf-8") as file:
        runs = json.load(file)
    counter = path + ".count"
    index = 0
    if os.path.exists(counter):
        with open(counter) as file:
            index = int(file.read())
    with open(counter, "w") as file:
        file.write(str(index + 1))
    script = runs[index]
    if script.get("ignores_sigterm"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.stdin.buffer.read()
    for step in script.get("stdout", []):
        if isinstance(step, dict):
            sys.stdout.flush()
            time.sleep(step["pause"])
        else:
            sys.stdout.write(step + "\n")
    sys.stdout.flush()
    sys.stderr.write(script.get("stderr", ""))
    sys.stderr.flush()
    if script.get("hang"):
        while True:
            time.sleep(3600)
    time.sleep(script.get("duration_seconds", 0.0))
    return int(script.get("exit_code", 0))


if __name__ == "__main__":
    sys.exit(main())
