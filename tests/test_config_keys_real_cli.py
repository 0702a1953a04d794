"""``config`` keys against the real Codex CLI, offline: why only dotted bare keys are allowed.

The CLI cuts ``-c KEY=VALUE`` at the first ``=`` and splits ``KEY`` on ``.``, reading no TOML
quoting, so a quoted key is a different key and ``"model=evil"`` would set ``model``.
"""

from __future__ import annotations

import pytest

from codex_local_sdk import CodexExecRequest, CodexLocalClient
from tests.test_loopback_provider_real_cli import Offline, codex_bin, offline

__all__ = ["codex_bin", "offline"]  # the fixtures this module uses


def test_a_dotted_key_reaches_the_cli_and_a_quoted_one_is_not_read_as_toml(offline: Offline) -> None:
    client = CodexLocalClient(codex_bin=offline.codex_bin, default_env=offline.env)
    request = CodexExecRequest(
        prompt="hi", cwd=str(offline.workdir), skip_git_repo_check=True, config={"model": "from-config"}
    )
    assert client.run(request).succeeded
    assert offline.provider.requests[-1]["model"] == "from-config"

    quoted = offline.run("-c", '"model"="quoted"')  # the SDK refuses this key: here is why
    assert quoted.returncode == 0
    assert offline.provider.requests[-1]["model"] == "fake-model"  # the model of CODEX_HOME's config

    with pytest.raises(ValueError, match="dotted path of bare keys"):
        CodexExecRequest(prompt="hi", config={'"model"': "quoted"})
