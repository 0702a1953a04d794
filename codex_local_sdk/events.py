"""Events: what the CLI prints (:class:`CodexEvent`, with the :class:`Usage` it reports) and
what the client reports (:class:`CodexClientEvent`).

``codex exec --json`` prints one JSON object per line. A :class:`CodexEvent` keeps that object
whole in ``raw`` and offers typed accessors for the fields the SDK relies on, so event and
item types that newer CLIs add pass through untouched instead of breaking anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from ._compat import accepting_origin_calls
from .items import ThreadItem, decode_item


@attrs.frozen(kw_only=True)
class Usage:
    """Token counts as the CLI reports them in ``turn.completed.usage``.

    The CLI reports the thread's running total, not one turn's own use; see
    :attr:`CodexExecResult.usage` and :attr:`CodexExecResult.turn_usage`. A count the CLI
    does not report is 0. ``a - b`` subtracts field by field, floored at 0.

    It also reads as a read-only mapping of these counts by name, as the dict of
    codex-local-sdk-python 0.1.4 did: ``usage["input_tokens"]``, ``usage.get(...)``,
    ``keys()``, ``items()``, ``in``, and ``dict(usage)``. It is not a dict:
    ``json.dumps`` needs ``dict(usage)``.

    Attributes:
        input_tokens: tokens sent to the model, cached ones included.
        cached_input_tokens: input tokens served from the provider's prompt cache.
        cache_write_input_tokens: input tokens written to the prompt cache, when the CLI
            reports it.
        output_tokens: tokens the model produced, reasoning included.
        reasoning_output_tokens: output tokens spent on reasoning.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    # Read-only mapping methods, for code written against codex-local-sdk-python 0.1.4,
    # whose usage was a dict. Not a Mapping subclass: cattrs must keep seeing an attrs class.
    def __getitem__(self, key: str) -> int:
        """``usage["input_tokens"]``: the count of that name; ``KeyError`` for any other key."""
        if key not in _USAGE_FIELDS:
            raise KeyError(key)
        value: int = getattr(self, key)
        return value

    def get(self, key: str, default: int | None = None) -> int | None:
        """``usage[key]``, or ``default`` for a key that is not a count's name."""
        return self[key] if key in _USAGE_FIELDS else default

    def keys(self) -> tuple[str, ...]:
        """The counts' names, in field order (so ``dict(usage)`` works)."""
        return _USAGE_FIELDS

    def values(self) -> tuple[int, ...]:
        """The counts, in field order."""
        return tuple(self[key] for key in _USAGE_FIELDS)

    def items(self) -> tuple[tuple[str, int], ...]:
        """``(name, count)`` pairs, in field order."""
        return tuple((key, self[key]) for key in _USAGE_FIELDS)

    def __iter__(self) -> Iterator[str]:
        """The counts' names, as iterating a dict gives its keys."""
        return iter(_USAGE_FIELDS)

    def __len__(self) -> int:
        """The number of counts (always the same: every field is a count)."""
        return len(_USAGE_FIELDS)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is a count's name."""
        return key in _USAGE_FIELDS

    def __sub__(self, other: Usage) -> Usage:
        """Field-by-field difference, each floored at 0."""
        return Usage(
            **{
                field.name: max(0, getattr(self, field.name) - getattr(other, field.name))
                for field in attrs.fields(Usage)
            }
        )


_USAGE_FIELDS = tuple(field.name for field in attrs.fields(Usage))


def usage_from(value: Mapping[str, Any]) -> Usage | None:
    """The :class:`Usage` of a ``usage`` object: each count as ``int()`` makes it (so ``"5"``
    and ``5.0`` are 5), unknown keys ignored, missing counts 0; ``None`` when a count has no
    integer value."""
    try:
        return Usage(**{name: int(value[name]) for name in _USAGE_FIELDS if name in value})
    except (TypeError, ValueError, OverflowError):
        return None


@attrs.frozen
class CodexEvent:
    """One event of ``codex exec --json``.

    Known types: ``thread.started``, ``turn.started``, ``turn.completed``, ``turn.failed``,
    ``item.started``, ``item.updated``, ``item.completed`` and ``error``; any other type is
    kept as it came.

    Attributes:
        type: the event's ``type`` field.
        raw: the whole JSON object, unchanged.
        line: the line the CLI printed, byte for byte without its line ending, for an event
            a live run yielded (``run_live``, ``resume_live``); ``None`` otherwise. Not
            compared: two events with the same object are equal.
    """

    type: str
    raw: Mapping[str, Any] = attrs.field(repr=False)
    line: bytes | None = attrs.field(default=None, repr=False, eq=False)

    @classmethod
    def from_json_object(cls, obj: Mapping[str, Any], line: bytes | None = None) -> CodexEvent:
        """Wrap a decoded JSON object.

        Args:
            obj: one line of ``--json`` output, decoded.
            line: that line as printed, to keep in :attr:`line`.

        Returns:
            The event; a missing or non-string ``type`` becomes ``""``.
        """
        kind = obj.get("type")
        return cls(kind if isinstance(kind, str) else "", obj, line)

    @property
    def thread_id(self) -> str | None:
        """The ``thread_id`` field (set on ``thread.started``); ``None`` when absent or not a
        string."""
        value = self.raw.get("thread_id")
        return value if isinstance(value, str) else None

    @property
    def item(self) -> Mapping[str, Any] | None:
        """The ``item`` object of an ``item.*`` event; ``None`` when absent or not an object."""
        value = self.raw.get("item")
        return value if isinstance(value, dict) else None  # JSON objects decode to dicts

    @property
    def thread_item(self) -> ThreadItem | None:
        """The typed :attr:`item` (see :mod:`codex_local_sdk.items`): an
        :class:`~codex_local_sdk.items.AgentMessageItem`,
        :class:`~codex_local_sdk.items.CommandExecutionItem`... or an
        :class:`~codex_local_sdk.items.UnknownItem`; ``None`` without an item. Decoded on
        each access, and never raises."""
        item = self.item
        return None if item is None else decode_item(item)

    @property
    def item_type(self) -> str | None:
        """The item's type (``agent_message``, ``reasoning``, ``command_execution``, ...);
        ``None`` without an item or a string type."""
        item = self.item
        value = item.get("type") if item is not None else None
        return value if isinstance(value, str) else None

    @property
    def text(self) -> str | None:
        """The ``text`` of the item (``agent_message``, ``reasoning``); ``None`` when it has
        no string text."""
        item = self.item
        value = item.get("text") if item is not None else None
        return value if isinstance(value, str) else None

    @property
    def usage(self) -> Usage | None:
        """The ``usage`` of a ``turn.completed`` event (the thread's running total); ``None``
        when absent or malformed. Unknown keys are ignored, missing counts are 0."""
        value = self.raw.get("usage")
        return usage_from(value) if isinstance(value, dict) else None

    @property
    def error_message(self) -> str | None:
        """The message of a ``turn.failed`` event (``error.message``), an ``error`` event
        (``message``) or an ``error`` item (``item.message``); ``None`` otherwise."""
        if self.type == "turn.failed":
            error = self.raw.get("error")
            value = error.get("message") if isinstance(error, dict) else None
        elif self.type == "error":
            value = self.raw.get("message")
        elif self.item_type == "error":
            value = self.item.get("message") if self.item is not None else None
        else:
            value = None
        return value if isinstance(value, str) else None


CLIENT_EVENT_TYPES = (
    "operation.started",
    "operation.finished",
    "attempt.started",
    "attempt.failed",
    "attempt.succeeded",
    "retry.scheduled",
    "live.started",
    "live.startup_failed",
    "live.startup_retried",
    "live.event",
    "session.updated",
    "run.queued",
    "thread.restored",
    "thread.archived",
    "thread.lease_waited",
)
"""The values of :attr:`CodexClientEvent.type`: every telemetry event type a client emits."""


@accepting_origin_calls(
    order=(
        "type",
        "operation",
        "attempt",
        "command",
        "session_name",
        "session_id",
        "delay_seconds",
        "return_code",
        "turn_status",
        "duration_seconds",
        "error",
        "data",
        "timestamp",
    ),
    renames={"retry_delay_seconds": "delay_seconds", "message": "error", "metadata": "data"},
)
@attrs.define(kw_only=True)
class CodexClientEvent:
    """A telemetry record from :class:`~codex_local_sdk.CodexLocalClient`.

    Fields that do not apply to an event type are ``None``. Never holds an API key, nor a
    prompt unless the client was made with ``capture_prompts=True`` (then
    ``operation.started`` carries it as ``data["prompt"]``): ``command`` is the argv, which
    carries neither. Treat it as read-only; it is not frozen only because one is built for
    every event of a live run, and a frozen attrs class costs about three times as much to
    build.

    codex-local-sdk-python 0.1.4's names read the same fields: :attr:`retry_delay_seconds`,
    :attr:`message` and :attr:`metadata`; its constructor calls work too (those keywords,
    and positional arguments in its order: ``type, operation, attempt, command,
    session_name, session_id, delay_seconds, return_code, turn_status, duration_seconds,
    error, data, timestamp``).

    Attributes:
        type: one of :data:`CLIENT_EVENT_TYPES`.
        operation: the client method that emitted it (``run``, ``resume``, ``run_live``...).
        operation_id: the same for every event of one call (``operation.started`` to
            ``operation.finished``) and different for every call, so a sink groups the
            attempts of one call even when calls overlap.
        timestamp: wall-clock time (seconds since the epoch) from the client's clock.
        attempt: the 1-based attempt number (for a retry event, the attempt that failed).
        command: the argv of the attempt.
        return_code: the exit code, once known.
        turn_status: the turn status, once known.
        duration_seconds: how long the attempt took.
        delay_seconds: for ``retry.scheduled`` and ``live.startup_retried``, the wait
            before the next attempt.
        error: a short description of what went wrong.
        session_name: the named session involved, if any.
        session_id: the thread id involved, if known.
        event: for ``live.event``, the :class:`CodexEvent`.
        data: extra fields: ``next_attempt`` for the retry events, ``pid`` for
            ``live.started``, the record's counters for ``session.updated``,
            ``max_concurrent_runs`` and ``started`` for ``run.queued`` (its wait is
            ``duration_seconds``), ``failure_kind`` for a failed attempt's ``attempt.failed``,
            ``retry.scheduled`` and ``live.startup_failed``, and ``abandoned_thread_id`` for the
            first two when a failed attempt of a new thread got a thread id. For
            ``operation.started``: ``model`` and ``model_provider`` (each when the request
            sets it), and ``prompt`` with ``capture_prompts=True``. For
            ``operation.finished``: ``succeeded``, ``failure_kind`` when it did not,
            ``input_tokens`` and ``output_tokens`` of the turn's own usage (its
            ``turn_usage``) when known, and ``error_type`` when the call raised. For
            ``thread.restored`` and ``thread.archived`` (a ``ThreadArchive`` copied the
            rollout of thread ``session_id`` in or out, in ``duration_seconds``): ``bytes``;
            for ``thread.lease_waited`` (another worker held the thread; the wait is
            ``duration_seconds``): ``taken``, whether the lease came free in time.
    """

    type: str
    operation: str
    timestamp: float
    attempt: int | None = None
    command: tuple[str, ...] = ()
    return_code: int | None = None
    turn_status: str | None = None
    duration_seconds: float | None = None
    delay_seconds: float | None = None
    error: str | None = None
    session_name: str | None = None
    session_id: str | None = None
    event: CodexEvent | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict)
    operation_id: str | None = None

    @property
    def retry_delay_seconds(self) -> float | None:
        """:attr:`delay_seconds`, under codex-local-sdk-python 0.1.4's name for it."""
        return self.delay_seconds

    @property
    def message(self) -> str | None:
        """:attr:`error`, under codex-local-sdk-python 0.1.4's name for it."""
        return self.error

    @property
    def metadata(self) -> Mapping[str, Any]:
        """:attr:`data`, under codex-local-sdk-python 0.1.4's name for it (which held the
        ``pid`` and the session counters there too)."""
        return self.data
