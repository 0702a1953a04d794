"""Read the version table of ``codex_local_sdk.versions`` from the CLI's own ``--help`` texts.

For each release in a range of ``@openai/codex`` (from npm, into ``.codex-old/<version>``), it
reads ``codex exec --help`` and ``codex exec resume|fork|review --help``, and finds, for every
option of every command, the first release that has it and the first that dropped it: it reads
a few sample releases, then bisects between two samples that differ. It prints the table's
rows, in ``versions._TABLE``'s format, and the releases it read (``READ_FROM``).

    python -m contract_tests.read_cli_help 0.100.0 0.169.0

npm is asked for the list of the package's releases, and installs each release read (about
10 s each; ``make clean`` removes them). Assumes an option, once added, stays until removed.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from codex_local_sdk.versions import SUBCOMMANDS, CliVersion

ROOT = Path(__file__).resolve().parents[1] / ".codex-old"
COMMANDS = ("exec", *SUBCOMMANDS)
_OPTION = re.compile(r"^\s+(?:(-[a-zA-Z]), )?(--[a-z0-9-]+)(?:[ =](<[^>]+>))?", re.MULTILINE)
_LISTED = re.compile(r"^Commands:\n(.*?)\n\n", re.MULTILINE | re.DOTALL)

Feature = tuple[str, str]
"""(command, option); a subcommand is ("exec", its name)."""


def releases(first: CliVersion, last: CliVersion) -> list[str]:
    """The releases of ``@openai/codex`` from ``first`` to ``last`` (no pre-releases)."""
    listed = subprocess.run(
        ["npm", "view", "@openai/codex", "versions", "--json"], capture_output=True, text=True, check=True
    )
    names = [name for name in json.loads(listed.stdout) if re.fullmatch(r"\d+\.\d+\.\d+", name)]
    return sorted((n for n in names if first <= CliVersion.parse(n) <= last), key=CliVersion.parse)


def help_texts(version: str) -> dict[str, str]:
    """The four ``--help`` texts of ``version``, installing it first if needed."""
    binary = ROOT / version / "node_modules" / ".bin" / "codex"
    if not binary.exists():
        subprocess.run(
            ["npm", "install", "--prefix", str(ROOT / version), "--no-audit", "--no-fund", "--loglevel=error",
             f"@openai/codex@{version}"],
            check=True,
        )  # fmt: skip
    texts = {}
    for command in COMMANDS:
        argv = (
            [str(binary), "exec", "--help"] if command == "exec" else [str(binary), "exec", command, "--help"]
        )
        texts[command] = subprocess.run(argv, capture_output=True, text=True).stdout
    return texts


def features(texts: dict[str, str]) -> dict[Feature, tuple[str | None, bool]]:
    """Every (command, option) of one release: its short form and whether it takes a value."""
    listed = _LISTED.search(texts["exec"])
    subcommands = re.findall(r"^  ([a-z]+) ", listed.group(1), re.MULTILINE) if listed else []
    found: dict[Feature, tuple[str | None, bool]] = {}
    for command in COMMANDS:
        if command != "exec":
            if command not in subcommands:
                continue
            found[("exec", command)] = (None, False)
        for short, option, value in _OPTION.findall(texts[command]):
            if option not in ("--help", "--version"):
                found[(command, option)] = (short or None, bool(value))
    return found


def first_change(versions: list[str], has: Callable[[str], bool], low: int, high: int) -> str:
    """The first release in ``versions[low + 1 : high + 1]`` that differs from ``versions[low]``."""
    before = has(versions[low])
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if has(versions[middle]) == before else (low, middle)
    return versions[high]


def main(first: str, last: str, samples: int = 6) -> None:
    """Print the table's rows for the releases from ``first`` to ``last``, and what was read."""
    versions = releases(CliVersion.parse(first), CliVersion.parse(last))
    read: dict[str, dict[Feature, tuple[str | None, bool]]] = {}

    def of(version: str) -> dict[Feature, tuple[str | None, bool]]:
        if version not in read:
            read[version] = features(help_texts(version))
        return read[version]

    picks = sorted({round(i * (len(versions) - 1) / (samples - 1)) for i in range(samples)})
    known = {feature: shape for index in picks for feature, shape in of(versions[index]).items()}
    for feature, (short, value) in sorted(known.items()):

        def has(version: str, feature: Feature = feature) -> bool:
            return feature in of(version)

        since, removed = changes(versions, picks, has)
        flag = "yes" if value else "no"
        print(f"{feature[0]:<7} {feature[1]:<42} {short or '-':<5} {flag:<5} {since:<7} {removed}")
    print("READ_FROM:", " ".join(sorted(read, key=CliVersion.parse)))


def changes(versions: list[str], picks: list[int], has: Callable[[str], bool]) -> tuple[str, str]:
    """The release that added a feature and the one that removed it (``"-"``: none), from the
    sampled ``picks`` and a bisection between two that differ."""
    since = removed = "-"
    for low, high in itertools.pairwise(picks):
        if has(versions[low]) != has(versions[high]):
            change = first_change(versions, has, low, high)
            since, removed = (change, removed) if has(change) else (since, change)
    return since, removed


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
