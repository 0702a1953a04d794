"""Adapters of codex_local_sdk: the outside world (runners, stores, clocks, sinks).

This top-level package shares its name with an unrelated distribution on PyPI; the marker
below lets ``codex_local_sdk`` check, on import, that ``import adapters`` found this one.
"""

CODEX_LOCAL_SDK_ADAPTERS = True
