"""A fleet against the real Codex CLI offline: worker processes, each with its own CODEX_HOME,
share a session store and a thread archive, and continue named sessions wherever their
requests land, with every turn kept and none forked; a worker killed mid-turn loses only
that turn, and another continues the session once its lease expired.

Each test runs twice: with a shared folder (a DirectoryThreadArchive) beside a SQLite or JSON
store, and with one PostgreSQL database holding the store and the archive. The archive is named
by one string and built by ``archive_worker.thread_archive``, in the workers and here where the
tests read it back."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from adapters.store_url import store_from_url
from adapters.thread_archive import find_rollout
from codex_local_sdk.ports import ThreadArchive
from codex_local_sdk.testing.loopback import LoopbackProvider, Reply, write_codex_home
from tests.standins.archive_worker import thread_archive
from tests.test_loopback_provider_real_cli import codex_bin

__all__ = ["codex_bin"]  # the fixture this module uses

REPO = Path(__file__).resolve().parent.parent
HOLD = "hold"
"""A prompt holding this word gets no reply until the test lets it go."""


class Fleet:
    """Worker processes of ``tests.standins.archive_worker`` on one loopback provider, and
    the shared store and archive they use."""

    def __init__(self, codex_bin: str, root: Path, archive_name: str, store: str) -> None:
        self.codex_bin, self.root, self.archive_name, self.store = codex_bin, root, archive_name, store
        self.release = threading.Event()
        self.provider = LoopbackProvider(handler=self._answer).start()
        self.workers: list[subprocess.Popen[str]] = []
        (root / "work").mkdir()

    def start_worker(self, *options: str) -> subprocess.Popen[str]:
        home = self.root / f"home-{len(self.workers)}"
        env = {**os.environ, **write_codex_home(home, self.provider.base_url)}
        argv = [sys.executable, "-m", "tests.standins.archive_worker", self.codex_bin, str(home)]
        argv += [self.store, self.archive_name, str(self.root / "work"), *options]
        worker = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO, env=env
        )
        self.workers.append(worker)
        return worker

    def archive(self) -> ThreadArchive:
        return thread_archive(self.archive_name)

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        for worker in self.workers:
            if worker.poll() is None:
                assert worker.stdin is not None
                worker.stdin.close()
                worker.wait(timeout=30)
        self.provider.stop()

    def _answer(self, body: Mapping[str, Any]) -> Reply:
        prompt = user_prompts(body.get("input", []))[-1]
        if HOLD in prompt:
            self.release.wait(timeout=120)
        return Reply.message(f"re: {prompt}")


def user_prompts(items: list[Any]) -> list[str]:
    """The prompts among Responses API input items (or rollout payloads): the user messages'
    texts, without the context message the CLI sends before the first one."""
    return [
        part["text"]
        for item in items
        if item.get("type") == "message" and item.get("role") == "user"
        for part in item.get("content", [])
        if part.get("type") == "input_text" and not part["text"].startswith("<")
    ]


def send(worker: subprocess.Popen[str], session: str, prompt: str) -> None:
    assert worker.stdin is not None
    worker.stdin.write(f"{session} {prompt}\n")
    worker.stdin.flush()


def answer(worker: subprocess.Popen[str], *, started: bool = False) -> dict[str, Any]:
    """The worker's next answer (or, with ``started``, its next announcement that a turn
    started); the other kind of line is skipped."""
    assert worker.stdout is not None
    while True:
        line = worker.stdout.readline()
        assert line, f"worker {worker.pid} ended (exit code {worker.poll()})"
        result: dict[str, Any] = json.loads(line)
        if result.get("started", False) == started:
            return result


def wait_for_prompt(provider: LoopbackProvider, word: str) -> None:
    """Wait until a request with a prompt holding ``word`` reached ``provider``."""
    deadline = time.monotonic() + 60
    while not any(word in p for r in provider.requests for p in user_prompts(r["input"])):
        assert time.monotonic() < deadline, f"no prompt with {word!r} reached the provider"
        time.sleep(0.05)


def archived_rollout(archive: ThreadArchive, thread_id: str, home: Path) -> list[dict[str, Any]]:
    """The lines of the archived rollout of ``thread_id``, restored into an empty ``home``."""
    assert archive.restore(thread_id, str(home)) is not None
    relative = find_rollout(str(home), thread_id)
    assert relative is not None
    with open(home / relative, encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def turns_of(rollout: list[dict[str, Any]]) -> tuple[list[str], int]:
    """The prompts of a rollout, in order, and how many turn contexts it holds."""
    payloads = [line["payload"] for line in rollout if line["type"] == "response_item"]
    contexts = sum(1 for line in rollout if line["type"] == "turn_context")
    return user_prompts(payloads), contexts


@pytest.fixture(params=["files", "postgres"])
def archive_name(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The shared thread archive, as ``archive_worker.thread_archive`` takes it: a folder, or a
    new PostgreSQL database (a ``postgresql://`` URL) that holds the session store too."""
    if request.param == "files":
        return str(tmp_path / "archive")
    database: str = request.getfixturevalue("postgres_database")
    return database


def store_beside(archive_name: str, file_store: str) -> str:
    """The session store's URL: the archive's database, else ``file_store``."""
    return archive_name if archive_name.startswith("postgresql://") else file_store


WORKERS, SESSIONS, TURNS = 4, 10, 10


def test_four_workers_continue_ten_sessions_wherever_their_turns_land(
    codex_bin: str, tmp_path: Path, archive_name: str
) -> None:
    store_url = store_beside(archive_name, f"sqlite:{tmp_path / 'sessions.sqlite3'}")
    with Fleet(codex_bin, tmp_path, archive_name, store_url) as fleet:
        workers = [fleet.start_worker() for _ in range(WORKERS)]
        sessions = [f"ticket-{n}" for n in range(SESSIONS)]
        landing = [w for w in range(WORKERS) for _ in range(SESSIONS * TURNS // WORKERS)]
        random.Random(4711).shuffle(landing)
        # turn k of every session lands on a random worker; a session's turns run one after
        # the other, the sessions side by side on all workers at once
        assigned = {(s, k): landing[s * TURNS + k] for s in range(SESSIONS) for k in range(TURNS)}
        answers = run_turns(workers, sessions, assigned)

        assert [a for a in answers.values() if "error" in a] == []
        assert sorted(answers) == sorted(assigned)
        store = store_from_url(fleet.store)
        archive = fleet.archive()
        thread_ids = set()
        for s, session in enumerate(sessions):
            mine = [answers[s, k] for k in range(TURNS)]
            assert [a["operation"] for a in mine] == ["start_thread"] + ["resume"] * (TURNS - 1)
            assert {a["thread_id"] for a in mine} == {mine[0]["thread_id"]}, f"{session} forked"
            prompts = [f"{session} turn {k}" for k in range(TURNS)]
            assert [a["message"] for a in mine] == [f"re: {p}" for p in prompts]
            record = store.get_record(session)
            assert record is not None and record.session_id == mine[0]["thread_id"]
            assert (record.turn_count, record.success_count, record.failure_count) == (TURNS, TURNS, 0)
            rollout = archived_rollout(archive, record.session_id, tmp_path / f"reader-{s}")
            assert turns_of(rollout) == (prompts, TURNS)
            thread_ids.add(record.session_id)
        assert archive.threads() == sorted(thread_ids)
        assert sum(r.turn_count for r in (store.get_record(s) for s in sessions) if r) == 100


def run_turns(
    workers: list[subprocess.Popen[str]], sessions: list[str], assigned: Mapping[tuple[int, int], int]
) -> dict[tuple[int, int], dict[str, Any]]:
    """Run every turn ``(session, k)`` on its ``assigned`` worker, each session's in order,
    all workers at once; the answers."""
    answers: dict[tuple[int, int], dict[str, Any]] = {}
    done = [0] * len(sessions)
    busy = [False] * len(sessions)
    changed = threading.Condition()
    total = len(assigned)

    def next_turn(w: int) -> tuple[int, int] | None:
        for s in range(len(sessions)):
            if not busy[s] and (s, done[s]) in assigned and assigned[s, done[s]] == w:
                return s, done[s]
        return None

    def serve(w: int) -> None:
        while True:
            with changed:
                changed.wait_for(lambda: len(answers) == total or next_turn(w) is not None, timeout=120)
                turn = next_turn(w)
                if turn is None:
                    return
                s, k = turn
                busy[s] = True
            send(workers[w], sessions[s], f"{sessions[s]} turn {k}")
            reply = answer(workers[w])
            with changed:
                answers[s, k] = reply
                done[s], busy[s] = k + 1, False
                changed.notify_all()

    threads = [threading.Thread(target=serve, args=(w,)) for w in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return answers


def kill_worker(worker: subprocess.Popen[str]) -> None:
    """SIGKILL ``worker`` and the process groups of its children (the CLI it runs), as a
    machine that dies."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    groups = {os.getpgid(int(pid)) for pid in children}
    worker.kill()
    worker.wait(timeout=30)
    for group in groups:
        os.killpg(group, signal.SIGKILL)


def test_a_worker_killed_mid_turn_loses_that_turn_only_and_another_continues_after_its_lease(
    codex_bin: str, tmp_path: Path, archive_name: str
) -> None:
    with Fleet(
        codex_bin, tmp_path, archive_name, store_beside(archive_name, f"json:{tmp_path / 'sessions.json'}")
    ) as fleet:
        doomed, survivor = fleet.start_worker("--lease-seconds", "3"), fleet.start_worker()
        for k in range(2):
            send(doomed, "ticket", f"turn {k}")
            assert "error" not in answer(doomed)
        send(doomed, "ticket", f"turn 2 {HOLD}")
        wait_for_prompt(fleet.provider, HOLD)
        kill_worker(doomed)

        send(survivor, "ticket", "turn 3")
        after = answer(survivor)

        assert "error" not in after, after
        assert after["message"] == "re: turn 3"
        # the dead worker's lease stood in the way until it expired; its home had the rollout
        assert after["events"] == ["thread.lease_waited", "thread.restored", "thread.archived"]
        store = store_from_url(fleet.store)
        record = store.get_record("ticket")
        assert record is not None and record.session_id == after["thread_id"]
        assert (record.turn_count, record.success_count, record.failure_count) == (3, 3, 0)
        assert [turn.prompt_preview for turn in record.turns] == ["turn 0", "turn 1", "turn 3"]
        rollout = archived_rollout(fleet.archive(), after["thread_id"], tmp_path / "reader")
        assert turns_of(rollout) == (["turn 0", "turn 1", "turn 3"], 3)


def test_two_requests_for_one_session_at_once_run_one_after_the_other(
    codex_bin: str, tmp_path: Path, archive_name: str
) -> None:
    with Fleet(
        codex_bin, tmp_path, archive_name, store_beside(archive_name, f"json:{tmp_path / 'sessions.json'}")
    ) as fleet:
        first, second = fleet.start_worker("--announce"), fleet.start_worker("--announce")
        send(first, "ticket", "turn 0")
        assert "error" not in answer(first)
        send(first, "ticket", f"turn 1 {HOLD}")
        wait_for_prompt(fleet.provider, HOLD)
        send(second, "ticket", "turn 2")
        answer(second, started=True)  # it asks for the lease the first worker holds
        fleet.release.set()
        held, after = answer(first), answer(second)

        assert "error" not in held and "error" not in after, (held, after)
        assert held["events"] == ["thread.archived"]
        assert after["events"] == ["thread.lease_waited", "thread.restored", "thread.archived"]
        assert after["message"] == "re: turn 2" and after["thread_id"] == held["thread_id"]
        last = json.dumps(fleet.provider.requests[-1]["input"])
        assert f"re: turn 1 {HOLD}" in last  # the second turn saw the first one's reply
        record = store_from_url(fleet.store).get_record("ticket")
        assert record is not None
        assert (record.turn_count, record.success_count, record.failure_count) == (3, 3, 0)
        expected = ["turn 0", f"turn 1 {HOLD}", "turn 2"]
        assert [turn.prompt_preview for turn in record.turns] == expected
        rollout = archived_rollout(fleet.archive(), after["thread_id"], tmp_path / "reader")
        assert turns_of(rollout) == (expected, 3)
