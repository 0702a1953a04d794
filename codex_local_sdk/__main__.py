"""``python -m codex_local_sdk``: the ``codex-local`` command."""

from .cli import main

raise SystemExit(main())
