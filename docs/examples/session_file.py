"""The JSON session file: legacy migration, and what happens to a file the store cannot read."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from codex_local_sdk import JsonFileSessionStore, SessionStoreCorruptError, SessionStoreSchemaError


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "sessions.json")

        # A file from an older wrapper: a flat {name: thread id} object.
        path.write_text('{"ticket-4711": "0199a3f2-5b1e-7c40-9d2a-6f1e0b7c2d11"}')
        store = JsonFileSessionStore(path)
        print("legacy name ->", store.get("ticket-4711"))  # the first read migrates the file
        migrated = json.loads(path.read_text())
        print("now schema_version", migrated["schema_version"], "with records", sorted(migrated["records"]))
        print(f"file mode {path.stat().st_mode & 0o777:o}")

        # A file this version cannot read is never overwritten: every call raises.
        for content in ('{"schema_version": 4, "records": {}}', "{not json"):
            path.write_text(content)
            try:
                store.set("ticket-4712", "0199a3f2-0000-7000-8000-000000000000")
            except (SessionStoreSchemaError, SessionStoreCorruptError) as exc:
                untouched = path.read_text() == content
                print(f"{type(exc).__name__}: file untouched: {untouched}")


if __name__ == "__main__":
    main()
