"""Request -> argv for ``codex exec`` and ``codex exec resume`` (pure functions).

The prompt is never put in argv: the positional prompt is always ``-`` and the text goes on
stdin. An argument is limited to ~128 KiB by the kernel, and a prompt that starts with ``-``
would be parsed as a flag.

Exec-level options go before ``resume <THREAD_ID>``; images go after it (as ``--image=FILE``
so the option cannot swallow the next argument), because ``codex exec -i x.png resume <id>``
reads ``resume`` and the id as more image paths and starts a new thread.
"""

from __future__ import annotations

from ._toml import render_toml_value as render_toml_value
from .models import CodexExecRequest


def build_exec_argv(
    codex_bin: str,
    request: CodexExecRequest,
    *,
    resume_thread_id: str | None = None,
    resume_last: bool = False,
    resume_all: bool = False,
) -> list[str]:
    """The argv that runs ``request``: a new thread, a turn of ``resume_thread_id``, or
    (``resume_last``) a turn of the CLI's most recent session.

    Args:
        codex_bin: ``argv[0]``, used as given.
        request: the options to render; its prompt is not used (it goes on stdin).
        resume_thread_id: resume this thread (wins over ``resume_last``).
        resume_last: resume the CLI's most recent session.
        resume_all: with a resume, ``--all``: the most recent session of any directory, not
            only of the run's cwd.

    Returns:
        ``[codex_bin, "exec", <options>, (resume <id> | resume --last) [--all], --image=FILE...,
        "-"]``.

    Raises:
        TypeError: a ``config`` value with no TOML form.
        ValueError: a NaN or infinite float in ``config``.
    """
    argv = [codex_bin, "exec"]
    if request.json_output:
        argv.append("--json")
    for flag, value in (
        ("--model", request.model),
        ("--profile", request.profile),
        ("--sandbox", request.effective_sandbox.value if request.effective_sandbox else None),
        ("--output-schema", request.output_schema_path),
        ("--output-last-message", request.output_last_message_path),
    ):
        if value is not None:
            argv += [flag, value]
    for directory in request.add_dirs:
        argv += ["--add-dir", directory]
    if request.skip_git_repo_check:
        argv.append("--skip-git-repo-check")
    if request.ephemeral:
        argv.append("--ephemeral")
    for key, value in request.config.items():
        argv += ["-c", f"{key}={render_toml_value(value)}"]
    argv += request.extra_args
    if resume_thread_id is not None:
        argv += ["resume", resume_thread_id]
    elif resume_last:
        argv += ["resume", "--last"]
    if resume_all and (resume_thread_id is not None or resume_last):
        argv.append("--all")
    argv += [f"--image={image}" for image in request.images]
    argv.append("-")
    return argv
