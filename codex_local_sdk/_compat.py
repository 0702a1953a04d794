"""The calls of codex-local-sdk-python 0.1.4, accepted by ours.

That package built its models positionally, in field orders that differ from ours, passed
most method arguments positionally where ours are keyword-only, and named some arguments
differently. :func:`accepting_origin_calls` wraps a class's ``__init__``, and
:func:`accepting_origin_args` a method, so such calls map onto our keyword arguments: one
mapping, no second field list (type checkers know only our signatures, so new code keeps
writing keywords).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import attrs

_Class = TypeVar("_Class", bound=type)
_Method = TypeVar("_Method", bound=Callable[..., Any])


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

    def decorate(cls: _Class) -> _Class:
        positions = order if order is not None else tuple(field.name for field in attrs.fields(cls))
        init = _accepting(vars(cls)["__init__"], cls.__name__, positions, renames, keep=0)
        type.__setattr__(cls, "__init__", init)
        return cls

    return decorate


def accepting_origin_args(
    *order: str, renames: Mapping[str, str] | None = None
) -> Callable[[_Method], _Method]:
    """A method decorator: the method also takes codex-local-sdk-python 0.1.4's calls.

    Positional arguments past the method's own positional parameters become keywords, by
    ``order``; so do that package's keywords in ``renames``.

    Args:
        *order: that package's positional order (``self`` left out), as our argument names.
        renames: that package's keyword -> ours (``{"output_json_path":
            "output_last_message_path"}``).

    Returns:
        The decorator; the method it returns keeps our signature for ``inspect`` and typing.
    """

    def decorate(method: _Method) -> _Method:
        own = [p for p in inspect.signature(method).parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
        owner = method.__qualname__
        return cast(_Method, _accepting(method, owner, order, renames, keep=len(own) - 1))

    return decorate


def _accepting(
    function: Callable[..., Any],
    owner: str,
    positions: tuple[str, ...],
    renames: Mapping[str, str] | None,
    keep: int,
) -> Callable[..., Any]:
    """``function`` (a method), taking ``positions`` and ``renames`` too; calls with at most
    ``keep`` positional arguments (``self`` apart) and none of the renamed keywords pass as
    they are."""
    renamed = dict(renames or {})

    def mapped(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if len(args) > keep:
            kwargs = _positional(owner, args, kwargs, positions)
            args = ()
        if renamed and not renamed.keys().isdisjoint(kwargs):
            kwargs = _renamed(owner, kwargs, renamed)
        return args, kwargs

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def coroutine(self: object, *args: Any, **kwargs: Any) -> Any:
            args, kwargs = mapped(args, kwargs)
            return await function(self, *args, **kwargs)

        return coroutine

    @functools.wraps(function)
    def method(self: object, *args: Any, **kwargs: Any) -> Any:
        if len(args) > keep or renamed:  # else the call is ours already: pass it straight on
            args, kwargs = mapped(args, kwargs)
        return function(self, *args, **kwargs)

    return method


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
