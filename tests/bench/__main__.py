"""`make bench`: the SDK's cost next to driving the same binary by hand, written to
docs/benchmarks.md. Every figure compares our call with a raw baseline in the same run,
against a tiny C stand-in for the CLI (standin.c), so process start-up does not hide us.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from adapters.json_file_store import JsonFileSessionStore, encode_payload
from adapters.store_contract import add_turn
from codex_local_sdk import CodexExecRequest, CodexLocalClient
from codex_local_sdk.sessions import with_session_id

HERE = Path(__file__).parent
REPO = HERE.parents[1]
REQUEST = CodexExecRequest(prompt="p")
Row = tuple[str, str, str, str, bool]  # figure, ours, baseline / detail, target, met


def compile_standin(folder: Path) -> str:
    binary = folder / "standin"
    subprocess.run(["gcc", "-O2", "-o", str(binary), str(HERE / "standin.c")], check=True)
    return str(binary)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def interleaved(ours: Callable[[], object], raw: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Median seconds of each, measured alternately so both see the same machine noise."""
    for _ in range(5):
        ours(), raw()
    a: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        for fn, samples in ((ours, a), (raw, b)):
            started = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - started)
    return statistics.median(a), statistics.median(b)


def raw_run(standin: str, env: dict[str, str]) -> list[object]:
    done = subprocess.run(
        [standin, "exec", "--json", "-"], input=b"p", capture_output=True, env=env, check=True
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def figure_run_overhead(standin: str) -> Row:
    client = CodexLocalClient(codex_bin=standin, default_env={"BENCH_EVENTS": "20"})
    env = {**os.environ, "BENCH_EVENTS": "20"}
    ours, raw = interleaved(lambda: client.run(REQUEST), lambda: raw_run(standin, env), 200)
    overhead = (ours - raw) * 1000
    return (
        "1. `run()`, 20 events",
        f"{ours * 1000:.2f} ms",
        f"raw {raw * 1000:.2f} ms; overhead {overhead:.2f} ms, ratio {ours / raw:.3f}",
        "overhead < 2 ms or ratio < 1.10",
        overhead < 2 or ours / raw < 1.10,
    )


def figure_first_event(standin: str) -> Row:
    client = CodexLocalClient(codex_bin=standin, default_env={"BENCH_EVENTS": "20"})
    env = {**os.environ, "BENCH_EVENTS": "20"}

    def ours() -> None:
        started = time.perf_counter()
        with client.run_live(REQUEST) as run:
            next(iter(run.iter_events()))
            firsts.append(time.perf_counter() - started)
            run.wait()

    def raw() -> None:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [standin, "exec", "--json", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"p")
        proc.stdin.close()
        json.loads(proc.stdout.readline())
        raw_firsts.append(time.perf_counter() - started)
        proc.stdout.read()
        proc.wait()

    firsts: list[float] = []
    raw_firsts: list[float] = []
    interleaved(ours, raw, 100)
    extra = median_ms(firsts) - median_ms(raw_firsts)
    return (
        "2. time to first event, `run_live()`",
        f"{median_ms(firsts):.2f} ms",
        f"raw Popen + readline {median_ms(raw_firsts):.2f} ms; {extra:+.2f} ms",
        "< 2 ms more",
        extra < 2,
    )


def probe(workload: str, standin: str, count: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.probe", workload, standin, str(count)],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout)
    return result


def figure_throughput(standin: str) -> list[Row]:
    pairs = [
        (probe("live_events", standin, 1_000_000), probe("raw_events", standin, 1_000_000)) for _ in range(3)
    ]
    ours_rate = statistics.median(ours["result"] / ours["seconds"] for ours, _ in pairs)
    raw_rate = statistics.median(raw["result"] / raw["seconds"] for _, raw in pairs)
    small, large = probe("live_events", standin, 100_000), pairs[0][0]
    growth = (large["peak_kib"] - small["peak_kib"]) / 1024
    return [
        (
            "3. live throughput, 1,000,000 events",
            f"{ours_rate / 1000:.0f} k events/s",
            f"raw loop {raw_rate / 1000:.0f} k events/s; ratio {ours_rate / raw_rate:.2f} (median of 3)",
            ">= 0.5 of raw",
            ours_rate / raw_rate >= 0.5,
        ),
        (
            "3. live memory, 100k -> 1M events",
            f"peak RSS {small['peak_kib'] / 1024:.0f} -> {large['peak_kib'] / 1024:.0f} MiB",
            f"growth {growth:+.0f} MiB (caller keeps nothing)",
            "flat (< 10 MiB growth)",
            growth < 10,
        ),
    ]


def figure_big_output(standin: str) -> Row:
    size = 200 * 1024 * 1024
    ours = probe("run_bytes", standin, size)
    peak = ours["peak_kib"] * 1024
    return (
        "4. `run()` on 200 MB of stdout",
        f"peak RSS {peak / 2**20:.0f} MiB",
        f"{peak / size:.2f}x the output ({ours['seconds']:.1f} s)",
        "< 3x",
        peak < 3 * size,
    )


def figure_concurrency(standin: str) -> Row:
    client = CodexLocalClient(codex_bin=standin, default_env={"BENCH_EVENTS": "20", "BENCH_SLEEP_MS": "200"})
    peak = threading.active_count()

    async def many(count: int) -> float:
        nonlocal peak
        started = time.perf_counter()
        tasks = [asyncio.create_task(client.run_async(REQUEST)) for _ in range(count)]
        while not all(task.done() for task in tasks):
            peak = max(peak, threading.active_count())
            await asyncio.sleep(0.01)
        assert all(task.result().succeeded for task in tasks)
        return time.perf_counter() - started

    single = statistics.median(asyncio.run(many(1)) for _ in range(5))
    crowd = asyncio.run(many(500))
    raw_crowd = asyncio.run(raw_asyncio_crowd(standin, 500))
    return (
        "5. 500 concurrent `run_async()`, 0.2 s child",
        f"{crowd:.2f} s wall",
        f"one call {single:.2f} s; ratio {crowd / single:.2f}; peak threads {peak};"
        f" raw `asyncio.create_subprocess_exec` x500 {raw_crowd:.2f} s",
        "< 2x one call, threads bounded",
        crowd < 2 * single and peak < 10,
    )


async def raw_asyncio_crowd(standin: str, count: int) -> float:
    env = {**os.environ, "BENCH_EVENTS": "20", "BENCH_SLEEP_MS": "200"}

    async def one() -> None:
        proc = await asyncio.create_subprocess_exec(
            standin, "exec", "--json", "-", stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        out, _ = await proc.communicate(b"p")
        [json.loads(line) for line in out.splitlines()]

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return time.perf_counter() - started


def store_latencies(path: Path, sessions: int, updates: int) -> list[float]:
    store = JsonFileSessionStore(path)
    samples = []
    for i in range(updates):
        started = time.perf_counter()
        add_turn(store, f"session-{i % sessions}")
        samples.append(time.perf_counter() - started)
    return samples


CONTENDER = """
import json, sys, time
from adapters.json_file_store import JsonFileSessionStore, encode_payload
from adapters.store_contract import add_turn
store = JsonFileSessionStore(sys.argv[1])
samples = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    add_turn(store, "contended")
    samples.append(time.perf_counter() - started)
print(json.dumps(samples))
"""


def figure_store(folder: Path) -> list[Row]:
    rows: list[Row] = []
    for sessions, updates in ((10, 200), (1_000, 100), (10_000, 20)):
        path = folder / f"store-{sessions}.json"
        records = {
            f"session-{i}": with_session_id(None, f"session-{i}", f"thread-{i}", 0.0) for i in range(sessions)
        }
        path.write_text(encode_payload(records))
        single = sorted(store_latencies(path, sessions, updates))
        workers = [
            subprocess.Popen([sys.executable, "-c", CONTENDER, str(path), str(updates // 4 or 1)],
                             stdout=subprocess.PIPE, text=True, cwd=REPO)
            for _ in range(8)
        ]  # fmt: skip
        contended = sorted(sample for w in workers for sample in json.loads(w.communicate()[0]))
        record = JsonFileSessionStore(path).get_record("contended")
        lost = 8 * (updates // 4 or 1) - (record.turn_count if record else 0)

        def p99(samples: list[float]) -> float:
            return samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000

        rows.append((
            f"6. store update, {sessions:,} sessions",
            f"1 process: median {median_ms(single):.1f} ms, p99 {p99(single):.1f} ms",
            f"8 processes: median {median_ms(contended):.1f} ms, p99 {p99(contended):.1f} ms;"
            f" lost updates {lost}",
            "no lost update",
            lost == 0,
        ))  # fmt: skip
    return rows


def figure_import() -> Row:
    def timed(code: str) -> float:
        samples = []
        for _ in range(15):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
            samples.append(time.perf_counter() - started)
        return median_ms(samples)

    ours, raw = timed("import codex_local_sdk"), timed("pass")
    detail = f"`python -c pass` {raw:.0f} ms; +{ours - raw:.0f} ms"
    return ("7. `import codex_local_sdk`", f"{ours:.0f} ms", detail, "reported", True)


def group_gone(pgid: int) -> bool:
    for entry in os.listdir("/proc"):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return False
    return True


def figure_cancellation(standin: str) -> Row:
    client = CodexLocalClient(
        codex_bin=standin,
        default_env={"BENCH_IGNORE_TERM": "1"},
        raise_on_error=False,
        terminate_grace_seconds=0.5,
    )
    env = {**os.environ, "BENCH_IGNORE_TERM": "1"}
    ours: list[float] = []
    raw: list[float] = []
    for _ in range(10):
        with client.run_live(REQUEST) as run:
            pgid = run.pid or 0
            started = time.perf_counter()
            run.terminate()
            while not group_gone(pgid):
                time.sleep(0.001)
            ours.append(time.perf_counter() - started)
        proc = subprocess.Popen(
            [standin], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env, start_new_session=True
        )
        assert proc.stdout is not None
        proc.stdout.readline()
        started = time.perf_counter()
        os.killpg(proc.pid, 9)
        proc.wait()
        raw.append(time.perf_counter() - started)
        proc.stdout.close()
    return (
        "8. `terminate()` to group gone, child ignores SIGTERM",
        f"{median_ms(ours):.0f} ms",
        f"grace 500 ms; raw SIGKILL + wait {median_ms(raw):.1f} ms",
        "within the grace period (+ 100 ms)",
        median_ms(ours) < 600,
    )


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="codex-bench-") as tmp:
        folder = Path(tmp)
        standin = compile_standin(folder)
        rows: list[Row] = []
        figures: list[tuple[str, Callable[[], list[Row]]]] = [
            ("run overhead", lambda: [figure_run_overhead(standin)]),
            ("first event", lambda: [figure_first_event(standin)]),
            ("throughput", lambda: figure_throughput(standin)),
            ("big output", lambda: [figure_big_output(standin)]),
            ("concurrency", lambda: [figure_concurrency(standin)]),
            ("store", lambda: figure_store(folder)),
            ("import", lambda: [figure_import()]),
            ("cancellation", lambda: [figure_cancellation(standin)]),
        ]
        for name, measure in figures:
            print(f"measuring {name}...", flush=True)
            new_rows = measure()
            rows += new_rows
            for row in new_rows:
                print(f"  {row}", flush=True)
    write_report(rows, time.perf_counter() - started)


def write_report(rows: list[Row], seconds: float) -> None:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m tests.bench`). Each figure compares the SDK with the",
        "raw baseline in the same run, against the same C stand-in for the CLI (`tests/bench/standin.c`).",
        "Medians; the machines are shared, so read ratios, not absolute times.",
        "",
        f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}.",
        f"Run took {seconds:.0f} s.",
        "",
        "| figure | ours | baseline / detail | target | met |",
        "|---|---|---|---|---|",
        *(f"| {f} | {o} | {b} | {t} | {'yes' if met else '**MISS**'} |" for f, o, b, t, met in rows),
        "",
    ]
    (REPO / "docs" / "benchmarks.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
