"""The ``codex-local`` command.

One parser with a subcommand group per module: each module has ``register(subparsers)``,
which adds its group and sets ``handler`` on the parsed arguments. Adding a group is one
module and one line in :data:`GROUPS`. A module imports what its commands need (the cheat
sheet's generator, the guide's renderer) inside its handlers, so parsing stays cheap. (The
package's ``__init__`` still loads the SDK's core first: this command lives inside it.)

Exit codes: 0 done; 1 a file could not be written, or the SDK raised (the CLI missing, a store
out of reach; a command may use 1 for its own failures too); 2 bad usage (argparse's, a target
that exists without ``--force``, a bad store URL); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..errors import CodexError

GROUPS = ("run", "sessions", "doctor", "skill", "docs")
"""The modules of this package that add a subcommand group, in the order ``--help`` lists them."""


class UsageError(Exception):
    """A command cannot do what it was asked as asked; its message says what to change."""


class FolderWriter(Protocol):
    """What a folder action runs: write its folder into ``directory``; return that folder."""

    def __call__(self, directory: Path, /, *, force: bool) -> Path: ...


def add_folder_action(
    actions: Any,
    name: str,
    write: FolderWriter,
    *,
    done: str,
    default_dir: Path,
    dir_help: str,
    force_help: str,
    **parser_options: str,
) -> None:
    """Add the action ``name`` to a group's ``actions``: ``write(DIR, force=--force)``, then
    ``done`` printed with the folder written in place of ``{}``.

    Args:
        actions: the group's subparsers.
        name: the action's name.
        write: what the action runs.
        done: the line it prints on success.
        default_dir: DIR when none is given.
        dir_help: the help of DIR.
        force_help: the help of ``--force``.
        **parser_options: the action parser's ``help`` and ``description``.
    """
    action = actions.add_parser(name, **parser_options)
    action.add_argument("dir", nargs="?", type=Path, default=default_dir, metavar="DIR", help=dir_help)
    action.add_argument("--force", action="store_true", help=force_help)

    def run(args: argparse.Namespace) -> int:
        print(done.format(write(args.dir, force=args.force)))
        return 0

    action.set_defaults(handler=run)


def build_parser() -> argparse.ArgumentParser:
    """The ``codex-local`` parser, with every group of :data:`GROUPS`."""
    parser = argparse.ArgumentParser(
        prog="codex-local", description="Tools for projects that use codex_local_sdk."
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for group in GROUPS:
        importlib.import_module(f"{__name__}.{group}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``codex-local`` with ``argv`` (default: the process's arguments).

    Args:
        argv: the arguments after the program name.

    Returns:
        The exit code.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except UsageError as exc:
        print(f"codex-local: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, CodexError) as exc:  # a folder not writable, a CLI not found: say so, no traceback
        print(f"codex-local: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # a live run closed on the way out: its processes are gone
        return 130
    return code
