"""Python values -> inline TOML, for the CLI's ``-c key=value`` overrides.

Its own module so that the request (which checks its ``config`` values when built) and the
argv builder (which renders them) share it without importing each other.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def render_toml_value(value: Any) -> str:
    """Render a Python value as an inline TOML value for ``-c key=value``.

    Args:
        value: a str, int, float, bool, or a list, tuple or mapping of those (nested).

    Returns:
        The TOML text: strings JSON-quoted, lists as arrays, mappings as inline tables.

    Raises:
        TypeError: the value has no TOML form (``None``, objects, non-string keys).
        ValueError: a float is NaN or infinite.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"config value {value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {render_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(
        f"config value {value!r} ({type(value).__name__}) has no TOML form: "
        "use str, int, float, bool, a list or a dict of those"
    )


def _toml_key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"config table keys must be strings, got {key!r}")
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)
