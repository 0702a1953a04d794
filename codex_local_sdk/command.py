"""Request -> argv for ``codex exec`` and ``codex exec resume`` (pure functions).

The prompt is never put in argv: the positional prompt is always ``-`` and the text goes on
stdin. An argument is limited to ~128 KiB by the kernel, and a prompt that starts with ``-``
would be parsed as a flag.

Exec-level options go before ``resume <THREAD_ID>``; images go after it (as ``--image=FILE``
so the option cannot swallow the next argument), because ``codex exec -i x.png resume <id>``
reads ``resume`` and the id as more image paths and starts a new thread.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .models import CodexExecRequest

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def render_toml_value(value: Any) -> str:
    """Render a Python value as an inline TOML value for ``-c key=value``.

    Args:
        value: a str, int, float, bool, or a list, tuple or mapping of those (nested).

    Returns:
        The TOML text: strings JSON-quoted, lists as arrays, mappings as inline tables.

    Raises:
        TypeError: the value has no TOML form (``None``, objects, non-string keys).
        ValueError: a float is NaN or infinite.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"config value {value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {render_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(
        f"config value {value!r} ({type(value).__name__}) has no TOML form: "
        "use str, int, float, bool, a list or a dict of those"
    )


def _toml_key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"config table keys must be strings, got {key!r}")
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def build_exec_argv(
    codex_bin: str,
    request: CodexExecRequest,
    *,
    resume_thread_id: str | None = None,
    resume_last: bool = False,
) -> list[str]:
    """The argv that runs ``request``: a new thread, a turn of ``resume_thread_id``, or
    (``resume_last``) a turn of the CLI's most recent session.

    Args:
        codex_bin: ``argv[0]``, used as given.
        request: the options to render; its prompt is not used (it goes on stdin).
        resume_thread_id: resume this thread (wins over ``resume_last``).
        resume_last: resume the CLI's most recent session.

    Returns:
        ``[codex_bin, "exec", <options>, (resume <id> | resume --last), --image=FILE..., "-"]``.

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
        ("--sandbox", request.sandbox.value if request.sandbox else None),
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
    argv += [f"--image={image}" for image in request.images]
    argv.append("-")
    return argv
