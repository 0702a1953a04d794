"""CodexThreadSession: one Codex thread, continued turn after turn."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .models import CodexExecResult

if TYPE_CHECKING:
    from .client import CodexLocalClient
    from .live import AsyncCodexLiveRun, CodexLiveRun


class CodexThreadSession:
    """A thread to continue, from :meth:`CodexLocalClient.start_thread` or
    :meth:`CodexLocalClient.open_session`.

    A named session continues through the session store, so every turn is recorded; an
    unnamed one continues by thread id.

    Attributes:
        session_id: the Codex thread id.
        session_name: the name it is saved under, or ``None``.
        last_result: the result of the latest turn run through this object.
    """

    def __init__(
        self,
        client: CodexLocalClient,
        session_id: str,
        *,
        session_name: str | None = None,
        last_result: CodexExecResult | None = None,
        options: Mapping[str, Any] | None = None,
        api_key: str | None = None,
    ) -> None:
        self._client = client
        self.session_id = session_id
        self.session_name = session_name
        self.last_result = last_result
        self._options = {k: v for k, v in (options or {}).items() if k not in _PER_TURN_OPTIONS}
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"CodexThreadSession(session_id={self.session_id!r}, session_name={self.session_name!r})"

    @property
    def is_last_turn_complete(self) -> bool:
        """Whether the latest turn ended with ``turn.completed``."""
        return self.last_result is not None and self.last_result.is_turn_complete

    def continue_prompt(
        self, prompt: str, *, timeout_seconds: float | None = None, **options: Any
    ) -> CodexExecResult:
        """Run the next turn. ``options`` override the request fields the thread started with.

        Raises:
            CodexExecFailedError: as :meth:`CodexLocalClient.resume`.
        """
        result = self._client.resume(prompt, **self._resume_args(timeout_seconds, options))
        return self._remember(result)

    async def continue_prompt_async(
        self, prompt: str, *, timeout_seconds: float | None = None, **options: Any
    ) -> CodexExecResult:
        """As :meth:`continue_prompt`, on asyncio."""
        result = await self._client.resume_async(prompt, **self._resume_args(timeout_seconds, options))
        return self._remember(result)

    def continue_live(
        self, prompt: str, *, timeout_seconds: float | None = None, **options: Any
    ) -> CodexLiveRun:
        """The next turn, streamed (see :meth:`CodexLocalClient.resume_live`). A named session
        records the turn when the run's result is read; :attr:`last_result` is left as it is."""
        return self._client.resume_live(prompt, **self._resume_args(timeout_seconds, options))

    async def continue_live_async(
        self, prompt: str, *, timeout_seconds: float | None = None, **options: Any
    ) -> AsyncCodexLiveRun:
        """As :meth:`continue_live`, on asyncio."""
        return await self._client.resume_live_async(prompt, **self._resume_args(timeout_seconds, options))

    def _resume_args(self, timeout: float | None, options: Mapping[str, Any]) -> dict[str, Any]:
        target = (
            {"session_name": self.session_name}
            if self.session_name is not None
            else {"session_id": self.session_id}
        )
        return {
            **self._options,
            **options,
            **target,
            "api_key": self._api_key,
            "timeout_seconds": timeout,
        }

    def _remember(self, result: CodexExecResult) -> CodexExecResult:
        previous = self.last_result.usage if self.last_result is not None else None
        if result.turn_usage is None and result.usage is not None and previous is not None:
            result = attrs.evolve(result, turn_usage=result.usage - previous)
        self.last_result = result
        self.session_id = result.thread_id or self.session_id
        return result


# Options that belong to one turn and are not carried to the next.
_PER_TURN_OPTIONS = frozenset({"images", "output_schema_path", "output_last_message_path"})
