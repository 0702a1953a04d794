"""Request -> argv for ``codex exec`` and ``codex exec resume`` (pure functions).

The prompt is never put in argv: the positional prompt is always ``-`` and the text goes on
stdin. An argument is limited to ~128 KiB by the kernel, and a prompt that starts with ``-``
would be parsed as a flag.

Exec-level options go before ``resume <THREAD_ID>``; images go after it (as ``--image=FILE``
so the option cannot swallow the next argument), because ``codex exec -i x.png resume <id>``
reads ``resume`` and the id as more image paths and starts a new thread.

A few options render by the installed CLI's version (:mod:`codex_local_sdk.versions`): the
deprecated ``full_auto`` is ``--full-auto`` for the CLIs that had that flag, and
``--sandbox workspace-write`` (what it chose) for the others, or when the version is unknown.
"""

from __future__ import annotations

from ._toml import render_toml_value as render_toml_value
from .models import CodexExecRequest
from .versions import CliVersion, option_support


def build_exec_argv(
    codex_bin: str,
    request: CodexExecRequest,
    *,
    resume_thread_id: str | None = None,
    resume_last: bool = False,
    resume_all: bool = False,
    cli_version: CliVersion | None = None,
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
        cli_version: the installed CLI's version, for the options that render by it;
            ``None``: render for the newest CLI.

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
    full_auto_flag = _full_auto_flag(request, cli_version)
    if full_auto_flag:
        argv.append("--full-auto")
    sandbox = None if full_auto_flag else request.effective_sandbox
    for flag, value in (
        ("--model", request.model),
        ("--profile", request.profile),
        ("--sandbox", sandbox.value if sandbox else None),
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
    if request.base_url is not None:
        argv += ["-c", f"openai_base_url={render_toml_value(request.base_url)}"]
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


def _full_auto_flag(request: CodexExecRequest, cli_version: CliVersion | None) -> bool:
    """Whether ``full_auto`` renders as ``--full-auto``: the CLI still had that flag."""
    if not request.full_auto or request.sandbox is not None or cli_version is None:
        return False
    row = option_support("exec", "--full-auto")
    return row is not None and row.supported_by(cli_version)


def renders_by_version(request: CodexExecRequest) -> bool:
    """Whether ``request``'s argv depends on the CLI's version (beyond the options' checks)."""
    return request.full_auto and request.sandbox is None
