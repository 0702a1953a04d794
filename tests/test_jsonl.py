"""Line framing, event parsing and the events -> result fold (pure)."""

from __future__ import annotations

import json

import pytest

from codex_local_sdk._jsonl import LineFramer, OutputCollector, parse_line, summarize
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
