"""Telemetry: a hook for metrics, and the logging sink for everything else."""

from __future__ import annotations

import collections
import logging

from adapters.sinks import LoggingSink
from codex_local_sdk import CodexClientEvent, CodexLocalClient

counts: collections.Counter[str] = collections.Counter()


def count_events(event: CodexClientEvent) -> None:
    """A metrics hook. If it raised, the SDK would log the error and carry on."""
    counts[event.type] += 1
    if event.type in ("attempt.succeeded", "attempt.failed"):
        seconds = event.duration_seconds or 0.0
        print(f"{event.operation} attempt {event.attempt}: exit {event.return_code} in {seconds:.2f} s")


def make_client() -> CodexLocalClient:
    logging.basicConfig(level=logging.INFO)
    return CodexLocalClient(event_hook=count_events, event_sink=LoggingSink(level=logging.INFO))


def main(client: CodexLocalClient) -> None:
    client.run_prompt("List the TODOs in this repository", skip_git_repo_check=True)
    print(dict(counts))


if __name__ == "__main__":
    main(make_client())
