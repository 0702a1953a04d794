"""A run's three time limits, and what counts as progress against the two that watch for a stall.

``timeout_seconds`` bounds the whole attempt. ``idle_timeout_seconds`` ends an attempt that
made no progress for that long, and ``first_event_timeout_seconds`` one that made none at all
since it started. Progress is an item event (``item.started``, ``item.updated``,
``item.completed``) or the turn's end (``turn.completed``, ``turn.failed``): a CLI whose
provider is unreachable prints ``thread.started``, ``turn.started`` and then ``error`` events
("Reconnecting...") for ever, and none of those shows that the turn moves. Without JSON output
there are no events to judge, so every stdout line counts.
"""

from __future__ import annotations

import math

import attrs

TIMEOUT_KINDS = ("total", "idle", "first_event")
"""The values of :attr:`CodexTimeoutError.timeout_kind <codex_local_sdk.errors.CodexTimeoutError>`."""

PROGRESS_EVENT_TYPES = frozenset(
    {"item.started", "item.updated", "item.completed", "turn.completed", "turn.failed"}
)
"""The event types that show a turn moving."""

_NAMES = {
    "total": "timeout_seconds",
    "idle": "idle_timeout_seconds",
    "first_event": "first_event_timeout_seconds",
}


def check_seconds(name: str, value: float | None) -> None:
    """Check one limit: ``None`` or a finite number > 0.

    Raises:
        TypeError: ``value`` is not a number.
        ValueError: ``value`` is not finite, or not > 0.
    """
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r} (None means no timeout)")


@attrs.frozen
class Timeouts:
    """The limits of one run, each ``None`` for none.

    Attributes:
        total: ``timeout_seconds``: the whole attempt.
        idle: ``idle_timeout_seconds``: the longest time without progress.
        first_event: ``first_event_timeout_seconds``: the longest time before the first progress.
    """

    total: float | None = None
    idle: float | None = None
    first_event: float | None = None

    def __attrs_post_init__(self) -> None:
        for kind in TIMEOUT_KINDS:
            check_seconds(_NAMES[kind], self.seconds(kind))

    def seconds(self, kind: str | None) -> float | None:
        """The limit of ``kind`` (``"total"``, ``"idle"``, ``"first_event"``); ``None`` for none."""
        if kind == "idle":
            return self.idle
        if kind == "first_event":
            return self.first_event
        return self.total if kind == "total" else None

    @property
    def watch_progress(self) -> bool:
        """Whether an attempt must watch its output for progress (an idle or first-event limit)."""
        return self.idle is not None or self.first_event is not None

    def over(self, defaults: Timeouts) -> Timeouts:
        """These limits, each ``None`` one taken from ``defaults`` (the client's)."""
        return Timeouts(
            self.total if self.total is not None else defaults.total,
            self.idle if self.idle is not None else defaults.idle,
            self.first_event if self.first_event is not None else defaults.first_event,
        )


class StallWatch:
    """Watches one attempt for a stall: the idle or first-event limit passing without progress.

    Args:
        timeouts: the attempt's limits.
        started_at: when the attempt started (monotonic).
        json_output: whether stdout is JSONL (else every non-blank line is progress).
    """

    def __init__(self, timeouts: Timeouts, started_at: float, *, json_output: bool) -> None:
        self._timeouts = timeouts
        self._started_at = started_at
        self._json_output = json_output
        self._last_progress: float | None = None

    @property
    def watching(self) -> bool:
        """Whether an idle or first-event limit is set (else :meth:`saw` need not be told)."""
        return self._timeouts.watch_progress

    def saw(self, line: bytes, event_type: str | None, now: float) -> None:
        """A stdout line was read at ``now``, with its event's type if it was one."""
        progress = event_type in PROGRESS_EVENT_TYPES if self._json_output else bool(line.strip())
        if progress:
            self._last_progress = now

    def due(self) -> tuple[float, str] | None:
        """When the idle or first-event limit falls due (monotonic time) and which, the earlier
        first; ``None`` without either."""
        due: list[tuple[float, str]] = []
        if self._timeouts.first_event is not None and self._last_progress is None:
            due.append((self._started_at + self._timeouts.first_event, "first_event"))
        if self._timeouts.idle is not None:
            since = self._started_at if self._last_progress is None else self._last_progress
            due.append((since + self._timeouts.idle, "idle"))
        return min(due) if due else None

    def stalled(self, now: float) -> str | None:
        """The kind of the limit that has passed at ``now`` (``"idle"``, ``"first_event"``), if any."""
        due = self.due()
        return due[1] if due is not None and now >= due[0] else None
