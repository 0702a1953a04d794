"""``python -m tests.bench.postgres``: ``PostgresSessionStore.update`` latency on a throwaway,
durable PostgreSQL server (default settings: ``fsync`` and ``synchronous_commit`` on), in the
shape of figure 6: 10 to 100,000 sessions, 1 process, then 8 processes on their own names and
on one shared name, and the updates lost.

For figure 6's list of stores, :func:`postgres_databases` is the PostgreSQL entry: it starts
the server and yields ``new_database(sessions) -> url``, a seeded database per size whose
``postgresql://`` URL any process opens with ``PostgresSessionStore(url)``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from adapters.postgres_store import PostgresSessionStore
from codex_local_sdk.testing.store_rules import add_turn
from tests.postgres_server import throwaway_server

from .harness import median, ms, percentile

REPO = Path(__file__).resolve().parents[2]
WORKERS = 8

WORKER = """
import json, sys, time
from adapters.postgres_store import PostgresSessionStore
from codex_local_sdk.testing.store_rules import add_turn

store = PostgresSessionStore(sys.argv[1])
store.migrate()
print("ready", flush=True)
sys.stdin.readline()
samples = []
for _ in range(int(sys.argv[3])):
    started = time.perf_counter()
    add_turn(store, sys.argv[2])
    samples.append(time.perf_counter() - started)
print(json.dumps(samples))
"""


@contextlib.contextmanager
def postgres_databases() -> Iterator[Callable[[int], str]]:
    """A durable throwaway server; ``new_database(sessions)`` makes a database on it holding
    ``sessions`` records of one turn each (``session-0`` ...), and returns its URL."""
    with throwaway_server() as server:
        made = 0

        def new_database(sessions: int) -> str:
            nonlocal made
            made += 1
            name = f"bench_{made}"
            with psycopg.connect(server.dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            url = f"postgresql://postgres@/{name}?host={server.folder}"
            seed(url, sessions)
            return url

        yield new_database


def seed(url: str, sessions: int) -> None:
    """``sessions`` records of one turn each: one through the store, copied by the server."""
    with PostgresSessionStore(url) as store:
        add_turn(store, "session-0")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO codex_sessions (name, session_id, created_at, updated_at, last_turn_status, "
            "turn_count, success_count, failure_count, data) "
            "SELECT 'session-' || i, session_id, created_at, updated_at, last_turn_status, turn_count, "
            "success_count, failure_count, jsonb_set(data::jsonb, '{name}', to_jsonb('session-' || i))::json "
            "FROM codex_sessions, generate_series(1, %s) AS i WHERE name = 'session-0'",
            [sessions - 1],
        )
        conn.execute("VACUUM ANALYZE codex_sessions")


def single_process(url: str, sessions: int, updates: int) -> list[float]:
    samples = []
    with PostgresSessionStore(url) as store:
        for i in range(updates + 2):
            started = time.perf_counter()
            add_turn(store, f"session-{i * 7919 % sessions}")
            if i >= 2:  # warm-up: the first connection and migration check
                samples.append(time.perf_counter() - started)
    return samples


def contend(url: str, names: list[str], updates: int) -> list[float]:
    """One process per name, released together once all have connected."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, name, str(updates)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for name in names
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        samples: list[float] = []
        for proc in procs:
            out, _ = proc.communicate(timeout=600)
            assert proc.returncode == 0, out
            samples += json.loads(out.splitlines()[-1])
        return samples
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def turn_counts(url: str, names: list[str]) -> dict[str, int]:
    with PostgresSessionStore(url) as store:
        records = [store.get_record(name) for name in names]
    return {name: record.turn_count if record else 0 for name, record in zip(names, records, strict=True)}


def latency(samples: list[float]) -> str:
    return f"p50 {ms(median(samples))}, p99 {ms(percentile(samples, 0.99))}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.postgres", description=__doc__)
    parser.add_argument("--sizes", default="10,1000,10000,100000", help="session counts, comma-separated")
    parser.add_argument("--updates", type=int, default=200, help="single-process updates per size")
    parser.add_argument("--worker-updates", type=int, default=50, help="updates per worker process")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    print("| sessions | 1 process | 8 processes, own names | 8 processes, one shared name | lost |")
    print("| --- | --- | --- | --- | --- |")
    with postgres_databases() as new_database:
        for sessions in (int(size) for size in args.sizes.split(",")):
            url = new_database(sessions)
            alone = single_process(url, sessions, args.updates)
            own_names = [f"worker-{w}" for w in range(WORKERS)]
            own = contend(url, own_names, args.worker_updates)
            shared = contend(url, ["shared"] * WORKERS, args.worker_updates)
            counts = turn_counts(url, [*own_names, "shared"])
            made = WORKERS * args.worker_updates
            lost = (made - sum(counts[name] for name in own_names)) + (made - counts["shared"])
            row = [f"{sessions:,}", latency(alone), latency(own), latency(shared), f"{lost} of {2 * made}"]
            print(f"| {' | '.join(row)} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
