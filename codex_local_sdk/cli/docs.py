"""``codex-local docs export [DIR]``: the guide's pages as Markdown, to read offline.

Where the pages come from: a wheel carries them in ``codex_local_sdk/cli/guide/``, which
the build writes from ``docs/guide`` with every included example resolved (``setup.py``);
git holds no second copy. A source checkout (an editable install) has no such folder, so
the pages are rendered from its ``docs/`` the same way, at export time.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from . import UsageError, add_folder_action

EXPORT_NAME = "codex-local-sdk-docs"
"""The folder ``docs export`` writes inside DIR."""


def register(subparsers: Any) -> None:
    """Add ``docs export`` to the ``codex-local`` parser."""
    docs = subparsers.add_parser("docs", help="export the documentation")
    actions = docs.add_subparsers(title="actions", metavar="ACTION", required=True)
    add_folder_action(
        actions,
        "export",
        export_docs,
        done="wrote the documentation to {} (start with index.md)",
        default_dir=Path("."),
        dir_help="where to write (default: here)",
        force_help="replace an earlier export",
        help=f"write the guide's Markdown pages to DIR/{EXPORT_NAME}/",
        description=f"Write the guide's Markdown pages, their examples included, and api.md (the API "
        f"cheat sheet of the installed package) to DIR/{EXPORT_NAME}/, for offline reading.",
    )


def export_docs(directory: Path, *, force: bool = False) -> Path:
    """Write the guide's pages and ``api.md`` to ``directory / EXPORT_NAME``.

    Args:
        directory: where to put the export's folder (created if missing).
        force: replace the export's folder if it exists.

    Returns:
        The export's folder.

    Raises:
        UsageError: the folder exists and ``force`` is false, or this installation has no
            pages.
    """
    from ._files import copy_tree, write_folder
    from .guide_pages import API_PAGE, write_pages
    from .skill import api_cheatsheet

    shipped = files("codex_local_sdk.cli").joinpath("guide")
    checkout = Path(__file__).resolve().parents[2]  # the repository, when run from a source tree

    def fill(folder: Path) -> None:
        if shipped.is_dir():
            copy_tree(shipped, folder)
        elif (checkout / "docs" / "guide").is_dir():
            write_pages(checkout, folder)
        else:
            raise UsageError(
                "this installation has no documentation pages (it was built without docs/guide); "
                "reinstall codex-local-sdk from its wheel or its source distribution"
            )
        (folder / API_PAGE).write_text(api_cheatsheet(), encoding="utf-8")

    return write_folder(directory / EXPORT_NAME, fill, force=force)
