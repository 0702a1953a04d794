"""Which files a run needs and makes, from its request (pure functions, no file I/O).

The runner owns the files (see :class:`~codex_local_sdk.ports.ProcessSpec`): the core only
says which ones. ``run_with_schema``'s schema is an input file, named in argv by its
:func:`~codex_local_sdk.ports.run_file` token; the images are required files; the
``output_last_message_path`` is an output file, whose content becomes the final message when
JSON output is off.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from .models import CodexExecRequest
from .ports import ProcessSpec, run_file

SCHEMA_FILE = "output-schema.json"
"""The name of ``run_with_schema``'s schema among the run's input files."""

SCHEMA_PATH = run_file(SCHEMA_FILE)
"""The ``output_schema_path`` of a ``run_with_schema`` request: the schema file's token."""


def schema_input(schema: Mapping[str, Any]) -> dict[str, bytes]:
    """The input files of ``run_with_schema``: the schema as JSON, under :data:`SCHEMA_FILE`.

    Raises:
        TypeError: ``schema`` is not a mapping, or not JSON-serialisable.
    """
    if not isinstance(schema, Mapping):
        raise TypeError(f"schema must be a JSON Schema as a dict, got {type(schema).__name__}")
    try:
        text = json.dumps(schema)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"schema is not JSON-serialisable ({exc}): use dicts, lists, str, numbers, bool and None"
        ) from None
    return {SCHEMA_FILE: text.encode("utf-8")}


def attach_run_files(
    spec: ProcessSpec, request: CodexExecRequest, input_files: Mapping[str, bytes] | None = None
) -> ProcessSpec:
    """``spec`` with the files of ``request``: ``input_files`` (e.g. :func:`schema_input`),
    the last-message file as an output file, the images as required files."""
    last_message = request.output_last_message_path
    return attrs.evolve(
        spec,
        input_files=dict(input_files or {}),
        output_files=() if last_message is None else (last_message,),
        required_files=request.images,
    )
