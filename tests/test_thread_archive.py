"""Threads that move between machines: DirectoryThreadArchive's rollouts and leases, and a
client with ``thread_archive=`` on fakes (two CODEX_HOMEs as two machines, a fake clock)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.clock import FakeClock
from adapters.memory_store import InMemorySessionStore
from adapters.process_lock import ProcessLock
from adapters.scripted_runner import Pause, ScriptedRun, ScriptedRunner, codex_turn_events
from adapters.sinks import CallbackSink
from adapters.thread_archive import DirectoryThreadArchive
from codex_local_sdk import CodexClientEvent, CodexLocalClient, CodexThreadBusyError, RetryPolicy
from codex_local_sdk.ports import AsyncProcessHandle, ProcessHandle, ProcessSpec, ThreadLease

THREAD = "019a-thread"
RELATIVE = f"sessions/2026/12/03/rollout-2026-12-03T10-00-00-{THREAD}.jsonl"


def write_rollout(home: Path, content: bytes, relative: str = RELATIVE) -> Path:
    path = home / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def archive(tmp_path: Path, clock: FakeClock) -> Iterator[DirectoryThreadArchive]:
    shared = DirectoryThreadArchive(tmp_path / "shared", lease_seconds=30, lease_wait_seconds=5, clock=clock)
    yield shared
    shared.close()  # the leases a test left: their renewals stop


def test_a_lease_that_expired_while_nobody_took_the_thread_is_renewed_and_a_taken_one_is_not(
    archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    lease = archive.acquire(THREAD)
    assert lease is not None
    clock.advance(31)  # the folder was away for longer than the lease
    assert archive.renew(lease)
    assert archive.acquire(THREAD) is None  # renewed: still this worker's
    clock.advance(31)
    newer = archive.acquire(THREAD)
    assert newer is not None and not archive.renew(lease)
    archive.release(newer)
    assert not archive.renew(newer)  # released


def test_a_rollout_gone_or_empty_at_save_time_leaves_the_archived_one(
    tmp_path: Path, archive: DirectoryThreadArchive
) -> None:
    path = write_rollout(tmp_path / "home", b"1\n2\n")
    lease = archive.acquire(THREAD)
    assert lease is not None
    archive.save(lease, str(tmp_path / "home"))
    path.write_bytes(b"")
    assert archive.save(lease, str(tmp_path / "home")) is None
    assert archive.restore(THREAD, str(tmp_path / "fresh")) == 4


# -- the adapter -------------------------------------------------------------------------------


def test_a_saved_rollout_is_restored_at_the_same_relative_path(
    tmp_path: Path, archive: DirectoryThreadArchive
) -> None:
    write_rollout(tmp_path / "home-a", b'{"turn": 1}\n')
    lease = archive.acquire(THREAD)
    assert lease is not None
    assert archive.save(lease, str(tmp_path / "home-a")) == 12
    archive.release(lease)

    assert archive.restore(THREAD, str(tmp_path / "home-b")) == 12
    assert (tmp_path / "home-b" / RELATIVE).read_bytes() == b'{"turn": 1}\n'
    assert archive.threads() == [THREAD]


@pytest.mark.parametrize(
    "local",
    [
        pytest.param(b"1\n", id="shorter"),
        pytest.param(b"1\nan older turn with a long command output\n", id="longer and diverged"),
    ],
)
def test_restore_replaces_a_local_copy_that_differs_and_leaves_an_up_to_date_one(
    tmp_path: Path, archive: DirectoryThreadArchive, local: bytes
) -> None:
    write_rollout(tmp_path / "home-a", b"1\n2\n")
    lease = archive.acquire(THREAD)
    assert lease is not None
    archive.save(lease, str(tmp_path / "home-a"))
    stale = write_rollout(tmp_path / "home-b", local)
    assert archive.restore(THREAD, str(tmp_path / "home-b")) == 4
    assert stale.read_bytes() == b"1\n2\n"
    assert archive.restore(THREAD, str(tmp_path / "home-b")) is None


def test_restore_of_a_thread_never_archived_copies_nothing(
    tmp_path: Path, archive: DirectoryThreadArchive
) -> None:
    assert archive.restore(THREAD, str(tmp_path / "home")) is None
    assert not (tmp_path / "home").exists()


def test_a_held_lease_is_refused_until_it_expires_then_taken_with_a_larger_token(
    archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    first = archive.acquire(THREAD)
    assert first is not None
    assert archive.acquire(THREAD) is None
    clock.advance(31)
    second = archive.acquire(THREAD)
    assert second is not None and second.token > first.token


def test_a_released_lease_is_free_at_once(archive: DirectoryThreadArchive) -> None:
    first = archive.acquire(THREAD)
    assert first is not None
    archive.release(first)
    assert archive.acquire(THREAD) is not None


def test_a_save_with_a_stale_token_is_refused_and_keeps_the_newer_rollout(
    tmp_path: Path, archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    write_rollout(tmp_path / "slow", b"1\n")
    slow = archive.acquire(THREAD)
    assert slow is not None
    clock.advance(31)  # the slow worker's lease expires; another worker continues the thread
    fast = archive.acquire(THREAD)
    assert fast is not None
    write_rollout(tmp_path / "fast", b"1\n2\nfast\n")
    archive.save(fast, str(tmp_path / "fast"))

    write_rollout(tmp_path / "slow", b"1\n2\nslow\n")
    with pytest.raises(CodexThreadBusyError, match=r"lease .*was lost") as caught:
        archive.save(slow, str(tmp_path / "slow"))
    assert caught.value.result is None
    assert archive.restore(THREAD, str(tmp_path / "fresh")) is not None
    assert (tmp_path / "fresh" / RELATIVE).read_bytes() == b"1\n2\nfast\n"


def test_delete_forgets_the_rollout(tmp_path: Path, archive: DirectoryThreadArchive) -> None:
    write_rollout(tmp_path / "home", b"1\n")
    lease = archive.acquire(THREAD)
    assert lease is not None
    archive.save(lease, str(tmp_path / "home"))
    assert archive.delete(THREAD)
    assert not archive.delete(THREAD)
    assert archive.threads() == []


@pytest.mark.parametrize("thread_id", ["", "../x", "a/b", ".hidden", "a b"])
def test_a_thread_id_that_cannot_name_a_file_is_refused(
    archive: DirectoryThreadArchive, thread_id: str
) -> None:
    with pytest.raises(ValueError, match="is not a thread id"):
        archive.acquire(thread_id)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"lease_seconds": 0}, ValueError),
        ({"lease_seconds": float("inf")}, ValueError),
        ({"lease_wait_seconds": -1}, ValueError),
        ({"lease_seconds": "60"}, TypeError),
    ],
)
def test_bad_lease_times_are_refused(tmp_path: Path, options: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error, match="lease"):
        DirectoryThreadArchive(tmp_path, **options)


# -- a client with an archive ------------------------------------------------------------------


class RolloutRunner:
    """A ScriptedRunner that acts on CODEX_HOME as the CLI does: a resume of a thread whose
    rollout is missing there fails (``no rollout found``); every run appends a line to it."""

    handles_run_files = True

    def __init__(self, runs: list[ScriptedRun], clock: FakeClock) -> None:
        self.scripted = ScriptedRunner(runs, clock=clock)
        self.found: list[bool] = []
        self.on_start: Callable[[], None] | None = None

    def start(self, spec: ProcessSpec) -> ProcessHandle:
        self._touch(spec)
        return self.scripted.start(spec)

    async def start_async(self, spec: ProcessSpec) -> AsyncProcessHandle:
        self._touch(spec)
        return await self.scripted.start_async(spec)

    def _touch(self, spec: ProcessSpec) -> None:
        if self.on_start is not None:
            self.on_start()
        rollout = Path(spec.env["CODEX_HOME"]) / RELATIVE
        if "resume" in spec.argv:
            self.found.append(rollout.exists())
            assert rollout.exists(), "no rollout found"
        rollout.parent.mkdir(parents=True, exist_ok=True)
        with rollout.open("ab") as file:
            file.write(b"turn\n")


def a_turn() -> ScriptedRun:
    return ScriptedRun(stdout=codex_turn_events(thread_id=THREAD, message="ok"))


def worker(
    home: Path,
    archive: DirectoryThreadArchive,
    store: InMemorySessionStore,
    clock: FakeClock,
    events: list[CodexClientEvent],
    turns: int | list[ScriptedRun],
) -> tuple[CodexLocalClient, RolloutRunner]:
    runner = RolloutRunner([a_turn() for _ in range(turns)] if isinstance(turns, int) else turns, clock)
    client = CodexLocalClient(
        runner=runner,
        clock=clock,
        session_store=store,
        codex_home=home,
        thread_archive=archive,
        event_sink=CallbackSink(events.append),
    )
    return client, runner


def test_two_machines_alternate_turns_of_one_named_session(
    tmp_path: Path, archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    store = InMemorySessionStore(clock=clock)
    events: list[CodexClientEvent] = []
    a, runner_a = worker(tmp_path / "a", archive, store, clock, events, 3)
    b, runner_b = worker(tmp_path / "b", archive, store, clock, events, 3)
    a.start_thread("1", session_name="ticket")
    for number, client in enumerate([b, a, b, a, b], start=2):
        result = client.resume(str(number), session_name="ticket")
        assert result.thread_id == THREAD
    assert runner_a.found + runner_b.found == [True] * 5
    for home in ("a", "b"):
        assert (tmp_path / home / RELATIVE).read_bytes().count(b"turn\n") in (5, 6)
    assert archive.restore(THREAD, str(tmp_path / "last")) == 6 * len(b"turn\n")
    record = store.get_record("ticket")
    assert record is not None and record.turn_count == 6
    types = [e.type for e in events]
    assert types.count("thread.archived") == 6
    assert types.count("thread.restored") == 5
    assert archive.acquire(THREAD) is not None  # every turn freed its lease


def test_async_runs_restore_and_save_the_same_way(
    tmp_path: Path, archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    store = InMemorySessionStore(clock=clock)
    events: list[CodexClientEvent] = []
    a, _ = worker(tmp_path / "a", archive, store, clock, events, 1)
    b, runner_b = worker(tmp_path / "b", archive, store, clock, events, 1)

    async def main() -> None:
        await a.start_thread_async("1", session_name="ticket")
        await b.resume_async("2", session_name="ticket")

    asyncio.run(main())
    assert runner_b.found == [True]
    assert (tmp_path / "b" / RELATIVE).read_bytes() == b"turn\nturn\n"


def test_a_thread_leased_elsewhere_fails_busy_after_the_wait_without_running(
    tmp_path: Path, archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    store = InMemorySessionStore(clock=clock)
    store.set("ticket", THREAD)
    events: list[CodexClientEvent] = []
    client, runner = worker(tmp_path / "a", archive, store, clock, events, 1)
    assert archive.acquire(THREAD) is not None  # another machine's turn is running
    started = clock.monotonic()
    with pytest.raises(CodexThreadBusyError, match="another worker") as caught:
        client.resume("more", session_name="ticket")
    assert caught.value.result is None
    assert runner.scripted.calls == []
    assert clock.monotonic() - started == pytest.approx(5)
    waited = [e for e in events if e.type == "thread.lease_waited"]
    assert [(e.session_id, e.data["taken"]) for e in waited] == [(THREAD, False)]


def test_a_turn_whose_lease_was_lost_is_killed_not_archived_and_reaches_the_caller(
    tmp_path: Path, archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    store = InMemorySessionStore(clock=clock)
    events: list[CodexClientEvent] = []
    *said, end = codex_turn_events(thread_id=THREAD, message="late")  # the turn goes on after its message
    late = ScriptedRun(stdout=[*said, Pause(40), end])
    client, runner = worker(tmp_path / "a", archive, store, clock, events, [a_turn(), late])
    client.start_thread("1", session_name="ticket")

    def paused_past_the_lease() -> None:  # as the CLI starts; meanwhile another worker takes the thread
        clock.advance(31)
        assert archive.acquire(THREAD) is not None

    runner.on_start = paused_past_the_lease
    with pytest.raises(CodexThreadBusyError, match="lost the lease") as caught:
        client.resume("2", session_name="ticket")
    assert caught.value.result is not None and caught.value.result.final_message == "late"
    assert caught.value.result.turn_status == "lease_lost"
    assert archive.restore(THREAD, str(tmp_path / "fresh")) == len(b"turn\n")


def test_without_an_archive_nothing_is_copied(tmp_path: Path, clock: FakeClock) -> None:
    runner = RolloutRunner([a_turn()], clock)
    client = CodexLocalClient(runner=runner, clock=clock, codex_home=tmp_path / "a")
    client.start_thread("1")
    assert os.listdir(tmp_path) == ["a"]


def test_a_live_turn_restores_the_thread_and_saves_it_when_it_ends(
    tmp_path: Path, archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    store = InMemorySessionStore(clock=clock)
    events: list[CodexClientEvent] = []
    a, _ = worker(tmp_path / "a", archive, store, clock, events, 1)
    b, runner_b = worker(tmp_path / "b", archive, store, clock, events, 1)
    a.start_thread("1", session_name="ticket")
    with b.resume_live("2", session_name="ticket") as run:
        assert run.result().final_message == "ok"
    assert runner_b.found == [True]
    assert archive.restore(THREAD, str(tmp_path / "fresh")) == 2 * len(b"turn\n")
    assert archive.acquire(THREAD) is not None  # the live run freed its lease


def test_delete_session_keeps_the_archived_thread_unless_asked_to_purge_it(
    tmp_path: Path, archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    store = InMemorySessionStore(clock=clock)
    client, _ = worker(tmp_path / "a", archive, store, clock, [], 2)
    client.start_thread("1", session_name="kept")
    assert client.delete_session("kept")
    assert archive.threads() == [THREAD]
    client.save_session("purged", THREAD)
    assert client.delete_session("purged", purge_thread=True)
    assert archive.threads() == []
    with pytest.raises(TypeError, match="purge_thread must be True or False"):
        client.delete_session("x", purge_thread="yes")  # type: ignore[arg-type]


SLOW_WORKER = """
import sys
from adapters.thread_archive import DirectoryThreadArchive
from codex_local_sdk import CodexThreadBusyError

archive = DirectoryThreadArchive(sys.argv[1], lease_seconds=1.5)
lease = archive.acquire(sys.argv[3])
print("held" if lease is not None else "busy", flush=True)
sys.stdin.readline()
try:
    archive.save(lease, sys.argv[2])
    print("saved", flush=True)
except CodexThreadBusyError:
    print("refused", flush=True)
"""


def test_a_paused_process_whose_lease_expired_cannot_overwrite_the_newer_rollout(tmp_path: Path) -> None:
    shared, slow_home, fast_home = tmp_path / "shared", tmp_path / "slow", tmp_path / "fast"
    write_rollout(slow_home, b"1\n2\nslow\n")
    slow = subprocess.Popen(
        [sys.executable, "-c", SLOW_WORKER, str(shared), str(slow_home), THREAD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert slow.stdin is not None and slow.stdout is not None
    try:
        assert slow.stdout.readline().strip() == "held"
        os.kill(slow.pid, signal.SIGSTOP)  # a long pause: its lease is not renewed
        fast_archive = DirectoryThreadArchive(shared, lease_seconds=1.5)
        deadline = time.monotonic() + 10
        fast = fast_archive.acquire(THREAD)
        while fast is None and time.monotonic() < deadline:
            time.sleep(0.1)
            fast = fast_archive.acquire(THREAD)
        assert fast is not None
        write_rollout(fast_home, b"1\n2\nfast\n")
        fast_archive.save(fast, str(fast_home))
        os.kill(slow.pid, signal.SIGCONT)
        slow.stdin.write("save\n")
        slow.stdin.flush()
        assert slow.stdout.readline().strip() == "refused"
        fast_archive.release(fast)
    finally:
        os.kill(slow.pid, signal.SIGCONT)
        slow.communicate(timeout=10)
    assert fast_archive.restore(THREAD, str(tmp_path / "fresh")) is not None
    assert (tmp_path / "fresh" / RELATIVE).read_bytes() == b"1\n2\nfast\n"


def test_a_turn_waits_for_a_lease_that_expires_within_lease_wait_seconds(
    tmp_path: Path, clock: FakeClock
) -> None:
    archive = DirectoryThreadArchive(
        tmp_path / "shared", lease_seconds=30, lease_wait_seconds=45, clock=clock
    )
    store = InMemorySessionStore(clock=clock)
    store.set("ticket", THREAD)
    events: list[CodexClientEvent] = []
    write_rollout(tmp_path / "a", b"turn\n")
    client, _ = worker(tmp_path / "a", archive, store, clock, events, 1)
    assert archive.acquire(THREAD) is not None  # a worker that died mid-turn
    started = clock.monotonic()
    assert client.resume("more", session_name="ticket").final_message == "ok"
    assert 30 <= clock.monotonic() - started < 31
    waited = [e for e in events if e.type == "thread.lease_waited"]
    assert [
        (e.data["taken"], e.duration_seconds is not None and e.duration_seconds >= 30) for e in waited
    ] == [(True, True)]


def test_restore_trusts_no_digest_that_does_not_describe_the_archived_rollout(
    tmp_path: Path, archive: DirectoryThreadArchive
) -> None:
    write_rollout(tmp_path / "home-a", b"1\n")
    lease = archive.acquire(THREAD)
    assert lease is not None
    archive.save(lease, str(tmp_path / "home-a"))
    assert archive.restore(THREAD, str(tmp_path / "home-b")) == 2
    # A save that died between its rollout and its digest: the archive holds a newer rollout.
    write_rollout(tmp_path / "shared" / "threads" / THREAD, b"1\n2\n")
    assert archive.restore(THREAD, str(tmp_path / "home-b")) == 4
    assert (tmp_path / "home-b" / RELATIVE).read_bytes() == b"1\n2\n"


def test_a_lease_change_waiting_for_one_threads_lock_does_not_hold_up_another_thread(
    tmp_path: Path, clock: FakeClock
) -> None:
    archive = DirectoryThreadArchive(tmp_path / "shared", lease_seconds=30, clock=clock, lock_timeout=5)
    other = ProcessLock(str(tmp_path / "shared" / "locks" / f"{THREAD}.lock"), 0)
    other.acquire()  # another worker holds this thread's lock for a while
    taken: list[ThreadLease | None] = []
    waiting = threading.Thread(target=lambda: taken.append(archive.acquire(THREAD)))
    try:
        waiting.start()
        time.sleep(0.2)  # let it block on the held lock
        lease = archive.acquire("another-thread")
        assert lease is not None
        assert waiting.is_alive()  # still waiting for the first thread's lock
        archive.release(lease)
    finally:
        other.release()
        waiting.join()
    for held in taken:
        if held is not None:
            archive.release(held)


def test_purging_a_thread_another_worker_is_continuing_is_refused_and_deletes_nothing(
    tmp_path: Path, archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    store = InMemorySessionStore(clock=clock)
    client, _ = worker(tmp_path / "a", archive, store, clock, [], 1)
    client.start_thread("1", session_name="ticket")
    other = archive.acquire(THREAD)  # another worker's turn is running
    assert other is not None
    with pytest.raises(CodexThreadBusyError, match="another worker"):
        client.delete_session("ticket", purge_thread=True)
    assert store.get("ticket") == THREAD
    assert archive.threads() == [THREAD]
    archive.release(other)


def test_purging_keeps_a_thread_another_name_still_uses(
    tmp_path: Path, archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    store = InMemorySessionStore(clock=clock)
    client, _ = worker(tmp_path / "a", archive, store, clock, [], 1)
    client.start_thread("1", session_name="ticket")
    client.save_session("alias", THREAD)
    assert client.delete_session("ticket", purge_thread=True)
    assert archive.threads() == [THREAD]
    assert client.delete_session("alias", purge_thread=True)
    assert archive.threads() == []
    lease = archive.acquire(THREAD)
    assert lease is not None  # the purge freed the lease it took
    archive.release(lease)


def test_a_resume_of_a_thread_id_the_archive_refuses_raises_value_error_before_running(
    tmp_path: Path, archive: DirectoryThreadArchive, clock: FakeClock
) -> None:
    client, runner = worker(tmp_path / "a", archive, InMemorySessionStore(clock=clock), clock, [], 1)
    with pytest.raises(ValueError, match="is not a thread id"):
        client.resume("more", session_id="a thread")
    assert runner.scripted.calls == []


class BackoffClock(FakeClock):
    """A fake clock that calls ``at_backoff`` when the client sleeps a retry's backoff of 1 s
    (a lease is polled every 0.25 s)."""

    def __init__(self, at_backoff: Callable[[], None]) -> None:
        super().__init__()
        self.at_backoff = at_backoff

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if seconds == 1:
            self.at_backoff()


def test_a_thread_leased_elsewhere_is_asked_for_again_as_the_policy_retries_a_busy_thread(
    tmp_path: Path,
) -> None:
    held: list[ThreadLease] = []
    clock = BackoffClock(lambda: shared.release(held.pop()))  # the other turn ends meanwhile
    shared = DirectoryThreadArchive(tmp_path / "shared", lease_seconds=30, lease_wait_seconds=5, clock=clock)
    store = InMemorySessionStore(clock=clock)
    store.set("ticket", THREAD)
    events: list[CodexClientEvent] = []
    runner = RolloutRunner([a_turn()], clock)
    policy = RetryPolicy(
        max_attempts=2, initial_backoff_seconds=1, jitter_ratio=0, retry_on_failures={"thread_busy"}
    )
    client = CodexLocalClient(
        runner=runner,
        clock=clock,
        session_store=store,
        codex_home=tmp_path / "a",
        thread_archive=shared,
        event_sink=CallbackSink(events.append),
        retry_policy=policy,
    )
    other = shared.acquire(THREAD)  # another machine ran a turn, and runs the next one
    assert other is not None
    write_rollout(tmp_path / "other", b"turn\n")
    shared.save(other, str(tmp_path / "other"))
    held.append(other)

    result = client.resume("more", session_name="ticket")

    assert result.succeeded and len(runner.scripted.calls) == 1
    retried = [e for e in events if e.type == "retry.scheduled"]
    assert [(e.attempt, "another worker" in (e.error or "")) for e in retried] == [(1, True)]
    assert [e.data["taken"] for e in events if e.type == "thread.lease_waited"] == [False]
