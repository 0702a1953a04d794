"""The child's environment: which of the runner's variables it inherits, and what the SDK adds.

With ``inherit_env=True`` (the default) the CLI inherits the runner's whole environment, with
the client's ``default_env``, ``CODEX_HOME`` and the API key on top. With
``inherit_env=False`` it inherits only :data:`MINIMAL_ENV` (what a shell, a proxy, TLS and the
CLI itself need), the key variables of the providers the request configures, and the
caller's ``env_allowlist``, so a service's own secrets stay out of the agent's shell.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .models import CodexExecRequest, _flag, _url

MINIMAL_ENV: tuple[str, ...] = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TZ",
    "TMPDIR",
    "TERM",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "CODEX_*",
    "!CODEX_LOCAL_*",
    "OPENAI_API_KEY",
)
"""What a child inherits with ``inherit_env=False`` (a trailing ``*`` matches a prefix, a
leading ``!`` keeps out what a prefix let in): ``PATH``, ``HOME``, the user, shell and locale,
``TZ``, ``TMPDIR``, proxy and CA-certificate variables, every ``CODEX_*`` variable but this
SDK's own ``CODEX_LOCAL_*`` (``CODEX_LOCAL_STORE`` may hold a database password), and
``OPENAI_API_KEY`` (the default provider's key)."""


def _names(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"env_allowlist must be a sequence of variable names, got a single string {value!r}")
    names = tuple(value)
    for name in names:
        bare = name[1:] if isinstance(name, str) and name.startswith("!") else name
        if not isinstance(bare, str) or not bare or "=" in bare or "\0" in bare:
            raise ValueError(
                "env_allowlist entries must be variable names (a trailing '*' matches a prefix, "
                f"a leading '!' keeps out what a prefix let in), got {name!r}"
            )
    return names


def _optional_dir(value: str | os.PathLike[str] | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"codex_home must be a str or os.PathLike, got {value!r} ({type(value).__name__})")
    return os.path.abspath(os.path.expanduser(os.fspath(value)))


@attrs.frozen(kw_only=True)
class Isolation:
    """How the client sets up each child's environment; see :class:`CodexLocalClient`.

    Attributes:
        codex_home: ``CODEX_HOME`` for every run (absolute), unless the request sets its own.
        inherit_env: whether the child inherits the runner's whole environment.
        env_allowlist: more variable names the child inherits with ``inherit_env=False``.
        base_url: the model provider's base URL for every run, unless the request sets one.

    Raises:
        TypeError: a value of the wrong type.
        ValueError: an allowlist entry that is no variable name, a base URL that is not
            ``http(s)://``.
    """

    codex_home: str | None = attrs.field(default=None, converter=_optional_dir)
    inherit_env: bool = attrs.field(default=True, validator=_flag)
    env_allowlist: tuple[str, ...] = attrs.field(default=(), converter=_names)
    base_url: str | None = attrs.field(default=None, validator=_url)

    def request(self, request: CodexExecRequest) -> CodexExecRequest:
        """``request`` with the client's ``codex_home`` and ``base_url`` where it sets none
        (a ``config`` key ``openai_base_url`` sets one)."""
        if request.codex_home is None and self.codex_home is not None:
            request = attrs.evolve(request, codex_home=self.codex_home)
        if request.base_url is None and self.base_url is not None and "openai_base_url" not in request.config:
            request = attrs.evolve(request, base_url=self.base_url)
        return request

    def allowlist(self, config: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The names a child inherits from the runner's environment, for a request with the
        ``config`` overrides; ``None``: all of them."""
        if self.inherit_env:
            return None
        return (*MINIMAL_ENV, *provider_key_variables(config), *self.env_allowlist)


INHERIT_ALL = Isolation()
"""No isolation: the child inherits the runner's whole environment."""


def provider_key_variables(config: Mapping[str, Any]) -> list[str]:
    """The ``env_key`` of each ``model_providers`` entry in ``config`` overrides, given as
    dotted keys (``model_providers.x.env_key``) or as tables."""
    found: list[str] = []
    for key, value in config.items():
        parts = key.split(".")
        if parts[0] != "model_providers":
            continue
        found += _env_keys(parts[1:], value)
    return found


def _env_keys(path: list[str], value: Any) -> list[str]:
    if path[-1:] == ["env_key"] and len(path) == 2 and isinstance(value, str):
        return [value]
    if isinstance(value, Mapping) and len(path) < 2:
        return [name for key, item in value.items() for name in _env_keys([*path, str(key)], item)]
    return []
