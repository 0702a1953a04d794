"""The harness's shared pieces: the stand-in, timing, statistics, fresh processes, the report.

Nothing here knows about the SDK; :mod:`tests.bench.figures` does the measuring.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REPORT = REPO / "docs" / "benchmarks.md"
COMMAND = "python -m tests.bench"


# -- the stand-in -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Standin:
    """The compiled stand-in CLI: its path, and how it was linked."""

    path: str
    linked: str  # "static" or "dynamic"
    compiler: str

    def env(self, **variables: str | int) -> dict[str, str]:
        """``os.environ`` plus ``variables``: what the SDK gives the child too."""
        return {**os.environ, **{name: str(value) for name, value in variables.items()}}

    @property
    def argv(self) -> list[str]:
        """What the SDK runs for a plain request (the stand-in ignores it)."""
        return [self.path, "exec", "--json", "-"]


def compile_standin(folder: Path) -> Standin:
    """Build standin.c into ``folder``: statically linked when the toolchain can (no dynamic
    loader at start-up), else dynamically."""
    source, binary = HERE / "standin.c", folder / "standin"
    version = subprocess.run(["gcc", "--version"], capture_output=True, text=True, check=True)
    compiler = version.stdout.splitlines()[0]
    for linked, extra in (("static", ["-static"]), ("dynamic", [])):
        done = subprocess.run(
            ["gcc", "-O2", "-Wall", "-Wextra", *extra, "-o", str(binary), str(source)],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            return Standin(str(binary), linked, compiler)
    raise RuntimeError(f"gcc could not build {source}:\n{done.stderr}")


# -- statistics -----------------------------------------------------------------------------


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in (0, 1])."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def ms(seconds: float, digits: int = 2) -> str:
    return f"{seconds * 1000:.{digits}f} ms"


def mib(size: float) -> str:
    return f"{size / 2**20:.0f} MiB"


# -- timing -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Samples:
    """Wall-clock and this-process CPU seconds of each call of one contender."""

    wall: list[float] = dataclasses.field(default_factory=list)
    cpu: list[float] = dataclasses.field(default_factory=list)


def interleaved(
    contenders: Mapping[str, Callable[[], object]], rounds: int, warmup: int
) -> dict[str, Samples]:
    """Time each contender ``rounds`` times, alternating (so all see the same machine
    noise), after ``warmup`` untimed rounds."""
    results = {name: Samples() for name in contenders}
    for round_number in range(warmup + rounds):
        for name, call in contenders.items():
            cpu_started, started = time.process_time(), time.perf_counter()
            call()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            if round_number >= warmup:
                results[name].wall.append(wall)
                results[name].cpu.append(cpu)
    return results


# -- fresh processes ---------------------------------------------------------------------


def probe(*args: str | int, timeout: float = 300) -> dict[str, Any]:
    """Run one ``tests.bench.probe`` workload in a fresh interpreter; its JSON report."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.probe", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"probe {args} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return report


def raise_fd_limit() -> None:
    """500 concurrent children need ~2,000 descriptors: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))


def alive_in_group(pid: int, pgid: int) -> bool:
    """Whether ``pid`` is a live (non-zombie) member of process group ``pgid``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            stat = file.read()
    except OSError:
        return False
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[2]) == pgid and fields[0] != b"Z"


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``, from /proc."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []  # fast path: nothing at all, not even a zombie
    except PermissionError:
        pass
    return [
        int(entry) for entry in os.listdir("/proc") if entry.isdigit() and alive_in_group(int(entry), pgid)
    ]


def wait_group_gone(pgid: int, members: list[int], started: float) -> float:
    """Seconds from ``started`` until no live member of ``pgid`` is left. Polls the known
    ``members`` (cheap), then confirms with a full /proc scan, which catches any member that
    appeared meanwhile (and then polls again)."""
    while True:
        while any(alive_in_group(pid, pgid) for pid in members):
            time.sleep(0.0002)
        gone = time.perf_counter() - started
        members = group_members(pgid)
        if not members:
            return gone


# -- the report ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of a figure's table. ``passed`` is ``None`` for a reported-only figure."""

    measurement: str
    ours: str
    baseline: str = "—"
    comparison: str = "—"
    target: str = "—"
    passed: bool | None = None
    summary: str = ""  # the result as the summary shows it; default: ``comparison``

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "**MISS**", None: "—"}[self.passed]


@dataclasses.dataclass(frozen=True)
class Table:
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    caption: str = ""


@dataclasses.dataclass
class Figure:
    key: str
    title: str
    method: str
    rows: list[Row]
    details: list[Table] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    with open("/proc/cpuinfo") as file:
        for line in file:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as file:
        load = " ".join(file.read().split()[:3])
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "load": load,
    }


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO)
    return done.stdout.strip() or "unknown"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
        *("| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows),
    ]


def render(
    figures: Sequence[Figure], *, host: Mapping[str, str], standin: Standin, seconds: float, load_after: str
) -> str:
    checked = [(figure, row) for figure in figures for row in figure.rows if row.passed is not None]
    misses = sum(1 for _, row in checked if not row.passed)
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{COMMAND}` (also `make bench`), run from the repository root; do not edit by hand.",
        "Every figure compares the SDK with a raw baseline measured in the same run, against the same",
        "stand-in CLI, a small C program (`tests/bench/standin.c`) compiled at start, so that process",
        "start-up does not hide the SDK's own cost. The machine is shared and noisy: read the medians",
        "and the ratios within a figure, not absolute times across runs.",
        "",
        f"- Command: `cd <repo> && {COMMAND}` (commit `{commit()}`)",
        f"- Machine: {host['nproc']} CPUs (nproc), {host['cpu']}, {host['os']}",
        f"- Python: {host['python']} (`{sys.executable}`)",
        f"- Stand-in: {standin.linked}ally linked, {standin.compiler}",
        f"- Load average (1, 5, 15 min): {host['load']} at start, {load_after} at the end",
        f"- Total run time: {seconds:.0f} s",
        "",
        "## Summary",
        "",
        f"{len(checked) - misses} of {len(checked)} targets met.",
        "",
        *_table(
            ["figure", "measurement", "result", "target", "verdict"],
            [
                [
                    f"{figure.key}. {figure.title}",
                    row.measurement,
                    row.summary or row.comparison,
                    row.target,
                    row.verdict,
                ]
                for figure, row in checked
            ],
        ),
        "",
    ]
    for figure in figures:
        lines += [f"## {figure.key}. {figure.title}", "", figure.method, ""]
        lines += _table(
            ["measurement", "ours", "raw baseline", "ours vs baseline", "target", "verdict"],
            [
                [row.measurement, row.ours, row.baseline, row.comparison, row.target, row.verdict]
                for row in figure.rows
            ],
        )
        for table in figure.details:
            lines += (
                ["", table.caption, "", *_table(table.columns, table.rows)]
                if table.caption
                else [
                    "",
                    *_table(table.columns, table.rows),
                ]
            )
        if figure.notes:
            lines.append("")
            lines += [f"- {note}" for note in figure.notes]
        lines += ["", f"_Measured in {figure.seconds:.1f} s._", ""]
    return "\n".join(lines)
