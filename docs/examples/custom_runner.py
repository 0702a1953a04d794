"""A runner of your own: wrap the real one to run the CLI at a lower CPU priority.

A wrapper keeps every duty of the runner it wraps (process groups, bounded stderr, kill on
close); it only changes what is started. `nice` replaces itself with the CLI (exec), so the
process group is still the CLI's own.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from adapters.subprocess_runner import SubprocessRunner
from codex_local_sdk import AsyncProcessHandle, CodexLocalClient, ProcessHandle, ProcessRunner, ProcessSpec


class PrefixRunner:
    """A :class:`~codex_local_sdk.ports.ProcessRunner` that prefixes every argv."""

    # The run's files (the schema, the images, the -o file) are the inner runner's job: the
    # spec goes to it whole, and its handles read the output files back.
    handles_run_files = True

    def __init__(self, inner: ProcessRunner, prefix: Sequence[str]) -> None:
        self._inner = inner
        self._prefix = tuple(prefix)

    def start(self, spec: ProcessSpec) -> ProcessHandle:
        return self._inner.start(self._wrap(spec))

    async def start_async(self, spec: ProcessSpec) -> AsyncProcessHandle:
        return await self._inner.start_async(self._wrap(spec))

    def _wrap(self, spec: ProcessSpec) -> ProcessSpec:
        return attrs.evolve(spec, argv=(*self._prefix, *spec.argv))


def make_client(inner: ProcessRunner | None = None) -> CodexLocalClient:
    runner = PrefixRunner(inner or SubprocessRunner(), ("nice", "-n", "10"))
    return CodexLocalClient(runner=runner)


def main(client: CodexLocalClient | None = None) -> None:
    client = client or make_client()
    result = client.run_prompt("Profile the test suite", sandbox="read-only", timeout_seconds=600)
    print(result.final_message)


if __name__ == "__main__":
    main()
