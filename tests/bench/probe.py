"""One workload in a fresh interpreter, so that its peak RSS (``VmHWM``) is its own.

``python -m tests.bench.probe WORKLOAD ARGS...`` prints one JSON line. Both the SDK's and the
raw workloads import the same modules first, so their baselines match.

Workloads:
    live STANDIN N [keep]   ``client.run_live`` of N events, ``for e in run.iter_events(): pass``
    raw_live STANDIN N      ``Popen`` + ``for line in proc.stdout: json.loads(line)``
    run_bytes STANDIN N     ``client.run`` of about N bytes of stdout
    raw_bytes STANDIN N     ``subprocess.run(capture_output=True)`` + ``json.loads`` per line
    traced_bytes STANDIN N  ``client.run`` under tracemalloc: what the result keeps, the peak
    no_newline STANDIN N    ``client.run`` of a line of N bytes that never ends (the cap ends it)
    raw_no_newline STANDIN N  ``subprocess.run(capture_output=True)`` of the same
    live_text STANDIN N     ``client.run_live`` of N non-JSON lines, ``for e in run.iter_events()``
    raw_live_text STANDIN N  ``Popen`` + ``for line in proc.stdout`` + ``json.loads``, errors ignored
    store URL NAME K        K ``add_turn`` updates of NAME in ``store_from_url(URL)``, after a
                            start signal on stdin
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from codex_local_sdk import CodexExecRequest, CodexLocalClient

REQUEST = CodexExecRequest(prompt="p")


def peak_rss() -> int:
    """Peak resident set size of this process, in bytes: ``VmHWM`` of /proc/self/status.

    Not ``ru_maxrss``, which Linux carries across ``exec`` from the forked copy of the parent:
    a probe started by a harness holding 300 MB would report at least 300 MB.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # in kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def live(standin: str, count: str, keep: str = "") -> dict[str, Any]:
    client = CodexLocalClient(codex_bin=standin, default_env={"BENCH_EVENTS": count})
    seen = 0
    with client.run_live(REQUEST, keep_events=keep == "keep") as run:
        for _ in run.iter_events():
            seen += 1
        result = run.result()
    return {"events": seen, "kept": len(result.events)}


def raw_live(standin: str, count: str) -> dict[str, Any]:
    env = {**os.environ, "BENCH_EVENTS": count}
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
    proc.stdout.close()
    proc.wait()
    return {"events": seen, "kept": 0}


def run_bytes(standin: str, size: str) -> dict[str, Any]:
    client = CodexLocalClient(codex_bin=standin, default_env={"BENCH_BYTES": size})
    result = client.run(REQUEST)
    return {"stdout_bytes": len(result.stdout), "events": len(result.events)}


def raw_bytes(standin: str, size: str) -> dict[str, Any]:
    env = {**os.environ, "BENCH_BYTES": size}
    done = subprocess.run([standin, "exec", "--json", "-"], input=b"p", capture_output=True, env=env)
    events = [json.loads(line) for line in done.stdout.splitlines()]
    return {"stdout_bytes": len(done.stdout), "events": len(events)}


def traced_bytes(standin: str, size: str) -> dict[str, Any]:
    client = CodexLocalClient(codex_bin=standin, default_env={"BENCH_BYTES": size})
    tracemalloc.start()
    result = client.run(REQUEST)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    text = sum(len(event.text or "") for event in result.events)
    return {
        "stdout_bytes": len(result.stdout),
        "events_text_bytes": text,
        "traced_retained": retained,
        "traced_peak": peak,
    }


def no_newline(standin: str, size: str) -> dict[str, Any]:
    client = CodexLocalClient(codex_bin=standin, default_env={"BENCH_NO_NEWLINE": size}, raise_on_error=False)
    result = client.run(REQUEST)
    return {"turn_status": result.turn_status, "limit": result.exceeded_line_limit}


def raw_no_newline(standin: str, size: str) -> dict[str, Any]:
    env = {**os.environ, "BENCH_NO_NEWLINE": size}
    done = subprocess.run([standin, "exec", "--json", "-"], input=b"p", capture_output=True, env=env)
    return {"stdout_bytes": len(done.stdout)}


def live_text(standin: str, count: str) -> dict[str, Any]:
    client = CodexLocalClient(codex_bin=standin, default_env={"BENCH_TEXT_LINES": count})
    with client.run_live(REQUEST) as run:
        events = sum(1 for _ in run.iter_events())
        result = run.result()
    return {"events": events, "kept": len(result.unparsed_lines), "dropped": result.dropped_unparsed_lines}


def raw_live_text(standin: str, count: str) -> dict[str, Any]:
    env = {**os.environ, "BENCH_TEXT_LINES": count}
    proc = subprocess.Popen(
        [standin, "exec", "--json", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"p")
    proc.stdin.close()
    events = 0
    for line in proc.stdout:
        try:
            json.loads(line)
        except ValueError:
            continue
        events += 1
    proc.stdout.close()
    proc.wait()
    return {"events": events, "kept": 0, "dropped": 0}


def store(url: str, name: str, updates: str) -> dict[str, Any]:
    """Contend for the store: say ready, wait for the start line, then update and time."""
    from adapters.store_url import store_from_url  # not in the other probes' RSS
    from codex_local_sdk.testing.store_rules import add_turn

    session_store = store_from_url(url, lock_timeout_seconds=600)  # measure the waits, never time out
    session_store.get(name)  # connected and read once, as a long-running worker is
    print("ready", flush=True)
    sys.stdin.readline()
    samples = []
    for _ in range(int(updates)):
        started = time.perf_counter()
        add_turn(session_store, name)
        samples.append(time.perf_counter() - started)
    return {"samples": samples}


WORKLOADS: dict[str, Callable[..., dict[str, Any]]] = {
    "live": live,
    "raw_live": raw_live,
    "run_bytes": run_bytes,
    "raw_bytes": raw_bytes,
    "traced_bytes": traced_bytes,
    "no_newline": no_newline,
    "raw_no_newline": raw_no_newline,
    "live_text": live_text,
    "raw_live_text": raw_live_text,
    "store": store,
}


def main() -> None:
    workload, *args = sys.argv[1:]
    baseline = peak_rss()
    started = time.perf_counter()
    report = WORKLOADS[workload](*args)
    seconds = time.perf_counter() - started
    report.update(seconds=seconds, peak_rss=peak_rss(), baseline_rss=baseline)
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
