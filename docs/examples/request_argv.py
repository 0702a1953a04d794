"""The argv each request becomes: `build_exec_argv` is what the client runs, verbatim."""

from __future__ import annotations

import shlex

from codex_local_sdk import CodexExecRequest, SandboxMode
from codex_local_sdk.command import Command, build_exec_argv

THREAD = "0199a3f2-5b1e-7c40-9d2a-6f1e0b7c2d11"


def main() -> None:
    everything = CodexExecRequest(
        prompt="-x is a valid prompt: it goes on stdin",
        model="gpt-5-codex",
        profile="ci",
        sandbox=SandboxMode.WORKSPACE_WRITE,  # or the string "workspace-write"
        output_schema_path="schema.json",
        output_last_message_path="last.txt",
        add_dirs=("/tmp/out",),
        skip_git_repo_check=True,
        ephemeral=True,
        model_reasoning_effort="low",
        network_access_enabled=True,
        color="never",
        config={"mcp_servers": {"docs": {"command": "docs-server"}}},
        extra_args=("--a-flag-newer-than-the-sdk",),
    )
    print("new thread:", shlex.join(build_exec_argv("codex", everything)))

    with_image = CodexExecRequest(prompt="What changed in this screenshot?", images=("after.png",))
    print("resume:    ", shlex.join(build_exec_argv("codex", with_image, resume_thread_id=THREAD)))
    print("resume last:", shlex.join(build_exec_argv("codex", with_image, resume_last=True)))

    fork = build_exec_argv("codex", with_image, command=Command.fork(THREAD, prompt=True))
    print("fork:      ", shlex.join(fork))
    # A review of a change reads no prompt: the text is only what its session record shows.
    review = CodexExecRequest(prompt="review --uncommitted", sandbox="read-only")
    print(
        "review:    ", shlex.join(build_exec_argv("codex", review, command=Command.review(uncommitted=True)))
    )

    plain_text = CodexExecRequest(prompt="hi", json_output=False)
    print("text output:", shlex.join(build_exec_argv("codex", plain_text)))


if __name__ == "__main__":
    main()
