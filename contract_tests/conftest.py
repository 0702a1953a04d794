"""Options to certify your own implementations against the contracts.

* ``--store-factory module:callable``: also run the session store contract against the store
  that ``callable(max_turn_history=...)`` builds.
* ``--codex-bin PATH``: run the CLI contract against that binary (default: ``$CODEX_BIN``).
"""

from __future__ import annotations

import importlib
import inspect
import os

import pytest

from adapters.store_contract import StoreFactory

STORE_FACTORY = pytest.StashKey[StoreFactory]()
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
        help="the Codex-compatible CLI to certify with the CLI contract",
    )


def pytest_configure(config: pytest.Config) -> None:
    spec = config.getoption("--store-factory")
    if spec:
        config.stash[STORE_FACTORY] = load_store_factory(str(spec))


def load_store_factory(spec: str) -> StoreFactory:
    """The callable ``spec`` (``module:callable``) names, checked before any test runs.

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
