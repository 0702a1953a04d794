"""The file stores' lock between processes: a writer waiting for it goes before the writer that
just released it, and a timeout gives the lock back once the wait has ended."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.json_file_store import JsonFileSessionStore
from adapters.process_lock import ProcessLock, ProcessLockTimeout
from adapters.sqlite_store import SqliteSessionStore
from codex_local_sdk.ports import SessionStore
from codex_local_sdk.sessions import SessionRecord, with_session_id

STORES: dict[str, Callable[[Path], SessionStore]] = {
    "json": lambda folder: JsonFileSessionStore(folder / "sessions.json"),
    "sqlite": lambda folder: SqliteSessionStore(folder / "sessions.db"),
}


@pytest.mark.parametrize("make", STORES.values(), ids=STORES.keys())
def test_a_waiting_writer_goes_before_the_one_that_just_released(
    tmp_path: Path, make: Callable[[Path], SessionStore]
) -> None:
    # Two stores on one file, as two processes have: each has its own thread lock.
    first, second = make(tmp_path), make(tmp_path)
    order: list[str] = []
    holding, let_go = threading.Event(), threading.Event()

    def writing(label: str, hold: bool = False) -> Callable[[SessionRecord | None], SessionRecord]:
        def fn(record: SessionRecord | None) -> SessionRecord:
            order.append(label)
            if hold:
                holding.set()
                let_go.wait(30)
            return with_session_id(record, "a", f"thread-{label}", 0.0)

        return fn

    def first_writer() -> None:
        first.update("a", writing("first", hold=True))
        first.update("a", writing("first again"))  # straight back for the lock

    one = threading.Thread(target=first_writer)
    one.start()
    assert holding.wait(30)
    two = threading.Thread(target=lambda: second.update("a", writing("second")))
    two.start()
    time.sleep(0.3)  # the second writer is now waiting for the lock (in the kernel, or polling)
    let_go.set()
    one.join(30)
    two.join(30)
    assert order == ["first", "second", "first again"]


def test_a_lock_held_elsewhere_times_out_and_is_free_once_released(tmp_path: Path) -> None:
    path = str(tmp_path / "store.lock")
    holder = ProcessLock(path, 0)
    holder.acquire()
    waiter = ProcessLock(path, 0.2)
    with pytest.raises(ProcessLockTimeout):
        waiter.acquire()
    holder.release()
    waiter.acquire()  # the timed-out wait left nothing holding the lock
    waiter.release()
    ProcessLock(path, 0).acquire()
