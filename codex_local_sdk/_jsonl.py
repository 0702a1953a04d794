"""stdout bytes -> lines -> :class:`CodexEvent`, and events -> a run's summary.

Pure and incremental: :class:`LineFramer` cuts a byte stream into lines of any length,
:func:`parse_line` decodes one line, and :class:`OutputCollector` folds a run's lines into
the fields of a :class:`~codex_local_sdk.models.CodexExecResult`. Runners and the client
feed them; nothing here touches a pipe or a clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from .events import CodexEvent
from .models import Usage


class LineFramer:
    """Cuts a byte stream into lines, whatever the chunk boundaries and line lengths.

    >>> framer = LineFramer()
    >>> framer.feed(b'{"a": 1}\\n{"b"')
    [b'{"a": 1}']
    >>> framer.feed(b': 2}\\n')
    [b'{"b": 2}']
    >>> framer.flush()
    []
    """

    def __init__(self) -> None:
        self._partial: list[bytes] = []

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines that ``chunk`` completes, without their line endings."""
        if b"\n" not in chunk:
            if chunk:
                self._partial.append(chunk)
            return []
        lines = chunk.split(b"\n")
        if self._partial:
            lines[0] = b"".join([*self._partial, lines[0]])
            self._partial = []
        last = lines.pop()
        if last:
            self._partial.append(last)
        return [line[:-1] if line.endswith(b"\r") else line for line in lines]

    def flush(self) -> list[bytes]:
        """The last line, when the stream ended without a newline."""
        if not self._partial:
            return []
        line = b"".join(self._partial)
        self._partial = []
        return [line]


_decode_json = json.JSONDecoder().decode  # skips json.loads' per-call encoding detection


def parse_line(line: bytes | str) -> CodexEvent | None:
    """Decode one stdout line; ``None`` when it is not a JSON object (blank lines included)."""
    try:
        obj = _decode_json(line.decode("utf-8") if isinstance(line, bytes) else line)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
    return CodexEvent.from_json_object(obj) if isinstance(obj, dict) else None


class EventSummary:
    """Folds events, one at a time, into thread id, final message, turn status and usage."""

    def __init__(self) -> None:
        self.thread_id: str | None = None
        self.final_message: str | None = None
        self.turn_status: str | None = None
        self.usage: Usage | None = None
        self.error_message: str | None = None

    def add(self, event: CodexEvent) -> None:
        """Take one event into account."""
        kind = event.type
        if kind == "thread.started":
            self.thread_id = self.thread_id or event.thread_id
        elif kind == "item.completed":
            item = event.item
            if item is not None and item.get("type") == "agent_message":
                self.final_message = event.text
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

    Args:
        json_output: whether stdout is JSONL; if not, it is kept as text only.
    """

    def __init__(self, *, json_output: bool = True) -> None:
        self.json_output = json_output
        self.events: list[CodexEvent] = []
        self.unparsed_lines: list[str] = []
        self.summary = EventSummary()
        self.stdout = ""
        """Everything read, one ``\\n`` after each line; set by :meth:`finish`."""
        self._raw = bytearray()
        self._parse_as_read = False
        self._keep = True

    @classmethod
    def live(cls, *, keep_events: bool) -> OutputCollector:
        """A collector that parses each line as it arrives (:meth:`add_line` returns its event).

        With ``keep_events=False`` only the summary and the non-JSON lines are kept, so
        memory stays flat however many events pass (the caller has them).
        """
        collector = cls()
        collector._parse_as_read = True
        collector._keep = keep_events
        return collector

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
        event = parse_line(line)
        if event is None:
            if line.strip():
                text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
                self.unparsed_lines.append(text)
            return None
        if self._keep:
            self.events.append(event)
        self.summary.add(event)
        return event


def _lines_of(text: str) -> Iterator[str]:
    """The lines of ``text``, which ends with ``\\n``, one at a time (no list of them all)."""
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield text[start:end]
        start = end + 1
