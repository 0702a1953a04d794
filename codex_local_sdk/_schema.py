"""The ``--output-schema`` file of :meth:`~codex_local_sdk.client.CodexLocalClient.run_with_schema`."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any


@contextlib.contextmanager
def schema_file(schema: Mapping[str, Any]) -> Iterator[str]:
    """A private temporary file holding ``schema`` as JSON, removed on exit.

    Raises:
        TypeError: ``schema`` is not a JSON-serialisable mapping.
    """
    if not isinstance(schema, Mapping):
        raise TypeError(f"schema must be a JSON Schema as a dict, got {type(schema).__name__}")
    try:
        text = json.dumps(schema)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"schema is not JSON-serialisable ({exc}): use dicts, lists, str, numbers, bool and None"
        ) from None
    fd, path = tempfile.mkstemp(prefix="codex-output-schema-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
