"""The fault matrix: every entry point x every way a run can end early, on real processes.

Each cell starts the stand-in CLI (``tests/standins/codex_standin.py``), stops the run one
way, and checks the promises the SDK makes on every path:

- the call returns within a bound (a hang raises :class:`CellHung` instead of stalling the
  suite);
- no process of the CLI's group is left (the stand-in reports its pid, group and children);
- no file descriptor of this process is left open;
- the caller sees what the stop means (a status, or the exception that stopped it);
- a named session's record stays consistent: ``turn_count == success_count +
  failure_count``, a turn whose result the caller saw is recorded with its status, a live
  run left by an exception is recorded as interrupted, a non-live call so left not at all.

Entry points: ``run``, ``run_async``, ``run_live``, ``run_live_async`` (named: ``resume*``
with ``session_name``), ``continue_prompt`` and ``continue_live`` (on a session from
``start_thread``, with or without ``session_name``). How each stop maps to them:

- ``timeout``: ``timeout_seconds`` on the call, everywhere.
- ``terminate_same_thread``, ``kill``, ``close``: the handle's method, called by the loop
  that reads it (live entries only: the others return no handle).
- ``terminate_other_thread``: ``terminate()`` from another thread (``run_coroutine_threadsafe``
  for an async live run); for ``run_async``, the nearest: ``call_soon_threadsafe(task.cancel)``.
  A sync non-live call has no equivalent.
- ``terminate_signal_handler``: live: a handler that calls ``terminate()`` (``signal.signal``
  for sync, ``loop.add_signal_handler`` for async); ``run_async``: a loop signal handler that
  cancels the task; sync non-live: a handler that calls ``sys.exit`` (a "cancel job" handler).
- ``gc_without_close``: a live run dropped after its first event (live entries only).
- ``keyboard_interrupt``: a signal handler that raises ``KeyboardInterrupt``, everywhere.
- ``task_cancel``: ``task.cancel()`` on the task that awaits the call (async entries only).
- ``cli_sigkilled``, ``cli_closes_stdout_lingers``, ``cli_daemon_holds_pipes``: the CLI's
  doing, everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import attrs
import pytest

from codex_local_sdk import (
    AsyncCodexLiveRun,
    CodexExecRequest,
    CodexExecResult,
    CodexLiveRun,
    CodexLocalClient,
    CodexThreadSession,
)
from tests.test_subprocess_runner import group_alive

STANDIN = Path(__file__).parent / "standins" / "codex_standin.py"
NAME = "matrix"
GRACE_SECONDS = 0.5
TIMEOUTS_SECONDS = (0.5, 2.0, 6.0)
"""The ``timeout`` cells' limit, longer at each try: a loaded machine may start the stand-in
after the first one has passed, and a stand-in that never started leaves nothing to check."""
CELL_BOUND_SECONDS = 4.0
"""A cell that has not returned by then (plus its timeout) hangs: start-up, the 0.5 s grace,
the 0.1 s drain and a loaded machine's slack fit well within it."""
STOP_SIGNAL = signal.SIGUSR1
"""The signal the "signal handler" cells send themselves (SIGTERM in a CI job; SIGUSR1 here
so that a missing handler cannot end the test run)."""


class CellHung(BaseException):
    """A cell did not return within its bound (:data:`CELL_BOUND_SECONDS` and its timeout)."""


@attrs.frozen
class Entry:
    """One way in: ``kind`` says how it is driven, ``named`` whether a session records it."""

    name: str
    kind: str  # "sync", "async", "live", "async_live"
    named: bool
    via_session: bool  # continue_prompt / continue_live on a CodexThreadSession

    @property
    def id(self) -> str:
        return f"{self.name}[named]" if self.named else self.name


ENTRIES = [
    Entry(name, kind, named, via_session)
    for name, kind, via_session in [
        ("run", "sync", False),
        ("run_async", "async", False),
        ("run_live", "live", False),
        ("run_live_async", "async_live", False),
        ("continue_prompt", "sync", True),
        ("continue_live", "live", True),
    ]
    for named in (False, True)
]

# Stop -> the stand-in's mode for it.
STOPS = {
    "timeout": "hang",
    "terminate_same_thread": "hang",
    "terminate_other_thread": "hang",
    "terminate_signal_handler": "hang",
    "kill": "hang",
    "close": "hang",
    "gc_without_close": "hang",
    "keyboard_interrupt": "hang",
    "task_cancel": "hang",
    "cli_sigkilled": "hang",
    "cli_closes_stdout_lingers": "linger",
    "cli_daemon_holds_pipes": "daemon",
}

OUTSIDE_STOPS = {
    "task_cancel", "terminate_other_thread", "terminate_signal_handler", "keyboard_interrupt", "cli_sigkilled"
}  # fmt: skip
HANDLE_ONLY = {"terminate_same_thread", "kill", "close", "gc_without_close"}
ASYNC_ONLY = {"task_cancel"}


def not_applicable(entry: Entry, stop: str) -> str | None:
    """Why ``stop`` does not apply to ``entry`` (``None``: it does)."""
    live = entry.kind in {"live", "async_live"}
    if stop in HANDLE_ONLY and not live:
        return f"{entry.name} returns no handle (to terminate, kill, close or drop)"
    if stop in ASYNC_ONLY and entry.kind not in {"async", "async_live"}:
        return "a sync call has no task to cancel (keyboard_interrupt is its twin)"
    if stop == "terminate_other_thread" and entry.kind == "sync":
        return f"{entry.name} blocks its thread and has no handle another thread could stop"
    return None


def cells() -> Iterator[Any]:
    for entry in ENTRIES:
        for stop in STOPS:
            reason = not_applicable(entry, stop)
            marks = [pytest.mark.skip(reason=reason)] if reason is not None else []
            yield pytest.param(entry, stop, marks=marks, id=f"{entry.id}-{stop}")


# -- what a cell observes ------------------------------------------------------------------


@attrs.define
class Outcome:
    """What the caller saw: a result, or the exception the call raised (or neither, when
    the caller dropped the handle)."""

    result: CodexExecResult | None = None
    raised: BaseException | None = None


@attrs.define
class Cell:
    """One cell's plumbing: the client, the report file, and the run's handle once known."""

    client: CodexLocalClient
    report: Path
    timeout_seconds: float | None = None
    handle: list[CodexLiveRun | AsyncCodexLiveRun] = attrs.Factory(list)

    def prompt(self, mode: str) -> str:
        return f"{mode} {self.report}"

    def facts(self) -> dict[str, Any]:
        return dict(json.loads(self.report.read_text()))

    def wait_started(self) -> dict[str, Any]:
        """The stand-in's report, once it started (just before its first event)."""
        while not self.report.exists():
            time.sleep(0.005)
        return self.facts()


@pytest.fixture(scope="session")
def codex_bin(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The stand-in as an executable, on this interpreter in isolated mode (fast start)."""
    path = tmp_path_factory.mktemp("standin") / "codex"
    path.write_text(f"#!{sys.executable} -I\n" + STANDIN.read_text())
    path.chmod(0o755)
    return str(path)


def open_fds() -> dict[int, str]:
    fds = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            fds[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # the listing's own descriptor, closed by now
            continue
    return fds


@pytest.fixture
def stop_signal() -> Iterator[Callable[[Callable[[], None]], None]]:
    """Install a handler for :data:`STOP_SIGNAL` (restored afterwards)."""
    previous = signal.getsignal(STOP_SIGNAL)

    def install(action: Callable[[], None]) -> None:
        signal.signal(STOP_SIGNAL, lambda signum, frame: action())

    yield install
    signal.signal(STOP_SIGNAL, previous)


def in_thread(action: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


# -- the entry points, driven ---------------------------------------------------------------


def prepare(entry: Entry, cell: Cell) -> CodexThreadSession | None:
    """A thread to continue, for the entries that need one (a turn that completes)."""
    if not (entry.named or entry.via_session):
        return None
    session, result = cell.client.start_thread(
        cell.prompt("complete"), session_name=NAME if entry.named else None
    )
    assert result.succeeded
    cell.report.unlink()
    return session


def start_sync(entry: Entry, client: CodexLocalClient, session: CodexThreadSession | None, prompt: str,
               timeout: float | None) -> CodexExecResult:  # fmt: skip
    if entry.via_session:
        assert session is not None
        return session.continue_prompt(prompt, timeout_seconds=timeout)
    if entry.named:
        return client.resume(prompt, session_name=NAME, timeout_seconds=timeout)
    return client.run(CodexExecRequest(prompt=prompt), timeout_seconds=timeout)


async def start_async(entry: Entry, client: CodexLocalClient, prompt: str,
                      timeout: float | None) -> CodexExecResult:  # fmt: skip
    if entry.named:
        return await client.resume_async(prompt, session_name=NAME, timeout_seconds=timeout)
    return await client.run_async(CodexExecRequest(prompt=prompt), timeout_seconds=timeout)


def start_live(entry: Entry, client: CodexLocalClient, session: CodexThreadSession | None, prompt: str,
               timeout: float | None) -> CodexLiveRun:  # fmt: skip
    if entry.via_session:
        assert session is not None
        return session.continue_live(prompt, timeout_seconds=timeout)
    if entry.named:
        return client.resume_live(prompt, session_name=NAME, timeout_seconds=timeout)
    return client.run_live(CodexExecRequest(prompt=prompt), timeout_seconds=timeout)


async def start_async_live(entry: Entry, client: CodexLocalClient, prompt: str,
                           timeout: float | None) -> AsyncCodexLiveRun:  # fmt: skip
    if entry.named:
        return await client.resume_live_async(prompt, session_name=NAME, timeout_seconds=timeout)
    return await client.run_live_async(CodexExecRequest(prompt=prompt), timeout_seconds=timeout)


def caught(call: Callable[[], CodexExecResult]) -> Outcome:
    try:
        return Outcome(result=call())
    except (KeyboardInterrupt, SystemExit, asyncio.CancelledError) as exc:
        return Outcome(raised=exc)


def drive_sync(entry: Entry, stop: str, cell: Cell, session: CodexThreadSession | None,
               on_signal: Callable[[Callable[[], None]], None]) -> Outcome:  # fmt: skip
    timeout = cell.timeout_seconds
    prompt = cell.prompt(STOPS[stop])
    if stop == "terminate_signal_handler":  # the nearest: a handler that ends the program
        on_signal(lambda: sys.exit(143))
    if stop == "keyboard_interrupt":
        on_signal(raise_keyboard_interrupt)
    helper = outside_stop(stop, cell, live=False)
    outcome = caught(lambda: start_sync(entry, cell.client, session, prompt, timeout))
    if helper is not None:
        helper.join(CELL_BOUND_SECONDS)
    return outcome


def raise_keyboard_interrupt() -> None:
    raise KeyboardInterrupt


def outside_stop(stop: str, cell: Cell, *, live: bool) -> threading.Thread | None:
    """Start the thread that stops the run from outside the calling thread, if ``stop`` does."""

    def signal_me() -> None:
        cell.wait_started()
        if live:  # a handler that waited for the handle in the thread that makes it would hang
            wait_for_handle(cell)
        os.kill(os.getpid(), STOP_SIGNAL)

    def sigkill_the_cli() -> None:
        os.kill(cell.wait_started()["pid"], signal.SIGKILL)

    def terminate() -> None:
        wait_for_handle(cell).terminate()

    action = {
        "terminate_signal_handler": signal_me,
        "keyboard_interrupt": signal_me,
        "cli_sigkilled": sigkill_the_cli,
        "terminate_other_thread": terminate,
    }.get(stop)
    return in_thread(action) if action is not None else None


def wait_for_handle(cell: Cell) -> Any:
    while not cell.handle:
        time.sleep(0.005)
    return cell.handle[0]


def drive_live(entry: Entry, stop: str, cell: Cell, session: CodexThreadSession | None,
               on_signal: Callable[[Callable[[], None]], None]) -> Outcome:  # fmt: skip
    timeout = cell.timeout_seconds
    prompt = cell.prompt(STOPS[stop])
    if stop == "terminate_signal_handler":
        on_signal(lambda: wait_for_handle(cell).terminate())
    if stop == "keyboard_interrupt":
        on_signal(raise_keyboard_interrupt)
    if stop == "gc_without_close":
        run = start_live(entry, cell.client, session, prompt, timeout)
        next(iter(run.iter_events()))
        del run
        gc.collect()
        return Outcome()
    helper = outside_stop(stop, cell, live=True)

    def consume() -> CodexExecResult:
        with start_live(entry, cell.client, session, prompt, timeout) as run:
            cell.handle.append(run)
            for event in run.iter_events():
                if event.type != "turn.started":
                    continue
                if stop == "terminate_same_thread":
                    run.terminate()
                elif stop == "kill":
                    run.kill()
                elif stop == "close":
                    run.close()
                    break
            return run.result()

    outcome = caught(consume)
    if helper is not None:
        helper.join(CELL_BOUND_SECONDS)
    return outcome


def drive_async(entry: Entry, stop: str, cell: Cell) -> Outcome:
    """Both async entry kinds: the call runs in a task of a fresh loop."""
    timeout = cell.timeout_seconds
    prompt = cell.prompt(STOPS[stop])

    async def live() -> CodexExecResult | None:
        run = await start_async_live(entry, cell.client, prompt, timeout)
        if stop == "gc_without_close":
            await run.iter_events().__anext__()
            del run
            gc.collect()
            return None
        async with run:
            cell.handle.append(run)
            async for event in run.iter_events():
                if event.type != "turn.started":
                    continue
                if stop == "terminate_same_thread":
                    await run.terminate()
                elif stop == "kill":
                    await run.kill()
                elif stop == "close":
                    await run.close()
                    break
            return await run.result()

    async def scenario() -> CodexExecResult | None:
        loop = asyncio.get_running_loop()
        call: Awaitable[CodexExecResult | None] = (
            live() if entry.kind == "async_live" else start_async(entry, cell.client, prompt, timeout)
        )
        task = asyncio.ensure_future(call)
        await async_stop(stop, cell, task, loop, live=entry.kind == "async_live")
        return await task

    try:
        return Outcome(result=asyncio.run(scenario()))
    except (KeyboardInterrupt, asyncio.CancelledError) as exc:
        return Outcome(raised=exc)


async def async_stop(
    stop: str, cell: Cell, task: asyncio.Future[Any], loop: asyncio.AbstractEventLoop, *, live: bool
) -> None:
    """Stop the run as ``stop`` says, from outside the task; return at once for the others."""
    if stop not in OUTSIDE_STOPS:
        return
    facts = await asyncio.to_thread(cell.wait_started)
    while live and not cell.handle:  # the handle comes with the first event, just after the report
        await asyncio.sleep(0.005)
    if stop == "task_cancel":
        task.cancel()
    elif stop == "cli_sigkilled":
        os.kill(facts["pid"], signal.SIGKILL)
    elif stop == "keyboard_interrupt":
        signal.signal(STOP_SIGNAL, lambda signum, frame: raise_keyboard_interrupt())
        os.kill(os.getpid(), STOP_SIGNAL)
    elif stop == "terminate_other_thread":
        await asyncio.to_thread(lambda: other_thread_stop(cell, task, loop))
    else:  # the asyncio way to handle a signal: a callback on the loop
        loop.add_signal_handler(STOP_SIGNAL, lambda: signal_stop(cell, task, loop))
        os.kill(os.getpid(), STOP_SIGNAL)


def other_thread_stop(cell: Cell, task: asyncio.Future[Any], loop: asyncio.AbstractEventLoop) -> None:
    """From a thread that is not the loop's: terminate the live run, or cancel the task."""
    if cell.handle:
        handle = cell.handle[0]
        assert isinstance(handle, AsyncCodexLiveRun)
        asyncio.run_coroutine_threadsafe(awaited(handle.terminate()), loop).result(CELL_BOUND_SECONDS)
    else:
        loop.call_soon_threadsafe(task.cancel)


async def awaited(awaitable: Awaitable[None]) -> None:
    await awaitable


def signal_stop(cell: Cell, task: asyncio.Future[Any], loop: asyncio.AbstractEventLoop) -> None:
    loop.remove_signal_handler(STOP_SIGNAL)
    if cell.handle:
        handle = cell.handle[0]
        assert isinstance(handle, AsyncCodexLiveRun)
        handle.terminate()  # acts at once; the wait for the end goes on in a task
    else:
        task.cancel()


# -- what each stop means to the caller -----------------------------------------------------


def expect(entry: Entry, stop: str, outcome: Outcome) -> None:
    """The caller saw what ``stop`` means on ``entry``."""
    live = entry.kind in {"live", "async_live"}
    raised = type(outcome.raised) if outcome.raised is not None else None
    status = outcome.result.turn_status if outcome.result is not None else None
    if stop == "gc_without_close":
        assert outcome == Outcome()
    elif stop == "keyboard_interrupt":
        assert raised is KeyboardInterrupt
    elif stop == "task_cancel" or (entry.kind == "async" and stop.startswith("terminate_")):
        assert raised is asyncio.CancelledError
    elif stop == "terminate_signal_handler" and not live:
        assert raised is SystemExit
    elif stop == "cli_sigkilled":
        assert outcome.result is not None and outcome.result.return_code == -9, outcome
        assert not outcome.result.succeeded
    elif stop == "cli_closes_stdout_lingers":  # ended after the grace: a timeout, the turn kept
        assert outcome.result is not None and outcome.result.timed_out, outcome
        assert (status, outcome.result.final_message) == ("completed", "done")
    elif stop == "cli_daemon_holds_pipes":  # the daemon left the group: the run ends as usual
        assert outcome.result is not None and outcome.result.succeeded, outcome
    else:
        expected = {"timeout": "timed_out", "kill": "killed", "close": "interrupted"}.get(stop, "terminated")
        assert status == expected, outcome


def check_record(entry: Entry, stop: str, client: CodexLocalClient, outcome: Outcome) -> None:
    """The named session's record: counters add up, a seen result is its last turn, and a live
    run left by an exception is recorded as interrupted by its block's close."""
    record = client.get_session_record(NAME)
    assert record is not None
    assert record.turn_count == record.success_count + record.failure_count
    turns = [(t.turn_status, t.succeeded) for t in record.turns[1:]]  # after the one that started it
    if outcome.result is not None:
        assert turns == [(outcome.result.turn_status, outcome.result.succeeded)]
    elif stop == "gc_without_close":
        assert turns in ([], [("interrupted", False)])
    elif entry.kind in {"live", "async_live"}:
        assert turns == [("interrupted", False)]
    else:
        assert turns == []


@pytest.mark.parametrize(("entry", "stop"), list(cells()))
def test_the_call_returns_and_leaves_nothing_behind(
    entry: Entry,
    stop: str,
    codex_bin: str,
    tmp_path: Path,
    stop_signal: Callable[[Callable[[], None]], None],
) -> None:
    for timeout in TIMEOUTS_SECONDS if stop == "timeout" else (None,):
        client = CodexLocalClient(
            codex_bin=codex_bin, raise_on_error=False, terminate_grace_seconds=GRACE_SECONDS
        )
        cell = Cell(client, tmp_path / f"report-{timeout}.json", timeout_seconds=timeout)
        if play(entry, stop, cell, stop_signal):
            return
    pytest.fail(f"the stand-in never started within the longest timeout, {TIMEOUTS_SECONDS[-1]} s")


def play(entry: Entry, stop: str, cell: Cell, stop_signal: Callable[[Callable[[], None]], None]) -> bool:
    """Run one cell and check it; ``False`` when a timeout ended the run before the stand-in
    started (nothing to check: try a longer one)."""
    session = prepare(entry, cell)
    gc.collect()
    fds_before = open_fds()
    facts: dict[str, Any] = {}
    try:
        with guarded(CELL_BOUND_SECONDS + (cell.timeout_seconds or 0)):
            if entry.kind == "sync":
                outcome = drive_sync(entry, stop, cell, session, stop_signal)
            elif entry.kind == "live":
                outcome = drive_live(entry, stop, cell, session, stop_signal)
            else:
                outcome = drive_async(entry, stop, cell)
        expect(entry, stop, outcome)
        if stop == "timeout" and not cell.report.exists():
            return False
        facts = cell.facts()
        assert not group_alive(facts["pgid"]), f"the CLI's group {facts['pgid']} outlived the call"
        cell.handle.clear()
        outcome.raised = None  # its traceback holds the run's frames
        gc.collect()
        leaked = {fd: target for fd, target in open_fds().items() if fds_before.get(fd) != target}
        assert not leaked, f"descriptors left open: {leaked}"
        if entry.named:
            check_record(entry, stop, cell.client, outcome)
    finally:
        facts = facts or (cell.facts() if cell.report.exists() else {})
        reap(facts)
    return True


class guarded:
    """The cell's hang guard: :class:`CellHung` in the main thread after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        signal.signal(signal.SIGALRM, self._hung)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc_info: object) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    def _hung(self, signum: int, frame: FrameType | None) -> None:
        raise CellHung(f"the cell did not return within {self.seconds} s")


def reap(facts: dict[str, Any]) -> None:
    """Leave nothing behind, whatever the cell found: the group and the daemon, if any."""
    if facts.get("daemon"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(facts["daemon"], signal.SIGKILL)
    if facts.get("pgid"):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(facts["pgid"], signal.SIGKILL)
