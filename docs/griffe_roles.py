"""A Griffe extension for the docs build: Sphinx roles in docstrings become links.

The code's docstrings use Sphinx roles (``:class:`~codex_local_sdk.ports.Clock```,
``:meth:`wait```). mkdocstrings does not read them, so without this extension the reference
would show them as raw text. Each role becomes an *optional* mkdocs-autorefs reference: a
link when the target is rendered somewhere in the site, plain code otherwise (never a
warning, so ``mkdocs build --strict`` stays quiet).

Loaded from ``docs/mkdocs.yml`` (``extensions: [griffe_roles.py]``); not part of the package.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|data|mod|exc|obj):`(?P<tilde>~?)(?P<target>[^`]+)`")
_OWN_PACKAGES = ("codex_local_sdk", "adapters")


class SphinxRoles(griffe.Extension):
    """Rewrite ``:role:`target``` in every docstring of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in _objects(pkg):
            docstring = obj.docstring
            if docstring is not None and ":" in docstring.value:
                docstring.value = _ROLE.sub(functools.partial(_reference, obj), docstring.value)


def _objects(obj: griffe.Object) -> Iterator[griffe.Object]:
    yield obj
    for member in obj.members.values():
        if not member.is_alias and isinstance(member, griffe.Object):
            yield from _objects(member)


def _reference(obj: griffe.Object, match: re.Match[str]) -> str:
    target = match["target"].strip()
    shown = target.rsplit(".", 1)[-1] if match["tilde"] else target
    identifier = _resolve(obj, target)
    return (
        f'<autoref identifier="{html.escape(identifier)}" optional>'
        f"<code>{html.escape(shown)}</code></autoref>"
    )


def _resolve(obj: griffe.Object, target: str) -> str:
    """The full path of ``target`` as seen from ``obj``'s scope, or ``target`` itself."""
    if target.startswith(_OWN_PACKAGES):
        return target
    first, _, rest = target.partition(".")
    try:
        base = obj.resolve(first)
    except (griffe.NameResolutionError, griffe.AliasResolutionError, KeyError, ValueError):
        return target
    return f"{base}.{rest}" if rest else base
