"""The CLI without Node: ``pip install '.[cli-bin]'`` in a fresh virtualenv, no ``codex`` on the
PATH, and ``CodexLocalClient()`` runs a turn offline on the bundled native CLI.

The install fetches ``openai-codex-cli-bin`` (a wheel of about 140 MB; pip's cache makes a
second run quick). Measured on a 2-core machine: about 50 s with a warm cache, most of it pip.
It runs in ``make test``; ``-m "not cli_bin"`` leaves it out. Where pip cannot reach a package
index, it is skipped and says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.bundled_cli import bundled_codex
from codex_local_sdk import CodexLocalClient, CodexNotInstalledError
from codex_local_sdk.testing.loopback import LoopbackProvider, Reply, write_codex_home
from tests.test_installed_wheel import NO_INDEX

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, sys
from codex_local_sdk import CodexLocalClient
client = CodexLocalClient(default_env=json.loads(sys.argv[1]))
facts = {"available": client.is_available(), "version": str(client.cli_version())}
result = client.run_prompt("hi", cwd=sys.argv[2], skip_git_repo_check=True, timeout_seconds=120)
facts.update(succeeded=result.succeeded, message=result.final_message)
print(json.dumps(facts))
"""


def install_with_cli_bin(venv: Path) -> Path:
    """A virtualenv in ``venv`` with this tree and its ``cli-bin`` extra; its python."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--timeout", "30", f"{ROOT}[cli-bin]"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        output = done.stdout + done.stderr
        said = [line.strip() for line in output.splitlines() if any(m in line for m in NO_INDEX)]
        if said:
            pytest.skip(f"pip cannot reach a package index: {said[0]}")
        raise AssertionError(f"pip install '.[cli-bin]' failed:\n{output[-3000:]}")
    return python


def path_without_codex(*first: Path) -> str:
    """A PATH of ``first`` and the system folders that hold no ``codex``."""
    folders = [str(folder) for folder in first] + ["/usr/local/bin", "/usr/bin", "/bin"]
    kept = [folder for folder in folders if not shutil.which("codex", path=folder)]
    return os.pathsep.join(kept)


@pytest.mark.cli_bin
def test_the_cli_bin_extra_runs_a_turn_offline_without_node_or_codex_on_the_path(tmp_path: Path) -> None:
    python = install_with_cli_bin(tmp_path / "venv")
    work = tmp_path / "work"
    work.mkdir()
    with LoopbackProvider() as provider:
        provider.enqueue(Reply.message("from the bundled CLI"))
        env = {
            **write_codex_home(tmp_path / "home", provider.base_url),
            "PATH": path_without_codex(python.parent),
        }
        done = subprocess.run(
            [str(python), "-c", SCRIPT, json.dumps(env), str(work)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env={"PATH": env["PATH"], "HOME": str(tmp_path)},
        )
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.splitlines()[-1])
    assert facts == {
        "available": True,
        "version": "0.163.0",
        "succeeded": True,
        "message": "from the bundled CLI",
    }


def test_without_a_cli_the_error_names_npm_and_the_cli_bin_extra(tmp_path: Path) -> None:
    if bundled_codex() is not None:
        pytest.skip("openai-codex-cli-bin is installed here: the bundled CLI would run")
    client = CodexLocalClient(default_env={"PATH": str(tmp_path)})
    assert not client.is_available()
    with pytest.raises(CodexNotInstalledError) as caught:
        client.run_prompt("p")
    assert "npm install -g @openai/codex" in str(caught.value)
    assert "pip install 'codex-local-sdk[cli-bin]'" in str(caught.value)
