"""One measurement in a fresh process, printed as JSON: peak RSS and time of a workload.

``python -m tests.bench.probe WORKLOAD STANDIN [N]`` — each workload runs once, so the
process's peak RSS (``ru_maxrss``) belongs to it alone.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from codex_local_sdk import CodexExecRequest, CodexLocalClient

REQUEST = CodexExecRequest(prompt="p")


def live_events(standin: str, count: int) -> int:
    client = CodexLocalClient(codex_bin=standin, default_env={"BENCH_EVENTS": str(count)})
    seen = 0
    with client.run_live(REQUEST) as run:
        for _ in run.iter_events():
            seen += 1
        run.result()
    return seen


def raw_events(standin: str, count: int) -> int:
    env = {**os.environ, "BENCH_EVENTS": str(count)}
    proc = subprocess.Popen(
        [standin, "exec", "--json", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"p")
    proc.stdin.close()
    seen = 0
    for line in proc.stdout:
        json.loads(line)
        seen += 1
    proc.wait()
    return seen


def run_bytes(standin: str, count: int) -> int:
    client = CodexLocalClient(codex_bin=standin, default_env={"BENCH_BYTES": str(count)})
    return len(client.run(REQUEST).stdout)


WORKLOADS = {"live_events": live_events, "raw_events": raw_events, "run_bytes": run_bytes}


def main() -> None:
    workload, standin, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = WORKLOADS[workload](standin, count)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"result": result, "seconds": seconds, "peak_kib": peak, "baseline_kib": baseline}))


if __name__ == "__main__":
    main()
