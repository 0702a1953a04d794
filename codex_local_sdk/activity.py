"""A turn's activity: its items folded by id, the questions callers ask of them, and the
live :class:`TurnProgress` snapshot.

A turn reports each item several times (``item.started``, ``item.updated``...,
``item.completed``); :class:`ItemLog` keeps the latest JSON object of each, by id, in the
order the ids first appeared. That fold costs a dict lookup and assignment per event and
decodes nothing: :class:`ItemDecoder` turns the objects into typed items (:mod:`codex_local_sdk.items`)
only when someone asks, decoding each object once. :class:`ItemViews` answers "which commands
failed?", "which files changed?", "what is the plan?" from the typed items, for a finished
:class:`~codex_local_sdk.results.CodexExecResult` and a live :class:`TurnProgress` alike.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .events import CodexEvent, Usage
from .items import (
    AgentMessageItem,
    CommandExecutionItem,
    ErrorItem,
    FileChangeItem,
    FileUpdateChange,
    McpToolCallItem,
    ReasoningItem,
    ThreadItem,
    TodoListItem,
    UnknownItem,
    decode_item,
)

ITEM_EVENT_TYPES = frozenset({"item.started", "item.updated", "item.completed"})
"""The event types that carry an item."""

MAX_KEPT_ITEMS = 10_000
"""How many items a turn keeps: past that, each new item pushes out the oldest one (counted
in ``dropped_items``), so a turn of endless items cannot fill the memory (a live run holds up
to a quarter more while it goes). Real turns hold a few hundred."""


class ItemLog:
    """The latest JSON object of each item, by id, in the order the ids first appeared.

    An item with no string id cannot be matched with its updates: each of its events is
    kept as an item of its own. At most ``max_items`` are kept: a new one past that pushes
    out the oldest, counted in :attr:`dropped`.

    Args:
        max_items: how many items to keep.
    """

    def __init__(self, max_items: int = MAX_KEPT_ITEMS) -> None:
        self._latest: dict[object, Mapping[str, Any]] = {}
        self._anonymous = itertools.count()
        self._max_items = max_items
        # the oldest items go in batches, once a quarter more are held: one at a time would
        # cost more per event than the rest of the fold
        self._trim_at = max_items + max(1, max_items // 4)
        self._trimmed = 0

    @property
    def dropped(self) -> int:
        """How many items were pushed out."""
        return self._trimmed + max(0, len(self._latest) - self._max_items)

    def add(self, item: Mapping[str, Any]) -> None:
        """Take the ``item`` object of one ``item.*`` event."""
        key = item.get("id")
        if type(key) is not str:  # JSON strings are str; this is the hot path
            key = next(self._anonymous)
        latest = self._latest
        latest[key] = item
        if len(latest) >= self._trim_at:
            oldest = list(latest)[: len(latest) - self._max_items]  # keys only: no new objects for the GC
            for old in oldest:
                del latest[old]
            self._trimmed += len(oldest)

    def add_event(self, event: CodexEvent) -> None:
        """Take an event: its item when it is an ``item.*`` event, else nothing."""
        if event.type in ITEM_EVENT_TYPES and (item := event.item) is not None:
            self.add(item)

    def snapshot(self) -> tuple[Mapping[str, Any], ...]:
        """The latest ``max_items`` objects, in first-seen order."""
        kept = tuple(self._latest.values())
        return kept[-self._max_items :] if len(kept) > self._max_items else kept


def fold_items(events: Iterable[CodexEvent]) -> ItemLog:
    """The :class:`ItemLog` of ``events``: the final JSON object of each of their items."""
    log = ItemLog()
    for event in events:
        log.add_event(event)
    return log


class ItemDecoder:
    """Decodes item objects, remembering those of the last call so that an item that did
    not change since (the same object) is not decoded again."""

    def __init__(self) -> None:
        # by id() of the object, which the entry keeps alive, so no other object takes its id
        self._decoded: dict[int, tuple[Mapping[str, Any], ThreadItem]] = {}
        self._lock = threading.Lock()  # a live run's progress may be read from several threads

    def decode(self, objects: tuple[Mapping[str, Any], ...]) -> tuple[ThreadItem, ...]:
        """The typed items of ``objects``, in order."""
        with self._lock:
            previous, current = self._decoded, {}
            for obj in objects:
                known = previous.get(id(obj))
                current[id(obj)] = known if known is not None else (obj, decode_item(obj))
            self._decoded = current
            return tuple(item for _, item in current.values())


class ItemViews:
    """The questions a caller asks of a turn's :attr:`items`. Mixed into
    :class:`~codex_local_sdk.results.CodexExecResult` and :class:`TurnProgress`."""

    __slots__ = ()

    @property
    def items(self) -> tuple[ThreadItem, ...]:  # pragma: no cover - every class provides its own
        """Each item of the turn in its latest state, in first-seen order."""
        raise NotImplementedError

    @property
    def dropped_items(self) -> int:  # pragma: no cover - every class provides its own
        """How many of the turn's oldest items were not kept (past :data:`MAX_KEPT_ITEMS`)."""
        raise NotImplementedError

    @property
    def commands_run(self) -> tuple[CommandExecutionItem, ...]:
        """The shell commands of the turn (with their status, exit code and output)."""
        return tuple(item for item in self.items if isinstance(item, CommandExecutionItem))

    @property
    def failed_commands(self) -> tuple[CommandExecutionItem, ...]:
        """The commands that ended badly: status ``"failed"`` or a non-zero exit code."""
        return tuple(item for item in self.commands_run if item.failed)

    @property
    def file_changes(self) -> tuple[FileUpdateChange, ...]:
        """Every file the turn's patches touched, once each, in first-seen order, with the
        kind of its last change (a file added then updated stays ``"add"``). Patches that
        failed are left out."""
        changes: dict[str | None, FileUpdateChange] = {}
        for item in self.items:
            if isinstance(item, FileChangeItem) and item.status != "failed":
                for change in item.changes or ():
                    before = changes.get(change.path)
                    if before is None or before.kind != "add" or change.kind != "update":
                        changes[change.path] = change
        return tuple(changes.values())

    @property
    def todo_list(self) -> TodoListItem | None:
        """The agent's plan as it last updated it; ``None`` when it made none."""
        plans = [item for item in self.items if isinstance(item, TodoListItem)]
        return plans[-1] if plans else None

    @property
    def reasoning(self) -> tuple[ReasoningItem, ...]:
        """The model's reasoning summaries, in order."""
        return tuple(item for item in self.items if isinstance(item, ReasoningItem))

    @property
    def errors(self) -> tuple[ErrorItem, ...]:
        """The errors the CLI reported as items (warnings that did not end the turn)."""
        return tuple(item for item in self.items if isinstance(item, ErrorItem))

    @property
    def has_side_effects(self) -> bool:
        """Whether the turn may have acted on the world, so running it again could repeat
        that: it ran a command (one not declined), changed a file or called an MCP tool, or
        reported an item this version does not know (which might have). Messages,
        reasoning, plans, web searches and errors are not side effects. A turn whose oldest
        items were not kept (:attr:`dropped_items`) counts as one that had some."""
        return self.dropped_items > 0 or any(map(acts_on_the_world, self.items))


def acts_on_the_world(item: ThreadItem) -> bool:
    """Whether ``item`` may have changed something outside the conversation: a command not
    declined, a file change, an MCP tool call, or an item of a type this version does not know."""
    if isinstance(item, CommandExecutionItem):
        return item.status != "declined"
    return isinstance(item, (FileChangeItem, McpToolCallItem, UnknownItem))


@attrs.frozen(kw_only=True)
class TurnProgress(ItemViews):
    """A live run's turn so far: what :attr:`CodexLiveRun.progress
    <codex_local_sdk.live.CodexLiveRun.progress>` returns. A snapshot: it does not change
    as more events arrive; read the property again for a newer one.

    Every view of a result reads here too: :attr:`commands_run` (with each command's
    status so far), :attr:`failed_commands`, :attr:`file_changes`, :attr:`todo_list`,
    :attr:`reasoning`, :attr:`errors` and :attr:`has_side_effects`.

    Attributes:
        items: each item seen so far in its latest state, in first-seen order.
        usage: the thread's running token total, once the CLI reported it (it does so
            when the turn completes); ``None`` before.
        events_seen: how many JSON events were read so far.
        dropped_items: how many of the oldest items were not kept (past
            :data:`MAX_KEPT_ITEMS`).
    """

    items: tuple[ThreadItem, ...] = ()
    usage: Usage | None = None
    events_seen: int = 0
    dropped_items: int = 0

    @property
    def agent_message(self) -> str | None:
        """The text of the latest agent message so far; ``None`` before the first."""
        messages = [item.text for item in self.items if isinstance(item, AgentMessageItem)]
        return messages[-1] if messages else None
