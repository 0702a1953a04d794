"""Options to certify your own implementations against the contracts.

* ``--store-factory module:callable``: also run the session store contract against the store
  that ``callable(max_turn_history=...)`` builds.
* ``--codex-bin PATH``: run the CLI contract against that binary (default: ``$CODEX_BIN``).
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("codex_local_sdk contracts")
    group.addoption(
        "--store-factory",
        default=None,
        metavar="MODULE:CALLABLE",
        help="a SessionStore factory to certify with the store contract",
    )
    group.addoption(
        "--codex-bin",
        default=os.environ.get("CODEX_BIN"),
        metavar="PATH",
        help="the Codex-compatible CLI to certify with the CLI contract",
    )
