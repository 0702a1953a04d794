"""The main job: a named Codex session started, resumed and streamed live, with telemetry,
and what the agent did (commands with exit codes, files changed) from the typed views.

By default it drives the real Codex CLI fully offline, against a model provider on loopback
(``make demo`` installs the pinned CLI and sets ``CODEX_BIN``). With ``CODEX_DEMO_REAL=1``
and a Codex login, the same code talks to the real service instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from codex_local_sdk import (
    CodexClientEvent,
    CodexLocalClient,
    JsonFileSessionStore,
    RetryPolicy,
)
from codex_local_sdk.testing import LoopbackProvider, Reply, write_codex_home

SESSION = "demo-ticket-4711"


def print_telemetry(event: CodexClientEvent) -> None:
    if event.type == "live.event":
        return  # the live loop below prints those itself
    details = {
        "attempt": event.attempt,
        "return_code": event.return_code,
        "turn_status": event.turn_status,
        "delay": event.delay_seconds,
        **event.data,
    }
    shown = " ".join(f"{k}={v}" for k, v in details.items() if v is not None)
    print(f"  [telemetry] {event.type:<18} {event.operation:<12} {shown}")


NOTE_PATCH = """*** Begin Patch
*** Add File: NOTES.md
+The folder holds the session store.
*** End Patch
"""


def offline_model(request: Mapping[str, Any]) -> Reply:
    """A tiny scripted 'model': it answers each prompt, and when asked to look it runs `ls`,
    then writes what it saw to NOTES.md with a patch."""
    inputs = request.get("input", [])
    last = inputs[-1].get("type") if inputs else None
    if last == "function_call_output":
        return Reply.apply_patch(NOTE_PATCH)
    if last == "custom_tool_call_output":
        return Reply.message("I looked, and left a note in NOTES.md. Anything else?")
    prompts = [  # what the user typed; the CLI's own context messages start with "<"
        part.get("text", "")
        for item in inputs
        if item.get("role") == "user"
        for part in item.get("content", [])
        if not part.get("text", "").startswith("<")
    ]
    if "look" in prompts[-1]:
        return Reply.tool_call("ls -1")
    earlier = f" Earlier you said: {prompts[0]!r}." if len(prompts) > 1 else ""
    answer = f"Turn {len(prompts)}: you said {prompts[-1]!r}.{earlier}"
    return Reply(
        items=Reply.message(answer).items, usage={"input_tokens": 100, "output_tokens": 20}, pause_seconds=0.3
    )


@contextlib.contextmanager
def codex_environment(workdir: Path) -> Iterator[dict[str, str]]:
    if os.environ.get("CODEX_DEMO_REAL") == "1":
        yield {}
        return
    with LoopbackProvider(handler=offline_model) as provider:
        print(f"offline: the Codex CLI talks to a loopback model provider at {provider.base_url}\n")
        # the model offers the apply_patch tool, so its patches are real file changes
        options = {"apply_patch_tool_type": "freeform"}
        yield write_codex_home(workdir / "codex-home", provider.base_url, model_options=options)


def main() -> None:
    codex_bin = os.environ.get("CODEX_BIN", "codex")
    with tempfile.TemporaryDirectory(prefix="codex-demo-") as tmp:
        workdir = Path(tmp)
        store_path = workdir / "sessions.json"
        with codex_environment(workdir) as env:

            def new_client() -> CodexLocalClient:
                return CodexLocalClient(
                    codex_bin=codex_bin,
                    default_cwd=str(workdir),
                    default_env=env,
                    retry_policy=RetryPolicy(max_attempts=2, initial_backoff_seconds=1),
                    session_store=JsonFileSessionStore(store_path),
                    event_hook=print_telemetry,
                )

            print(f"1. start a thread named {SESSION!r}")
            session, first = new_client().start_thread(
                "Hello! Please remember the number 42.",
                session_name=SESSION,
                skip_git_repo_check=True,
                timeout_seconds=120,
            )
            print(f"   thread {session.session_id}: {first.final_message}\n")

            print("2. resume it by name from a brand-new client (as another process would)")
            second = new_client().resume(
                "Have a look at the folder.",
                session_name=SESSION,
                sandbox="workspace-write",  # it may write in the folder (the note)
                skip_git_repo_check=True,
                timeout_seconds=120,
            )
            for command in second.commands_run:  # what the agent did, from the typed views
                print(f"   ran {command.command!r} -> exit {command.exit_code}")
            for change in second.file_changes:
                print(f"   {change.kind} {Path(change.path or '?').name}")
            print(f"   {second.final_message}\n")

            print("3. stream the next turn live")
            with new_client().resume_live(
                "What number did I ask you to remember?",
                session_name=SESSION,
                skip_git_repo_check=True,
                timeout_seconds=120,
            ) as run:
                for event in run.iter_events():
                    kind = f" ({event.item_type})" if event.item_type else ""
                    print(f"   live: {event.type}{kind}" + (f" -> {event.text}" if event.text else ""))
                third = run.result()
            print(f"   usage this turn: {third.turn_usage}\n")

            print(f"4. the session store file, {store_path.name}:")
            record = json.loads(store_path.read_text())["records"][SESSION]
            summary = {k: record[k] for k in ("session_id", "turn_count", "success_count", "failure_count")}
            print("   " + json.dumps(summary))
            for turn in record["turns"]:
                print(f"   - {turn['operation']:<12} {turn['turn_status']:<10} {turn['prompt_preview']!r}")


if __name__ == "__main__":
    main()
