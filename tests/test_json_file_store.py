"""JsonFileSessionStore against real processes and real files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters.json_file_store import JsonFileSessionStore
from codex_local_sdk import (
    SessionStoreCorruptError,
    SessionStoreError,
    SessionStoreLockTimeout,
    SessionStoreSchemaError,
)
from codex_local_sdk.sessions import SessionRecord
from tests.store_workers import python, record_turns


def test_eight_processes_lose_no_turn(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    workers = [record_turns(f"json:{path}", n, 50) for n in range(8)]
    assert [w.wait(timeout=300) for w in workers] == [0] * 8
    record = JsonFileSessionStore(path).get_record("shared")
    assert record is not None
    assert record.turn_count == 400
    assert record.success_count + record.failure_count == 400
    assert record.success_count == 200
    assert len(record.turns) == 20


WRITE_FOREVER = """
import sys
from adapters.json_file_store import JsonFileSessionStore
store = JsonFileSessionStore(sys.argv[1])
i = 0
while True:
    i += 1
    store.set(f"session-{i % 500}", "x" * 2000 + str(i))
"""


def test_sigkill_while_writing_leaves_a_loadable_file(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    for _ in range(5):
        writer = python(WRITE_FOREVER, str(path))
        deadline = time.monotonic() + 60
        while not path.exists() or len(JsonFileSessionStore(path).all()) < 50:
            assert time.monotonic() < deadline and writer.poll() is None
            time.sleep(0.01)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert len(JsonFileSessionStore(path).all()) >= 50  # old or new, never torn
        assert json.loads(path.read_text())["schema_version"] == 3


def test_legacy_files_migrate_to_v3(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    path.write_text(json.dumps({"ticket-1": "thread-1", "tïcket-2": "thread-2"}))
    store = JsonFileSessionStore(path)
    assert store.all() == {"ticket-1": "thread-1", "tïcket-2": "thread-2"}
    payload = json.loads(path.read_text())
    assert payload["schema_version"] == 3
    assert payload["records"]["ticket-1"]["session_id"] == "thread-1"


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        (b"{not json", SessionStoreCorruptError, "not valid JSON"),
        (b"", SessionStoreCorruptError, "not valid JSON"),
        (b"[1, 2]", SessionStoreCorruptError, "JSON list"),
        (b'{"schema_version": 4, "records": {}}', SessionStoreSchemaError, "newer"),
        (b'{"schema_version": 1, "records": {}}', SessionStoreCorruptError, "schema_version 1"),
        (
            b'{"schema_version": 2, "records": {"a": {"name": "a"}}}',
            SessionStoreCorruptError,
            re.escape('required field missing @ records["a"].session_id'),
        ),
        (b'{"schema_version": 2, "records": {"a": null}}', SessionStoreCorruptError, "record 'a'"),
        (b'{"a": 1}', SessionStoreCorruptError, "legacy"),
        (b"\xff\xfe", SessionStoreCorruptError, "UTF-8"),
    ],
)
def test_unreadable_files_raise_and_stay_untouched(
    tmp_path: Path, content: bytes, error: type[Exception], match: str
) -> None:
    path = tmp_path / "sessions.json"
    path.write_bytes(content)
    before = os.stat(path)
    store = JsonFileSessionStore(path)
    for action in (store.all, lambda: store.set("b", "t"), lambda: store.get("a")):
        with pytest.raises(error, match=match) as info:
            action()
        assert str(path) in str(info.value)
    assert path.read_bytes() == content
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns


def test_file_mode_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "nested" / "sessions.json"
        JsonFileSessionStore(path).set("a", "thread-a")
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o600


HOLD_LOCK = """
import sys, time, filelock
with filelock.FileLock(sys.argv[1] + ".lock"):
    print("locked", flush=True)
    time.sleep(30)
"""


def test_lock_timeout_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        with pytest.raises(SessionStoreLockTimeout, match="lock_timeout_seconds"):
            JsonFileSessionStore(path, lock_timeout_seconds=0.2).set("a", "t")
    finally:
        holder.kill()
        holder.wait()


def test_a_path_the_system_refuses_is_a_store_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    store = JsonFileSessionStore(tmp_path / "a-file" / "sessions.json")
    with pytest.raises(SessionStoreError) as reading:
        store.get("a")
    with pytest.raises(SessionStoreError) as writing:
        store.set("a", "t")
    for action, info in (("read", reading), ("lock", writing)):
        assert type(info.value) is SessionStoreError
        assert str(info.value).startswith(f"could not {action} session store {store.path}: ")
        assert info.value.path == str(store.path)
    assert (tmp_path / "a-file").read_text() == "not a folder"


def test_a_failed_write_is_a_store_error_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sessions.json"
    store = JsonFileSessionStore(path)
    store.set("a", "t-1")
    before = path.read_bytes()

    def read_only_file_system(src: str, dst: str) -> None:
        raise OSError(30, "Read-only file system", dst)

    monkeypatch.setattr(os, "replace", read_only_file_system)  # a full or read-only disk, even as root
    with pytest.raises(SessionStoreError, match=r"could not write session store .*: Read-only file system"):
        store.set("a", "t-2")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_writes_through_a_linked_file_land_in_its_target(tmp_path: Path) -> None:
    (tmp_path / "volume").mkdir()
    target = tmp_path / "volume" / "sessions.json"
    JsonFileSessionStore(target).set("before", "t-0")
    link = tmp_path / "sessions.json"
    link.symlink_to("volume/sessions.json")  # relative, as a deployment would set it up
    store = JsonFileSessionStore(link)
    store.set("a", "t-1")
    store.set("b", "t-2")
    assert os.readlink(link) == "volume/sessions.json"  # still the link, never replaced
    assert JsonFileSessionStore(target).all() == {"before": "t-0", "a": "t-1", "b": "t-2"}
    assert store.all() == {"before": "t-0", "a": "t-1", "b": "t-2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sessions.json", "volume"]
    assert (tmp_path / "volume" / "sessions.json.lock").exists()  # one lock for every path to the file


def test_a_store_opened_through_a_link_takes_the_targets_lock(tmp_path: Path) -> None:
    (tmp_path / "volume").mkdir()
    target = tmp_path / "volume" / "sessions.json"
    (tmp_path / "sessions.json").symlink_to(target)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(target)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        with pytest.raises(SessionStoreLockTimeout):
            JsonFileSessionStore(tmp_path / "sessions.json", lock_timeout_seconds=0.2).set("a", "t")
    finally:
        holder.kill()
        holder.wait()


def test_writes_through_a_linked_folder_land_in_its_target(tmp_path: Path) -> None:
    (tmp_path / "volume").mkdir()
    (tmp_path / "data").symlink_to("volume", target_is_directory=True)
    JsonFileSessionStore(tmp_path / "data" / "sessions.json").set("a", "t-1")
    assert (tmp_path / "data").is_symlink()
    assert sorted(p.name for p in (tmp_path / "volume").iterdir()) == [
        "sessions.json",
        "sessions.json.lock",
        "sessions.json.lock.queue",
    ]
    assert JsonFileSessionStore(tmp_path / "volume" / "sessions.json").get("a") == "t-1"


def test_a_dangling_link_creates_its_target(tmp_path: Path) -> None:
    (tmp_path / "volume").mkdir()
    link = tmp_path / "sessions.json"
    link.symlink_to("volume/sessions.json")
    JsonFileSessionStore(link).set("a", "t-1")
    assert link.is_symlink()
    target = tmp_path / "volume" / "sessions.json"
    assert JsonFileSessionStore(target).get("a") == "t-1"
    assert os.stat(target).st_mode & 0o777 == 0o600


@pytest.mark.parametrize("linked", ["file", "folder"])
def test_a_link_into_a_missing_folder_is_refused(tmp_path: Path, linked: str) -> None:
    unmounted = tmp_path / "unmounted"  # a volume that is not mounted: never write beneath it
    if linked == "file":
        link = tmp_path / "sessions.json"
        link.symlink_to(unmounted / "sessions.json")
        path = link
    else:
        link = tmp_path / "data"
        link.symlink_to(unmounted, target_is_directory=True)
        path = link / "sessions.json"
    store = JsonFileSessionStore(path)
    assert store.get("a") is None
    with pytest.raises(SessionStoreError) as info:
        store.set("a", "t-1")
    message = str(info.value)
    target = unmounted / "sessions.json"
    assert message.startswith(f"could not write session store {path}: it is a link to {target}")
    assert "whose folder does not exist" in message
    assert info.value.path == str(path)
    assert not unmounted.exists()
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == [link.name]


def test_a_fork_parent_is_kept_and_only_forks_write_one(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    store = JsonFileSessionStore(path)
    forked = SessionRecord(
        session_id="t-2", name="alt", created_at=1.0, updated_at=1.0, parent_session_id="t-1"
    )
    store.update("alt", lambda _: forked)
    store.set("plain", "t-3")
    assert JsonFileSessionStore(path).get_record("alt") == forked
    records = json.loads(path.read_text(encoding="utf-8"))["records"]
    assert (records["alt"]["parent_session_id"], "parent_session_id" in records["plain"]) == ("t-1", False)


def test_launch_options_and_metadata_are_optional_keys_written_only_when_set(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    before = (
        '{"schema_version": 2, "records": {\n"a": {"created_at": 1.0, "failure_count": 0, '
        '"last_turn_status": null, "last_usage": null, "name": "a", "session_id": "t-1", '
        '"success_count": 0, "turn_count": 0, "turns": [], "updated_at": 1.0}\n}}\n'
    )
    path.write_text(before, encoding="utf-8")
    store = JsonFileSessionStore(path)
    record = store.get_record("a")
    assert record is not None and (record.launch_options, record.metadata) == ({}, {})
    launched = SessionRecord(
        session_id="t-2",
        name="b",
        created_at=2.0,
        updated_at=2.0,
        launch_options={"sandbox": "read-only", "add_dirs": ["x"], "config": {"k": [1, True]}},
        metadata={"ticket": "4711"},
    )
    store.update("b", lambda _: launched)
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["schema_version"] == 3
    assert path.read_text(encoding="utf-8").splitlines()[1] == before.splitlines()[1] + ","  # "a" as it was
    assert JsonFileSessionStore(path).get_record("b") == launched


def test_a_store_call_inside_an_update_neither_waits_for_its_own_lock_nor_is_lost(tmp_path: Path) -> None:
    store = JsonFileSessionStore(tmp_path / "s.json", lock_timeout_seconds=1)
    store.set("main", "t-1")

    def fn(record: SessionRecord | None) -> SessionRecord | None:
        assert store.get("other") is None  # a read, then a write, from inside the update
        store.set("other", "t-2")
        return record

    store.update("main", fn)
    assert store.all() == {"main": "t-1", "other": "t-2"}
