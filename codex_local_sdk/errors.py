"""Errors raised by codex_local_sdk.

The tree::

    CodexError
    ├── CodexNotInstalledError        the CLI binary was not found
    ├── CodexSpawnError               the CLI could not be started for another reason
    ├── CodexUnsupportedCliError      the installed CLI is too old (strict_cli_version=True) or unreadable
    │   └── CodexUnsupportedOptionError   ... or lacks an option the request uses
    ├── CodexExecFailedError          a run ended badly and raise_on_error=True (.failure_kind)
    │   ├── CodexTimeoutError         ... because one of the SDK's timeouts ended it
    │   ├── CodexAuthError            ... because the provider refused the login (401, 403)
    │   ├── CodexRateLimitError       ... because the provider said too many requests (429)
    │   ├── CodexUsageLimitError      ... because the plan's usage limit was reached
    │   ├── CodexOutputTooLargeError  ... because a stdout line passed the runner's cap
    │   ├── CodexUnknownThreadError   ... because the CLI does not know the thread id
    │   ├── CodexThreadBusyError      ... because another run is continuing that thread
    │   └── CodexOutputError          ... because the reply did not fit the output type
    ├── CodexSessionError             a named session is unknown or a run gave no thread id
    └── SessionStoreError             a session store cannot be read or written
        ├── SessionStoreCorruptError  the file is not a valid store (left untouched)
        ├── SessionStoreSchemaError   the file has a newer schema (left untouched)
        └── SessionStoreLockTimeout   the store's lock could not be taken in time

Errors carry fields so callers branch on them, not on message text: every failed result,
and so every :class:`CodexExecFailedError`, has a :class:`~codex_local_sdk.results.FailureKind`
that :func:`classify_failure` read from it, the one place a failure is recognised.
"""

from __future__ import annotations

import datetime
import re
import signal
from typing import TYPE_CHECKING

from .results import CodexExecResult, FailureKind

if TYPE_CHECKING:
    from .versions import CliVersion, OptionSupport


class CodexError(Exception):
    """Base class of every error this SDK raises on purpose."""


class CodexNotInstalledError(CodexError):
    """The Codex CLI binary could not be started because it, or the interpreter its ``#!``
    line names, was not found. Never retried.

    Args:
        binary: the binary that was looked up; given alone, as codex-local-sdk-python 0.1.4
            took it, the error's message (``binary`` and ``search_path`` are then ``""``).
        search_path: the ``PATH`` of the run's environment.
        interpreter: the interpreter named in the ``#!`` line of ``binary``, when ``binary``
            exists and that interpreter is what was missing.

    Attributes:
        binary: the binary that was looked up (``argv[0]``).
        search_path: the ``PATH`` of the run's environment; it was searched only if
            ``binary`` has no ``/``.
        interpreter: the missing interpreter of a ``binary`` that exists, else ``None``.
    """

    def __init__(
        self, binary: str, search_path: str | None = None, *, interpreter: str | None = None
    ) -> None:
        if search_path is None and interpreter is None:
            self.binary = self.search_path = ""
            self.interpreter = None
            super().__init__(binary)
            return
        self.binary = binary
        self.search_path = search_path or ""
        self.interpreter = interpreter
        if interpreter is not None:
            super().__init__(
                f"Codex CLI {binary!r} exists, but the interpreter {interpreter!r} named in its #! line "
                "was not found. Install that interpreter (Node.js for the npm package), or fix the #! line."
            )
            return
        where = "no such file" if "/" in binary else f"PATH searched: {search_path!r}"
        super().__init__(
            f"Codex CLI {binary!r} was not found ({where}). Install it with "
            "`npm install -g @openai/codex`, or without Node with `pip install 'codex-local-sdk[cli-bin]'` "
            "(used when codex_bin is the default 'codex'), or pass codex_bin= with its full path."
        )


class CodexSpawnError(CodexError):
    """The CLI could not be started for a reason other than a missing binary (permissions,
    resources, a missing or unusable ``cwd``). Retried like a failed run while the retry
    policy allows more attempts.

    Args:
        binary: the binary that was started.
        reason: what went wrong, for the message.

    Attributes:
        binary: the binary that was started (``argv[0]``).
    """

    def __init__(self, binary: str, reason: str) -> None:
        self.binary = binary
        super().__init__(f"could not start {binary!r}: {reason}")


class CodexUnsupportedCliError(CodexError):
    """The installed Codex CLI cannot be used as asked: it is older than the oldest version
    the SDK supports (raised with ``strict_cli_version=True``; otherwise a warning is logged),
    or its ``--version`` output could not be read. Nothing was run. Never retried.

    Args:
        message: what is wrong and what to do.
        installed: the installed CLI's version, when it could be read.

    Attributes:
        installed: the installed CLI's version (``None`` when it could not be read).
    """

    def __init__(self, message: str, *, installed: CliVersion | None = None) -> None:
        self.installed = installed
        super().__init__(message)


class CodexUnsupportedOptionError(CodexUnsupportedCliError):
    """A request uses an option that the installed Codex CLI does not have (it came in a
    later release, or was removed); raised before anything runs.

    Args:
        row: the option's row in :data:`codex_local_sdk.versions.OPTIONS`.
        installed: the installed CLI's version.

    Attributes:
        option: the option (``--strict-config``) or subcommand (``fork``).
        command: where it was given: ``"exec"``, or the subcommand it follows.
        since: the first CLI version that has it (``None``: every version read has it).
        removed_in: the first CLI version without it again, if it was removed.
    """

    def __init__(self, row: OptionSupport, installed: CliVersion) -> None:
        self.option = row.option
        self.command = row.command
        self.since = row.since
        self.removed_in = row.removed_in
        where = "codex exec" if row.command == "exec" else f"codex exec {row.command}"
        if row.since is not None and installed < row.since:
            why = f"it came in Codex CLI {row.since}: upgrade the CLI (npm install -g @openai/codex)"
        else:
            why = f"Codex CLI {row.removed_in} removed it: drop the option, or use a CLI older than that"
        super().__init__(
            f"{where} {row.option} is not available in the installed Codex CLI {installed}; {why}",
            installed=installed,
        )


class CodexExecFailedError(CodexError):
    """A run did not succeed (see :attr:`CodexExecResult.succeeded`: a non-zero exit, or a
    turn that failed or that the SDK ended) and the client has ``raise_on_error=True``.

    The arguments keep codex-local-sdk-python 0.1.4's order, ``(message, result)``; our own
    code passes ``result=`` alone.

    Args:
        message: the error message; ``None``: one built from ``result``.
        result: the result of the last attempt (required).

    Raises:
        TypeError: no ``result``, or a result passed first (the message comes first).

    Attributes:
        result: the full :class:`CodexExecResult` of the last attempt.
        return_code: ``result.return_code``: the CLI's exit code, ``-N`` when it died of
            signal ``N`` (``-15`` or ``-9`` after a timeout, SIGTERM then SIGKILL).
            ``None`` only when the runner's process handle reported no exit status even
            after the SDK killed the process group (never with
            :class:`~adapters.subprocess_runner.SubprocessRunner`, which always reaps).
        stderr_tail: the last lines (at most 20, 4000 characters) of the CLI's stderr.
        turn_error: ``result.error_message``: the message of the last ``turn.failed`` or
            ``error`` event, if any.
        thread_id: the thread the run belonged to, if it reported one.
        failure_kind: why it failed: ``result.failure_kind``, or what
            :func:`classify_failure` reads from ``result`` when that is unset.
    """

    def __init__(self, message: str | None = None, result: CodexExecResult | None = None) -> None:
        if result is None or not isinstance(message, (str, type(None))):
            raise TypeError(
                f"{type(self).__name__}(message, result) needs the run's result, after the message: "
                f"pass result=... (got message={message!r:.80}, result={result!r:.80})"
            )
        self.result = result
        self.return_code = result.return_code
        self.stderr_tail = _tail(result.stderr)
        self.turn_error = result.error_message
        self.thread_id = result.thread_id
        self.failure_kind = result.failure_kind or classify_failure(result) or FailureKind.UNKNOWN
        super().__init__(message or self._describe())

    def _describe(self) -> str:
        attempts = f"after {self.result.attempts} attempt(s)"
        stopped = sdk_stop_reason(self.result.turn_status)
        if stopped is not None:
            last_stderr = f". Last stderr: {self.stderr_tail}" if self.stderr_tail else ""
            return f"codex was {stopped}, {attempts}; exit code {self.return_code}{last_stderr}"
        detail = (
            self.turn_error or cli_error_line(self.result.stderr) or self.stderr_tail or "no output on stderr"
        )
        return f"codex exited with code {self.return_code} {attempts}: {detail}"


class CodexTimeoutError(CodexExecFailedError):
    """One of the SDK's timeouts ended the run (``result.timed_out``); its process group
    was terminated (SIGTERM, then SIGKILL after the grace period). ``result`` is the partial
    result: the events read so far, and the thread id if the CLI reported one.

    Args:
        message: the error message; ``None``: one built from ``result``.
        result: the result of the last attempt (required).
        timeout_seconds: the timeout that ended it, when known.

    Attributes:
        timeout_seconds: the limit that ended it, in seconds, when known (``None`` when the
            CLI closed its stdout and then did not exit within the grace period).
        timeout_kind: which limit: ``"total"`` (``timeout_seconds``), ``"idle"``
            (``idle_timeout_seconds``: no progress for that long) or ``"first_event"``
            (``first_event_timeout_seconds``: no progress at all since the start).
    """

    def __init__(
        self,
        message: str | None = None,
        result: CodexExecResult | None = None,
        *,
        timeout_seconds: float | None = None,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        # _describe reads it; without a result, the base raises the TypeError that says so
        self.timeout_kind = (result.timeout_kind if result is not None else None) or "total"
        super().__init__(message, result)

    def _describe(self) -> str:
        limit = f" of {self.timeout_seconds:g} s" if self.timeout_seconds is not None else ""
        what = {
            "idle": f"codex made no progress within the idle timeout{limit}",
            "first_event": f"codex made no progress within the first-event timeout{limit}",
        }.get(self.timeout_kind, f"codex did not finish within the timeout{limit}")
        return f"{what} after {self.result.attempts} attempt(s); its process group was terminated" + (
            f". Last stderr: {self.stderr_tail}" if self.stderr_tail else ""
        )


class CodexAuthError(CodexExecFailedError):
    """The provider refused the credentials (401, 403), or the CLI has none (not logged in,
    the provider's key variable unset). A retry cannot fix it: log in, or pass ``api_key``."""


class CodexRateLimitError(CodexExecFailedError):
    """The provider answered 429 (too many requests). The CLI 0.169.0 passes on no
    retry-after: a retry policy's backoff decides when to try again."""


class CodexUsageLimitError(CodexExecFailedError):
    """The plan's usage limit was reached.

    Args:
        message: the error message; ``None``: one built from ``result``.
        result: the result of the last attempt (required).

    Attributes:
        resets_at: when the CLI says to come back, as an aware local :class:`datetime.datetime`
            (the CLI prints it in its local time; it is read in this process's local time
            zone), or ``None`` when it gave no time.
    """

    def __init__(self, message: str | None = None, result: CodexExecResult | None = None) -> None:
        super().__init__(message, result)
        self.resets_at = usage_limit_resets_at(failure_text(self.result))


class CodexOutputTooLargeError(CodexExecFailedError):
    """A stdout line of the CLI passed the runner's cap (``result.exceeded_line_limit``
    bytes; ``SubprocessRunner(max_line_bytes=...)``, 64 MiB by default), so the SDK ended the
    run: its process group was terminated (SIGTERM, then SIGKILL after the grace period).
    The result keeps what came before that line. Retried like a failed run while the
    client's retry policy allows."""

    def _describe(self) -> str:
        limit = self.result.exceeded_line_limit
        return (
            f"codex printed a stdout line longer than {limit:,} bytes after {self.result.attempts} "
            "attempt(s), so its process group was terminated. If lines that long are expected, "
            "raise the cap: CodexLocalClient(runner=SubprocessRunner(max_line_bytes=...))"
        )


class CodexUnknownThreadError(CodexExecFailedError):
    """A resume by thread id (``session_id`` or ``session_name``) named a thread the CLI has
    no record of: its stderr says ``no rollout found``."""

    def _describe(self) -> str:
        return (
            f"codex has no thread {self.result.requested_thread_id!r} to resume or fork "
            "(it found no rollout for that id in its CODEX_HOME). Start a new thread instead, "
            "or check that CODEX_HOME is the one the thread was started with."
        )


class CodexThreadBusyError(CodexExecFailedError):
    """A resume by thread id (``session_id`` or ``session_name``) named a thread that another
    run was continuing at that moment: the CLI lets one run at a time write a thread, and its
    stderr says ``already has an active writer``. The CLI stopped before it asked the model
    anything. Like any failed run it is retried while the client's retry policy allows, so a
    policy with a few seconds of backoff waits the other run out.

    With a :class:`~codex_local_sdk.ports.ThreadArchive`, it also says that another worker held
    the thread's lease for longer than the archive's ``lease_wait_seconds`` (then no run started
    and :attr:`result` is ``None``), or that this worker lost the lease while its turn ran (then
    the SDK killed the CLI as soon as a renewal found it lost, ``turn_status`` ``"lease_lost"``,
    or the archive refused the turn's rollout; :attr:`result` holds the turn, never retried)."""

    def __init__(self, message: str | None = None, result: CodexExecResult | None = None) -> None:
        if result is not None:
            super().__init__(message, result)
            return
        if not message:
            raise TypeError("CodexThreadBusyError without a result needs a message saying which thread")
        # No run started (another worker holds the thread's lease in a ThreadArchive).
        self.result = None  # type: ignore[assignment]
        self.return_code = None
        self.stderr_tail = ""
        self.turn_error = None
        self.thread_id = None
        self.failure_kind = FailureKind.THREAD_BUSY
        CodexError.__init__(self, message)

    def _describe(self) -> str:
        return (
            f"codex thread {self.result.requested_thread_id!r} is being continued by another run "
            "right now (the CLI lets one run at a time write a thread). Resume it again once that "
            "run has finished, or give the client a RetryPolicy to wait it out."
        )


class CodexOutputError(CodexExecFailedError, ValueError):
    """The run succeeded, but its final message did not fit the output type it was asked for
    (``run_with_schema``, ``output_type=``): not JSON, or JSON that a field of the type does
    not accept. The turn was recorded like any other, so ``result.thread_id`` can continue
    it. It is also a ``ValueError``, as :meth:`CodexExecResult.parse_json` raises for a
    reply that is not JSON.

    Args:
        message: the error message; by default one built from ``result``.
        result: the run's result; its ``output_errors`` say what did not fit.

    Attributes:
        raw_text: the final message as the CLI gave it (``None`` when there was none).
        reasons: ``result.output_errors``: one reason per field, each ending with where it
            is (``"expected an integer, got \"3\" @ Answer.count"``).
        failure_kind: always ``invalid_output``: the run itself succeeded.
    """

    def __init__(self, message: str | None = None, result: CodexExecResult | None = None) -> None:
        super().__init__(message, result)
        self.failure_kind = FailureKind.INVALID_OUTPUT

    @property
    def raw_text(self) -> str | None:
        return self.result.final_message

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.result.output_errors

    def _describe(self) -> str:
        raw = (
            self.raw_text
            if self.raw_text is None or len(self.raw_text) <= 200
            else self.raw_text[:197] + "..."
        )
        return (
            f"codex's final message does not fit the output type: {'; '.join(self.reasons)}. "
            f"Final message: {raw!r}"
        )


class CodexSessionError(CodexError):
    """A named session is not in the store, or a run that must start a thread (``start_thread``)
    reported no thread id."""


class ThreadArchiveError(CodexError):
    """A :class:`~codex_local_sdk.ports.ThreadArchive` failed: its shared folder or database
    could not be read or written, its lock was not free in time, or it raised anything else.

    Before the run (taking the thread's lease, restoring its rollout) nothing ran, and
    :attr:`result` is ``None``. After the run (saving the rollout) the turn did run, and
    :attr:`result` holds it, thread id included; but the archive kept the thread as it was
    before the turn, so the next turn, on any worker, continues without it. What the named
    session records then:

    * a thread the run started (``start_thread``, a fork) is recorded under its session name
      as usual: its rollout is on this machine, and the next turn saved from it archives it
      whole;
    * a turn of an existing thread is not recorded: the archived thread, which every worker
      restores, does not hold it.

    Args:
        message: the error message.
        result: the turn, when it ran.
        thread_id: the thread; by default ``result.thread_id``.

    Attributes:
        result: the :class:`CodexExecResult` of the turn whose rollout was not archived, or
            ``None`` when no run started.
        thread_id: the thread the archive failed on.
    """

    def __init__(
        self, message: str, result: CodexExecResult | None = None, thread_id: str | None = None
    ) -> None:
        self.result = result
        self.thread_id = thread_id if thread_id is not None or result is None else result.thread_id
        super().__init__(message)


class SessionStoreError(CodexError):
    """A session store could not be read or written.

    When it is raised while the client records a finished turn, the run itself happened:
    :attr:`result` holds it, with the thread id, so nothing is lost.

    Args:
        message: the error message.
        path: the store's file, when it has one.

    Attributes:
        path: the store's file, when it has one.
        result: the :class:`CodexExecResult` of the turn that could not be recorded, when the
            error came from recording one; ``None`` otherwise.
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        self.result: CodexExecResult | None = None
        super().__init__(message)


class SessionStoreCorruptError(SessionStoreError):
    """The store file is not a valid session store; it was left untouched."""


class SessionStoreSchemaError(SessionStoreError):
    """The store file was written by a newer schema than this code knows; it was left untouched."""


class SessionStoreLockTimeout(SessionStoreError):
    """The store's cross-process lock was not acquired in time."""


_ERRORS_BY_KIND: dict[FailureKind, type[CodexExecFailedError]] = {
    FailureKind.OUTPUT_TOO_LARGE: CodexOutputTooLargeError,
    FailureKind.UNKNOWN_THREAD: CodexUnknownThreadError,
    FailureKind.THREAD_BUSY: CodexThreadBusyError,
    FailureKind.AUTH: CodexAuthError,
    FailureKind.RATE_LIMITED: CodexRateLimitError,
    FailureKind.USAGE_LIMIT: CodexUsageLimitError,
}


def error_for(
    result: CodexExecResult, timeout: float | None = None, *, not_retried: str | None = None
) -> CodexExecFailedError | None:
    """The error that says why ``result`` failed; ``None`` when it succeeded.

    The error follows the result's :class:`~codex_local_sdk.results.FailureKind` (see
    :func:`classify_failure`): a timeout is a :class:`CodexTimeoutError`, a line past the
    runner's cap a :class:`CodexOutputTooLargeError`, an unknown or busy thread a
    :class:`CodexUnknownThreadError` or :class:`CodexThreadBusyError`, an auth, rate or
    usage limit failure a :class:`CodexAuthError`, :class:`CodexRateLimitError` or
    :class:`CodexUsageLimitError`; anything else is a :class:`CodexExecFailedError`. A run
    that succeeded but whose reply did not fit its output type (``result.output_errors``) is
    a :class:`CodexOutputError` (``invalid_output``).

    Args:
        result: a finished run's result.
        timeout: the limit that ended a timed-out run (``timeout_seconds``, or the idle or
            first-event limit its ``timeout_kind`` names), for the message.
        not_retried: why the retries stopped early, when the message should say so.

    Returns:
        The error to raise for it, or ``None``.
    """
    error = _error_for(result, timeout)
    if error is not None and not_retried:
        error.args = (f"{error}; {not_retried}",)
    return error


def _error_for(result: CodexExecResult, timeout: float | None) -> CodexExecFailedError | None:
    if result.succeeded:
        return CodexOutputError(result=result) if result.output_errors else None
    if result.timed_out:
        # A CLI that closed its stdout and lingered times out early, without the timeout.
        total = result.timeout_kind in (None, "total")
        reached = timeout is not None and (not total or result.duration_seconds >= timeout)
        return CodexTimeoutError(result=result, timeout_seconds=timeout if reached else None)
    kind = result.failure_kind or classify_failure(result) or FailureKind.UNKNOWN
    if kind in (FailureKind.UNKNOWN_THREAD, FailureKind.THREAD_BUSY) and not result.requested_thread_id:
        return CodexExecFailedError(result=result)  # only a resume by thread id names a thread
    return _ERRORS_BY_KIND.get(kind, CodexExecFailedError)(result=result)


# What the CLI 0.169.0 prints, in its turn error or on stderr, for each kind (matched in lower
# case, in this order: a usage limit comes as a 429 too). The guide's table lists them.
_MARKERS: tuple[tuple[FailureKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (FailureKind.UNKNOWN_THREAD, r"no rollout found"),
        (FailureKind.THREAD_BUSY, r"already has an active writer"),
        (FailureKind.NOT_A_GIT_REPO, r"not inside a trusted directory"),
        (FailureKind.USAGE_LIMIT, r"usage limit|usage_limit_reached"),
        (
            FailureKind.AUTH,
            r"\b40[13] (unauthorized|forbidden)|not logged in|missing environment variable"
            r"|invalid[_ ]api[_ ]key|incorrect api key",
        ),
        (FailureKind.RATE_LIMITED, r"\b429\b|too many requests|rate limit"),
        (
            FailureKind.PROVIDER_UNAVAILABLE,
            r"status:? 5\d\d\b|\b5\d\d (internal|bad gateway|service unavailable|gateway)|high demand"
            r"|overloaded|connection refused|error sending request|stream disconnected|reconnecting",
        ),
        (
            FailureKind.INVALID_REQUEST,
            r"error loading config|unexpected argument|invalid[_ ]json[_ ]schema|invalid schema"
            r"|invalid_request_error",
        ),
    )
)


def classify_failure(result: CodexExecResult, *, keyboard_interrupt: bool = False) -> FailureKind | None:
    """Why ``result`` failed; ``None`` when it succeeded. The one place a failed run is
    recognised, from how it ended, then its turn error, its stderr, then its exit code.

    Args:
        result: a finished run's result.
        keyboard_interrupt: the SDK ended the run because of a ``KeyboardInterrupt`` (the
            result's status is ``"interrupted"`` then, as after a ``close()`` or a cancel).

    Returns:
        The :class:`~codex_local_sdk.results.FailureKind`, or ``None``.
    """
    if result.succeeded:
        return None
    if result.timed_out:
        return FailureKind.TIMEOUT
    if result.exceeded_line_limit is not None:
        return FailureKind.OUTPUT_TOO_LARGE
    if result.turn_status == "lease_lost":  # another worker took the thread
        return FailureKind.THREAD_BUSY
    if result.turn_status in _STOPPED:
        return FailureKind.INTERRUPTED if keyboard_interrupt else FailureKind.STOPPED
    for text in (result.error_message, result.stderr):  # the turn's own error says it best
        lowered = (text or "").lower()
        for kind, marker in _MARKERS:
            if marker.search(lowered):
                return kind
    return _kind_of_exit(result.return_code)


def _kind_of_exit(return_code: int | None) -> FailureKind:
    if return_code == 2:  # the CLI's usage error: an unknown flag, a bad value
        return FailureKind.INVALID_REQUEST
    signal_number = -return_code if return_code is not None and return_code < 0 else None
    if return_code is not None and 128 < return_code < 160:  # as a shell or the Node launcher reports it
        signal_number = return_code - 128
    if signal_number == signal.SIGINT:
        return FailureKind.INTERRUPTED
    return FailureKind.KILLED if signal_number is not None else FailureKind.UNKNOWN


def failure_kind_of(error: BaseException) -> FailureKind | None:
    """The kind of a failure that came as an exception: a failed run's (a
    :class:`CodexOutputError`'s is ``invalid_output``), or a start that failed
    (``spawn_failed``); ``None`` for any other exception."""
    if isinstance(error, CodexExecFailedError):
        return error.failure_kind
    if isinstance(error, (CodexSpawnError, CodexNotInstalledError)):
        return FailureKind.SPAWN_FAILED
    return None


def failure_text(result: CodexExecResult) -> str:
    """What a failed run said about it: the turn's error message, then the CLI's stderr."""
    return f"{result.error_message or ''}\n{result.stderr}"


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_TRY_AGAIN_AT = re.compile(
    r"try again at (?:(?P<month>[a-z]{3})[a-z]* (?P<day>\d{1,2})(?:st|nd|rd|th)?, (?P<year>\d{4}) )?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<half>[ap]m)",
    re.IGNORECASE,
)


def usage_limit_resets_at(text: str, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When a usage-limit message says to come back, or ``None`` when it says no time.

    The CLI 0.169.0 prints its local time: ``"try again at 1:53 PM."`` within the day, or
    ``"Try again at Dec 8th, 2026 12:53 PM."``. It is read in this process's local time zone
    (the CLI's too, unless the run's environment sets another ``TZ``); a time of day already
    past ``now`` is tomorrow's.

    Args:
        text: the message (or a failed run's :func:`failure_text`).
        now: the current time (aware); default the system's.

    Returns:
        An aware :class:`datetime.datetime` in the local time zone, or ``None``.
    """
    match = _TRY_AGAIN_AT.search(text)
    if match is None:
        return None
    now = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone()
    hour = int(match["hour"]) % 12 + (12 if match["half"].lower() == "pm" else 0)
    minute = int(match["minute"])
    try:
        if match["year"] is None:
            at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return at + datetime.timedelta(days=1) if at < now else at
        month = _MONTHS.get(match["month"].lower())
        if month is None:
            return None
        naive = datetime.datetime(int(match["year"]), month, int(match["day"]), hour, minute)
    except ValueError:  # a day or an hour out of range: no time to trust
        return None
    return naive.astimezone()


# The one-line reasons of the runs the SDK ended itself, by turn status.
_STOPPED = {
    "terminated": "terminated by the caller (terminate())",
    "killed": "killed by the caller (kill())",
    "interrupted": "interrupted (closed, cancelled or KeyboardInterrupt)",
}


def failure_reason(result: CodexExecResult) -> str:
    """A one-line reason why ``result`` did not succeed, for telemetry's ``error`` field:
    ``"timed out"``, who ended it when the SDK did, a line past the cap, the turn's error
    message, the CLI's ``Error:`` line, the last line of stderr, or the exit code."""
    if result.timed_out:
        return "timed out"
    if result.turn_status in _STOPPED:
        return _STOPPED[result.turn_status]
    if result.turn_status == "lease_lost":
        return _SDK_STOPS["lease_lost"]
    if result.exceeded_line_limit is not None:
        return f"a stdout line passed {result.exceeded_line_limit:,} bytes"
    if result.error_message:
        return result.error_message
    tail = result.stderr.strip().splitlines()
    return cli_error_line(result.stderr) or (tail[-1] if tail else f"exit code {result.return_code}")


# How the SDK ended a run, by the turn status it set (the CLI prints no turn event when killed).
_SDK_STOPS = {
    "timed_out": "ended by the SDK's timeout",
    "terminated": "ended by the caller's terminate() (SIGTERM to its process group)",
    "killed": "ended by the caller's kill() (SIGKILL to its process group)",
    "interrupted": "interrupted before it finished (closed, cancelled or KeyboardInterrupt while running)",
    "lease_lost": "ended by the SDK: this worker lost the thread's lease in its thread archive",
}


def sdk_stop_reason(turn_status: str | None) -> str | None:
    """How the SDK itself ended a run whose ``turn_status`` is ``turn_status``, for a message;
    ``None`` when the SDK did not end it."""
    return _SDK_STOPS.get(turn_status or "")


def cli_error_line(stderr: str) -> str | None:
    """The last ``Error: ...`` line of the CLI's stderr: what a fatal CLI error says, without
    the log lines before it and the stack backtrace after it. ``None`` when there is none."""
    errors = [line.strip() for line in stderr.splitlines() if line.startswith("Error: ")]
    return errors[-1] if errors else None


def _tail(text: str, max_lines: int = 20, max_chars: int = 4000) -> str:
    lines = text.strip().splitlines()[-max_lines:]
    return "\n".join(lines)[-max_chars:]
