"""Errors: branch on their type and fields, never on message text."""

from __future__ import annotations

from typing import Any

from codex_local_sdk import (
    CodexExecFailedError,
    CodexLocalClient,
    CodexNotInstalledError,
    CodexSessionError,
    CodexSpawnError,
    CodexThreadBusyError,
    CodexTimeoutError,
    CodexUnknownThreadError,
)


def ask(client: CodexLocalClient, prompt: str, **target: Any) -> str:
    """Run ``prompt`` (a new thread, or a resume of ``target``); say what went wrong, if anything."""
    try:
        if target:
            result = client.resume(prompt, timeout_seconds=300, **target)
        else:
            result = client.run_prompt(prompt, timeout_seconds=300)
    except CodexNotInstalledError as exc:
        return f"install the Codex CLI: {exc.binary!r} is not on PATH, or pass codex_bin="
    except CodexSpawnError as exc:
        return f"{exc.binary!r} would not start: {exc}"
    # The four below carry the last attempt's `result`; the subclasses come first.
    except CodexTimeoutError as exc:
        return f"no answer within 300 s ({exc.result.attempts} attempt), the process group was killed"
    except CodexUnknownThreadError as exc:
        return f"the CLI has no thread {exc.result.requested_thread_id}: start a new one"
    except CodexThreadBusyError:
        return "another run is continuing that thread: ask again once it has finished"
    except CodexExecFailedError as exc:
        return f"codex failed (exit {exc.return_code}): {exc.turn_error or exc.stderr_tail}"
    except CodexSessionError:
        return f"no session named {target.get('session_name')!r}: start_thread(..., session_name=...) first"
    except ValueError as exc:  # a bad argument, raised before anything starts
        return f"bad call: {exc}"
    return f"ok: {result.final_message}"


def main(client: CodexLocalClient | None = None) -> None:
    client = client or CodexLocalClient()
    print(ask(client, "Summarise the changelog"))
    print(ask(client, "And the next release?", session_name="release-notes"))
    print(ask(client, "And the next release?", session_id="0199a3f2-5b1e-7c40-9d2a-6f1e0b7c2d11"))
    print(ask(client, "And the next release?", session_id="0199a3f2-5b1e-7c40-9d2a-6f1e0b7c2d11", last=True))


if __name__ == "__main__":
    main()
