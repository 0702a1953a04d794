"""stdout bytes -> lines -> :class:`CodexEvent`, and events -> a run's summary.

Pure and incremental: :class:`LineFramer` cuts a byte stream into lines of any length,
:func:`parse_line` decodes one line, and :class:`OutputCollector` folds a run's lines into
the fields of a :class:`~codex_local_sdk.results.CodexExecResult`. Runners and the client
feed them; nothing here touches a pipe or a clock.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Iterable, Iterator

from .activity import ITEM_EVENT_TYPES, ItemLog
from .events import CodexEvent, Usage

DEFAULT_MAX_LINE_BYTES = 64 << 20
"""The default cap on one stdout line (64 MiB): far above any event the CLI prints."""

KEPT_UNPARSED_LINES = 100
"""How many non-JSON lines a result keeps at each end of the output: the first 100 and the
last 100; the ones between are only counted."""


class OverlongLine(bytes):
    """Stands, in a list of stdout lines, for a line longer than the runner's cap.

    It is an empty ``bytes`` (so code that does not know it sees a blank line, which is
    skipped), carrying the cap it passed in :attr:`limit`. :class:`LineFramer` puts one in
    place of each overlong line, as soon as the line passes the cap, and drops the rest of
    that line.

    Args:
        limit: the cap, in bytes, that the line passed.

    Attributes:
        limit: the cap, in bytes, that the line passed.
    """

    limit: int

    def __new__(cls, limit: int) -> OverlongLine:
        marker = super().__new__(cls)
        marker.limit = limit
        return marker

    def __repr__(self) -> str:
        return f"OverlongLine(limit={self.limit})"


class LineFramer:
    """Cuts a byte stream into lines, whatever the chunk boundaries, keeping at most a cap.

    >>> framer = LineFramer()
    >>> framer.feed(b'{"a": 1}\\n{"b"')
    [b'{"a": 1}']
    >>> framer.feed(b': 2}\\n')
    [b'{"b": 2}']
    >>> framer.flush()
    []

    A line longer than ``max_line_bytes`` (its line ending not counted) comes out as one
    :class:`OverlongLine` the moment it passes the cap, even before it ends; the rest of it
    is dropped as it arrives, so the framer never holds more than the cap.

    Args:
        max_line_bytes: the cap on one line; ``None`` for no cap.

    Raises:
        ValueError: ``max_line_bytes`` is below 1.
    """

    def __init__(self, max_line_bytes: int | None = None) -> None:
        if max_line_bytes is not None and max_line_bytes < 1:
            raise ValueError(f"max_line_bytes must be >= 1 (or None for no cap), got {max_line_bytes}")
        self._limit = max_line_bytes
        self._partial: list[bytes] = []
        self._size = 0
        self._dropping = False  # inside a line already reported overlong: its rest is dropped

    @property
    def pending_bytes(self) -> int:
        """Bytes held for the line not ended yet (never more than ``max_line_bytes``)."""
        return self._size

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines that ``chunk`` completes, without their line endings."""
        if b"\n" not in chunk:
            if chunk and not self._dropping:
                self._partial.append(chunk)
                self._size += len(chunk)
                if self._limit is not None and self._size > self._limit:
                    return [self._overflow()]
            return []
        lines = chunk.split(b"\n")
        if self._dropping:
            del lines[0]  # the end of the overlong line, already reported
            self._dropping = False
        elif self._partial:
            lines[0] = b"".join([*self._partial, lines[0]])
        self._partial, self._size = [], 0
        last = lines.pop()
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
        limit = self._limit
        if limit is not None and lines and max(map(len, lines)) > limit:
            lines = [OverlongLine(limit) if len(line) > limit else line for line in lines]
        if last:
            self._partial.append(last)
            self._size = len(last)
            if limit is not None and self._size > limit:
                lines.append(self._overflow())
        return lines

    def flush(self) -> list[bytes]:
        """The last line, when the stream ended without a newline."""
        self._dropping = False
        if not self._partial:
            return []
        line = b"".join(self._partial)
        self._partial, self._size = [], 0
        return [line]

    def _overflow(self) -> OverlongLine:
        assert self._limit is not None
        self._partial, self._size = [], 0
        self._dropping = True
        return OverlongLine(self._limit)


_decode_json = json.JSONDecoder().decode  # skips json.loads' per-call encoding detection


def parse_line(line: bytes | str, *, keep_line: bool = False) -> CodexEvent | None:
    """Decode one stdout line; ``None`` when it is not a JSON object (blank lines included).
    With ``keep_line`` (a ``bytes`` line), the event keeps it in :attr:`CodexEvent.line`."""
    try:
        obj = _decode_json(line.decode("utf-8") if isinstance(line, bytes) else line)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
    if not isinstance(obj, dict):
        return None
    return CodexEvent.from_json_object(obj, line if keep_line and isinstance(line, bytes) else None)


class EventSummary:
    """Folds events, one at a time, into thread id, final message, turn status, usage and
    the latest object of each item."""

    def __init__(self) -> None:
        self.thread_id: str | None = None
        self.final_message: str | None = None
        self.turn_status: str | None = None
        self.usage: Usage | None = None
        self.error_message: str | None = None
        self.items = ItemLog()
        """The latest object of each item, by id (see :class:`~codex_local_sdk.activity.ItemLog`)."""
        self.events_seen = 0

    def add(self, event: CodexEvent) -> None:
        """Take one event into account."""
        self.events_seen += 1
        kind = event.type
        if kind in ITEM_EVENT_TYPES:
            item = event.item
            if item is not None:
                self.items.add(item)
                if kind == "item.completed" and item.get("type") == "agent_message":
                    text = item.get("text")
                    self.final_message = text if isinstance(text, str) else None
        elif kind == "thread.started":
            self.thread_id = self.thread_id or event.thread_id
        elif kind == "turn.completed":
            self.turn_status = "completed"
            self.usage = event.usage or self.usage
        elif kind == "turn.failed":
            self.turn_status = "failed"
            self.error_message = event.error_message or self.error_message
        elif kind == "error":
            self.error_message = event.error_message or self.error_message


def summarize(events: Iterable[CodexEvent]) -> EventSummary:
    """The summary of a finished list of events."""
    summary = EventSummary()
    for event in events:
        summary.add(event)
    return summary


class OutputCollector:
    """Collects one attempt's stdout: its text, its events, its non-JSON lines, its summary.

    This constructor is for a finished run (``run()``): its lines are kept as raw bytes and
    parsed once, by :meth:`finish`, so memory peaks near twice the output (the text and
    the events) rather than three times. A live run parses each line as it arrives:
    see :meth:`live`.

    Non-JSON lines are kept at both ends only (:attr:`unparsed_lines`); the ones between
    are counted in :attr:`dropped_unparsed_lines`, so a CLI that prints a million lines of
    noise costs no more than one that prints a few hundred.

    Args:
        json_output: whether stdout is JSONL; if not, it is kept as text only.
        keep_unparsed_lines: how many non-JSON lines to keep at each end.
    """

    def __init__(self, *, json_output: bool = True, keep_unparsed_lines: int = KEPT_UNPARSED_LINES) -> None:
        self.json_output = json_output
        self.events: list[CodexEvent] = []
        self.summary = EventSummary()
        self.dropped_unparsed_lines = 0
        """Non-JSON lines seen between the first and the last ``keep_unparsed_lines``, not kept."""
        self._unparsed_head: list[str] = []
        self._unparsed_tail: collections.deque[str] = collections.deque(maxlen=keep_unparsed_lines)
        self._keep_unparsed = keep_unparsed_lines
        self.stdout = ""
        """Everything read, one ``\\n`` after each line; set by :meth:`finish`."""
        self._raw = bytearray()
        self._parse_as_read = False
        self._keep = True

    @classmethod
    def live(cls, *, keep_events: bool, keep_unparsed_lines: int = KEPT_UNPARSED_LINES) -> OutputCollector:
        """A collector that parses each line as it arrives (:meth:`add_line` returns its event).

        With ``keep_events=False`` only the summary and the first and last non-JSON lines
        are kept, so memory stays flat however many lines pass (the caller has the events).
        """
        collector = cls(keep_unparsed_lines=keep_unparsed_lines)
        collector._parse_as_read = True
        collector._keep = keep_events
        return collector

    @property
    def unparsed_lines(self) -> list[str]:
        """The first and the last ``keep_unparsed_lines`` non-blank non-JSON lines, in order."""
        return [*self._unparsed_head, *self._unparsed_tail]

    def add_line(self, line: bytes) -> CodexEvent | None:
        """Take one stdout line; return its event when this is a live collector and it is one."""
        if self._keep:
            self._raw += line
            self._raw += b"\n"
        return self._add(line) if self._parse_as_read else None

    def finish(self) -> str:
        """Parse what was kept for the end, set and return :attr:`stdout`."""
        stdout = self._raw.decode("utf-8", errors="replace")
        self._raw = bytearray()  # freed before the events are built from the text
        if not self._parse_as_read:
            for line in _lines_of(stdout):
                self._add(line)
        self.stdout = stdout
        return stdout

    def _add(self, line: bytes | str) -> CodexEvent | None:
        if not self.json_output:
            return None
        event = parse_line(line, keep_line=self._parse_as_read)
        if event is None:
            if line.strip():
                self._keep_unparsed_line(line)
            return None
        if self._keep:
            self.events.append(event)
        self.summary.add(event)
        return event

    def _keep_unparsed_line(self, line: bytes | str) -> None:
        text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
        if len(self._unparsed_head) < self._keep_unparsed:
            self._unparsed_head.append(text)
            return
        if len(self._unparsed_tail) == self._keep_unparsed:
            self.dropped_unparsed_lines += 1  # the oldest of the tail falls out
        self._unparsed_tail.append(text)


def _lines_of(text: str) -> Iterator[str]:
    """The lines of ``text``, which ends with ``\\n``, one at a time (no list of them all)."""
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield text[start:end]
        start = end + 1
