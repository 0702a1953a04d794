"""Structured output into your own types: Codex's answer as an instance of an attrs class.

Run it in a git repository: ``python typed_output.py``.
"""

from __future__ import annotations

import enum
import sys
from typing import Literal

import attrs

from codex_local_sdk import CodexLocalClient, CodexOutputError


class Severity(enum.Enum):
    LOW = "low"
    HIGH = "high"


@attrs.frozen
class Finding:
    path: str
    line: int
    severity: Severity
    message: str


@attrs.frozen
class Review:
    verdict: Literal["approve", "request_changes"]
    findings: list[Finding]
    follow_up: str | None  # the reply gives every field: None says "nothing to add"


def review(client: CodexLocalClient) -> Review:
    """Codex's review of the working tree, as a :class:`Review`."""
    # The SDK writes Review's strict JSON schema for --output-schema, and cattrs builds the
    # answer from the reply: result.output is a Review, or CodexOutputError says which field
    # did not fit.
    result = client.run_with_schema(
        "Review the uncommitted changes.", Review, sandbox="read-only", timeout_seconds=600
    )
    answer: Review = result.output
    return answer


def main(client: CodexLocalClient | None = None) -> int:
    client = client or CodexLocalClient()
    try:
        answer = review(client)
    except CodexOutputError as exc:
        print("the reply did not fit Review:")
        for reason in exc.reasons:
            print(f"  {reason}")
        return 1
    print(f"verdict: {answer.verdict}")
    for finding in answer.findings:
        print(f"  {finding.severity.value:<4} {finding.path}:{finding.line} {finding.message}")
    print(f"follow-up: {answer.follow_up or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
