"""Shared fixtures: a client wired to ScriptedRunner + FakeClock + InMemorySessionStore."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pytest

from adapters.clock import FakeClock
from adapters.memory_store import InMemorySessionStore
from adapters.scripted_runner import ScriptedRun, ScriptedRunner
from adapters.sinks import CallbackSink
from codex_local_sdk import CodexClientEvent, CodexLocalClient


@attrs.define
class Harness:
    """A client under test, with its fakes and the telemetry it emitted."""

    client: CodexLocalClient
    runner: ScriptedRunner
    clock: FakeClock
    store: InMemorySessionStore
    events: list[CodexClientEvent]

    def event_types(self, *, exclude_live_events: bool = True) -> list[str]:
        return [e.type for e in self.events if not (exclude_live_events and e.type == "live.event")]


MakeHarness = Callable[..., Harness]


@pytest.fixture
def make_harness() -> MakeHarness:
    def make(script: Sequence[ScriptedRun] | Any, **client_options: Any) -> Harness:
        clock = FakeClock()
        runner = ScriptedRunner(script, clock=clock)
        store = client_options.pop("session_store", None) or InMemorySessionStore(clock=clock)
        events: list[CodexClientEvent] = []
        client = CodexLocalClient(
            runner=runner,
            clock=clock,
            session_store=store,
            event_sink=CallbackSink(events.append),
            **client_options,
        )
        return Harness(client, runner, clock, store, events)

    return make
