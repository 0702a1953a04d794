"""What ``codex-local run`` shows in a terminal while a turn runs.

:class:`PlainProgress` prints one line per step, read from each event as the run yields it (a
command started, a command ended with its exit code, a file changed, the plan), so the same
turn always prints the same lines; it works anywhere. :class:`RichProgress` redraws a panel in
place with ``rich`` (the ``cli`` extra) from the run's
:class:`~codex_local_sdk.activity.TurnProgress`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from ..activity import TurnProgress
from ..events import CodexEvent, Usage
from ..items import CommandExecutionItem, FileChangeItem, FileUpdateChange, TodoListItem


class Progress(Protocol):
    """Shows a run: :meth:`update` with each event and how to get the turn so far (a snapshot
    that costs a pass over the items: taken only by a view that shows it), :meth:`close` at
    the end."""

    def update(self, event: CodexEvent, progress: Callable[[], TurnProgress]) -> None: ...

    def close(self, progress: TurnProgress, status: str) -> None: ...


def tokens(usage: Usage | None) -> str:
    """``"tokens: 12 in, 3 out"``, or ``"tokens: -"`` before the CLI reported any."""
    return "tokens: -" if usage is None else f"tokens: {usage.input_tokens} in, {usage.output_tokens} out"


def plan_lines(plan: TodoListItem | None) -> list[str]:
    """The plan's steps, ``[x]`` for done ones."""
    if plan is None:
        return []
    return [f"[{'x' if step.completed else ' '}] {step.text}" for step in plan.items or ()]


def command_line(command: CommandExecutionItem) -> str:
    """``$ CMD`` and, once it ended, its exit code."""
    ended = "" if command.exit_code is None else f"  (exit {command.exit_code})"
    return f"$ {command.command}{ended}"


def file_line(change: FileUpdateChange) -> str:
    """``~ KIND PATH``: one file changed."""
    return f"~ {change.kind} {change.path}"


class PlainProgress:
    """Line by line, for any terminal: a line per step, in the order of the events."""

    def __init__(self, out: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._out = out
        self._clock = clock
        self._start = clock()
        self._plan: list[str] = []

    def update(self, event: CodexEvent, progress: Callable[[], TurnProgress]) -> None:
        """Print the step ``event`` shows, if any: a command as it starts and as it ends, the
        files of a finished change, the plan when it changed."""
        item = event.thread_item
        lines: list[str] = []
        if isinstance(item, CommandExecutionItem) and event.type in ("item.started", "item.completed"):
            lines = [command_line(item)]
        elif isinstance(item, FileChangeItem) and event.type == "item.completed":
            lines = [file_line(change) for change in item.changes or ()]
        elif isinstance(item, TodoListItem) and (plan := plan_lines(item)) != self._plan:
            self._plan = plan
            lines = ["plan:", *plan]
        for line in lines:
            self._write(line)

    def close(self, progress: TurnProgress, status: str) -> None:
        """Print the final message, then the status, tokens and elapsed time."""
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

    def __init__(self, out: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        from rich.console import Console
        from rich.live import Live

        self._console = Console(file=out)
        self._clock = clock
        self._start = clock()
        self._live = Live(console=self._console, auto_refresh=False, transient=True)
        self._live.start()

    def update(self, event: CodexEvent, progress: Callable[[], TurnProgress]) -> None:
        """Redraw the panel for the turn so far."""
        self._live.update(self._panel(progress()), refresh=True)

    def close(self, progress: TurnProgress, status: str) -> None:
        """Leave the panel's last state on screen, then the final message and the totals."""
        panel = self._panel(progress)
        self._live.update(panel, refresh=True)
        self._live.stop()
        self._console.print(panel)
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

        commands = progress.commands_run
        running = [c for c in commands if c.exit_code is None]
        step = f"running {running[-1].command}" if running else "thinking"
        lines = [
            f"step: {step}",
            *map(command_line, commands),
            *map(file_line, progress.file_changes),
            *plan_lines(progress.todo_list),
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
