"""Everything to test code built on codex_local_sdk, without a model or a network.

* :class:`ScriptedRunner` / :class:`ScriptedRun` / :class:`Pause` / :func:`codex_turn_events`:
  a fake :class:`~codex_local_sdk.ports.ProcessRunner` that replays scripted CLI runs.
* :class:`FakeClock`: retries and timeouts in no wall time.
* :class:`LoopbackProvider` / :class:`Reply` / :func:`write_codex_home`: a model provider on
  127.0.0.1, to run the *real* Codex CLI offline.
* :func:`check_session_store`: the rules every :class:`~codex_local_sdk.ports.SessionStore`
  must keep, checked by a plain function that raises ``AssertionError`` naming the rule broken.
* :class:`SessionStoreContract`: the same rules as a pytest suite (subclass it in a pytest
  module and provide a ``make_store`` fixture).

Importing this package needs no pytest: each name is imported on first use, and only
``SessionStoreContract`` needs pytest (so it is not in ``__all__``, and
``from codex_local_sdk.testing import *`` works without pytest).
The pytest plugin :mod:`codex_local_sdk.testing.pytest_plugin` and the contract suites in
:mod:`codex_local_sdk.testing.contracts` certify a store or a CLI from the installed package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.clock import FakeClock
    from adapters.memory_store import InMemorySessionStore
    from adapters.scripted_runner import (
        Pause,
        ScriptedProcess,
        ScriptedRun,
        ScriptedRunner,
        codex_turn_events,
    )

    from .loopback import LoopbackProvider, Reply, unreachable_base_url, write_codex_home
    from .store_contract import SessionStoreContract as SessionStoreContract  # not in __all__
    from .store_rules import StoreFactory, check_session_store

__all__ = [
    "FakeClock",
    "InMemorySessionStore",
    "LoopbackProvider",
    "Pause",
    "Reply",
    "ScriptedProcess",
    "ScriptedRun",
    "ScriptedRunner",
    "StoreFactory",
    "check_session_store",
    "codex_turn_events",
    "unreachable_base_url",
    "write_codex_home",
]

_HOMES = {
    "FakeClock": "adapters.clock",
    "InMemorySessionStore": "adapters.memory_store",
    "LoopbackProvider": f"{__name__}.loopback",
    "Pause": "adapters.scripted_runner",
    "Reply": f"{__name__}.loopback",
    "ScriptedProcess": "adapters.scripted_runner",
    "ScriptedRun": "adapters.scripted_runner",
    "ScriptedRunner": "adapters.scripted_runner",
    "SessionStoreContract": f"{__name__}.store_contract",
    "StoreFactory": f"{__name__}.store_rules",
    "check_session_store": f"{__name__}.store_rules",
    "codex_turn_events": "adapters.scripted_runner",
    "unreachable_base_url": f"{__name__}.loopback",
    "write_codex_home": f"{__name__}.loopback",
}


def __getattr__(name: str) -> Any:
    # Each name is imported on first use: the pytest plugin, which pytest loads in every run,
    # lives in this package, and SessionStoreContract (a pytest class) needs pytest.
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(_HOMES[name])
    except ModuleNotFoundError as exc:
        if exc.name != "pytest":
            raise
        raise ImportError(
            f"{name} is a pytest test class and needs pytest (pip install pytest); "
            "check_session_store checks the same rules without it"
        ) from exc
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
