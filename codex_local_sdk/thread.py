"""CodexThreadSession: one Codex thread, continued turn after turn."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ._cli_options import OPTIONS
from ._compat import accepting_origin_args
from .results import CodexExecResult, Usage

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._output import OutputType
    from .live import AsyncCodexLiveRun, CodexLiveRun
    from .models import StrPath
    from .options import LiveTurnOptions, RequestOptions, TurnOptions


class TurnRunner(Protocol):
    """What a :class:`CodexThreadSession` needs of its client: the four ``resume`` methods
    and the two ``fork_thread`` methods, as :class:`~codex_local_sdk.CodexLocalClient` has
    them. The session depends on this, not on the client, so the client can build sessions
    without an import cycle."""

    def resume(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        output_type: OutputType | None = None,
        **options: Unpack[RequestOptions],
    ) -> CodexExecResult: ...

    async def resume_async(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        output_type: OutputType | None = None,
        **options: Unpack[RequestOptions],
    ) -> CodexExecResult: ...

    def resume_live(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        keep_events: bool = False,
        output_type: OutputType | None = None,
        **options: Unpack[RequestOptions],
    ) -> CodexLiveRun: ...

    async def resume_live_async(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        last: bool = False,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        keep_events: bool = False,
        output_type: OutputType | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncCodexLiveRun: ...

    def fork_thread(
        self,
        prompt: str | None = None,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        new_session_name: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> tuple[CodexThreadSession, CodexExecResult]: ...

    async def fork_thread_async(
        self,
        prompt: str | None = None,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        new_session_name: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> tuple[CodexThreadSession, CodexExecResult]: ...


# codex-local-sdk-python 0.1.4's positional orders of the continue methods.
_TURN_ARGS = accepting_origin_args(
    "prompt", "json_output", "cwd", "api_key", "all_sessions", "timeout_seconds"
)
_LIVE_TURN_ARGS = accepting_origin_args("prompt", "cwd", "api_key", "all_sessions")


class CodexThreadSession:
    """A thread to continue, from :meth:`CodexLocalClient.start_thread` or
    :meth:`CodexLocalClient.open_session`.

    A named session continues through the session store, so every turn is recorded; an
    unnamed one continues by thread id. Every turn reuses the options and API key the
    session was made with.

    The positional arguments follow codex-local-sdk-python 0.1.4's order: ``client,
    session_id, default_cwd, api_key, session_name``.

    Args:
        client: the client that runs the turns (any :class:`TurnRunner`).
        session_id: the Codex thread id.
        default_cwd: the working directory of every turn whose options (the call's, then
            ``options``) give no ``cwd``; ``None``: the client's ``default_cwd``.
        api_key: sent with every turn, as for :meth:`CodexLocalClient.run`.
        session_name: the name it is saved under, or ``None``.
        last_result: the result of the turn that started it, if any.
        options: :class:`CodexExecRequest` fields for every turn; ``images``,
            ``output_schema_path`` and ``output_last_message_path`` are dropped, and so is
            ``worktree``, which starts a thread and which a resume refuses.

    Attributes:
        session_id: the Codex thread id.
        session_name: the name it is saved under, or ``None``.
        default_cwd: as given (a path is kept as it came).
        last_result: the result of the latest turn run through :meth:`continue_prompt` (or
            the one that started the thread); live turns leave it as it is.
    """

    def __init__(
        self,
        client: TurnRunner,
        session_id: str,
        default_cwd: StrPath | None = None,
        api_key: str | None = None,
        session_name: str | None = None,
        *,
        last_result: CodexExecResult | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self._client = client
        self.session_id = session_id
        self.session_name = session_name
        self.default_cwd = default_cwd
        self.last_result = last_result
        # The thread's total after the latest turn this session saw; None once a turn ran
        # that it did not see (a live turn, or one that raised), as that total is unknown.
        self._last_usage: Usage | None = last_result.usage if last_result is not None else None
        self._options = {k: v for k, v in (options or {}).items() if k not in _PER_TURN_OPTIONS}
        if default_cwd is not None:
            self._options.setdefault("cwd", default_cwd)
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"CodexThreadSession(session_id={self.session_id!r}, session_name={self.session_name!r})"

    @property
    def is_last_turn_complete(self) -> bool:
        """Whether :attr:`last_result` reports ``turn.completed`` (``False`` without one)."""
        return self.last_result is not None and self.last_result.is_turn_complete

    @_TURN_ARGS
    def continue_prompt(
        self,
        prompt: str,
        *,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        output_type: OutputType | None = None,
        **options: Unpack[TurnOptions],
    ) -> CodexExecResult:
        """Run the next turn, and keep its result in :attr:`last_result`.

        A named session resumes by name (the turn is recorded); an unnamed one by thread id.
        When the client cannot tell ``turn_usage``, it is computed from the previous turn's
        usage, if this session saw that turn end (not after a live turn or one that raised).
        :attr:`session_id` follows the thread id the turn reports.

        Args:
            prompt: this turn's prompt.
            timeout_seconds: as for :meth:`CodexLocalClient.run`.
            idle_timeout_seconds: as for :meth:`CodexLocalClient.run`.
            first_event_timeout_seconds: as for :meth:`CodexLocalClient.run`.
            output_type: read this turn's final message into this type, as
                :meth:`CodexLocalClient.run_with_schema` reads ``schema``; the result's
                ``output`` holds it. For this turn only.
            **options: :class:`CodexExecRequest` fields for this turn, over the session's,
                and ``api_key`` (over the session's); ``None`` keeps the session's value.

        Returns:
            The turn's result.

        Raises:
            CodexSessionError: the session's name is no longer in the store.
            CodexUnknownThreadError: the CLI has no such thread (``raise_on_error`` on).
            CodexThreadBusyError: another run was continuing the thread (``raise_on_error`` on).
            CodexOutputError: the reply did not fit ``output_type`` (``raise_on_error`` on);
                the turn was recorded, but :attr:`last_result` is left as it was.
            CodexError: as :meth:`CodexLocalClient.resume`; also ``TypeError`` and
                ``ValueError`` for bad options.
        """
        previous = self._forget_usage()
        result = self._client.resume(
            prompt,
            **self._resume_args(
                options,
                output_type=output_type,
                timeout_seconds=timeout_seconds,
                idle_timeout_seconds=idle_timeout_seconds,
                first_event_timeout_seconds=first_event_timeout_seconds,
            ),
        )
        return self._remember(result, previous)

    @_TURN_ARGS
    async def continue_prompt_async(
        self,
        prompt: str,
        *,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        output_type: OutputType | None = None,
        **options: Unpack[TurnOptions],
    ) -> CodexExecResult:
        """As :meth:`continue_prompt`, on asyncio, with the same arguments, result and errors."""
        previous = self._forget_usage()
        result = await self._client.resume_async(
            prompt,
            **self._resume_args(
                options,
                output_type=output_type,
                timeout_seconds=timeout_seconds,
                idle_timeout_seconds=idle_timeout_seconds,
                first_event_timeout_seconds=first_event_timeout_seconds,
            ),
        )
        return self._remember(result, previous)

    @_LIVE_TURN_ARGS
    def continue_live(
        self,
        prompt: str,
        *,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        output_type: OutputType | None = None,
        **options: Unpack[LiveTurnOptions],
    ) -> CodexLiveRun:
        """The next turn, streamed (see :meth:`CodexLocalClient.resume_live`).

        A named session records the turn when the run's result is first read, or else when
        the run is closed; :attr:`last_result` and :attr:`session_id` are left as they are.

        Args:
            prompt: this turn's prompt.
            timeout_seconds: as for :meth:`CodexLocalClient.run_live`.
            idle_timeout_seconds: as for :meth:`CodexLocalClient.run_live`.
            first_event_timeout_seconds: as for :meth:`CodexLocalClient.run_live`.
            output_type: as for :meth:`CodexLocalClient.run_live`.
            **options: :class:`CodexExecRequest` fields for this turn, over the session's,
                ``api_key`` (over the session's) and ``keep_events`` (as for
                :meth:`CodexLocalClient.run_live`).

        Returns:
            The running :class:`CodexLiveRun`.

        Raises:
            CodexSessionError: the session's name is no longer in the store.
            CodexError: as :meth:`CodexLocalClient.resume_live`; also ``TypeError`` and
                ``ValueError`` for bad options.
        """
        self._forget_usage()
        return self._client.resume_live(
            prompt,
            **self._resume_args(
                options,
                output_type=output_type,
                timeout_seconds=timeout_seconds,
                idle_timeout_seconds=idle_timeout_seconds,
                first_event_timeout_seconds=first_event_timeout_seconds,
            ),
        )

    @_LIVE_TURN_ARGS
    async def continue_live_async(
        self,
        prompt: str,
        *,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        output_type: OutputType | None = None,
        **options: Unpack[LiveTurnOptions],
    ) -> AsyncCodexLiveRun:
        """As :meth:`continue_live`, on asyncio, with the same arguments and errors; returns
        an :class:`AsyncCodexLiveRun`."""
        self._forget_usage()
        return await self._client.resume_live_async(
            prompt,
            **self._resume_args(
                options,
                output_type=output_type,
                timeout_seconds=timeout_seconds,
                idle_timeout_seconds=idle_timeout_seconds,
                first_event_timeout_seconds=first_event_timeout_seconds,
            ),
        )

    def fork(
        self,
        prompt: str | None = None,
        *,
        new_session_name: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[TurnOptions],
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        """Fork this thread into a new one that carries its history (see
        :meth:`CodexLocalClient.fork_thread`); this session is left as it is.

        A named session forks by name. The fork's ``turn_usage`` (with a prompt) is measured
        from this thread's total, when this session or the record knows it.

        Args:
            prompt: the new thread's first turn; ``None`` runs no turn.
            new_session_name: save the new thread under this name; ``None`` saves nothing.
            timeout_seconds: as for :meth:`CodexLocalClient.run`.
            idle_timeout_seconds: as for :meth:`CodexLocalClient.run`.
            first_event_timeout_seconds: as for :meth:`CodexLocalClient.run`.
            **options: :class:`CodexExecRequest` fields for the fork, over the session's,
                and ``api_key`` (over the session's); the new session reuses them.

        Returns:
            The session that continues the new thread, and the fork's result.

        Raises:
            CodexSessionError: the session's name is no longer in the store.
            CodexError: as :meth:`CodexLocalClient.fork_thread`; also ``TypeError`` and
                ``ValueError`` for bad options.
        """
        args = self._resume_args(
            options,
            timeout_seconds=timeout_seconds,
            idle_timeout_seconds=idle_timeout_seconds,
            first_event_timeout_seconds=first_event_timeout_seconds,
        )
        forked, result = self._client.fork_thread(prompt, new_session_name=new_session_name, **args)
        return self._measured_fork(forked, result)

    async def fork_async(
        self,
        prompt: str | None = None,
        *,
        new_session_name: str | None = None,
        timeout_seconds: float | None = None,
        idle_timeout_seconds: float | None = None,
        first_event_timeout_seconds: float | None = None,
        **options: Unpack[TurnOptions],
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        """As :meth:`fork`, on asyncio, with the same arguments, result and errors."""
        args = self._resume_args(
            options,
            timeout_seconds=timeout_seconds,
            idle_timeout_seconds=idle_timeout_seconds,
            first_event_timeout_seconds=first_event_timeout_seconds,
        )
        forked, result = await self._client.fork_thread_async(
            prompt, new_session_name=new_session_name, **args
        )
        return self._measured_fork(forked, result)

    def _measured_fork(
        self, forked: CodexThreadSession, result: CodexExecResult
    ) -> tuple[CodexThreadSession, CodexExecResult]:
        """The fork's result with ``turn_usage`` from this thread's total, when the client
        could not tell it, kept as the new session's :attr:`last_result` too."""
        forked.last_result = result = _measured(result, self._last_usage)
        return forked, result

    def _resume_args(self, options: Mapping[str, Any], **call: Any) -> dict[str, Any]:
        """The client's arguments for a turn or a fork of this thread: its settings, the
        ``options`` given (but ``None`` ones), its target, and the ``call``'s own (limits, an
        output type)."""
        target = (
            {"session_name": self.session_name}
            if self.session_name is not None
            else {"session_id": self.session_id}
        )
        # None keeps the session's value, as codex-local-sdk-python 0.1.4's positional
        # calls (continue_prompt(prompt, True, None, None, ...)) mean it.
        given = {name: value for name, value in options.items() if value is not None}
        return {
            "api_key": self._api_key,
            **self._options,
            **given,
            **target,
            **call,
        }

    def _forget_usage(self) -> Usage | None:
        """The thread's total before the turn about to run, forgotten until that turn ends here."""
        previous, self._last_usage = self._last_usage, None
        return previous

    def _remember(self, result: CodexExecResult, previous: Usage | None) -> CodexExecResult:
        result = _measured(result, previous)
        self.last_result = result
        self._last_usage = result.usage
        self.session_id = result.thread_id or self.session_id
        return result


# Options that belong to one turn and are not carried to the next, and those that start a
# thread but that a resume refuses (--worktree).
_PER_TURN_OPTIONS = frozenset(
    {"images", "output_schema_path", "output_last_message_path"}
    | {option.field for option in OPTIONS if not option.accepted_by("resume")}
)


def _measured(result: CodexExecResult, previous: Usage | None) -> CodexExecResult:
    """``result`` with ``turn_usage`` = its total minus ``previous``, unless it has one or
    either is unknown."""
    if result.turn_usage is None and result.usage is not None and previous is not None:
        return attrs.evolve(result, turn_usage=result.usage - previous)
    return result
