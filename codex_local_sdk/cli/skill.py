"""``codex-local skill install [DIR]``: the usage skill for coding agents.

The skill is a folder Codex (and other agents that read ``.agents/skills/``) loads when a
task matches its description: ``SKILL.md`` routes to short references, starter templates
and a preflight script. The static parts ship in ``skill_data/``; the API cheat sheet is
written at install time from the installed package, so it always matches the code.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from . import add_folder_action

SKILL_NAME = "codex-local-sdk"
"""The skill's folder name, and the ``name`` in its front matter."""

DEFAULT_DIR = Path(".agents") / "skills"
"""Where Codex reads a project's skills, relative to the project's folder."""


def register(subparsers: Any) -> None:
    """Add ``skill install`` to the ``codex-local`` parser."""
    skill = subparsers.add_parser("skill", help="install the usage skill for coding agents")
    actions = skill.add_subparsers(title="actions", metavar="ACTION", required=True)
    add_folder_action(
        actions,
        "install",
        install_skill,
        done=f"wrote the {SKILL_NAME} skill to {{}}",
        default_dir=DEFAULT_DIR,
        dir_help=f"the skills folder (default: {DEFAULT_DIR}, where Codex reads a project's skills)",
        force_help="replace the skill if it is already there",
        help=f"write the skill to DIR/{SKILL_NAME}/",
        description=f"Write the {SKILL_NAME} usage skill (SKILL.md, references, templates, a preflight "
        f"script) to DIR/{SKILL_NAME}/. The API cheat sheet is generated from the installed package.",
    )


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

    return write_folder(skills_dir / SKILL_NAME, fill, force=force)


def api_cheatsheet() -> str:
    """The API cheat sheet of the installed ``codex_local_sdk`` and its test doubles, as Markdown."""
    import codex_local_sdk
    import codex_local_sdk.testing

    from .cheatsheet import render

    return render(codex_local_sdk, codex_local_sdk.testing)
