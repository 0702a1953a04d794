"""The real Codex CLI, fully offline: a scripted model provider on 127.0.0.1.

Run it with the CLI's path: ``python docs/examples/offline_provider.py .codex-cli/node_modules/.bin/codex``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from codex_local_sdk import CodexLocalClient
from codex_local_sdk.testing import LoopbackProvider, Reply, write_codex_home


def main(codex_bin: str = "codex") -> None:
    # The "model" first asks the CLI to run `ls`, then answers from what it saw.
    replies = [Reply.tool_call("ls"), Reply.message("Two files: notes.txt and todo.txt.")]
    with tempfile.TemporaryDirectory() as tmp, LoopbackProvider(replies) as provider:
        work = Path(tmp, "work")
        work.mkdir()
        for name in ("notes.txt", "todo.txt"):
            (work / name).write_text("...\n")
        # A private CODEX_HOME whose config.toml points the CLI at the provider.
        env = write_codex_home(Path(tmp, "codex-home"), provider.base_url)
        client = CodexLocalClient(codex_bin=codex_bin, default_env=env, default_cwd=str(work))

        result = client.run_prompt("What is in this folder?", skip_git_repo_check=True, timeout_seconds=60)

        for event in result.events:
            if event.type == "item.completed" and event.item_type == "command_execution":
                item = event.item or {}
                print(f"ran {item.get('command')!r} -> exit {item.get('exit_code')}")
        print("codex:", result.final_message)
        print("requests to the provider:", len(provider.requests))
        print("the last one carried:", provider.requests[-1]["input"][-1]["type"])


if __name__ == "__main__":
    # A relative path would be looked up from the run's cwd (the temporary folder): make it absolute.
    main(*(os.path.abspath(path) for path in sys.argv[1:2]))
