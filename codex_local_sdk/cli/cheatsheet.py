"""The API cheat sheet: every public name of the installed package, read from the package itself.

Signatures come from :mod:`inspect`, fields from :func:`attrs.fields`, and each description
from the first paragraph of a docstring, so the sheet says what the installed code does and
cannot drift from it.
"""

from __future__ import annotations

import enum
import inspect
import re
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import attrs

_ROLE = re.compile(r":[a-z]+:`(~?)([^`]+)`")  # :class:`~a.b.Name` -> `Name`, :attr:`A.b` -> `A.b`
_SECTIONS = ("Args:", "Returns:", "Raises:", "Attributes:", "Yields:", "Example:", "Examples:")


def render(module: ModuleType, testing: ModuleType | None = None) -> str:
    """The cheat sheet of ``module``'s ``__all__`` (and ``testing``'s) as Markdown.

    Args:
        module: the imported package (``codex_local_sdk``).
        testing: its test doubles (``codex_local_sdk.testing``), in a section of their own.

    Returns:
        The Markdown page, one ``###`` entry per name of each ``__all__``.
    """
    lines = [
        f"# {module.__name__} API cheat sheet",
        "",
        f"Generated from the installed {module.__name__} {_version(module)} by `codex-local skill install`:",
        "every name of `__all__`, its signature and the first paragraph of its docstring. Reinstall",
        "the skill (`--force`) after upgrading the package. Import every name from the package root:",
        f"`from {module.__name__} import CodexLocalClient, CodexExecRequest`.",
    ]
    objects = {name: getattr(module, name) for name in module.__all__}
    groups: dict[str, list[str]] = {title: [] for title, _ in _GROUPS}
    for name in sorted(objects):
        title = next(title for title, belongs in _GROUPS if belongs(objects[name]))
        groups[title].append(name)
    for title, belongs in reversed(_GROUPS):
        names = groups[title]
        if not names:
            continue
        lines += ["", f"## {title}"]
        if belongs is _is_error:
            lines += ["", *_error_tree(objects[names[0]])]
        for name in names:
            lines += ["", *_entry(name, objects[name])]
    if testing is not None:
        lines += ["", f"## {TESTING_TITLE}", "", f"`from {testing.__name__} import ...`: {summary(testing)}"]
        shown = {id(obj): name for name, obj in objects.items()}
        for name in sorted(testing.__all__):
            obj = getattr(testing, name)
            if id(obj) in shown:
                lines += ["", f"### {name}", "", f"The same as `{module.__name__}.{shown[id(obj)]}` above."]
            else:
                lines += ["", *_entry(name, obj)]
    return "\n".join(lines) + "\n"


TESTING_TITLE = "Test doubles"
"""The heading of the section on the testing module."""


def _version(module: ModuleType) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("codex-local-sdk")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return f"(not installed, from {module.__file__})"


def _is_error(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseException)


def _is_protocol(obj: Any) -> bool:
    return bool(getattr(obj, "_is_protocol", False))


_GROUPS: tuple[tuple[str, Callable[[Any], bool]], ...] = (
    ("Errors (all subclasses of CodexError)", _is_error),
    ("Ports (typing.Protocol: implement these to plug in your own)", _is_protocol),
    ("Models (frozen attrs classes; build them with keyword arguments)", attrs.has),
    ("Enums", lambda obj: isinstance(obj, type) and issubclass(obj, enum.Enum)),
    ("Client, handles and stores", inspect.isclass),
    ("Functions and constants", lambda obj: True),
)
"""Each name goes to the first group it belongs to; the page shows them in reverse order."""


def _entry(name: str, obj: Any) -> list[str]:
    lines = [f"### {name}", ""]
    if _is_error(obj):
        base = obj.__mro__[1].__name__  # the error tree is single inheritance
        return [*lines, f"`{_call(name, obj)}`, subclass of `{base}`: {summary(obj)}", *_attributes(obj)]
    if isinstance(obj, type) and issubclass(obj, enum.Enum):
        values = ", ".join(f"`{member.name}` = `{member.value!r}`" for member in obj)
        return [*lines, f"{summary(obj)} Members: {values}."]
    if not (inspect.isclass(obj) or inspect.isroutine(obj)):
        if repr(obj).startswith(("typing.", "collections.abc.")):
            return [*lines, f"`{name} = {_type(obj)}` (a type alias)"]
        return [*lines, f"`{name}: {type(obj).__name__} = {obj!r}`"]
    if not _is_protocol(obj):
        lines += [f"`{_call(name, obj)}`", ""]
    lines.append(summary(obj))
    if not inspect.isclass(obj):
        return lines
    if attrs.has(obj):
        described = _described_attributes(obj)
        lines += ["", "Fields:", ""]
        lines += [f"- `{_field(field)}`: {described.get(field.name, '')}" for field in attrs.fields(obj)]
    members = list(_members(obj))
    return [*lines, "", *members] if members else lines


def _members(cls: type) -> Iterator[str]:
    """One line per public method and property that ``cls`` (or a base of this package) defines."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith(("codex_local_sdk", "adapters")):
            continue
        for attr_name, value in vars(klass).items():
            if attr_name.startswith("_") or attr_name in seen:
                continue
            seen.add(attr_name)
            if isinstance(value, property):
                returns = inspect.signature(value.fget).return_annotation if value.fget else ""
                yield f"- property `{attr_name}: {_type(returns)}`: {summary(value)}"
            elif isinstance(value, (staticmethod, classmethod)) or inspect.isfunction(value):
                function = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
                signature = _signature(function, drop_self=not isinstance(value, staticmethod))
                prefix = "async " if inspect.iscoroutinefunction(function) else ""
                yield f"- `{prefix}{attr_name}{signature}`: {summary(function)}"


def _call(name: str, obj: Any) -> str:
    """``name(parameters) -> returns``, as ``obj`` is called."""
    try:
        return name + _signature(obj, drop_self=False)
    except ValueError:  # an exception class that keeps BaseException's (*args)
        return f"{name}(message)" if _is_error(obj) else f"{name}(...)"


def _signature(function: Any, *, drop_self: bool) -> str:
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())
    if drop_self and parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    plain = signature.replace(
        parameters=[_plain(p) for p in parameters], return_annotation=inspect.Signature.empty
    )
    returns = _type(signature.return_annotation)
    return f"{plain} -> {returns}" if returns not in ("", "None") else str(plain)


def _plain(parameter: inspect.Parameter) -> inspect.Parameter:
    if parameter.default is attrs.NOTHING:  # an attrs field with a default factory
        parameter = parameter.replace(default=_Text("<factory>"))
    if parameter.annotation is inspect.Parameter.empty:
        return parameter
    return parameter.replace(annotation=_Text(_type(parameter.annotation)))


class _Text(str):
    """An annotation printed as it is written (``inspect`` would quote a plain string)."""

    def __repr__(self) -> str:
        return str(self)


def _type(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    if annotation is inspect.Signature.empty or annotation is None:
        return "None" if annotation is None else ""
    if isinstance(annotation, type):
        return annotation.__name__
    return re.sub(r"\b(?:typing|collections\.abc|[\w.]+\.)(\w+)", r"\1", repr(annotation))


def _field(field: attrs.Attribute[Any]) -> str:
    """``name: type``, then `` = default`` unless the field is required."""
    text = f"{field.name}: {_type(field.type)}"
    if field.default is attrs.NOTHING:
        return text
    factory = getattr(field.default, "factory", None)  # an attrs.Factory
    if callable(factory):
        return f"{text} = {getattr(factory, '__name__', repr(factory))}()"
    return f"{text} = {field.default!r}"


def _error_tree(error: type) -> list[str]:
    """The drawing of the error tree in the docstring of the module that defines ``error``."""
    doc = inspect.getdoc(inspect.getmodule(error)) or ""
    if "::" not in doc:
        return []
    block = doc.split("::", 1)[1].strip("\n").split("\n\n", 1)[0]
    return ["```text", inspect.cleandoc(block), "```"]


def summary(obj: Any) -> str:
    """The first paragraph of ``obj``'s docstring on one line, with Sphinx roles as plain code.

    Args:
        obj: anything with a docstring.

    Returns:
        The paragraph, or an empty string when ``obj`` has no docstring of its own.
    """
    doc = inspect.getdoc(obj) or ""
    if isinstance(obj, type) and doc == inspect.getdoc(obj.__mro__[1]):
        return ""  # inherited, says nothing about this class
    return _plain_text(doc.split("\n\n", 1)[0])


def _plain_text(text: str) -> str:
    return _ROLE.sub(_role, " ".join(text.split())).replace("``", "`")


def _role(role: re.Match[str]) -> str:
    tilde, target = role[1], role[2]
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def _described_attributes(cls: type) -> dict[str, str]:
    """The ``Attributes:`` section of ``cls``'s Google-style docstring, by name."""
    doc = inspect.getdoc(cls) or ""
    if "Attributes:" not in doc:
        return {}
    section = doc.split("Attributes:", 1)[1]
    described: dict[str, list[str]] = {}
    current: list[str] = []
    for line in section.splitlines()[1:]:
        if line.strip() in _SECTIONS or (line and not line.startswith(" ")):
            break
        found = re.match(r" {4}(\w+)(?: \([^)]*\))?: (.*)", line)
        if found:
            current = described.setdefault(found[1], [found[2]])
        elif line.strip():
            current.append(line.strip())
    return {name: _plain_text(" ".join(words)) for name, words in described.items()}


def _attributes(cls: type) -> list[str]:
    described = _described_attributes(cls)
    return ["", *(f"- `.{name}`: {text}" for name, text in described.items())] if described else []
