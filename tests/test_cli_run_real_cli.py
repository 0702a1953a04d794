"""``codex-local run`` against the real Codex CLI, offline on the loopback provider: in a real
pseudo-terminal (progress, then the final message; Ctrl-C typed into the terminal), and with
stdout a pipe (the CLI's JSON event lines and nothing else)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codex_local_sdk.cli._stores import open_store
from codex_local_sdk.testing.loopback import Reply
from tests.test_loopback_provider_real_cli import Offline, codex_bin, offline

__all__ = ["codex_bin", "offline"]  # the fixtures this module uses

DEADLINE_SECONDS = 60


WITHOUT_RICH = (
    "import sys; sys.modules['rich'] = None; from codex_local_sdk.cli import main; sys.exit(main())"
)
"""``codex-local`` as if the ``cli`` extra were not installed."""


def command(offline: Offline, *args: str, program: tuple[str, ...] = ("-m", "codex_local_sdk")) -> list[str]:
    return [
        sys.executable,
        *program,
        "run",
        "--codex-bin",
        offline.codex_bin,
        "--cwd",
        str(offline.workdir),
        "--skip-git-repo-check",
        *args,
    ]


class Terminal:
    """``codex-local`` in a pseudo-terminal of its own: what it wrote, and its exit code."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the terminal is its controlling terminal
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # a test run in the background ignores it
            os.execvpe(argv[0], argv, {**env, "TERM": "xterm", "COLUMNS": "100"})
        self.output = b""

    def read_until(self, text: bytes) -> None:
        """Read until ``text`` was written (or the terminal closed); fail after the deadline."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while text not in self.output:
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                pytest.fail(f"no {text!r} in {DEADLINE_SECONDS}s; the terminal shows:\n{self.text}")
            if not self._read(deadline - time.monotonic()):
                return

    def wait(self) -> int:
        """Read to the end; the exit code."""
        self.read_until(b"\0never printed\0")
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace").replace("\r\n", "\n")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the other side closed
            return False
        self.output += chunk
        return bool(chunk)


def processes_with(marker: str) -> list[int]:
    """The pids of the processes whose environment holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if marker.encode() in environ.split(b"\0"):
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("style", ["plain", "rich", "without rich"])
def test_the_terminal_shows_each_command_then_the_final_message(offline: Offline, style: str) -> None:
    offline.provider.enqueue(
        Reply.tool_call("echo first"),
        Reply.tool_call("exit 3"),
        Reply.message("Both ran."),
    )
    if style == "without rich":
        argv = command(offline, "run the two commands", program=("-c", WITHOUT_RICH))
    else:
        argv = command(offline, "run the two commands", *(["--plain"] if style == "plain" else []))

    terminal = Terminal(argv, offline.env)

    assert terminal.wait() == 0, terminal.text
    text = terminal.text
    assert "$ /bin/bash -c 'echo first'  (exit 0)" in text
    assert "$ /bin/bash -c 'exit 3'  (exit 3)" in text
    assert text.index("echo first") < text.index("Both ran.")
    assert re.search(r"completed · tokens: \d+ in, \d+ out · \d+\.\ds", text), text
    assert ("╭" in text) is (style == "rich")  # the panel's corner


def test_ctrl_c_in_the_terminal_exits_130_and_leaves_no_process(offline: Offline) -> None:
    offline.provider.enqueue(Reply.tool_call("sleep 60"), Reply.message("never"))
    terminal = Terminal(command(offline, "wait", "--plain"), offline.env)
    terminal.read_until(b"sleep 60'")
    assert processes_with(f"CODEX_HOME={offline.home}") != []  # the CLI and its command run

    os.write(terminal.fd, b"\x03")  # the terminal turns it into SIGINT for its foreground group

    assert terminal.wait() == 130, terminal.text
    assert processes_with(f"CODEX_HOME={offline.home}") == []


def test_without_a_terminal_the_output_is_the_clis_json_lines_as_printed(offline: Offline) -> None:
    offline.provider.enqueue(Reply.tool_call("echo hi"), Reply.message("Done."))

    process = subprocess.run(
        command(offline, "say hi"), env=offline.env, capture_output=True, timeout=DEADLINE_SECONDS
    )

    assert process.returncode == 0, process.stderr
    lines = process.stdout.split(b"\n")
    assert lines.pop() == b""
    events = [json.loads(line) for line in lines]
    assert [event["type"] for event in events][:2] == ["thread.started", "turn.started"]
    assert events[-1]["type"] == "turn.completed"
    # as the CLI prints it (compact), not as Python's json.dumps would write it again
    assert all(line.startswith(b'{"type":"') for line in lines)
    assert all(json.dumps(event).encode() != line for event, line in zip(events, lines, strict=True))


GUIDE_PAGE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "command-line.md"
TRANSCRIPT_PROMPT = "Count the TODOs in notes.txt and check for a changelog"


def transcript(offline: Offline) -> str:
    """What ``codex-local run --plain`` shows for the guide's example turn, elapsed time as
    ``N.Ns``."""
    (offline.workdir / "notes.txt").write_text("TODO: tests\nTODO: docs\n")
    offline.provider.enqueue(
        Reply.tool_call("grep -c TODO notes.txt"),
        Reply.tool_call("test -f CHANGELOG.md"),
        Reply.message("notes.txt has 2 TODOs. There is no CHANGELOG.md yet."),
    )
    terminal = Terminal(command(offline, TRANSCRIPT_PROMPT, "--plain"), offline.env)
    assert terminal.wait() == 0, terminal.text
    return re.sub(r"\d+\.\ds$", "N.Ns", terminal.text, flags=re.MULTILINE)


def test_the_guide_shows_the_exact_transcript_of_a_run(offline: Offline) -> None:
    shown = transcript(offline)

    page = GUIDE_PAGE.read_text(encoding="utf-8")
    block = page.split(f'$ codex-local run --plain "{TRANSCRIPT_PROMPT}"\n', 1)[1].split("```", 1)[0]
    assert re.sub(r"\d+\.\ds$", "N.Ns", block, flags=re.MULTILINE) == shown


def test_a_named_session_is_saved_then_resumed_and_both_turns_recorded(offline: Offline) -> None:
    offline.provider.enqueue(Reply.message("First."), Reply.message("Second."))
    store = f"json:{offline.home.parent / 'sessions.json'}"
    named = ["--session", "work", "--store", store]

    for extra in (["--sandbox", "read-only"], ["--resume"]):
        process = subprocess.run(
            command(offline, "go on", *named, *extra),
            env=offline.env,
            capture_output=True,
            timeout=DEADLINE_SECONDS,
        )
        assert process.returncode == 0, process.stderr

    listing = subprocess.run(
        [sys.executable, "-m", "codex_local_sdk", "sessions", "list", "--store", store],
        capture_output=True,
        text=True,
        check=True,
    )
    row = listing.stdout.splitlines()[1].split()
    assert row[0] == "work" and row[2:6] == ["2", "2", "0", "completed"]
    with open_store(store) as sessions:
        record = sessions.get_record("work")
    assert record is not None and record.launch_options.get("sandbox") == "read-only"
