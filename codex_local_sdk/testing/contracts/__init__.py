"""The contract suites, shipped so that a store or a CLI is certified from the installed package.

Run them with the plugin's options (``--store-factory`` for the store contract, ``--codex-bin``
or ``$CODEX_BIN`` for the CLI contract); a suite without its option is skipped::

    pytest -p codex_local_sdk.testing.pytest_plugin --pyargs codex_local_sdk.testing.contracts \\
        --store-factory mypackage.stores:make_store --codex-bin /path/to/your-cli
"""
