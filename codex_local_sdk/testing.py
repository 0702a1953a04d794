"""Everything to test code built on codex_local_sdk, without a model or a network.

* :class:`ScriptedRunner` / :class:`ScriptedRun` / :class:`Pause` / :func:`codex_turn_events`:
  a fake :class:`~codex_local_sdk.ports.ProcessRunner` that replays scripted CLI runs.
* :class:`FakeClock`: retries and timeouts in no wall time.
* :class:`LoopbackProvider` / :class:`Reply` / :func:`write_codex_home`: a model provider on
  127.0.0.1, to run the *real* Codex CLI offline.
* :class:`SessionStoreContract`: the conformance suite every
  :class:`~codex_local_sdk.ports.SessionStore` must pass (subclass it in a pytest module and
  provide a ``make_store`` fixture).
"""

from adapters.clock import FakeClock
from adapters.loopback_provider import LoopbackProvider, Reply, unreachable_base_url, write_codex_home
from adapters.memory_store import InMemorySessionStore
from adapters.scripted_runner import Pause, ScriptedProcess, ScriptedRun, ScriptedRunner, codex_turn_events
from adapters.store_contract import SessionStoreContract

__all__ = [
    "FakeClock",
    "InMemorySessionStore",
    "LoopbackProvider",
    "Pause",
    "Reply",
    "ScriptedProcess",
    "ScriptedRun",
    "ScriptedRunner",
    "SessionStoreContract",
    "codex_turn_events",
    "unreachable_base_url",
    "write_codex_home",
]
