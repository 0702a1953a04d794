"""``codex-local skill install [DIR]``: the usage skill for coding agents.

The skill is a folder Codex (and other agents that read ``.agents/skills/``) loads when a
task matches its description: ``SKILL.md`` routes to short references, starter templates
and a preflight script. The static parts ship in ``skill_data/``; the API cheat sheet is
written at install time from the installed package, so it always matches the code.
"""

from __future__ import annotations

import argparse
from importlib.resources import files
from pathlib import Path
from typing import Any

SKILL_NAME = "codex-local-sdk"
"""The skill's folder name, and the ``name`` in its front matter."""

DEFAULT_DIR = Path(".agents") / "skills"
"""Where Codex reads a project's skills, relative to the project's folder."""


def register(subparsers: Any) -> None:
    """Add ``skill install`` to the ``codex-local`` parser."""
    skill = subparsers.add_parser("skill", help="install the usage skill for coding agents")
    actions = skill.add_subparsers(title="actions", metavar="ACTION", required=True)
    install = actions.add_parser(
        "install",
        help=f"write the skill to DIR/{SKILL_NAME}/",
        description=f"Write the {SKILL_NAME} usage skill (SKILL.md, references, templates, a preflight "
        f"script) to DIR/{SKILL_NAME}/. The API cheat sheet is generated from the installed package.",
    )
    install.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=DEFAULT_DIR,
        metavar="DIR",
        help=f"the skills folder (default: {DEFAULT_DIR}, where Codex reads a project's skills)",
    )
    install.add_argument("--force", action="store_true", help="replace the skill if it is already there")
    install.set_defaults(handler=_install_command)


def _install_command(args: argparse.Namespace) -> int:
    target = install_skill(args.dir, force=args.force)
    print(f"wrote the {SKILL_NAME} skill to {target}")
    return 0


def install_skill(skills_dir: Path, *, force: bool = False) -> Path:
    """Write the skill to ``skills_dir / SKILL_NAME``.

    Args:
        skills_dir: the folder that holds skills (created if missing).
        force: replace the skill's folder if it exists.

    Returns:
        The skill's folder.

    Raises:
        UsageError: the skill's folder exists and ``force`` is false.
    """
    from ._files import copy_tree, write_folder

    def fill(folder: Path) -> None:
        copy_tree(files("codex_local_sdk.cli").joinpath("skill_data"), folder)
        (folder / "references" / "api-cheatsheet.md").write_text(api_cheatsheet(), encoding="utf-8")

    target = skills_dir / SKILL_NAME
    write_folder(target, fill, force=force)
    return target


def api_cheatsheet() -> str:
    """The API cheat sheet of the installed ``codex_local_sdk`` and its test doubles, as Markdown."""
    import codex_local_sdk
    import codex_local_sdk.testing

    from .cheatsheet import render

    return render(codex_local_sdk, codex_local_sdk.testing)
