"""The package as a user installs it: a wheel built from this tree, installed in a fresh
virtualenv without pytest, used from a folder outside the source tree.

pip fetches the build backend and the runtime dependencies from the configured index (or its
cache); where it cannot reach one, these tests are skipped and say so.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "codex_local_sdk",
    "adapters",
    "docs/guide",  # setup.py renders the guide's pages, and the files they include, into the wheel
    "docs/examples",
    "docs/benchmarks.md",
    "tests/test_docs_examples.py",
)
NO_INDEX = (
    "No matching distribution found",
    "Could not find a version that satisfies",
    "Failed to establish a new connection",
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Name or service not known",
    "ProxyError",
    "Read timed out",
)
"""What pip says when it cannot reach a package index."""


@attrs.frozen
class Installed:
    """A virtualenv with the wheel installed (and no pytest), and a pytest kept apart."""

    wheel: Path
    python: Path
    pytest_path: Path
    cwd: Path

    def run(self, *args: str, with_pytest: bool = False) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
        if with_pytest:
            env["PYTHONPATH"] = str(self.pytest_path)
        return subprocess.run(
            [str(self.python), *args], capture_output=True, text=True, timeout=180, cwd=self.cwd, env=env
        )


def pip(*args: str) -> None:
    """Run pip of this interpreter; skip the test when it cannot reach a package index."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--timeout", "20", "--retries", "1", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        output = done.stdout + done.stderr
        said = [line.strip() for line in output.splitlines() if any(m in line for m in NO_INDEX)]
        if said:
            pytest.skip(f"pip cannot reach a package index: {said[0]}")
        raise AssertionError(f"pip {' '.join(args)} failed:\n{output[-3000:]}")


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("installed-wheel")
    source = base / "source"  # the working tree as it is, committed or not, without build litter
    source.mkdir()
    for name in SHIPPED:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    pip("wheel", str(source), "--no-deps", "--quiet", "--wheel-dir", str(base / "dist"))
    (wheel,) = (base / "dist").glob("codex_local_sdk-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(base / "venv")], check=True)
    python = base / "venv" / "bin" / "python"
    pip("--python", str(python), "install", "--quiet", str(wheel))
    pip("install", "--quiet", "--target", str(base / "pytest"), "pytest")
    cwd = base / "elsewhere"
    cwd.mkdir()
    return Installed(wheel, python, base / "pytest", cwd)


def test_the_testing_kit_imports_without_pytest(installed: Installed) -> None:
    done = installed.run(
        "-c",
        "import importlib.util, codex_local_sdk\n"
        "assert importlib.util.find_spec('pytest') is None, 'pytest is installed'\n"
        "from codex_local_sdk.testing import ScriptedRunner, FakeClock, LoopbackProvider, "
        "check_session_store\n"
        "print(codex_local_sdk.__file__)",
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(installed.python.parents[1]), "not the installed copy"


def test_the_wheel_registers_the_pytest_plugin_under_its_module_name(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
        entry_points = wheel.read(name).decode()
    assert "[pytest11]\ncodex_local_sdk.testing.pytest_plugin = codex_local_sdk.testing.pytest_plugin" in (
        entry_points
    )


def documented_command() -> list[str]:
    """The certification command of docs/guide/testing.md, split into arguments."""
    page = (ROOT / "docs" / "guide" / "testing.md").read_text(encoding="utf-8")
    section = page.split("## Certifying your store or CLI", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    assert block, "testing.md shows no certification command"
    return shlex.split(block.group(1).replace("\\\n", " "))


def codex_bin() -> str:
    binary = os.environ.get("CODEX_BIN") or str(ROOT / ".codex-cli" / "node_modules" / ".bin" / "codex")
    if not Path(binary).exists():
        pytest.skip(f"no Codex CLI at {binary}: set CODEX_BIN (make test does)")
    return binary


def with_values(command: Sequence[str], **values: str) -> list[str]:
    """``command`` with each ``--option VALUE`` replaced by ``--option=values[option]``.

    (In the ``=`` form, pytest does not take a path given as a value for a test path, and so
    does not look for its configuration beside the CLI, in this source tree.)
    """
    argv = list(command)
    for option, value in values.items():
        flag = f"--{option.replace('_', '-')}"
        at = argv.index(flag)
        argv[at : at + 2] = [f"{flag}={value}"]
    return argv


def test_the_documented_command_certifies_a_store_and_the_cli(installed: Installed) -> None:
    command = documented_command()
    assert command[0] == "pytest"
    argv = with_values(
        command[1:], store_factory="adapters.memory_store:InMemorySessionStore", codex_bin=codex_bin()
    )
    done = installed.run("-m", "pytest", *argv, "-v", "-p", "no:cacheprovider", with_pytest=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"rootdir: {installed.cwd}" in done.stdout
    outcomes = re.findall(r"::(\w+)(?:\[.*?\])? (PASSED|FAILED|SKIPPED|ERROR)", done.stdout)
    assert outcomes and {outcome for _, outcome in outcomes} == {"PASSED"}, done.stdout[-3000:]
    ran = {test for test, _ in outcomes}
    assert {"test_update_is_atomic_under_threads", "test_one_run_at_a_time_per_thread"} <= ran, ran


def test_the_console_script_installs_the_skill_and_exports_the_docs(installed: Installed) -> None:
    script = installed.python.parent / "codex-local"
    for command in (["skill", "install"], ["docs", "export"]):
        done = subprocess.run(
            [str(script), *command], capture_output=True, text=True, cwd=installed.cwd, timeout=120
        )
        assert done.returncode == 0, done.stderr
    skill = installed.cwd / ".agents" / "skills" / "codex-local-sdk"
    assert (skill / "SKILL.md").is_file() and (skill / "templates" / "sync_run.py").is_file()
    assert "### CodexLocalClient" in (skill / "references" / "api-cheatsheet.md").read_text(encoding="utf-8")
    exported = installed.cwd / "codex-local-sdk-docs"
    pages = {path.name for path in (ROOT / "docs" / "guide").glob("*.md")}
    assert {path.name for path in exported.iterdir()} == {*pages, "api.md"}
    testing = (exported / "testing.md").read_text(encoding="utf-8")
    assert "def summarize_repo(" in testing and "--8<--" not in testing  # rendered at build time


def test_the_wheel_carries_the_guide_and_the_skill_but_not_the_docs_sources(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    assert "codex_local_sdk/cli/guide/index.md" in names
    assert "codex_local_sdk/cli/skill_data/SKILL.md" in names
    assert "codex_local_sdk/cli/skill_data/references/task-routing.md" in names
    assert not [name for name in names if name.startswith(("docs/", "tests/"))]
