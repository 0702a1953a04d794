"""``codex-local run PROMPT``: one turn, with live progress in a terminal, or the CLI's JSON
event lines byte for byte (``--json``, or stdout not a terminal).

Exit codes: 0 the turn completed, 1 it did not (or the CLI could not run), 2 bad usage,
130 interrupted (Ctrl-C: leaving the live run's ``with`` block kills the CLI's process group
before the command exits).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import CodexError
from ..models import SandboxMode
from . import UsageError
from ._stores import add_store_option, open_store

if TYPE_CHECKING:
    from ..client import CodexLocalClient
    from ..live import CodexLiveRun
    from ..ports import SessionStore
    from ..results import CodexExecResult

CODEX_BIN_ENV = "CODEX_BIN"
"""The environment variable naming the Codex CLI when ``--codex-bin`` is not given."""


def add_codex_bin_option(parser: Any) -> None:
    """Add ``--codex-bin PATH`` to ``parser``."""
    parser.add_argument(
        "--codex-bin", metavar="PATH", help=f"the Codex CLI (default: ${CODEX_BIN_ENV}, else codex)"
    )


def codex_bin_of(args: argparse.Namespace) -> str:
    """The Codex CLI a command runs: ``--codex-bin``, else ``$CODEX_BIN``, else ``codex``."""
    return str(args.codex_bin or os.environ.get(CODEX_BIN_ENV) or "codex")


def register(subparsers: Any) -> None:
    """Add ``run`` to the ``codex-local`` parser."""
    run = subparsers.add_parser(
        "run",
        help="run one turn with live progress",
        description="Run one turn of the Codex CLI. In a terminal, show its progress and then its final "
        "message; with --json or when stdout is not a terminal, print the CLI's JSON event lines as "
        "it printed them.",
    )
    run.add_argument("prompt", metavar="PROMPT", help="the prompt; - reads it from stdin")
    run.add_argument("--session", metavar="NAME", help="save the thread under NAME in the store")
    run.add_argument("--resume", action="store_true", help="continue the session NAME (or the last thread)")
    run.add_argument("--cwd", metavar="DIR", help="the folder the agent works in")
    run.add_argument("--model", metavar="M", help="the model")
    run.add_argument("--sandbox", choices=[mode.value for mode in SandboxMode], help="the sandbox mode")
    run.add_argument(
        "--skip-git-repo-check", action="store_true", help="let the agent work outside a git repository"
    )
    run.add_argument("--json", action="store_true", help="print the JSON event lines, even in a terminal")
    run.add_argument("--schema", metavar="FILE", help="a JSON Schema file the final message must follow")
    run.add_argument("--timeout", type=float, metavar="S", help="stop the run after S seconds")
    run.add_argument("--idle-timeout", type=float, metavar="S", help="stop the run after S seconds silent")
    run.add_argument("--plain", action="store_true", help="line-by-line progress, even with rich installed")
    add_codex_bin_option(run)
    add_store_option(run)
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Run the turn ``args`` describe; return the exit code."""
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise UsageError("the prompt is empty: give it as PROMPT, or pipe it in with -")
    resume: dict[str, Any] | None = None
    if args.resume:
        resume = {"last": True} if args.session is None else {"session_name": args.session}
    as_json = args.json or not sys.stdout.isatty()
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(open_store(args.store)) if args.session is not None else None
        client = _client(args, store)
        options = _request_options(args)
        with _start(client, prompt, resume, options) as live:
            result = _stream_json(live, sys.stdout.buffer) if as_json else _show(live, args.plain)
        if args.session is not None and resume is None and result.thread_id is not None:
            _record_new_session(client, args.session, prompt, options, result)
    if result.succeeded:
        return 0
    why = result.error_message or result.turn_status or f"exit {result.return_code}"
    print(f"codex-local: the turn did not complete: {why}", file=sys.stderr)
    return 1


def _client(args: argparse.Namespace, store: SessionStore | None) -> CodexLocalClient:
    """A client for the run: the CLI, ``store``, the timeouts.

    Raises:
        UsageError: a timeout the client refuses.
    """
    from ..client import CodexLocalClient

    try:
        return CodexLocalClient(
            codex_bin_of(args),
            session_store=store,
            raise_on_error=False,
            timeout_seconds=args.timeout,
            idle_timeout_seconds=args.idle_timeout,
        )
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def _request_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`~codex_local_sdk.models.CodexExecRequest` fields the options set."""
    options = {
        "cwd": args.cwd,
        "model": args.model,
        "sandbox": args.sandbox,
        "output_schema_path": args.schema,
        "skip_git_repo_check": args.skip_git_repo_check or None,
    }
    return {key: value for key, value in options.items() if value is not None}


def _start(
    client: CodexLocalClient, prompt: str, resume: dict[str, Any] | None, options: dict[str, Any]
) -> CodexLiveRun:
    """Start the turn: a new thread, or ``resume_live(**resume)``.

    Raises:
        UsageError: an option the SDK refuses (its message says which).
    """
    from ..models import CodexExecRequest

    try:
        if resume is not None:
            return client.resume_live(prompt, **resume, **options)
        return client.run_live(CodexExecRequest(prompt=prompt, **options))
    except CodexError:  # raised by the run, not by its arguments (CodexOutputError is a ValueError)
        raise
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def _stream_json(live: CodexLiveRun, out: BinaryIO) -> CodexExecResult:
    """Copy each event's line to ``out`` as the CLI printed it; return the result."""
    for event in live.iter_events():
        assert event.line is not None  # a live run's events keep their lines
        out.write(event.line + b"\n")
        out.flush()
    return live.result()


def _show(live: CodexLiveRun, plain: bool) -> CodexExecResult:
    """Show the run's progress in the terminal; return the result."""
    from ._progress import terminal_progress

    progress = terminal_progress(sys.stdout, plain=plain)
    for event in live.iter_events():
        progress.update(event, lambda: live.progress)
    result = live.result()
    progress.close(live.progress, result.turn_status or "ended")
    return result


def _record_new_session(
    client: CodexLocalClient, name: str, prompt: str, options: dict[str, Any], result: CodexExecResult
) -> None:
    """Save the new thread under ``name`` with this turn as its first (a fresh record), and
    the options it was launched with, so a later ``--resume`` runs as it was started."""
    import attrs

    from ..models import CodexExecRequest
    from ..sessions import launch_options, record_turn

    launched = launch_options(CodexExecRequest(prompt=prompt, **options))
    client.session_store.update(
        name,
        lambda _old: attrs.evolve(
            record_turn(
                None,
                name=name,
                result=result,
                operation="run_live",
                prompt=prompt,
                now=time.time(),
                preview_chars=client.preview_chars,
            ),
            launch_options=launched,
        ),
    )
