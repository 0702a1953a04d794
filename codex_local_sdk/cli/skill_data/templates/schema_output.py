"""Structured output: Codex's final message is JSON that meets a JSON Schema.

Run it in a git repository: ``python schema_output.py``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from codex_local_sdk import Clock, CodexLocalClient, ProcessRunner

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "languages": {"type": "array", "items": {"type": "string"}},
        "has_tests": {"type": "boolean"},
    },
    # the CLI's strict mode wants every property required and no others allowed
    "required": ["languages", "has_tests"],
    "additionalProperties": False,
}


def make_client(*, runner: ProcessRunner | None = None, clock: Clock | None = None) -> CodexLocalClient:
    """The client: the CLI from $CODEX_BIN, else ``codex`` on PATH (tests pass fakes)."""
    return CodexLocalClient(codex_bin=os.environ.get("CODEX_BIN", "codex"), runner=runner, clock=clock)


def survey(client: CodexLocalClient, repo: str) -> dict[str, Any]:
    """The repository's languages and whether it has tests, as data."""
    # The SDK writes the schema to a private temporary file for --output-schema and removes it.
    result = client.run_with_schema(
        "Which languages does this repository use, and does it have tests?",
        SCHEMA,
        cwd=repo,
        sandbox="read-only",
        timeout_seconds=300,
    )
    answer = result.parse_json()  # ValueError if the final message is missing or not JSON
    if not isinstance(answer, dict):
        raise ValueError(f"expected a JSON object, got {answer!r}")
    return answer


def main(client: CodexLocalClient | None = None) -> int:
    client = client or make_client()
    answer = survey(client, os.getcwd())
    print(f"languages: {', '.join(answer['languages'])}; tests: {answer['has_tests']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
