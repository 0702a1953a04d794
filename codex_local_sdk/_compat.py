"""The constructors of codex-local-sdk-python 0.1.4, accepted by ours.

That package built its models positionally, in field orders that differ from ours, and named
some fields differently. :func:`accepting_origin_calls` wraps a class's ``__init__`` so such
calls map onto our keyword arguments: one mapping, no second field list (type checkers know
only our signatures, so new code keeps writing keywords). Positional arguments always become
keywords, so a wrapped class may be ``kw_only``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

_Class = TypeVar("_Class", bound=type)


def accepting_origin_calls(
    order: tuple[str, ...] | None = None, renames: Mapping[str, str] | None = None
) -> Callable[[_Class], _Class]:
    """A class decorator: the constructor also takes codex-local-sdk-python 0.1.4's calls.

    Args:
        order: that package's positional order, as our field names; ``None`` when it is
            the order of the class's own fields.
        renames: that package's keyword -> ours (``{"session_name": "name"}``).

    Returns:
        The decorator, which replaces the class's ``__init__`` in place.
    """
    renamed = dict(renames or {})

    def decorate(cls: _Class) -> _Class:
        init: Callable[..., None] = vars(cls)["__init__"]
        positions = order if order is not None else tuple(field.name for field in attrs.fields(cls))

        @functools.wraps(init)
        def __init__(self: object, *args: Any, **kwargs: Any) -> None:
            if args:
                kwargs = _positional(cls.__name__, args, kwargs, positions)
                args = ()
            if renamed and not renamed.keys().isdisjoint(kwargs):
                kwargs = _renamed(cls.__name__, kwargs, renamed)
            init(self, *args, **kwargs)

        type.__setattr__(cls, "__init__", __init__)
        return cls

    return decorate


def _renamed(owner: str, kwargs: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    mapped = dict(kwargs)
    for old, new in renames.items():
        if old in mapped:
            if new in mapped:
                raise TypeError(f"{owner}() got both {new} and {old}: pass one, they are the same field")
            mapped[new] = mapped.pop(old)
    return mapped


def _positional(
    owner: str, args: tuple[Any, ...], kwargs: dict[str, Any], order: tuple[str, ...]
) -> dict[str, Any]:
    if len(args) > len(order):
        raise TypeError(f"{owner}() takes at most {len(order)} positional arguments ({len(args)} given)")
    mapped = dict(kwargs)
    for name, value in zip(order[: len(args)], args, strict=True):
        if name in mapped:
            raise TypeError(f"{owner}() got multiple values for argument {name!r}")
        mapped[name] = value
    return mapped
