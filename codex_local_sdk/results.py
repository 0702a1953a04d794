"""What a run produced: :class:`CodexExecResult`, its token :class:`Usage`, and the turn
statuses that make a run unsuccessful.

A module apart from the requests (:mod:`codex_local_sdk.models`): a result holds the CLI's
events, so it sits above :mod:`codex_local_sdk.events`, where :class:`Usage` is defined too
(an event reports it); requests need neither.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Mapping
from typing import Any

import attrs

from ._compat import accepting_origin_calls
from .activity import MAX_KEPT_ITEMS, ItemViews, fold_items
from .events import CodexEvent, Usage, usage_from
from .items import ThreadItem, decode_item

__all__ = ["UNSUCCESSFUL_TURN_STATUSES", "CodexExecResult", "FailureKind", "Usage", "run_succeeded"]


class FailureKind(str, enum.Enum):
    """Why a run failed, read from its events, stderr and exit by one classifier
    (:func:`codex_local_sdk.errors.classify_failure`). A ``str`` enum: it compares equal to its
    value (``result.failure_kind == "rate_limited"``) and a retry policy takes either.

    The "Retries and timeouts" guide lists how each kind is recognised.
    """

    PROVIDER_UNAVAILABLE = "provider_unavailable"
    """The model provider failed or could not be reached (a 5xx, overloaded, connection refused)."""
    RATE_LIMITED = "rate_limited"
    """The provider said too many requests (429)."""
    USAGE_LIMIT = "usage_limit"
    """The plan's usage limit was reached; the message may say when to come back."""
    AUTH = "auth"
    """Not logged in, or the provider refused the credentials (401, 403)."""
    INVALID_REQUEST = "invalid_request"
    """The CLI refused the call itself: a usage error (exit 2), a bad flag, config or schema."""
    UNKNOWN_THREAD = "unknown_thread"
    """A resume named a thread the CLI has no rollout for."""
    THREAD_BUSY = "thread_busy"
    """A resume named a thread another run was writing."""
    NOT_A_GIT_REPO = "not_a_git_repo"
    """The working directory is not a trusted git repository (and no ``skip_git_repo_check``)."""
    TIMEOUT = "timeout"
    """One of the SDK's timeouts ended the run."""
    STOPPED = "stopped"
    """The caller ended the run: ``terminate()``, ``kill()``, ``close()`` or a cancellation."""
    KILLED = "killed"
    """A signal the SDK did not send ended the CLI."""
    INTERRUPTED = "interrupted"
    """A ``KeyboardInterrupt`` (Ctrl-C) ended the run."""
    OUTPUT_TOO_LARGE = "output_too_large"
    """A stdout line passed the runner's cap."""
    INVALID_OUTPUT = "invalid_output"
    """The final message did not hold the structured output asked for."""
    SPAWN_FAILED = "spawn_failed"
    """The CLI could not be started."""
    UNKNOWN = "unknown"
    """None of the above."""

    def __str__(self) -> str:
        return self.value


UNSUCCESSFUL_TURN_STATUSES = frozenset(
    {"failed", "timed_out", "terminated", "killed", "interrupted", "output_too_large", "lease_lost"}
)
"""The values of :attr:`CodexExecResult.turn_status` that make a run unsuccessful.

``"failed"`` comes from the CLI's ``turn.failed``. The others are set by the SDK when it
ended the process itself and the CLI printed no turn event (it prints none when killed):
``"timed_out"`` (the SDK's timeout), ``"terminated"``/``"killed"`` (a live run's
``terminate()``/``kill()``), ``"interrupted"`` (the run was closed, cancelled or
interrupted while still going), ``"output_too_large"`` (a stdout line passed the
runner's cap: see :attr:`CodexExecResult.exceeded_line_limit`) and ``"lease_lost"`` (this
worker lost the thread's lease in its :class:`~codex_local_sdk.ports.ThreadArchive` while the
turn ran; set whatever the CLI printed, never retried).
"""


_TERMINAL_TURN_STATUSES = frozenset({"completed", "failed", "interrupted"})


def run_succeeded(return_code: int | None, turn_status: str | None) -> bool:
    """Whether a run with this exit code and turn status succeeded: the CLI exited 0 and
    ``turn_status`` is not in :data:`UNSUCCESSFUL_TURN_STATUSES`."""
    return return_code == 0 and turn_status not in UNSUCCESSFUL_TURN_STATUSES


def _usage_value(value: Usage | Mapping[str, Any] | None) -> Usage | None:
    """A ``usage`` as given, or the :class:`Usage` of a dict (as codex-local-sdk-python
    0.1.4's results held it)."""
    return usage_from(value) if isinstance(value, Mapping) else value


def _items_of_events(result: CodexExecResult) -> tuple[Mapping[str, Any], ...]:
    return fold_items(result.events).snapshot()


def _dropped_items_of_events(result: CodexExecResult) -> int:
    return fold_items(result.events).dropped if len(result.events) > MAX_KEPT_ITEMS else 0


@accepting_origin_calls(
    order=(
        "return_code",
        "command",
        "stdout",
        "stderr",
        "final_message",
        "thread_id",
        "turn_status",
        "usage",
        "events",
        "duration_seconds",
    )
)
@attrs.frozen(kw_only=True)
class CodexExecResult(ItemViews):
    """What one run of ``codex exec`` produced (the last attempt, when it was retried).

    Positional arguments follow codex-local-sdk-python 0.1.4's order (``return_code,
    command, stdout, stderr, final_message, thread_id, turn_status, usage, events,
    duration_seconds``); keywords read better. ``usage`` may be given as a dict.

    Attributes:
        return_code: the CLI's exit code; negative ``-N`` when it died of signal ``N``
            (``-15``/``-9`` when the SDK terminated or killed it). ``None`` only when the
            runner's process handle reported no exit status even after the SDK killed the
            process group (:class:`~adapters.subprocess_runner.SubprocessRunner` always
            reaps, so never with it).
        command: the argv that ran (never holds the prompt or an API key).
        stdout: everything the CLI printed on stdout, line by line (empty for a live run
            started without ``keep_events``).
        stderr: the tail of its stderr (bounded by the runner), decoded as UTF-8.
        final_message: the text of the last completed ``agent_message`` item; without JSON
            output, the ``output_last_message_path`` file when it exists, else the stripped
            stdout. ``None`` when there is none.
        events: every JSON event, in order (empty for a live run started without
            ``keep_events``).
        thread_id: the thread (session) id from the first ``thread.started``, if any.
        turn_status: ``"completed"`` or ``"failed"`` from the CLI's last turn event;
            otherwise ``"timed_out"``, ``"terminated"``, ``"killed"``, ``"interrupted"`` or
            ``"output_too_large"`` when the SDK ended the process (see
            :data:`UNSUCCESSFUL_TURN_STATUSES`), else ``None``.
        usage: the thread's running token total as the CLI reported it in
            ``turn.completed``; ``None`` when it reported none. It also reads as a mapping
            (``usage["input_tokens"]``; ``json.dumps`` needs ``dict(usage)``).
        turn_usage: this turn's own tokens, ``usage`` minus the thread's previous total
            (field by field, floored at 0). Known for a new thread (the ``run*`` methods
            and ``start_thread``: the previous total is zero), for a resume by
            ``session_name`` whose record has a ``last_usage``, and for
            :meth:`CodexThreadSession.continue_prompt` right after a turn it ran that
            reported usage. ``None`` (unknown, never a guess) otherwise: a resume by
            ``session_id`` or ``last=True``; whenever ``usage`` is ``None``; and after a
            turn of the thread whose total was not recorded. A named turn clears the
            record's ``last_usage`` when it starts and sets it when it is recorded, so a
            turn that ran but was never recorded (the store failed, the process died, a
            live run was dropped without ``close()``), one that reported no usage (failed,
            interrupted), or one recorded after a later turn was, leaves the next turn's
            ``turn_usage`` ``None`` rather than counting its tokens twice.
        duration_seconds: how long the last attempt took, on the client's clock.
        attempts: how many attempts ran (the number of the last one).
        timed_out: whether the SDK's timeout ended the last attempt.
        error_message: the message of the last ``turn.failed`` or ``error`` event that
            carried one, if any (the run may still have succeeded).
        unparsed_lines: non-blank stdout lines that were not JSON objects, kept verbatim
            (JSON output only): the first 100 and the last 100 of them.
        dropped_unparsed_lines: how many more such lines there were between those, counted
            but not kept (so endless noise on stdout cannot fill the memory).
        exceeded_line_limit: the runner's cap on one stdout line, in bytes, when a line
            passed it (the line was dropped and the SDK ended the run: ``turn_status`` is
            ``"output_too_large"``, whatever turn event the CLI printed); ``None`` otherwise. See
            ``SubprocessRunner(max_line_bytes=...)``.
        requested_thread_id: for a resume by ``session_id`` or ``session_name``, or a fork,
            the thread id that was asked for (a fork's parent); ``None`` otherwise.
        timeout_kind: which of the SDK's limits ended the run, when ``timed_out``:
            ``"total"`` (``timeout_seconds``), ``"idle"`` (``idle_timeout_seconds``) or
            ``"first_event"`` (``first_event_timeout_seconds``); ``None`` otherwise.
        failure_kind: why the run failed (see :class:`FailureKind`); ``None`` when it
            succeeded. The client sets it on every result it returns or raises.
        output: for a run with an output type (``run_with_schema``, ``output_type=``), the
            final message read into it: an instance of the attrs class, dataclass or pydantic
            model, or the parsed JSON for a JSON Schema mapping. ``None`` without an output
            type, for a run that did not succeed, and when the reply did not fit.
        output_errors: why the final message did not fit the output type, one reason per
            field (``"expected an integer, got \"3\" @ Answer.count"``); empty when it fit or
            when there was none to read. With ``raise_on_error`` on, a reply that does not
            fit raises :class:`~codex_local_sdk.errors.CodexOutputError` instead.
        raw_items: the final JSON object of each item of the turn, by id, in first-seen
            order; folded from ``events`` unless given (a live run that does not keep its
            events still keeps these). :attr:`items` is their typed form.
        dropped_items: how many of the turn's oldest items ``raw_items`` does not hold: a
            turn keeps at most :data:`~codex_local_sdk.activity.MAX_KEPT_ITEMS` (10,000).

    What the agent did reads from :attr:`items` and its views: :attr:`commands_run`,
    :attr:`failed_commands`, :attr:`file_changes`, :attr:`todo_list`, :attr:`reasoning`,
    :attr:`errors` and :attr:`has_side_effects`. A run without JSON output has no items,
    so its views are empty.
    """

    return_code: int | None
    command: tuple[str, ...]
    stdout: str
    stderr: str
    final_message: str | None
    events: tuple[CodexEvent, ...] = ()
    thread_id: str | None = None
    turn_status: str | None = None
    usage: Usage | None = attrs.field(default=None, converter=_usage_value)
    turn_usage: Usage | None = None
    duration_seconds: float = 0.0
    attempts: int = 1
    timed_out: bool = False
    error_message: str | None = None
    unparsed_lines: tuple[str, ...] = ()
    dropped_unparsed_lines: int = 0
    exceeded_line_limit: int | None = None
    requested_thread_id: str | None = None
    timeout_kind: str | None = None
    failure_kind: FailureKind | None = attrs.field(
        default=None, converter=attrs.converters.optional(FailureKind)
    )
    output: Any = None
    output_errors: tuple[str, ...] = ()
    raw_items: tuple[Mapping[str, Any], ...] = attrs.field(
        default=attrs.Factory(_items_of_events, takes_self=True), repr=False
    )
    dropped_items: int = attrs.field(default=attrs.Factory(_dropped_items_of_events, takes_self=True))

    @functools.cached_property
    def items(self) -> tuple[ThreadItem, ...]:
        """Each item of the turn in its final state, typed (see :mod:`codex_local_sdk.items`),
        in first-seen order. Decoded on first access."""
        return tuple(map(decode_item, self.raw_items))

    @property
    def succeeded(self) -> bool:
        """True when the CLI exited 0 and ``turn_status`` is not in
        :data:`UNSUCCESSFUL_TURN_STATUSES` (a run with no turn event can succeed)."""
        return run_succeeded(self.return_code, self.turn_status)

    @property
    def is_turn_complete(self) -> bool:
        """True when ``turn_status`` is ``"completed"``: the CLI's last turn event was
        ``turn.completed``."""
        return self.turn_status == "completed"

    is_turn_completed = is_turn_complete
    """:attr:`is_turn_complete`, under codex-local-sdk-python 0.1.4's name for it."""

    @property
    def ok(self) -> bool:
        """True when the CLI exited 0 (codex-local-sdk-python 0.1.4's check). A failed turn
        may still exit 0: :attr:`succeeded` also looks at ``turn_status``."""
        return self.return_code == 0

    @property
    def is_turn_failed(self) -> bool:
        """True when ``turn_status`` is ``"failed"``: the CLI's last turn event was
        ``turn.failed``."""
        return self.turn_status == "failed"

    @property
    def is_turn_terminal(self) -> bool:
        """True when ``turn_status`` is ``"completed"``, ``"failed"`` or ``"interrupted"``:
        the turn came to an end the CLI or the SDK reported as such."""
        return self.turn_status in _TERMINAL_TURN_STATUSES

    def parse_json(self) -> Any:
        """The final message parsed as JSON (for runs with an output schema).

        Returns:
            The decoded JSON value.

        Raises:
            ValueError: there is no final message, or it is not valid JSON.
        """
        if self.final_message is None:
            raise ValueError("the run produced no final message to parse as JSON")
        try:
            return json.loads(self.final_message)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"the final message is not valid JSON ({exc}): {self.final_message[:200]!r}"
            ) from exc
