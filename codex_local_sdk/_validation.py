"""Checks of the client's arguments: each raises a ``TypeError`` or ``ValueError`` that says
what was wrong and what to pass instead, before anything runs."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from .models import StrPath
from .sessions import WorkspaceResolver, check_session_name


def client_settings(
    codex_bin: StrPath,
    default_cwd: StrPath | None,
    default_env: Mapping[str, str] | None,
    grace_seconds: float,
    preview_chars: int,
) -> tuple[str, str | None, dict[str, str], int]:
    """Check the client's settings; ``codex_bin``, ``default_cwd``, ``default_env`` and
    ``preview_chars`` as the client keeps them."""
    check_grace(grace_seconds)
    if isinstance(preview_chars, bool) or not isinstance(preview_chars, int):
        raise TypeError(f"preview_chars must be an int (a number of characters), got {preview_chars!r}")
    if preview_chars < 0:
        raise ValueError(f"preview_chars must be >= 0, got {preview_chars}")
    codex = codex_path(codex_bin)
    cwd = None if default_cwd is None else fspath("default_cwd", default_cwd)
    return codex, cwd, check_env(default_env), preview_chars


def codex_path(codex_bin: StrPath) -> str:
    """``codex_bin`` with ``~`` expanded, and made absolute if it is a relative path.

    A relative path is pinned now: the runner starts the CLI in the request's cwd, where a
    path like ``./bin/codex`` would otherwise be looked up. A bare name stays a name, for
    ``PATH``.
    """
    path = os.path.expanduser(fspath("codex_bin", codex_bin))
    if os.path.dirname(path) and not os.path.isabs(path):
        return os.path.abspath(path)
    return path


def check_grace(grace: float) -> None:
    if isinstance(grace, bool) or not isinstance(grace, (int, float)):
        raise TypeError(f"terminate_grace_seconds must be a number of seconds, got {grace!r}")
    if not math.isfinite(grace) or grace < 0:
        raise ValueError(
            f"terminate_grace_seconds must be a finite number >= 0, got {grace!r} "
            "(after it, a process group that ignored SIGTERM is SIGKILLed)"
        )


def fspath(name: str, path: StrPath) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, got {path!r} ({type(path).__name__})")
    return os.fspath(path)


def check_env(env: Mapping[str, str] | None) -> dict[str, str]:
    """A copy of ``env``, once every name and value can go into a process environment."""
    if env is None:
        return {}
    if not isinstance(env, Mapping):
        raise TypeError(f"default_env must be a mapping of names to values, got {type(env).__name__}")
    for name, value in env.items():
        if not isinstance(name, str):
            raise TypeError(f"default_env names must be str, got {name!r}")
        if not name or "=" in name or "\0" in name:
            problem = "is empty" if not name else "holds '=' or a NUL character"
            raise ValueError(f"default_env name {name!r} {problem}: no environment variable can be named so")
        if not isinstance(value, str):
            raise TypeError(f"default_env[{name!r}] must be a str, got {value!r} ({type(value).__name__})")
        if "\0" in value:
            raise ValueError(
                f"default_env[{name!r}] holds a NUL character, which no environment value can carry"
            )
    return dict(env)


def check_api_key(api_key: str | None) -> None:
    if api_key is None:
        return
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a str, got {type(api_key).__name__}")
    if not api_key:
        raise ValueError("api_key is empty: pass the key, or None to use the CLI's login")
    if "\0" in api_key:
        raise ValueError("api_key holds a NUL character, which no environment value can carry")


def check_optional_name(name: str | None) -> str | None:
    return None if name is None else check_session_name(name)


def check_max_concurrent_runs(limit: int | None) -> None:
    if limit is None:
        return
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"max_concurrent_runs must be an int or None, got {limit!r}")
    if limit < 1:
        raise ValueError(f"max_concurrent_runs must be >= 1, got {limit} (None means no limit)")


def workspace_resolver(resolver: WorkspaceResolver | None) -> WorkspaceResolver | None:
    if resolver is not None and not callable(resolver):
        raise TypeError(
            "workspace_resolver must be a function of a SessionRecord that returns a SessionWorkspace, "
            f"or None; got {resolver!r} ({type(resolver).__name__})"
        )
    return resolver


def flag(name: str, value: bool) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return value
