"""What the agent did, as typed data: the items of ``item.*`` events.

``codex exec --json`` reports the agent's work as items: each ``item.started``,
``item.updated`` and ``item.completed`` event carries one JSON object with an ``id`` and a
``type``. :func:`decode_item` turns that object into one of the frozen classes below, named
as the official TypeScript SDK names them:

| ``type`` in the JSON | class |
| --- | --- |
| ``agent_message`` | :class:`AgentMessageItem` |
| ``reasoning`` | :class:`ReasoningItem` |
| ``command_execution`` | :class:`CommandExecutionItem` |
| ``file_change`` | :class:`FileChangeItem` (of :class:`FileUpdateChange`) |
| ``mcp_tool_call`` | :class:`McpToolCallItem` |
| ``web_search`` | :class:`WebSearchItem` |
| ``todo_list`` | :class:`TodoListItem` (of :class:`TodoItem`) |
| ``error`` | :class:`ErrorItem` |
| anything else | :class:`UnknownItem` |

Decoding never raises: a field that is missing or of another JSON type than the CLI
prints comes out as ``None``, and an item type this version does not know (newer CLIs add
some) comes out as :class:`UnknownItem`. Every item keeps its ``id`` and the whole JSON
object in ``raw``. The decoder is a cattrs tagged union on ``type``, built on first use, so
importing this module does not import cattrs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeAlias

import attrs

__all__ = [
    "AgentMessageItem",
    "CommandExecutionItem",
    "ErrorItem",
    "FileChangeItem",
    "FileUpdateChange",
    "McpToolCallItem",
    "ReasoningItem",
    "ThreadItem",
    "TodoItem",
    "TodoListItem",
    "UnknownItem",
    "WebSearchItem",
    "decode_item",
]


def _raw_field() -> Any:
    return attrs.field(factory=dict, repr=False)


@attrs.frozen(kw_only=True)
class AgentMessageItem:
    """A message of the agent: its answer, or what it says between tool calls.

    Attributes:
        id: the item's id within the turn (``item_0``, ``item_1``...).
        text: the message.
        raw: the item's whole JSON object.
    """

    type: ClassVar[str] = "agent_message"
    id: str | None = None
    text: str | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class ReasoningItem:
    """A summary of the model's reasoning.

    Attributes:
        id: the item's id within the turn.
        text: the reasoning summary.
        raw: the item's whole JSON object.
    """

    type: ClassVar[str] = "reasoning"
    id: str | None = None
    text: str | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class CommandExecutionItem:
    """A shell command the agent ran.

    Attributes:
        id: the item's id within the turn.
        command: the command line as the CLI reports it, e.g. ``/bin/bash -lc 'make test'``.
        aggregated_output: its stdout and stderr, interleaved as printed.
        exit_code: its exit code; ``None`` while it runs.
        status: ``"in_progress"``, ``"completed"`` (exit code 0), ``"failed"`` (another exit
            code) or ``"declined"`` (not run).
        raw: the item's whole JSON object.
    """

    type: ClassVar[str] = "command_execution"
    id: str | None = None
    command: str | None = None
    aggregated_output: str | None = None
    exit_code: int | None = None
    status: str | None = None
    raw: Mapping[str, Any] = _raw_field()

    @property
    def failed(self) -> bool:
        """Whether the command ended badly: status ``"failed"`` or a non-zero exit code."""
        return self.status == "failed" or (self.exit_code is not None and self.exit_code != 0)


@attrs.frozen(kw_only=True)
class FileUpdateChange:
    """One file of a :class:`FileChangeItem`.

    Attributes:
        path: the file's path (absolute, as the CLI reports it).
        kind: ``"add"``, ``"update"`` or ``"delete"``.
    """

    path: str | None = None
    kind: str | None = None


@attrs.frozen(kw_only=True)
class FileChangeItem:
    """A patch the agent applied to files.

    Attributes:
        id: the item's id within the turn.
        changes: the files it touches, each with its kind of change.
        status: ``"in_progress"``, ``"completed"`` or ``"failed"``.
        raw: the item's whole JSON object.
    """

    type: ClassVar[str] = "file_change"
    id: str | None = None
    changes: tuple[FileUpdateChange, ...] | None = None
    status: str | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class McpToolCallItem:
    """A call of a tool of an MCP server.

    Attributes:
        id: the item's id within the turn.
        server: the server's name in ``config.toml`` (``[mcp_servers.NAME]``).
        tool: the tool's name.
        arguments: the arguments passed, as JSON decodes them.
        result: the server's answer (``content``, ``structured_content``), once it came.
        error: the error's message, when the call failed.
        status: ``"in_progress"``, ``"completed"`` or ``"failed"``.
        raw: the item's whole JSON object.
    """

    type: ClassVar[str] = "mcp_tool_call"
    id: str | None = None
    server: str | None = None
    tool: str | None = None
    arguments: Any = None
    result: Mapping[str, Any] | None = None
    error: str | None = None
    status: str | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class WebSearchItem:
    """A web search of the model.

    Attributes:
        id: the item's id (0.169.0 prints the ``id`` key twice here, and JSON decoding keeps
            the second: the provider's id of the search, e.g. ``ws_...``).
        query: what was searched for.
        action: the search action as the provider described it (``{"type": "search",
            "query": ...}``).
        raw: the item's whole JSON object.
    """

    type: ClassVar[str] = "web_search"
    id: str | None = None
    query: str | None = None
    action: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class TodoItem:
    """One step of a :class:`TodoListItem`.

    Attributes:
        text: the step.
        completed: whether it is done.
    """

    text: str | None = None
    completed: bool | None = None


@attrs.frozen(kw_only=True)
class TodoListItem:
    """The agent's plan, as it last updated it.

    Attributes:
        id: the item's id within the turn.
        items: the steps, in order.
        raw: the item's whole JSON object.
    """

    type: ClassVar[str] = "todo_list"
    id: str | None = None
    items: tuple[TodoItem, ...] | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class ErrorItem:
    """An error the CLI reported as an item (a warning that did not end the turn).

    Attributes:
        id: the item's id within the turn.
        message: what went wrong.
        raw: the item's whole JSON object.
    """

    type: ClassVar[str] = "error"
    id: str | None = None
    message: str | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class UnknownItem:
    """An item of a type this version does not know (newer CLIs add some), kept whole.

    Attributes:
        id: the item's ``id``, when it is a string.
        type: the item's ``type``, when it is a string.
        raw: the item's whole JSON object.
    """

    id: str | None = None
    type: str | None = None  # an instance field here, a class constant on the known items
    raw: Mapping[str, Any] = _raw_field()


_KnownItem: TypeAlias = (
    AgentMessageItem
    | ReasoningItem
    | CommandExecutionItem
    | FileChangeItem
    | McpToolCallItem
    | WebSearchItem
    | TodoListItem
    | ErrorItem
)

ThreadItem: TypeAlias = _KnownItem | UnknownItem
"""Any item :func:`decode_item` gives."""


def decode_item(obj: Mapping[str, Any]) -> ThreadItem:
    """The typed item of an ``item.*`` event's ``item`` object. Never raises.

    Args:
        obj: the JSON object, as decoded.

    Returns:
        The item of the class its ``type`` names; :class:`UnknownItem` for a type this
        version does not know, or a missing or non-string ``type``.
    """
    if not isinstance(obj.get("type"), str):
        return UnknownItem(id=_text(obj.get("id")), raw=obj)
    return _converter().structure({**obj, "raw": obj}, _KnownItem)  # type: ignore[no-any-return]


def _text(value: Any, _: Any = None) -> str | None:
    return value if isinstance(value, str) else None


def _integer(value: Any, _: Any = None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _boolean(value: Any, _: Any = None) -> bool | None:
    return value if isinstance(value, bool) else None


def _mapping(value: Any, _: Any = None) -> Mapping[str, Any] | None:
    return value if isinstance(value, dict) else None  # JSON objects decode to dicts


def _as_is(value: Any, _: Any = None) -> Any:
    return value


def _message(value: Any, _: Any = None) -> str | None:
    """An error as the CLI prints it (``{"message": ...}``), or a bare string, as its text."""
    return _text(value.get("message")) if isinstance(value, dict) else _text(value)


@functools.cache
def _converter() -> Any:
    """A converter whose hooks take what fits and make anything else ``None``, with the item
    classes as a tagged union on ``type`` (:class:`UnknownItem` for any other tag); built on
    first use (cattrs costs an import)."""
    import cattrs
    from cattrs.gen import make_dict_structure_fn, override
    from cattrs.strategies import configure_tagged_union

    converter = cattrs.Converter(detailed_validation=False)
    for kind, hook in (
        (str | None, _text),
        (int | None, _integer),
        (bool | None, _boolean),
        (Mapping[str, Any] | None, _mapping),
        (Mapping[str, Any], _as_is),  # raw: the object itself
    ):
        converter.register_structure_hook_func(_is(kind), hook)
    for part in (FileUpdateChange, TodoItem):  # after the hooks of their fields
        converter.register_structure_hook_func(_is(tuple[part, ...] | None), _tuple_of(converter, part))  # type: ignore[valid-type]
    mcp_call = make_dict_structure_fn(McpToolCallItem, converter, error=override(struct_hook=_message))
    converter.register_structure_hook(McpToolCallItem, mcp_call)
    configure_tagged_union(_KnownItem, converter, tag_generator=_tag, tag_name="type", default=UnknownItem)
    return converter


def _is(kind: Any) -> Callable[[Any], bool]:
    return lambda other: bool(other == kind)


def _tag(cls: type) -> str:
    tag: str = cls.type  # type: ignore[attr-defined]
    return tag


def _tuple_of(converter: Any, part: type) -> Callable[[Any, Any], Any]:
    """A hook for ``tuple[part, ...] | None``: a JSON array's objects as ``part`` (other
    entries skipped), ``None`` for anything but an array."""
    structure_part = converter.get_structure_hook(part)

    def structure(value: Any, _: Any) -> tuple[Any, ...] | None:
        if not isinstance(value, list):
            return None
        return tuple(structure_part(entry, part) for entry in value if isinstance(entry, dict))

    return structure
