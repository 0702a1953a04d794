"""Line framing, event parsing and the events -> result fold (pure)."""

from __future__ import annotations

import json
import math
from typing import Any

import cattrs
import pytest

from codex_local_sdk._jsonl import LineFramer, OutputCollector, OverlongLine, parse_line, summarize
from codex_local_sdk.events import CodexEvent
from codex_local_sdk.models import Usage


@pytest.mark.parametrize(
    ("chunks", "lines"),
    [
        ([b"a\nb\n"], [b"a", b"b"]),
        ([b"a", b"b\n", b"c"], [b"ab", b"c"]),
        ([b"a\r\n", b"\n"], [b"a", b""]),
        ([b"x" * 100_000, b"y" * 100_000 + b"\n"], [b"x" * 100_000 + b"y" * 100_000]),
        ([b"", b"\n"], [b""]),
    ],
)
def test_framer_cuts_lines_at_any_chunk_boundary(chunks: list[bytes], lines: list[bytes]) -> None:
    framer = LineFramer()
    out = [line for chunk in chunks for line in framer.feed(chunk)] + framer.flush()
    assert out == lines


def overlong(lines: list[bytes]) -> list[int | bytes]:
    """The lines, each :class:`OverlongLine` shown as its limit."""
    return [line.limit if isinstance(line, OverlongLine) else line for line in lines]


def test_framer_reports_a_line_without_end_as_soon_as_it_passes_the_cap() -> None:
    framer = LineFramer(max_line_bytes=10)
    assert framer.feed(b"x" * 6) == []
    assert overlong(framer.feed(b"x" * 6)) == [10]  # 12 bytes and no newline yet: reported now
    for _ in range(1000):  # the rest of that line is dropped as it comes
        assert framer.feed(b"y" * 7) == []
        assert framer.pending_bytes <= 10
    assert framer.feed(b"end of it\nok\n") == [b"ok"]
    assert framer.feed(b"x" * 11) != [] and framer.flush() == []


@pytest.mark.parametrize(
    ("chunks", "lines"),
    [
        ([b"ok\n" + b"x" * 11 + b"\nfine\n"], [b"ok", 10, b"fine"]),  # a whole long line in one chunk
        ([b"x" * 6, b"x" * 5 + b"\nfine\n"], [10, b"fine"]),  # ended by the chunk that passes the cap
        ([b"a\n" + b"x" * 11], [b"a", 10]),  # an unfinished tail longer than the cap
        ([b"x" * 10 + b"\r\n", b"y" * 10], [b"x" * 10, b"y" * 10]),  # at the cap is fine; \r is not counted
    ],
)
def test_framer_puts_a_marker_in_place_of_each_overlong_line(
    chunks: list[bytes], lines: list[int | bytes]
) -> None:
    framer = LineFramer(max_line_bytes=10)
    assert overlong([line for chunk in chunks for line in framer.feed(chunk)] + framer.flush()) == lines


def test_overlong_line_marker_is_an_empty_line_to_code_that_does_not_know_it() -> None:
    marker = OverlongLine(64)
    assert isinstance(marker, bytes) and marker == b"" and marker.limit == 64
    assert "64" in repr(marker)


def test_framer_rejects_a_cap_below_one() -> None:
    with pytest.raises(ValueError, match="max_line_bytes"):
        LineFramer(max_line_bytes=0)


@pytest.mark.parametrize("line", [b"", b"   ", b"not json", b"[1, 2]", b"3", b"\xff\xfe", b'{"a":'])
def test_non_object_lines_are_not_events(line: bytes) -> None:
    assert parse_line(line) is None


def test_unknown_event_types_are_kept_whole() -> None:
    event = parse_line(b'{"type": "future.thing", "payload": {"x": 1}}')
    assert event is not None
    assert event.type == "future.thing"
    assert event.raw["payload"] == {"x": 1}


def test_typed_accessors() -> None:
    item = parse_line(b'{"type":"item.completed","item":{"type":"agent_message","text":"hi"}}')
    assert item is not None and (item.item_type, item.text) == ("agent_message", "hi")
    failed = parse_line(b'{"type":"turn.failed","error":{"message":"boom"}}')
    assert failed is not None and failed.error_message == "boom"
    usage = parse_line(b'{"type":"turn.completed","usage":{"input_tokens":3,"output_tokens":4,"new":1}}')
    assert usage is not None and usage.usage == Usage(input_tokens=3, output_tokens=4)
    bad_usage = parse_line(b'{"type":"turn.completed","usage":{"input_tokens":"many"}}')
    assert bad_usage is not None and bad_usage.usage is None


def _usage_as_cattrs_structured_it(value: dict[str, Any]) -> Usage | None:
    """How the event's usage was decoded when cattrs did it (unknown keys ignored)."""
    try:
        return cattrs.Converter(forbid_extra_keys=False).structure(value, Usage)
    except (cattrs.BaseValidationError, TypeError, ValueError):
        return None


@pytest.mark.parametrize(
    "count",
    [5, 0, -3, 10**30, 5.9, 1e30, "5", " 7 ", "1_000", True, None, "many", [1], {"a": 1}, math.inf, math.nan],
)
def test_usage_decodes_as_it_did_with_cattrs(count: object) -> None:
    usage = {"input_tokens": count, "output_tokens": 2, "unknown": "kept out"}
    event = CodexEvent.from_json_object({"type": "turn.completed", "usage": usage})
    assert event.usage == _usage_as_cattrs_structured_it(usage)


def events(*objs: dict[str, object]) -> list[bytes]:
    return [json.dumps(o).encode() for o in objs]


def test_summary_of_a_completed_turn() -> None:
    lines = events(
        {"type": "thread.started", "thread_id": "t-1"},
        {"type": "item.completed", "item": {"type": "agent_message", "text": "first"}},
        {"type": "item.completed", "item": {"type": "reasoning", "text": "hmm"}},
        {"type": "item.completed", "item": {"type": "agent_message", "text": "last"}},
        {"type": "turn.completed", "usage": {"input_tokens": 7}},
    )
    summary = summarize(e for e in map(parse_line, lines) if e is not None)
    assert (summary.thread_id, summary.final_message, summary.turn_status) == ("t-1", "last", "completed")
    assert summary.usage == Usage(input_tokens=7)


def test_summary_of_a_failed_turn_keeps_the_message() -> None:
    lines = events(
        {"type": "error", "message": "Reconnecting..."},
        {"type": "turn.failed", "error": {"message": "500 from provider"}},
    )
    summary = summarize(e for e in map(parse_line, lines) if e is not None)
    assert (summary.turn_status, summary.error_message) == ("failed", "500 from provider")


def test_collector_keeps_unparsed_lines_and_all_stdout() -> None:
    collector = OutputCollector()
    for line in [b'{"type":"turn.started"}', b"WARNING: something", b""]:
        assert collector.add_line(line) is None  # a finished run parses at the end
    assert collector.events == []
    assert collector.finish() == collector.stdout == '{"type":"turn.started"}\nWARNING: something\n\n'
    assert [e.type for e in collector.events] == ["turn.started"]
    assert collector.unparsed_lines == ["WARNING: something"]


def test_collector_replaces_invalid_utf8_and_keeps_going() -> None:
    collector = OutputCollector()
    for line in [b"\xff\xfe not text", b'{"type":"turn.completed","usage":{"input_tokens":1}}']:
        collector.add_line(line)
    assert collector.finish().startswith("\ufffd\ufffd not text\n")
    assert collector.unparsed_lines == ["\ufffd\ufffd not text"]
    assert collector.summary.turn_status == "completed"


def test_collector_without_json_output_parses_nothing() -> None:
    collector = OutputCollector(json_output=False)
    assert collector.add_line(b'{"type":"turn.started"}') is None
    assert collector.finish() == '{"type":"turn.started"}\n'
    assert collector.events == []
    assert collector.unparsed_lines == []


@pytest.mark.parametrize("keep_events", [True, False])
def test_live_collector_parses_as_it_reads(keep_events: bool) -> None:
    collector = OutputCollector.live(keep_events=keep_events)
    event = collector.add_line(b'{"type":"thread.started","thread_id":"t-1"}')
    assert event is not None and event.thread_id == collector.summary.thread_id == "t-1"
    assert collector.add_line(b"noise") is None
    assert collector.unparsed_lines == ["noise"]
    stdout = collector.finish()
    if keep_events:
        assert (stdout, collector.events) == ('{"type":"thread.started","thread_id":"t-1"}\nnoise\n', [event])
    else:
        assert (stdout, collector.events) == ("", [])


def test_a_live_event_keeps_its_line_byte_for_byte_and_a_finished_runs_does_not() -> None:
    line = '{ "type" : "item.completed",  "item":{"text":"caf\u00e9 é"}}'.encode()
    live = OutputCollector.live(keep_events=True)
    finished = OutputCollector()

    event = live.add_line(line)
    finished.add_line(line)
    finished.finish()

    assert event is not None and event.line == line
    assert finished.events == [event] and finished.events[0].line is None  # the line is not compared


@pytest.mark.parametrize("live", [False, True])
def test_collector_keeps_the_first_and_last_unparsed_lines_and_counts_the_rest(live: bool) -> None:
    collector = OutputCollector.live(keep_events=False, keep_unparsed_lines=3) if live else None
    collector = collector or OutputCollector(keep_unparsed_lines=3)
    for number in range(1000):
        collector.add_line(f"noise {number}".encode())
        collector.add_line(b'{"type":"turn.started"}')
    collector.finish()
    kept = [0, 1, 2, 997, 998, 999]
    assert collector.unparsed_lines == [f"noise {number}" for number in kept]
    assert collector.dropped_unparsed_lines == 1000 - len(kept)


def test_collector_with_few_unparsed_lines_keeps_them_all_in_order() -> None:
    collector = OutputCollector(keep_unparsed_lines=3)
    for number in range(5):
        collector.add_line(f"noise {number}".encode())
    collector.finish()
    assert collector.unparsed_lines == [f"noise {number}" for number in range(5)]
    assert collector.dropped_unparsed_lines == 0
