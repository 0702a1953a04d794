#!/usr/bin/env python3
"""mini-codex: a minimal alternative Codex CLI, to show the CLI contract certifies any binary.

It speaks the ``codex exec --json`` protocol the SDK relies on, against the same model
provider configuration as the real CLI (``$CODEX_HOME/config.toml``, a ``responses`` wire
API over Server-Sent Events): ``thread.started``, ``turn.started``, ``item.*`` for agent
messages and ``exec_command`` tool calls, ``turn.completed`` with the thread's running
usage, ``turn.failed`` and exit 1 when the provider fails, ``Reconnecting...`` errors
forever when it is unreachable. Threads persist in ``$CODEX_HOME/mini-codex/<id>.json``;
a run holds its thread's ``<id>.lock`` while it runs, and a resume of a thread another run
holds fails the way the real CLI's does (``already has an active writer``).

``$MINI_CODEX_BREAK`` names one part of the protocol to break on purpose (see ``BREAKS``),
so the contract suite can show that each of its tests catches a broken CLI.
Standard library only (Python >= 3.11 for tomllib).
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomllib

BREAKS = {
    "thread_started": "omit thread.started",
    "final_message": "print agent messages as reasoning items",
    "schema": "do not send the output schema to the provider",
    "last_message_file": "ignore -o",
    "tool_output": "report tool calls without their output",
    "resume": "start a new thread instead of resuming",
    "failure_exit_code": "exit 0 when the turn failed",
    "hang_on_unreachable": "exit at once when the provider is unreachable",
    "stream_buffering": "hold every event until the turn ends",
    "unknown_thread": "treat an unknown thread id as a new thread",
    "retry_flake": "succeed when the provider fails",
    "busy_thread": "let two runs continue one thread at once",
}
BROKEN = os.environ.get("MINI_CODEX_BREAK", "")
_held: list[str] = []


def emit(event: dict[str, Any]) -> None:
    line = json.dumps(event)
    if BROKEN == "stream_buffering":
        _held.append(line)
        return
    print(line, flush=True)


def parse_args(args: list[str]) -> dict[str, Any]:
    if not args or args[0] != "exec":
        sys.exit("usage: mini-codex exec [OPTIONS] [resume <ID>] -")
    opts: dict[str, Any] = {
        "json": False,
        "schema": None,
        "last": None,
        "resume": None,
        "skip_git": False,
        "config": [],
    }
    it = iter(args[1:])
    for arg in it:
        if arg == "--json":
            opts["json"] = True
        elif arg in ("--output-schema",):
            opts["schema"] = next(it)
        elif arg in ("-o", "--output-last-message"):
            opts["last"] = next(it)
        elif arg == "--skip-git-repo-check":
            opts["skip_git"] = True
        elif arg == "-c":
            opts["config"].append(next(it))
        elif arg in ("--model", "-m", "--profile", "-p", "--sandbox", "-s", "--add-dir", "--color"):
            next(it)
        elif arg == "resume":
            opts["resume"] = next(it)
        elif arg == "-" or arg.startswith("--image=") or arg == "--ephemeral":
            continue
        else:
            sys.stderr.write(f"error: unexpected argument '{arg}' found\n")
            sys.exit(2)
    return opts


def provider_settings() -> tuple[str, dict[str, str], str]:
    config = tomllib.loads((Path(os.environ["CODEX_HOME"]) / "config.toml").read_text())
    provider = config["model_providers"][config["model_provider"]]
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    key = os.environ.get(provider.get("env_key", ""), "")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return provider["base_url"].rstrip("/") + "/responses", headers, config.get("model", "")


def stream_response(url: str, headers: dict[str, str], body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """POST and yield the SSE ``data`` objects as they arrive. Retries forever when the
    provider cannot be reached, as the real CLI does; HTTP errors propagate."""
    attempt = 0
    while True:
        request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
        try:
            response = urllib.request.urlopen(request, timeout=600)
        except urllib.error.HTTPError:
            raise
        except OSError:
            if BROKEN == "hang_on_unreachable":
                sys.exit(1)
            attempt += 1
            emit({"type": "error", "message": f"Reconnecting... {attempt}/5"})
            time.sleep(0.5)
            continue
        with response:
            for raw in response:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    yield json.loads(line[5:])
        return


def run_command(cmd: str) -> tuple[str, int]:
    done = subprocess.run(["bash", "-lc", cmd], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr, done.returncode


def main() -> int:
    opts = parse_args(sys.argv[1:])
    prompt = sys.stdin.read()
    if (
        not opts["skip_git"]
        and subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"], capture_output=True, check=False
        ).returncode
        != 0
    ):
        sys.stderr.write("Not inside a trusted directory and --skip-git-repo-check was not specified.\n")
        return 1
    threads = Path(os.environ["CODEX_HOME"]) / "mini-codex"
    threads.mkdir(parents=True, exist_ok=True)
    thread_id = opts["resume"]
    state: dict[str, Any] = {"input": [], "usage": {}}
    if thread_id is not None and BROKEN != "resume":
        path = threads / f"{thread_id}.json"
        if path.exists():
            state = json.loads(path.read_text())
        elif BROKEN != "unknown_thread":
            sys.stderr.write(f"Error: thread/resume: no rollout found for thread id {thread_id}\n")
            return 1
    if thread_id is None or BROKEN == "resume" or not (threads / f"{thread_id}.json").exists():
        thread_id = str(uuid.uuid4())
    writer = open(threads / f"{thread_id}.lock", "w")  # noqa: SIM115 - held until the process exits
    try:
        if BROKEN != "busy_thread":
            fcntl.flock(writer, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.stderr.write(
            f"Error: thread/resume: thread/resume failed: thread {thread_id} already has an active writer\n"
        )
        return 1
    if BROKEN != "thread_started":
        emit({"type": "thread.started", "thread_id": thread_id})
    emit({"type": "turn.started"})
    url, headers, model = provider_settings()
    state["input"].append(
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": prompt}]}
    )
    body: dict[str, Any] = {"model": model, "stream": True}
    if opts["schema"] and BROKEN != "schema":
        schema = json.loads(Path(opts["schema"]).read_text())
        body["text"] = {
            "format": {"type": "json_schema", "name": "codex_output_schema", "strict": True, "schema": schema}
        }
    last_message = None
    items = 0
    while True:
        events = stream_response(url, headers, {**body, "input": state["input"]})
        try:
            first = next(events, None)
        except urllib.error.HTTPError as exc:
            if BROKEN == "retry_flake":
                continue
            message = f"unexpected status {exc.code}: {exc.read().decode(errors='replace')}"
            emit({"type": "error", "message": message})
            emit({"type": "turn.failed", "error": {"message": message}})
            return 0 if BROKEN == "failure_exit_code" else 1
        calls = []
        for event in itertools.chain([first] if first else [], events):
            if event.get("type") == "response.output_item.done":
                item = event["item"]
                state["input"].append(item)
                if item.get("type") == "message":
                    text = "".join(c.get("text", "") for c in item.get("content", []))
                    kind = "reasoning" if BROKEN == "final_message" else "agent_message"
                    item_id = f"item_{items}"
                    emit({"type": "item.completed", "item": {"id": item_id, "type": kind, "text": text}})
                    items += 1
                    last_message = text
                elif item.get("type") == "function_call":
                    calls.append(item)
            elif event.get("type") == "response.completed":
                usage = event.get("response", {}).get("usage") or {}
                for key in ("input_tokens", "output_tokens"):
                    state["usage"][key] = state["usage"].get(key, 0) + int(usage.get(key, 0))
        if not calls:
            break
        for call in calls:
            cmd = json.loads(call.get("arguments", "{}")).get("cmd", "")
            item_id = f"item_{items}"
            items += 1
            emit(
                {
                    "type": "item.started",
                    "item": {
                        "id": item_id,
                        "type": "command_execution",
                        "command": cmd,
                        "status": "in_progress",
                    },
                }
            )
            output, code = run_command(cmd)
            if BROKEN == "tool_output":
                output, code = "", None  # type: ignore[assignment]
            emit(
                {
                    "type": "item.completed",
                    "item": {
                        "id": item_id,
                        "type": "command_execution",
                        "command": cmd,
                        "aggregated_output": output,
                        "exit_code": code,
                        "status": "completed",
                    },
                }
            )
            state["input"].append(
                {"type": "function_call_output", "call_id": call.get("call_id"), "output": output}
            )
    (threads / f"{thread_id}.json").write_text(json.dumps(state))
    emit({"type": "turn.completed", "usage": {"cached_input_tokens": 0, **state["usage"]}})
    if opts["last"] and last_message is not None and BROKEN != "last_message_file":
        Path(opts["last"]).write_text(last_message)
    for line in _held:
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
