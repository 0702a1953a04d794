"""The guide's Markdown pages, made readable offline: each ``--8<--`` include replaced by the
file (or the marked section of it) that the site shows there.

Standard library only: the build (``setup.py``) loads this file by its path to put the pages
into the wheel, before the package or its dependencies can be imported.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

GUIDE = Path("docs") / "guide"
"""The pages, relative to the repository's root."""

API_PAGE = "api.md"
"""The name the API cheat sheet gets beside the exported pages."""


_INCLUDE = re.compile(r'^(?P<indent>[ \t]*)--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"[ \t]*$', re.M)
_MARKER = re.compile(r"^.*--8<-- \[(?:start|end):[\w-]+\].*\n?", re.M)
_REFERENCE_LINK = re.compile(r"\]\(reference/[\w-]+\.md(?:#[^)]*)?\)")


def render_pages(root: Path) -> dict[str, str]:
    """The guide's pages (``docs/guide/*.md`` under ``root``), their includes resolved.

    The API reference pages, which the site generates from docstrings, are not among them;
    links to them point at ``api.md`` instead (see :data:`API_PAGE`).

    Args:
        root: the repository's root.

    Returns:
        Each page's text by file name.

    Raises:
        FileNotFoundError: ``root`` has no guide, or a page includes a missing file.
        ValueError: a page includes a section its file does not mark.
    """
    pages = sorted((root / GUIDE).glob("*.md"))
    if not pages:
        raise FileNotFoundError(f"no Markdown pages in {root / GUIDE}")
    return {page.name: render_page(page.read_text(encoding="utf-8"), root) for page in pages}


def render_page(text: str, root: Path) -> str:
    """``text`` with every include replaced by what it includes, read from under ``root``."""

    def include(found: re.Match[str]) -> str:
        included = (root / found["path"]).read_text(encoding="utf-8")
        if found["section"]:
            included = textwrap.dedent(_section(included, found["section"], found["path"]))
        included = _MARKER.sub("", included).rstrip("\n")
        return textwrap.indent(included, found["indent"], lambda line: True)

    return _REFERENCE_LINK.sub(f"]({API_PAGE})", _INCLUDE.sub(include, text))


def _section(text: str, name: str, path: str) -> str:
    found = re.search(rf"--8<-- \[start:{name}\][^\n]*\n(.*?)^[^\n]*--8<-- \[end:{name}\]", text, re.S | re.M)
    if found is None:
        raise ValueError(f"{path} marks no section {name!r} (--8<-- [start:{name}] ... [end:{name}])")
    return found[1]


def write_pages(root: Path, target: Path) -> None:
    """Write :func:`render_pages` of ``root`` into the folder ``target`` (created if missing)."""
    target.mkdir(parents=True, exist_ok=True)
    for name, text in render_pages(root).items():
        (target / name).write_text(text, encoding="utf-8")
