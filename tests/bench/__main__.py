"""``python -m tests.bench``: measure the SDK next to driving the same stand-in by hand, and
rewrite docs/benchmarks.md.

Options:
    --only 1,3   run only these figures, print them, and leave docs/benchmarks.md alone
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from .figures import FIGURES
from .harness import REPORT, Figure, compile_standin, machine, raise_fd_limit, render

DESCRIPTION = "Measure the SDK against raw baselines on a C stand-in; rewrite docs/benchmarks.md."


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=DESCRIPTION)
    parser.add_argument("--only", help="comma-separated figure numbers; the report is not rewritten")
    args = parser.parse_args()
    keys = args.only.split(",") if args.only else list(FIGURES)
    unknown = set(keys) - FIGURES.keys()
    if unknown:
        parser.error(f"no figure {sorted(unknown)}; there are {', '.join(FIGURES)}")

    started = time.perf_counter()
    raise_fd_limit()
    host = machine()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="codex-bench-") as tmp:
        folder = Path(tmp)
        standin = compile_standin(folder)
        print(f"stand-in: {standin.path} ({standin.linked}); {host['nproc']} CPUs, load {host['load']}")
        for key in keys:
            print(f"figure {key}: {FIGURES[key].__name__} ...", flush=True)
            figure_started = time.perf_counter()
            figure = FIGURES[key](standin, folder)
            figure.seconds = time.perf_counter() - figure_started
            figures.append(figure)
            for row in figure.rows:
                print(f"  {row.verdict:9} {row.measurement}: {row.ours} | {row.baseline} | {row.comparison}")
            print(f"  ({figure.seconds:.1f} s)", flush=True)
    seconds = time.perf_counter() - started
    report = render(figures, host=host, standin=standin, seconds=seconds, load_after=machine()["load"])
    if args.only:
        print(report)
    else:
        REPORT.write_text(report, encoding="utf-8")
        print(f"wrote {REPORT} ({seconds:.0f} s in all)")


if __name__ == "__main__":
    main()
