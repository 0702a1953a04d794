"""``python -m codex_local_sdk.cli``: the ``codex-local`` command."""

from . import main

raise SystemExit(main())
