"""The installed CLI's version, read through the runner (``codex --version``), as steps.

Through the runner, so a container or a remote runner answers for its own CLI; once per
binary, kept by :class:`CliVersions` (one per client, so per runner). A run needs it only when
its argv uses an option that not every supported CLI has (or the deprecated ``full_auto``),
or when the client is strict: most runs never start the extra process.
"""

from __future__ import annotations

import logging

from ._steps import Call, Handle, Start, Steps, closing
from .command import renders_by_version
from .errors import CodexNotInstalledError, CodexUnsupportedCliError, CodexUnsupportedOptionError
from .models import CodexExecRequest
from .ports import Clock, ProcessRunner, ProcessSpec
from .versions import OLDEST_SUPPORTED, CliVersion, needs_version, unsupported_options

_LOG = logging.getLogger("codex_local_sdk")

READ_SECONDS = 30.0
"""How long ``codex --version`` may take before it is ended and the version deemed unreadable."""


def version_spec(spec: ProcessSpec) -> ProcessSpec:
    """``argv[0] --version`` in the environment and directory of the run ``spec`` (without
    the API key, which it does not need)."""
    env = {name: value for name, value in spec.env.items() if name != "CODEX_API_KEY"}
    return ProcessSpec(
        argv=(spec.argv[0], "--version"), cwd=spec.cwd, env=env, env_allowlist=spec.env_allowlist
    )


class CliVersions:
    """The version of each CLI binary one runner starts, read at most once per binary.

    Args:
        strict: refuse a CLI older than :data:`~codex_local_sdk.versions.OLDEST_SUPPORTED`,
            or one whose version cannot be read, with
            :class:`~codex_local_sdk.errors.CodexUnsupportedCliError`, and read the version
            before every first run of a binary. Otherwise an old CLI is logged once as a
            warning, and an unreadable version skips the checks (the CLI judges its options).
    """

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self._known: dict[str, CliVersion | None] = {}

    def read(self, spec: ProcessSpec, clock: Clock, limit: float | None = None) -> Steps[CliVersion | None]:
        """The version of ``spec.argv[0]`` (the binary of a run or a ``--version`` spec):
        kept, or read now through the runner, for at most :data:`READ_SECONDS` or ``limit``;
        ``None`` if it could not be read. A reading cut short by that time is not kept: the
        next call asks again.

        Raises:
            CodexNotInstalledError: the CLI was not found.
            CodexSpawnError: the CLI could not be started.
            CodexUnsupportedCliError: strict, and the CLI is too old or its version unreadable.
        """
        binary = spec.argv[0]
        version = self._known.get(binary)
        if binary not in self._known:
            seconds = READ_SECONDS if limit is None else min(READ_SECONDS, limit)
            text, finished = yield from _read_output(version_spec(spec), clock, seconds)
            version = self._judge_new(binary, text)
            if finished or version is not None:
                self._known[binary] = version
        if self.strict:
            _refuse_unusable(binary, version)
        return version

    def check(
        self, spec: ProcessSpec, request: CodexExecRequest, clock: Clock, limit: float | None = None
    ) -> Steps[CliVersion | None]:
        """Before a run: the CLI's version when the run depends on it (``None`` when it does
        not, or it is unknown), once the CLI was found to have every option of ``spec``. The
        reading waits no longer than ``limit`` (the run's own total limit).

        Raises:
            CodexUnsupportedOptionError: the CLI lacks an option of ``spec.argv``.
            CodexNotInstalledError, CodexSpawnError, CodexUnsupportedCliError: as :meth:`read`.
        """
        if not (self.strict or renders_by_version(request) or needs_version(spec.argv)):
            return None
        version = yield from self.read(spec, clock, limit)
        if version is not None:
            for row in unsupported_options(spec.argv, version):
                raise CodexUnsupportedOptionError(row, version)
        return version

    def available(self, runner: ProcessRunner, spec: ProcessSpec, clock: Clock) -> Steps[bool]:
        """Whether the runner finds ``spec.argv[0]``: its ``find_program`` says, or else
        ``--version`` starts through it."""
        find = getattr(runner, "find_program", None)
        if find is not None:
            return find(spec) is not None
        try:
            yield from self.read(spec, clock)
        except CodexNotInstalledError:
            return False
        except CodexUnsupportedCliError:
            return True  # found; strict mode refuses it for runs
        return True

    def _judge_new(self, binary: str, text: str) -> CliVersion | None:
        try:
            version = CliVersion.parse(text)
        except ValueError:
            if not self.strict:
                _LOG.warning(
                    "could not read the Codex CLI version of %r (`--version` printed %r); "
                    "its options are not checked",
                    binary,
                    text[:200],
                )
            return None
        if version < OLDEST_SUPPORTED and not self.strict:
            _LOG.warning("%s", _too_old(binary, version))
        return version


def _refuse_unusable(binary: str, version: CliVersion | None) -> None:
    if version is None:
        raise CodexUnsupportedCliError(
            f"could not read the version of the Codex CLI {binary!r} (`{binary} --version` printed no "
            "X.Y.Z version), and the client has strict_cli_version=True"
        )
    if version < OLDEST_SUPPORTED:
        raise CodexUnsupportedCliError(_too_old(binary, version), installed=version)


def _too_old(binary: str, version: CliVersion) -> str:
    return (
        f"the Codex CLI {binary!r} is version {version}, older than {OLDEST_SUPPORTED}, the oldest this "
        "SDK supports; upgrade it (npm install -g @openai/codex)"
    )


def _read_output(spec: ProcessSpec, clock: Clock, seconds: float) -> Steps[tuple[str, bool]]:
    """What ``spec`` prints on stdout within ``seconds`` (then it is closed), and whether its
    stdout ended by then."""
    handle: Handle = yield Start(spec)
    return (yield from closing(_stdout(handle, clock, seconds), lambda: _close(handle)))


def _stdout(handle: Handle, clock: Clock, seconds: float) -> Steps[tuple[str, bool]]:
    deadline = clock.monotonic() + seconds
    lines: list[bytes] = []
    finished = False
    while (remaining := deadline - clock.monotonic()) > 0:
        got = yield Call(handle, "read_lines", (remaining,))
        if got is None:
            finished = True
            break
        lines += [line for line in got if isinstance(line, bytes)]
    return b"\n".join(lines).decode("utf-8", "replace"), finished


def _close(handle: Handle) -> Steps[None]:
    yield Call(handle, "close")
