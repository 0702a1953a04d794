"""The client's side of a thread archive, on fakes: what reaches the caller when the archive
fails, how live runs archive and free their lease however they end, forks and reviews, and a
worker that loses its lease while its turn runs."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.clock import FakeClock
from adapters.memory_store import InMemorySessionStore
from adapters.process_lock import ProcessLockTimeout
from adapters.scripted_runner import Pause, ScriptedRun, ScriptedRunner, codex_turn_events
from adapters.sinks import CallbackSink
from adapters.store_base import write_atomically
from adapters.thread_archive import DirectoryThreadArchive
from codex_local_sdk import (
    CodexClientEvent,
    CodexLocalClient,
    CodexThreadBusyError,
    SessionStoreError,
    ThreadArchiveError,
)
from codex_local_sdk.ports import ThreadLease
from tests.test_subprocess_runner import group_alive

THREAD = "019a-thread"
FORKED = "019b-forked"


class FakeArchive:
    """A ThreadArchive in memory that records what it is asked; ``save_error`` makes saves
    fail, ``taken`` holds threads another worker leases."""

    lease_seconds = 30.0
    lease_wait_seconds = 0.0

    def __init__(self) -> None:
        self.held: dict[str, ThreadLease] = {}
        self.taken: set[str] = set()
        self.token = 0
        self.saved: list[tuple[str, int]] = []
        self.restored: list[str] = []
        self.released: list[ThreadLease] = []
        self.save_threads: list[int] = []
        self.save_error: Exception | None = None
        self.acquire_gate: threading.Event | None = None
        self.acquiring = threading.Event()
        self.renewals = 0
        self.lose_at_renewal: int | None = None

    def acquire(self, thread_id: str) -> ThreadLease | None:
        self.acquiring.set()
        if self.acquire_gate is not None:
            self.acquire_gate.wait(10)
        if thread_id in self.held or thread_id in self.taken:
            return None
        self.token += 1
        lease = self.held[thread_id] = ThreadLease(thread_id=thread_id, token=self.token)
        return lease

    def renew(self, lease: ThreadLease) -> bool:
        self.renewals += 1
        if self.lose_at_renewal is not None and self.renewals >= self.lose_at_renewal:
            self.held.pop(lease.thread_id, None)  # it expired, and another worker took the thread
            self.taken.add(lease.thread_id)
        return self.held.get(lease.thread_id) == lease

    def release(self, lease: ThreadLease) -> None:
        self.released.append(lease)
        if self.held.get(lease.thread_id) == lease:
            del self.held[lease.thread_id]

    def restore(self, thread_id: str, codex_home: str | None) -> int | None:
        self.restored.append(thread_id)
        return None

    def save(self, lease: ThreadLease, codex_home: str | None) -> int | None:
        self.save_threads.append(threading.get_ident())
        if self.held.get(lease.thread_id) != lease:
            raise CodexThreadBusyError(f"the lease on {lease.thread_id!r} was lost")
        if self.save_error is not None:
            raise self.save_error
        self.saved.append((lease.thread_id, lease.token))
        return 1

    def threads(self) -> list[str]:
        return sorted({thread for thread, _ in self.saved})

    def delete(self, thread_id: str) -> bool:
        return False


def a_turn(thread_id: str = THREAD, message: str = "ok") -> ScriptedRun:
    return ScriptedRun(stdout=codex_turn_events(thread_id=thread_id, message=message))


class Harness:
    def __init__(self, runs: list[ScriptedRun], store: InMemorySessionStore | None = None) -> None:
        self.clock = FakeClock()
        self.archive = FakeArchive()
        self.store = store if store is not None else InMemorySessionStore(clock=self.clock)
        self.events: list[CodexClientEvent] = []
        self.runner = ScriptedRunner(runs, clock=self.clock)
        self.client = CodexLocalClient(
            runner=self.runner,
            clock=self.clock,
            session_store=self.store,
            codex_home="/nonexistent/home",
            thread_archive=self.archive,
            event_sink=CallbackSink(self.events.append),
        )

    def finished(self) -> list[CodexClientEvent]:
        return [e for e in self.events if e.type == "operation.finished"]


@pytest.fixture(params=["sync", "async"])
def call(request: pytest.FixtureRequest) -> Callable[[CodexLocalClient, str, Any], Any]:
    """Calls a client method by name, or its ``_async`` twin under asyncio."""

    def invoke(client: CodexLocalClient, method: str, *args: Any, **kwargs: Any) -> Any:
        if request.param == "sync":
            return getattr(client, method)(*args, **kwargs)
        return asyncio.run(getattr(client, f"{method}_async")(*args, **kwargs))

    return invoke


# -- an archive that fails after the turn ran ---------------------------------------------------


@pytest.mark.parametrize(
    "failure", [OSError(28, "No space left on device"), ProcessLockTimeout("/shared/locks/t.lock")]
)
def test_a_failed_save_of_a_new_thread_raises_with_the_turn_and_the_session_keeps_the_name(
    call: Callable[..., Any], failure: Exception
) -> None:
    h = Harness([a_turn()])
    h.archive.save_error = failure
    with pytest.raises(ThreadArchiveError, match="the turn ran") as caught:
        call(h.client, "start_thread", "1", session_name="ticket")
    assert caught.value.result is not None and caught.value.result.final_message == "ok"
    assert caught.value.thread_id == THREAD
    assert caught.value.__cause__ is failure
    assert h.store.get("ticket") == THREAD  # the thread the run started is recorded
    assert h.archive.held == {}  # the lease taken for the save was freed


def test_a_failed_save_of_a_turn_of_an_existing_thread_raises_with_the_turn_and_records_nothing(
    call: Callable[..., Any],
) -> None:
    h = Harness([a_turn(), a_turn(message="second")])
    call(h.client, "start_thread", "1", session_name="ticket")
    h.archive.save_error = OSError(116, "Stale file handle")
    with pytest.raises(ThreadArchiveError) as caught:
        call(h.client, "resume", "2", session_name="ticket")
    assert caught.value.result is not None and caught.value.result.final_message == "second"
    record = h.store.get_record("ticket")
    assert record is not None and record.turn_count == 1
    assert h.archive.held == {}
    assert h.finished()[-1].data["succeeded"] is False


def test_a_new_thread_whose_lease_another_worker_holds_reaches_the_caller_with_the_turn(
    call: Callable[..., Any],
) -> None:
    h = Harness([a_turn()])
    h.archive.taken.add(THREAD)
    with pytest.raises(CodexThreadBusyError, match="the turn ran") as caught:
        call(h.client, "start_thread", "1", session_name="ticket")
    assert caught.value.result is not None and caught.value.thread_id == THREAD
    assert h.store.get("ticket") is None


def test_an_archive_that_fails_before_the_run_raises_thread_archive_error_and_runs_nothing() -> None:
    h = Harness([a_turn()])
    h.store.set("ticket", THREAD)

    def away(thread_id: str, codex_home: str | None) -> int | None:
        raise OSError(5, "Input/output error")

    h.archive.restore = away  # type: ignore[method-assign]
    with pytest.raises(ThreadArchiveError, match="no run started") as caught:
        h.client.resume("more", session_name="ticket")
    assert caught.value.result is None and caught.value.thread_id == THREAD
    assert h.runner.calls == []
    assert h.archive.held == {}


# -- live runs ---------------------------------------------------------------------------------


def test_a_live_run_whose_save_fails_raises_with_the_turn_and_archives_only_once() -> None:
    h = Harness([a_turn(), a_turn(message="live")])
    h.client.start_thread("1", session_name="ticket")
    h.archive.save_error = OSError(28, "No space left on device")
    with h.client.resume_live("2", session_name="ticket") as run:
        with pytest.raises(ThreadArchiveError) as first:
            run.result()
        with pytest.raises(ThreadArchiveError) as second:
            run.result()
    assert first.value is second.value
    assert first.value.result is not None and first.value.result.final_message == "live"
    assert len(h.archive.save_threads) == 2  # the first thread's save, and this one's once
    assert h.archive.held == {}


class FlakyStore(InMemorySessionStore):
    """A store whose next ``update`` raises after ``passes`` more."""

    failure: Exception | None = None
    passes = 0

    def update(self, *args: Any, **kwargs: Any) -> Any:
        if self.failure is not None and self.passes == 0:
            failure, self.failure = self.failure, None
            raise failure
        self.passes = max(0, self.passes - 1)
        return super().update(*args, **kwargs)


def test_a_live_record_retried_after_a_store_failure_does_not_save_again_under_a_freed_lease() -> None:
    store = FlakyStore()
    h = Harness([a_turn(), a_turn(message="live")], store=store)
    h.client.start_thread("1", session_name="ticket")
    run = h.client.resume_live("2", session_name="ticket")
    for _ in run.iter_events():
        pass
    store.failure = SessionStoreError("store away")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run.close()  # the record fails: logged, left for result()
    assert run.result().final_message == "live"
    assert [thread for thread, _ in h.archive.saved] == [THREAD, THREAD]
    record = store.get_record("ticket")
    assert record is not None and record.turn_count == 2


def test_an_async_live_run_archives_off_the_event_loop() -> None:
    h = Harness([a_turn(), a_turn(message="live")])
    h.client.start_thread("1", session_name="ticket")

    async def main() -> int:
        async with await h.client.resume_live_async("2", session_name="ticket") as run:
            assert (await run.result()).final_message == "live"
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert h.archive.save_threads[-1] != loop_thread
    assert h.archive.held == {}


@pytest.fixture
def no_unclosed_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        yield


@pytest.mark.usefixtures("no_unclosed_warnings")
def test_a_live_run_dropped_unclosed_frees_its_lease_and_reports_its_end() -> None:
    h = Harness([a_turn(), ScriptedRun(stdout=codex_turn_events(thread_id=THREAD), hang=True)])
    h.client.start_thread("1", session_name="ticket")
    run = h.client.resume_live("2", session_name="ticket")
    assert h.archive.held
    del run
    gc.collect()
    assert h.archive.held == {}
    assert len(h.finished()) == 2
    assert h.finished()[-1].data["succeeded"] is False


@pytest.mark.usefixtures("no_unclosed_warnings")
def test_an_async_live_run_dropped_unclosed_frees_its_lease_and_reports_its_end() -> None:
    h = Harness([a_turn(), ScriptedRun(stdout=codex_turn_events(thread_id=THREAD), hang=True)])
    h.client.start_thread("1", session_name="ticket")

    async def main() -> None:
        run = await h.client.resume_live_async("2", session_name="ticket")
        assert h.archive.held
        del run
        gc.collect()
        for _ in range(200):  # the release is scheduled on the loop
            if not h.archive.held:
                break
            await asyncio.sleep(0.01)

    asyncio.run(main())
    assert h.archive.held == {}
    assert len(h.finished()) == 2


# -- forks and reviews ---------------------------------------------------------------------------


def test_a_fork_restores_the_parent_under_its_lease_and_saves_the_new_thread(
    call: Callable[..., Any],
) -> None:
    h = Harness([a_turn(), a_turn(thread_id=FORKED, message="forked")])
    call(h.client, "start_thread", "1", session_name="ticket")
    _, result = call(h.client, "fork_thread", "try another way", session_name="ticket")
    assert result.thread_id == FORKED
    assert h.archive.restored == [THREAD]
    assert [thread for thread, _ in h.archive.saved] == [THREAD, FORKED]
    assert h.archive.held == {}


def test_a_review_that_writes_a_thread_saves_it(call: Callable[..., Any]) -> None:
    h = Harness([a_turn(thread_id="019c-review", message="looks fine")])
    call(h.client, "review", uncommitted=True)
    assert [thread for thread, _ in h.archive.saved] == ["019c-review"]
    assert h.archive.restored == []


def test_a_task_cancelled_while_the_lease_is_being_taken_releases_the_lease() -> None:
    h = Harness([a_turn()])
    h.store.set("ticket", THREAD)
    gate = h.archive.acquire_gate = threading.Event()

    async def main() -> None:
        task = asyncio.create_task(h.client.resume_async("more", session_name="ticket"))
        assert await asyncio.to_thread(h.archive.acquiring.wait, 10)  # blocked on the gate, in a thread
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.set()  # the worker thread takes the lease only now
        for _ in range(200):
            if h.archive.released:
                break
            await asyncio.sleep(0.01)

    asyncio.run(main())
    assert h.archive.held == {}
    assert [lease.thread_id for lease in h.archive.released] == [THREAD]
    assert h.runner.calls == []


# -- a lease lost while the turn runs ------------------------------------------------------------


def a_long_turn(seconds: float) -> ScriptedRun:
    started, *rest = codex_turn_events(thread_id=THREAD, message="late")
    return ScriptedRun(stdout=[started, Pause(seconds), *rest])


def test_a_turn_whose_lease_renewal_finds_it_lost_is_killed_and_reaches_the_caller_unsaved(
    call: Callable[..., Any],
) -> None:
    h = Harness([a_turn(), a_long_turn(100)])
    call(h.client, "start_thread", "1", session_name="ticket")
    h.archive.lose_at_renewal = 2  # renewed every 10 s: lost at the second renewal
    started = h.clock.monotonic()
    with pytest.raises(CodexThreadBusyError, match="lost the lease") as caught:
        call(h.client, "resume", "2", session_name="ticket")
    result = caught.value.result
    assert result is not None and result.turn_status == "lease_lost" and not result.succeeded
    assert result.thread_id == THREAD and result.final_message is None
    assert h.clock.monotonic() - started < 100  # killed, not waited out
    assert result.return_code is not None and result.return_code < 0  # killed
    assert [thread for thread, _ in h.archive.saved] == [THREAD]  # only the first turn's
    record = h.store.get_record("ticket")
    assert record is not None and record.turn_count == 1


def test_a_live_turn_whose_lease_is_lost_is_killed_while_it_is_read() -> None:
    h = Harness([a_turn(), a_long_turn(100)])
    h.client.start_thread("1", session_name="ticket")
    h.archive.lose_at_renewal = 1
    with h.client.resume_live("2", session_name="ticket") as run:
        assert [event.type for event in run.iter_events()] == ["thread.started"]
        with pytest.raises(CodexThreadBusyError, match="lost the lease") as caught:
            run.result()
    assert caught.value.result is not None and caught.value.result.turn_status == "lease_lost"
    assert [thread for thread, _ in h.archive.saved] == [THREAD]


def test_a_lease_that_stays_held_lets_a_long_turn_finish() -> None:
    h = Harness([a_turn(), a_long_turn(100)])
    h.client.start_thread("1", session_name="ticket")
    assert h.client.resume("2", session_name="ticket").final_message == "late"
    assert h.archive.renewals >= 9
    assert [thread for thread, _ in h.archive.saved] == [THREAD, THREAD]


# -- a lease lost while a real CLI runs ----------------------------------------------------------

STANDIN = Path(__file__).parent / "standins" / "codex_standin.py"
STANDIN_THREAD = "t-matrix"


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The stand-in CLI as an executable: ``hang <report>`` prints its first events and works on."""
    path = tmp_path_factory.mktemp("standin") / "codex"
    path.write_text(f"#!{sys.executable} -I\n" + STANDIN.read_text())
    path.chmod(0o755)
    return str(path)


def steal_the_lease(shared: Path, report: Path) -> None:
    """Once the CLI runs: another worker's lease, with a larger token, replaces this one's."""
    deadline = time.monotonic() + 10
    while not report.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    write_atomically(
        str(shared / "leases" / f"{STANDIN_THREAD}.json"),
        json.dumps({"token": 99, "expires_at": time.time() + 600}).encode(),
    )


@pytest.mark.parametrize("live", [False, True], ids=["run", "live_unread"])
def test_a_real_cli_whose_lease_is_lost_is_killed_with_its_group(
    tmp_path: Path, standin: str, live: bool
) -> None:
    shared, report = tmp_path / "shared", tmp_path / "report.json"
    client = CodexLocalClient(
        codex_bin=standin,
        codex_home=tmp_path / "home",
        thread_archive=DirectoryThreadArchive(shared, lease_seconds=1.5),
        terminate_grace_seconds=0.5,
    )
    prompt = f"hang {report}"
    started = time.monotonic()
    thief = threading.Thread(target=steal_the_lease, args=(shared, report))
    thief.start()
    try:
        with pytest.raises(CodexThreadBusyError, match="lost the lease") as caught:
            if live:
                with client.resume_live(prompt, session_id=STANDIN_THREAD) as run:
                    while run.return_code is None and time.monotonic() - started < 10:
                        time.sleep(0.05)  # nobody reads: the watchdog renews and kills
                    run.result()
            else:
                client.resume(prompt, session_id=STANDIN_THREAD)
    finally:
        thief.join()
    assert time.monotonic() - started < 10  # the stand-in works for 30 s unless killed
    result = caught.value.result
    assert result is not None and result.turn_status == "lease_lost" and result.return_code == -9
    assert not group_alive(json.loads(report.read_text())["pgid"])


LEFT_OPEN = """
import sys
from codex_local_sdk import CodexLocalClient, DirectoryThreadArchive

standin, home, shared, report = sys.argv[1:]
client = CodexLocalClient(
    codex_bin=standin, codex_home=home, thread_archive=DirectoryThreadArchive(shared, lease_seconds=60)
)
run = client.resume_live(f"hang {report}", session_id="t-matrix")
print("running", flush=True)
"""


def test_a_live_run_left_open_at_interpreter_exit_frees_its_lease(tmp_path: Path, standin: str) -> None:
    shared, report = tmp_path / "shared", tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-c",
            LEFT_OPEN,
            standin,
            str(tmp_path / "home"),
            str(shared),
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.stdout.strip() == "running", done.stderr
    lease = json.loads((shared / "leases" / f"{STANDIN_THREAD}.json").read_text())
    assert lease["expires_at"] < time.time()  # freed, not left to expire in a minute
    assert not group_alive(json.loads(report.read_text())["pgid"])
