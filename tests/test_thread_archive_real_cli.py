"""A named session that moves between machines, against the real Codex CLI offline: two worker
processes, each with its own CODEX_HOME, share a session store and a thread archive (a
DirectoryThreadArchive, or a PostgresThreadArchive on the run's throwaway server) and alternate
turns of one session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_local_sdk.testing.loopback import LoopbackProvider, Reply, write_codex_home
from tests.standins.archive_worker import thread_archive
from tests.test_loopback_provider_real_cli import codex_bin

__all__ = ["codex_bin"]  # the fixture this module uses

REPO = Path(__file__).resolve().parent.parent


class Worker:
    """A worker process: one prompt in, one JSON answer out."""

    def __init__(self, codex_bin: str, home: Path, shared: Path, archive: str, env: dict[str, str]) -> None:
        argv = [
            sys.executable,
            "-m",
            "tests.standins.archive_worker",
            codex_bin,
            str(home),
            str(shared / "sessions.json"),
            archive,
            str(shared / "work"),
        ]
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO, env=env
        )

    def turn(self, prompt: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"ticket {prompt}\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(params=["directory", "postgres"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What the workers share: a folder, or a PostgreSQL database as a ``postgresql://`` URL."""
    if request.param == "directory":
        return str(tmp_path / "archive")
    database: str = request.getfixturevalue("postgres_database")
    return database


@pytest.fixture
def workers(codex_bin: str, tmp_path: Path, archive: str) -> Iterator[tuple[LoopbackProvider, list[Worker]]]:
    (tmp_path / "work").mkdir()
    with LoopbackProvider() as provider:
        started = []
        for name in ("a", "b"):
            env = {**os.environ, **write_codex_home(tmp_path / f"home-{name}", provider.base_url)}
            started.append(Worker(codex_bin, tmp_path / f"home-{name}", tmp_path, archive, env))
        try:
            yield provider, started
        finally:
            for worker in started:
                worker.stop()


def test_two_workers_alternate_turns_of_one_session_with_its_whole_history(
    workers: tuple[LoopbackProvider, list[Worker]], archive: str
) -> None:
    provider, (a, b) = workers
    answers = []
    for number in range(1, 7):
        provider.enqueue(Reply.message(f"reply {number}"))
        answers.append((a if number % 2 else b).turn(f"prompt {number}"))
    assert all("error" not in answer for answer in answers), answers
    assert [answer["message"] for answer in answers] == [f"reply {n}" for n in range(1, 7)]
    assert [answer["operation"] for answer in answers] == ["start_thread"] + ["resume"] * 5
    assert len({answer["thread_id"] for answer in answers}) == 1
    assert thread_archive(archive).threads() == [answers[0]["thread_id"]]
    sizes = [len(request["input"]) for request in provider.requests]
    assert sizes == sorted(sizes) and len(set(sizes)) == 6, sizes
    for number, request in enumerate(provider.requests, start=1):
        history = json.dumps(request["input"])
        assert all(f"prompt {k}" in history and f"reply {k}" in history for k in range(1, number))
