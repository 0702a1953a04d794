"""Deprecated: moved to :mod:`codex_local_sdk.testing.store_contract`.

Import it from :mod:`codex_local_sdk.testing`. This module only re-exports that one, so code
written for the earlier path keeps working.
"""

import warnings

from codex_local_sdk.testing.store_contract import *  # noqa: F403

warnings.warn(
    "adapters.store_contract moved to codex_local_sdk.testing.store_contract: "
    "import its names from codex_local_sdk.testing",
    DeprecationWarning,
    stacklevel=2,
)
