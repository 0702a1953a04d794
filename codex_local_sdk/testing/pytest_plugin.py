"""The pytest plugin of codex_local_sdk: the options of the contract suites.

* ``--store-factory module:callable``: certify the session store that
  ``callable(max_turn_history=...)`` builds, with the store contract.
* ``--codex-bin PATH``: certify that Codex-compatible binary with the CLI contract (default:
  ``$CODEX_BIN``).

Installing codex-local-sdk registers it (a ``pytest11`` entry point of the same name as this
module, so ``-p codex_local_sdk.testing.pytest_plugin`` and the automatic loading agree and it
is loaded once). The suites are in :mod:`codex_local_sdk.testing.contracts`::

    pytest -p codex_local_sdk.testing.pytest_plugin --pyargs codex_local_sdk.testing.contracts \\
        --store-factory mypackage.stores:make_store --codex-bin /path/to/your-cli

Every pytest run in an environment with the package installed loads this module, so it
imports nothing of the SDK until a contract needs it: an SDK that cannot be imported fails
the contracts, not every test run.
"""

from __future__ import annotations

import importlib
import inspect
import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from codex_local_sdk.testing.store_rules import StoreFactory

STORE_FACTORY = pytest.StashKey["StoreFactory"]()
"""Where ``pytest_configure`` keeps the ``--store-factory`` callable."""


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
        help="the Codex-compatible CLI to certify with the CLI contract (default: $CODEX_BIN)",
    )


def pytest_configure(config: pytest.Config) -> None:
    spec = config.getoption("--store-factory")
    if spec:
        config.stash[STORE_FACTORY] = load_store_factory(str(spec))


def load_store_factory(spec: str) -> StoreFactory:
    """The callable ``spec`` (``module:callable``) names, checked before any test runs.

    Args:
        spec: ``module:callable``, e.g. ``mypackage.stores:make_store``.

    Returns:
        The callable.

    Raises:
        pytest.UsageError: ``spec`` is malformed, cannot be imported, or names a callable
            that does not take ``max_turn_history=``.
    """
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise pytest.UsageError(
            f"--store-factory {spec!r}: give it as module:callable, e.g. mypackage.stores:make_store"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise pytest.UsageError(f"--store-factory {spec!r}: {exc} (is it on PYTHONPATH?)") from exc
    factory: StoreFactory | None = getattr(module, name, None)
    if not callable(factory):
        raise pytest.UsageError(f"--store-factory {spec!r}: {module_name} has no callable {name!r}")
    try:
        inspect.signature(factory).bind(max_turn_history=50)
    except TypeError as exc:
        raise pytest.UsageError(
            f"--store-factory {spec!r}: the contract calls {name}(max_turn_history=N) for each new "
            f"store, and that call does not fit its signature ({exc})"
        ) from None
    except ValueError:
        pass  # no signature to check (a builtin): the tests will call it
    return factory
