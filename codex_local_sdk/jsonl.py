"""stdout bytes -> lines -> :class:`CodexEvent`, and events -> a run's summary.

Pure and incremental: :class:`LineFramer` cuts a byte stream into lines of any length,
:func:`parse_line` decodes one line, and :class:`OutputCollector` folds a run's lines into
the fields of a :class:`~codex_local_sdk.models.CodexExecResult`. Runners and the client
feed them; nothing here touches a pipe or a clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

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

    With ``keep_output=False`` only the summary and the non-JSON lines are kept, so memory
    stays flat however many events pass through (live runs hand their events to the caller).
    """

    def __init__(self, *, json_output: bool = True, keep_output: bool = True) -> None:
        self.json_output = json_output
        self.keep_output = keep_output
        self.events: list[CodexEvent] = []
        self.unparsed_lines: list[str] = []
        self.summary = EventSummary()
        self._stdout: list[str] = []

    def add_line(self, line: bytes) -> CodexEvent | None:
        """Take one stdout line; return its event when it is one."""
        if self.keep_output or not self.json_output:
            self._stdout.append(line.decode("utf-8", errors="replace"))
        if not self.json_output:
            return None
        event = parse_line(line)
        if event is None:
            if line.strip():
                self.unparsed_lines.append(line.decode("utf-8", errors="replace"))
            return None
        if self.keep_output:
            self.events.append(event)
        self.summary.add(event)
        return event

    @property
    def stdout(self) -> str:
        """Everything seen so far, one ``\\n`` after each line."""
        return "\n".join([*self._stdout, ""]) if self._stdout else ""  # no per-line copies
