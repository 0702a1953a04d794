"""Structured output: the final message is JSON that meets your schema."""

from __future__ import annotations

from codex_local_sdk import CodexLocalClient

SCHEMA = {
    "type": "object",
    "properties": {
        "languages": {"type": "array", "items": {"type": "string"}},
        "has_tests": {"type": "boolean"},
    },
    "required": ["languages", "has_tests"],
    "additionalProperties": False,
}


def main(client: CodexLocalClient | None = None) -> None:
    client = client or CodexLocalClient()
    # The schema goes to a private temporary file for --output-schema, removed afterwards.
    result = client.run_with_schema("Which languages does this repository use?", SCHEMA, timeout_seconds=300)
    answer = result.parse_json()  # ValueError if the final message is missing or not JSON
    print(answer["languages"], answer["has_tests"])


if __name__ == "__main__":
    main()
