"""Which Codex CLI has which option: the version table, and the check of an argv against it.

The table is data, read from the ``--help`` texts (``codex exec --help`` and
``codex exec resume|fork|review --help``) of the ``@openai/codex`` releases in
:data:`READ_FROM`, installed from npm; where two of them differed, the releases between were
read too, so each "since" and "removed in" is the first release that showed the change. A row
names a flag (or subcommand) of one command, so any field that renders a flag is checked by
its flag, without a row per field:

>>> unsupported_options(["codex", "exec", "--strict-config", "-"], CliVersion.parse("codex-cli 0.130.0"))
[OptionSupport(command='exec', option='--strict-config', ...)]

The client reads the CLI's version (``codex --version``) only when an argv holds an option
that not every supported CLI has (:func:`needs_version`), and keeps it per runner and binary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import attrs

_VERSION = re.compile(r"(?:^|\s)v?(\d+)\.(\d+)\.(\d+)(\S*)")


@attrs.frozen(order=True)
class CliVersion:
    """A Codex CLI version, comparable with another (``>=``, ``<``...) by its numbers.

    Attributes:
        major: the first number.
        minor: the second number.
        patch: the third number.
    """

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> CliVersion:
        """The version in ``text``: what ``codex --version`` prints (``codex-cli 0.169.0``) or
        the bare number (``0.169.0``). A pre-release suffix (``-alpha.1``) is ignored.

        Raises:
            ValueError: ``text`` holds no ``X.Y.Z`` version.
        """
        match = _VERSION.search(text.strip())
        if match is None:
            raise ValueError(f"no Codex CLI version (X.Y.Z) in {text.strip()[:200]!r}")
        return cls(int(match[1]), int(match[2]), int(match[3]))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


_READ_FROM = """
0.100.0 0.104.0 0.105.0 0.107.0 0.115.0 0.116.0 0.117.0 0.118.0 0.120.0 0.121.0 0.122.0
0.125.0 0.128.0 0.130.0 0.142.1 0.142.2 0.142.4 0.144.0 0.145.0 0.146.0 0.146.1 0.147.0
0.148.0 0.149.0 0.149.1 0.150.0 0.153.2 0.153.3 0.153.4 0.154.0 0.156.1 0.160.0 0.160.1
0.161.0 0.163.0 0.166.0 0.167.2 0.168.0 0.169.0
"""

READ_FROM = tuple(map(CliVersion.parse, _READ_FROM.split()))
"""The ``@openai/codex`` releases whose ``--help`` texts :data:`OPTIONS` was read from: six spread
over a year (0.100.0, 0.115.0, 0.130.0, 0.145.0, 0.160.0, 0.169.0), and, wherever two of them
differed, the releases a bisection between them read."""

OLDEST_SUPPORTED = CliVersion(0, 117, 0)
"""The oldest CLI the SDK supports: older ones make the client warn (or, with
``strict_cli_version=True``, refuse). Before it, ``exec resume <unknown id>`` silently started a
new thread (exit 0) instead of failing with ``no rollout found``, so a resume could continue
the wrong thread. The CLI contract suite passes against it (``make contract-old``)."""

NEWEST_READ = READ_FROM[-1]
"""The newest CLI the table was read from: the one ``make test`` installs."""

SUBCOMMANDS = ("resume", "fork", "review")
"""The subcommands of ``codex exec``; a row with ``option`` equal to one of them and
``command="exec"`` says which CLIs have the subcommand."""


@attrs.frozen(kw_only=True)
class OptionSupport:
    """One row of :data:`OPTIONS`: which CLIs accept ``option`` in ``command``.

    Attributes:
        command: ``"exec"`` (an option before any subcommand, or a subcommand itself), or
            ``"resume"``, ``"fork"``, ``"review"`` (an option after that subcommand).
        option: the long flag (``--add-dir``), or a subcommand's name.
        short: its one-letter form (``-c``), if it has one.
        takes_value: the flag reads the next argument as its value (unless given as
            ``--flag=value``).
        since: the first release that has it; ``None``: every release read has it.
        removed_in: the first release without it again, if any.
    """

    command: str
    option: str
    short: str | None = None
    takes_value: bool = False
    since: CliVersion | None = None
    removed_in: CliVersion | None = None

    def supported_by(self, version: CliVersion) -> bool:
        """Whether the CLI ``version`` accepts this option."""
        if self.since is not None and version < self.since:
            return False
        return self.removed_in is None or version < self.removed_in

    @property
    def varies(self) -> bool:
        """Whether some supported CLI lacks it, so that a run using it needs the CLI's version."""
        return (self.since is not None and self.since > OLDEST_SUPPORTED) or self.removed_in is not None


# One row per option of each command ("-": none; "value": the flag reads the next argument).
# resume, fork and review repeat exec's flags because each subcommand gained them on its own:
# resume's --output-schema came in 0.142.2, years after exec's. A row whose command is "exec"
# and option a subcommand tells when that subcommand came.
_TABLE = """
# command option                                   short value since   removed
exec    fork                                       -   no   0.148.0  -
exec    resume                                     -   no   -        -
exec    review                                     -   no   -        -
exec    --add-dir                                  -   yes  -        -
exec    --approve-for-me                           -   no   0.147.0  -
exec    --cd                                       -C  yes  -        -
exec    --color                                    -   yes  -        -
exec    --config                                   -c  yes  -        -
exec    --cyber-access-program                     -   yes  0.161.0  -
exec    --dangerously-bypass-approvals-and-sandbox -   no   -        -
exec    --dangerously-bypass-hook-trust            -   no   0.142.2  -
exec    --disable                                  -   yes  -        -
exec    --enable                                   -   yes  -        -
exec    --ephemeral                                -   no   -        -
exec    --full-auto                                -   no   -        0.128.0
exec    --ignore-rules                             -   no   0.122.0  -
exec    --ignore-user-config                       -   no   0.122.0  -
exec    --image                                    -i  yes  -        -
exec    --json                                     -   no   -        -
exec    --local-provider                           -   yes  -        -
exec    --model                                    -m  yes  -        -
exec    --oss                                      -   no   -        -
exec    --output-last-message                      -o  yes  -        -
exec    --output-schema                            -   yes  -        -
exec    --profile                                  -p  yes  -        -
exec    --progress-cursor                          -   no   0.105.0  0.117.0
exec    --sandbox                                  -s  yes  -        -
exec    --skip-git-repo-check                      -   no   -        -
exec    --strict-config                            -   no   0.142.2  -
exec    --thread-source                            -   yes  0.149.1  -
exec    --trust                                    -   no   0.169.0  -
exec    --worktree                                 -   no   0.154.0  -
resume  --all                                      -   no   -        -
resume  --config                                   -c  yes  -        -
resume  --cyber-access-program                     -   yes  0.161.0  -
resume  --dangerously-bypass-approvals-and-sandbox -   no   -        -
resume  --dangerously-bypass-hook-trust            -   no   0.142.2  -
resume  --disable                                  -   yes  -        -
resume  --enable                                   -   yes  -        -
resume  --ephemeral                                -   no   -        -
resume  --full-auto                                -   no   -        0.128.0
resume  --ignore-rules                             -   no   0.122.0  -
resume  --ignore-user-config                       -   no   0.122.0  -
resume  --image                                    -i  yes  -        -
resume  --json                                     -   no   -        -
resume  --last                                     -   no   -        -
resume  --model                                    -m  yes  -        -
resume  --output-last-message                      -o  yes  0.105.0  -
resume  --output-schema                            -   yes  0.142.2  -
resume  --skip-git-repo-check                      -   no   -        -
resume  --strict-config                            -   no   0.142.2  -
resume  --thread-source                            -   yes  0.149.1  -
resume  --trust                                    -   no   0.169.0  -
resume  --worktree                                 -   no   0.154.0  -
fork    --config                                   -c  yes  0.148.0  -
fork    --cyber-access-program                     -   yes  0.161.0  -
fork    --dangerously-bypass-approvals-and-sandbox -   no   0.148.0  -
fork    --dangerously-bypass-hook-trust            -   no   0.148.0  -
fork    --disable                                  -   yes  0.148.0  -
fork    --enable                                   -   yes  0.148.0  -
fork    --ephemeral                                -   no   0.148.0  -
fork    --ignore-rules                             -   no   0.148.0  -
fork    --ignore-user-config                       -   no   0.148.0  -
fork    --image                                    -i  yes  0.148.0  -
fork    --json                                     -   no   0.148.0  -
fork    --model                                    -m  yes  0.148.0  -
fork    --output-last-message                      -o  yes  0.148.0  -
fork    --output-schema                            -   yes  0.148.0  -
fork    --skip-git-repo-check                      -   no   0.148.0  -
fork    --strict-config                            -   no   0.148.0  -
fork    --thread-source                            -   yes  0.149.1  -
fork    --trust                                    -   no   0.169.0  -
fork    --worktree                                 -   no   0.154.0  -
review  --base                                     -   yes  -        -
review  --commit                                   -   yes  -        -
review  --config                                   -c  yes  -        -
review  --cyber-access-program                     -   yes  0.161.0  -
review  --dangerously-bypass-approvals-and-sandbox -   no   -        -
review  --dangerously-bypass-hook-trust            -   no   0.142.2  -
review  --disable                                  -   yes  -        -
review  --enable                                   -   yes  -        -
review  --ephemeral                                -   no   -        -
review  --full-auto                                -   no   -        0.128.0
review  --ignore-rules                             -   no   0.122.0  -
review  --ignore-user-config                       -   no   0.122.0  -
review  --json                                     -   no   -        -
review  --model                                    -m  yes  -        -
review  --output-last-message                      -o  yes  0.105.0  -
review  --output-schema                            -   yes  0.142.2  -
review  --skip-git-repo-check                      -   no   -        -
review  --strict-config                            -   no   0.142.2  -
review  --thread-source                            -   yes  0.149.1  -
review  --title                                    -   yes  -        -
review  --trust                                    -   no   0.169.0  -
review  --uncommitted                              -   no   -        -
review  --worktree                                 -   no   0.154.0  -
"""


def _rows(table: str) -> Iterator[OptionSupport]:
    for line in table.strip().splitlines()[1:]:
        command, option, short, value, since, removed = line.split()
        yield OptionSupport(
            command=command,
            option=option,
            short=None if short == "-" else short,
            takes_value=value == "yes",
            since=None if since == "-" else CliVersion.parse(since),
            removed_in=None if removed == "-" else CliVersion.parse(removed),
        )


OPTIONS: tuple[OptionSupport, ...] = tuple(_rows(_TABLE))
"""Every option of ``codex exec`` and its subcommands that a CLI in :data:`READ_FROM` has."""

_BY_NAME = {(row.command, name): row for row in OPTIONS for name in (row.option, row.short) if name}


def option_support(command: str, option: str) -> OptionSupport | None:
    """The row of ``option`` (long or short form) in ``command``, or ``None`` if none has it."""
    return _BY_NAME.get((command, option))


def used_options(argv: Sequence[str]) -> list[OptionSupport]:
    """The rows of the options and subcommands an ``argv`` (``[codex, "exec", ...]``) uses,
    each in the command it is given to. Arguments the table does not know (an ``extra_args``
    flag newer than the table) are skipped."""
    found: list[OptionSupport] = []
    command = "exec"
    args = iter(argv[2:])
    for arg in args:
        if arg.startswith("-") and arg != "-":
            name, has_value, _ = arg.partition("=")
            row = option_support(command, name)
            if row is not None:
                found.append(row)
                if row.takes_value and not has_value:
                    next(args, None)
        elif command == "exec" and arg in SUBCOMMANDS:
            row = option_support("exec", arg)
            if row is not None:
                found.append(row)
            command = arg
    return found


def needs_version(argv: Sequence[str]) -> bool:
    """Whether ``argv`` uses an option that not every supported CLI has."""
    return any(row.varies for row in used_options(argv))


def unsupported_options(argv: Sequence[str], version: CliVersion) -> list[OptionSupport]:
    """The rows of the options of ``argv`` that the CLI ``version`` does not accept."""
    return [row for row in used_options(argv) if not row.supported_by(version)]
