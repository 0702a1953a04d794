"""Shared fixtures: a client wired to ScriptedRunner + FakeClock + InMemorySessionStore, on
either driver: the client tests run once calling the sync API and once through its asyncio
twins (``mode``)."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, cast
from urllib.parse import quote

import attrs
import pytest

from adapters.clock import FakeClock
from adapters.memory_store import InMemorySessionStore
from adapters.scripted_runner import ScriptedRun, ScriptedRunner
from adapters.sinks import CallbackSink
from codex_local_sdk import AsyncCodexLiveRun, CodexClientEvent, CodexLocalClient, CodexThreadSession
from tests import postgres_server


class OnAsyncio:
    """Stands in for a client, a thread session or a live run with the same sync API, and
    runs every call through its asyncio twin on one event loop: ``run(...)`` is
    ``await run_async(...)``, an async live run's ``wait()`` is awaited, its
    ``iter_events()`` iterated with ``async for``, ``with`` is ``async with``. Names that
    already end in ``_async`` are passed through untouched."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name.endswith("_async") or not callable(value):
            return value
        twin = getattr(self._target, f"{name}_async", value)
        return lambda *args, **kwargs: self._wrap(twin(*args, **kwargs))

    def _wrap(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            value = self._loop.run_until_complete(value)
        if isinstance(value, tuple):
            return tuple(self._wrap(item) for item in value)
        if isinstance(value, (AsyncCodexLiveRun, CodexThreadSession)):
            return OnAsyncio(value, self._loop)
        if isinstance(value, AsyncIterator):
            return self._iterate(value)
        return value

    def _iterate(self, items: AsyncIterator[Any]) -> Iterator[Any]:
        while True:
            try:
                yield self._loop.run_until_complete(items.__anext__())
            except StopAsyncIteration:
                return

    def __enter__(self) -> Any:
        return self._wrap(self._target.__aenter__())

    def __exit__(self, *exc_info: Any) -> None:
        self._wrap(self._target.__aexit__(*exc_info))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Which driver the client tests go through: the sync API, or its asyncio twins."""
    return cast(str, request.param)


sync_only = pytest.mark.parametrize("mode", ["sync"])
"""For a test of the sync path itself (a sync run, or a call from inside the store as a signal
handler would make it): it runs in sync mode only."""


@pytest.fixture
def in_mode(mode: str) -> Iterator[Callable[[Any], Any]]:
    """``in_mode(client)``: the client itself in sync mode, an :class:`OnAsyncio` stand-in
    for it in async mode."""
    if mode == "sync":
        yield lambda target: target
        return
    loop = asyncio.new_event_loop()
    try:
        yield lambda target: OnAsyncio(target, loop)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@attrs.define
class Harness:
    """A client under test, with its fakes and the telemetry it emitted."""

    client: CodexLocalClient
    runner: ScriptedRunner
    clock: FakeClock
    store: InMemorySessionStore
    recorded: list[CodexClientEvent]

    @property
    def events(self) -> list[CodexClientEvent]:
        """The events emitted, without the ``operation.*`` pair around each call."""
        return [e for e in self.recorded if not e.type.startswith("operation.")]

    def event_types(self, *, exclude_live_events: bool = True, operations: bool = False) -> list[str]:
        """The types of the events emitted, without ``live.event`` (unless not
        ``exclude_live_events``) and without the ``operation.*`` pair around each call
        (unless ``operations``)."""
        return [
            e.type
            for e in self.recorded
            if not (exclude_live_events and e.type == "live.event")
            and (operations or not e.type.startswith("operation."))
        ]


MakeHarness = Callable[..., Harness]


@pytest.fixture
def make_harness(in_mode: Callable[[Any], Any]) -> MakeHarness:
    def make(script: Sequence[ScriptedRun] | Any, **client_options: Any) -> Harness:
        clock = FakeClock()
        runner_options = {
            name: client_options.pop(name) for name in ("version_output",) if name in client_options
        }
        runner = ScriptedRunner(script, clock=clock, **runner_options)
        store = client_options.pop("session_store", None) or InMemorySessionStore(clock=clock)
        events: list[CodexClientEvent] = []
        client = CodexLocalClient(
            runner=runner,
            clock=clock,
            session_store=store,
            event_sink=CallbackSink(events.append),
            **client_options,
        )
        return Harness(in_mode(client), runner, clock, store, events)

    return make


@pytest.fixture(scope="session")
def shared_postgres() -> Iterator[postgres_server.PostgresServer]:
    """A throwaway PostgreSQL server for every test of the run that needs one, started on first
    use (a few seconds) and removed at the end. Where PostgreSQL or psycopg is missing the test
    skips, saying how to get them; in CI it fails."""
    postgres_server.skip_unless_available()
    with postgres_server.throwaway_server(postgres_server.FAST) as running:
        yield running


@pytest.fixture
def postgres_database(shared_postgres: postgres_server.PostgresServer) -> str:
    """A new, empty database on the shared server, for one test: its ``postgresql://`` URL."""
    import psycopg
    from psycopg import sql

    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(shared_postgres.dsn, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"postgresql://postgres@/{name}?host={quote(str(shared_postgres.folder), safe='')}"
