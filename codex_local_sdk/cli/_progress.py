"""What ``codex-local run`` shows in a terminal while a turn runs.

:class:`PlainProgress` prints one line per change (a command started, a command's exit
code, a file changed, the plan) and works anywhere; :class:`RichProgress` redraws a panel
in place with ``rich`` (the ``cli`` extra). Both read the run's
:class:`~codex_local_sdk.activity.TurnProgress` after each event.
"""

from __future__ import annotations

import time
from typing import Any, Protocol, TextIO

from ..activity import TurnProgress
from ..events import Usage


class Progress(Protocol):
    """Shows a run: :meth:`update` after each event, :meth:`close` at the end."""

    def update(self, progress: TurnProgress) -> None: ...

    def close(self, progress: TurnProgress, status: str) -> None: ...


def tokens(usage: Usage | None) -> str:
    """``"tokens: 12 in, 3 out"``, or ``"tokens: -"`` before the CLI reported any."""
    return "tokens: -" if usage is None else f"tokens: {usage.input_tokens} in, {usage.output_tokens} out"


def plan_lines(progress: TurnProgress) -> list[str]:
    """The plan's steps, ``[x]`` for done ones."""
    plan = progress.todo_list
    if plan is None:
        return []
    return [f"[{'x' if step.completed else ' '}] {step.text}" for step in plan.items or ()]


def command_lines(progress: TurnProgress) -> list[str]:
    """One line per command: ``$ CMD`` and, once it ended, its exit code."""
    lines = []
    for command in progress.commands_run:
        ended = "" if command.exit_code is None else f"  (exit {command.exit_code})"
        lines.append(f"$ {command.command}{ended}")
    return lines


class PlainProgress:
    """Line by line, for any terminal: each change printed once, in order."""

    def __init__(self, out: TextIO, clock: Any = time.monotonic) -> None:
        self._out = out
        self._clock = clock
        self._start = clock()
        self._shown: set[str] = set()

    def update(self, progress: TurnProgress) -> None:
        """Print what changed since the last call."""
        files = [f"~ {change.kind} {change.path}" for change in progress.file_changes]
        plan = plan_lines(progress)
        for line in [*command_lines(progress), *files, *(["plan:", *plan] if plan else [])]:
            if line not in self._shown:
                self._shown.add(line)
                self._write(line)

    def close(self, progress: TurnProgress, status: str) -> None:
        """Print the final message, then the status, tokens and elapsed time."""
        self.update(progress)
        if progress.agent_message:
            self._write("")
            self._write(progress.agent_message)
        self._write("")
        self._write(f"{status} · {tokens(progress.usage)} · {self._clock() - self._start:.1f}s")

    def _write(self, line: str) -> None:
        self._out.write(line + "\n")
        self._out.flush()


class RichProgress:
    """A panel redrawn in place (``rich``): the current step, the commands with their exit
    codes, the files changed, the plan, tokens so far and the elapsed time."""

    def __init__(self, out: TextIO, clock: Any = time.monotonic) -> None:
        from rich.console import Console
        from rich.live import Live

        self._console = Console(file=out)
        self._clock = clock
        self._start = clock()
        self._live = Live(console=self._console, auto_refresh=False, transient=True)
        self._live.start()

    def update(self, progress: TurnProgress) -> None:
        """Redraw the panel."""
        self._live.update(self._panel(progress), refresh=True)

    def close(self, progress: TurnProgress, status: str) -> None:
        """Leave the panel's last state on screen, then the final message and the totals."""
        self._live.update(self._panel(progress), refresh=True)
        self._live.stop()
        self._console.print(self._panel(progress))
        if progress.agent_message:
            self._console.print(progress.agent_message, markup=False, highlight=False)
        self._console.print(
            f"{status} · {tokens(progress.usage)} · {self._clock() - self._start:.1f}s",
            markup=False,
            highlight=False,
        )

    def _panel(self, progress: TurnProgress) -> Any:
        from rich.panel import Panel
        from rich.text import Text

        running = [c for c in progress.commands_run if c.exit_code is None]
        step = f"running {running[-1].command}" if running else "thinking"
        lines = [
            f"step: {step}",
            *command_lines(progress),
            *[f"~ {change.kind} {change.path}" for change in progress.file_changes],
            *plan_lines(progress),
            f"{tokens(progress.usage)} · {self._clock() - self._start:.1f}s",
        ]
        return Panel(Text("\n".join(lines)), title="codex-local run", expand=False)


def terminal_progress(out: TextIO, *, plain: bool) -> Progress:
    """:class:`RichProgress` when ``rich`` is installed and ``plain`` is false, else
    :class:`PlainProgress`."""
    if not plain:
        try:
            return RichProgress(out)
        except ImportError:
            pass
    return PlainProgress(out)
