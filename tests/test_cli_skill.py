"""``codex-local skill install`` and ``codex-local docs export``, run as a user runs them.

The command runs as ``python -m codex_local_sdk.cli`` in a child process; the templates of an
installed skill are imported from where the skill was written and run on ``ScriptedRunner``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pytest

import codex_local_sdk
import codex_local_sdk.testing
from codex_local_sdk import CodexLocalClient
from codex_local_sdk.cli.cheatsheet import render
from codex_local_sdk.cli.guide_pages import render_page
from codex_local_sdk.testing import (
    LoopbackProvider,
    Reply,
    ScriptedRun,
    ScriptedRunner,
    codex_turn_events,
    write_codex_home,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "codex_local_sdk" / "cli" / "skill_data" / "templates"
SKILL_FILES = {
    "SKILL.md",
    "references/api-cheatsheet.md",
    "references/failure-modes.md",
    "references/task-routing.md",
    "scripts/preflight.py",
    "templates/custom_store.py",
    "templates/live_stream.py",
    "templates/schema_output.py",
    "templates/sync_run.py",
    "templates/testing_with_fakes.py",
    "templates/thread_session.py",
}


def codex_local(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_local_sdk.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture(scope="module")
def skill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A skill installed where Codex looks by default: .agents/skills under the current folder."""
    project = tmp_path_factory.mktemp("project")
    done = codex_local("skill", "install", cwd=project)
    assert done.returncode == 0, done.stderr
    target = project / ".agents" / "skills" / "codex-local-sdk"
    assert (
        done.stdout.strip() == f"wrote the codex-local-sdk skill to {Path('.agents/skills/codex-local-sdk')}"
    )
    return target


def files_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def test_skill_install_writes_the_skill(skill: Path) -> None:
    assert files_under(skill) == SKILL_FILES  # no __init__.py, no __pycache__
    assert os.access(skill / "scripts" / "preflight.py", os.X_OK)


def test_the_skill_front_matter_names_it_and_says_when_to_use_it(skill: Path) -> None:
    text = (skill / "SKILL.md").read_text(encoding="utf-8")
    front = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    assert front, "SKILL.md has no front matter"
    fields = dict(line.split(": ", 1) for line in front[1].splitlines())
    assert fields.keys() == {"name", "description"}
    assert fields["name"] == "codex-local-sdk" == skill.name
    assert fields["description"].startswith("Use when") and "codex_local_sdk" in fields["description"]


def pinned_cli() -> str:
    binary = os.environ.get("CODEX_BIN") or str(ROOT / ".codex-cli" / "node_modules" / ".bin" / "codex")
    if not Path(binary).exists():
        pytest.skip(f"no Codex CLI at {binary}: set CODEX_BIN (make test does)")
    return binary


def test_the_codex_cli_offers_the_installed_skill_to_the_model(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    assert codex_local("skill", "install", cwd=project).returncode == 0
    front = (project / ".agents/skills/codex-local-sdk/SKILL.md").read_text(encoding="utf-8").split("---")[1]
    description = re.search(r"^description: (.*)$", front, re.MULTILINE)
    assert description
    with LoopbackProvider([Reply.message("ok")]) as provider:
        env = write_codex_home(tmp_path / "codex-home", provider.base_url)
        client = CodexLocalClient(codex_bin=pinned_cli(), default_env=env, default_cwd=project)
        assert client.run_prompt("hello", timeout_seconds=120).succeeded
    # The CLI lists the skills it found in the instructions it sends: name, then description.
    listed = json.dumps(f"- codex-local-sdk: {description[1]} (file: ")[1:-1]  # as JSON escapes it
    assert listed in json.dumps(provider.requests[0])


def test_every_file_skill_md_names_is_in_the_skill_and_every_file_is_named(skill: Path) -> None:
    text = (skill / "SKILL.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(?:references|templates|scripts)/[\w-]+\.(?:md|py)\b", text))
    assert named == SKILL_FILES - {"SKILL.md"}


def entries(sheet: str) -> tuple[set[str], set[str]]:
    """The names the cheat sheet has an entry for: the package's, and the test doubles'."""
    package, testing = sheet.split("\n## Test doubles\n")
    return set(re.findall(r"^### (\w+)$", package, re.M)), set(re.findall(r"^### (\w+)$", testing, re.M))


def test_the_cheat_sheet_lists_every_public_name(skill: Path) -> None:
    sheet = (skill / "references" / "api-cheatsheet.md").read_text(encoding="utf-8")
    assert entries(sheet) == (set(codex_local_sdk.__all__), set(codex_local_sdk.testing.__all__))


def test_the_cheat_sheet_shows_signatures_fields_and_errors(skill: Path) -> None:
    sheet = (skill / "references" / "api-cheatsheet.md").read_text(encoding="utf-8")
    assert "- `run_prompt(prompt: str, *, api_key: str | None = None, timeout_seconds: float | None" in sheet
    assert "- `prompt: str`: the instructions for Codex" in sheet  # a model field and its meaning
    assert "`CodexTimeoutError(message: str | None = None, result: CodexExecResult | None = None" in sheet
    assert "subclass of `CodexExecFailedError`: One of the SDK's timeouts ended the run" in sheet
    assert "- `.stderr_tail`:" in sheet  # an error's fields
    assert ":class:" not in sheet and "``" not in sheet.replace("```", "")  # no reST left


def test_the_cheat_sheet_takes_functions_and_constants_too() -> None:
    def helper(count: int, *, label: str = "x") -> bool:
        """Say whether it helps.

        More than the sheet shows."""
        return bool(count)

    module = ModuleType("example")
    module.helper = helper  # type: ignore[attr-defined]
    module.LIMIT = 3  # type: ignore[attr-defined]
    module.__all__ = ["LIMIT", "helper"]  # type: ignore[attr-defined]

    sheet = render(module)

    assert (
        "### helper\n\n`helper(count: int, *, label: str = 'x') -> bool`\n\nSay whether it helps.\n" in sheet
    )
    assert "### LIMIT\n\n`LIMIT: int = 3`\n" in sheet


def test_an_existing_skill_is_an_error_without_force(tmp_path: Path) -> None:
    assert codex_local("skill", "install", "skills", cwd=tmp_path).returncode == 0
    (tmp_path / "skills" / "codex-local-sdk" / "SKILL.md").write_text("edited", encoding="utf-8")
    (tmp_path / "skills" / "codex-local-sdk" / "stale.md").write_text("old", encoding="utf-8")

    again = codex_local("skill", "install", "skills", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.splitlines() == [
        f"codex-local: error: {Path('skills/codex-local-sdk')} already exists; pass --force to replace it"
    ]
    assert (tmp_path / "skills" / "codex-local-sdk" / "SKILL.md").read_text(encoding="utf-8") == "edited"

    forced = codex_local("skill", "install", "skills", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert files_under(tmp_path / "skills" / "codex-local-sdk") == SKILL_FILES  # replaced whole
    assert (
        (tmp_path / "skills" / "codex-local-sdk" / "SKILL.md").read_text(encoding="utf-8").startswith("---")
    )
    assert [p.name for p in (tmp_path / "skills").iterdir()] == ["codex-local-sdk"]  # no staging left


def load(path: Path) -> ModuleType:
    """Import a template from the installed skill, as a module of its own."""
    spec = importlib.util.spec_from_file_location(f"skill_template_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def turn(message: str, thread_id: str = "thread-1") -> ScriptedRun:
    return ScriptedRun(stdout=codex_turn_events(thread_id=thread_id, message=message))


def a_command_then_a_message(spec: object) -> ScriptedRun:
    return ScriptedRun(
        stdout=[
            {"type": "thread.started", "thread_id": "thread-live"},
            {"type": "turn.started"},
            {
                "type": "item.started",
                "item": {"id": "item_0", "type": "command_execution", "command": "pytest -x"},
            },
            *codex_turn_events(thread_id="thread-live", message="All tests pass.")[2:],
        ]
    )


TEMPLATE_RUNS: dict[str, tuple[Callable[[object], ScriptedRun] | list[ScriptedRun], list[str]]] = {
    "sync_run": ([turn("A library for widgets.")], ["A library for widgets."]),
    "live_stream": (
        a_command_then_a_message,
        ["$ pytest -x", "codex: All tests pass.", "completed: exit 0, thread thread-live"],
    ),
    "thread_session": (
        [turn("Notes v1", "thread-7"), turn("Notes v2", "thread-7")],
        ["codex: Notes v1", "codex: Notes v2", "release-notes: thread thread-7, 2 turns, 0 failed"],
    ),
    "schema_output": (
        [turn(json.dumps({"languages": ["Python", "Rust"], "has_tests": True}))],
        ["languages: Python, Rust; tests: True"],
    ),
    "custom_store": (
        [turn("Noted."), turn("On Friday.")],
        ["codex: On Friday.", "release: thread thread-1, 2 turns"],
    ),
}
"""What each template's client gets to run, and what the template then prints."""


def test_every_template_is_run_by_a_test(skill: Path) -> None:
    templates = {path.stem for path in (skill / "templates").glob("*.py")}
    assert templates == {*TEMPLATE_RUNS, "testing_with_fakes"}


@pytest.mark.parametrize("name", sorted(TEMPLATE_RUNS))
def test_each_template_runs_on_the_scripted_runner(
    name: str,
    skill: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # where a template writes its files (the session store)
    script, printed = TEMPLATE_RUNS[name]
    runner = ScriptedRunner(script)
    template = load(skill / "templates" / f"{name}.py")

    assert template.main(template.make_client(runner=runner, clock=runner.clock)) == 0

    assert capsys.readouterr().out.splitlines() == printed
    assert runner.calls, "the template ran nothing"
    assert all(call.cwd == str(tmp_path) for call in runner.calls if name in ("sync_run", "schema_output"))


REAL_CLI_REPLIES: dict[str, tuple[list[Reply], str]] = {
    "sync_run": ([Reply.message("A library for widgets.")], "A library for widgets."),
    # the CLI reports the command with the shell it ran it in: $ /bin/bash -c 'echo checked'
    "live_stream": ([Reply.tool_call("echo checked"), Reply.message("All good.")], "-c 'echo checked'\n"),
    "thread_session": ([Reply.message("Notes v1"), Reply.message("Notes v2")], "2 turns, 0 failed"),
    "schema_output": ([Reply.message('{"languages": ["Python"], "has_tests": true}')], "tests: True"),
    "custom_store": ([Reply.message("Noted."), Reply.message("On Friday.")], "codex: On Friday."),
}
"""What the provider answers each template's real CLI, and a line the template then prints."""


@pytest.mark.parametrize("name", sorted(REAL_CLI_REPLIES))
def test_each_template_runs_on_the_real_cli_offline(
    name: str,
    skill: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CODEX_BIN", pinned_cli())  # the templates' make_client reads it
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    monkeypatch.chdir(project)
    replies, printed = REAL_CLI_REPLIES[name]
    template = load(skill / "templates" / f"{name}.py")
    with LoopbackProvider(replies) as provider:
        for variable, value in write_codex_home(tmp_path / "codex-home", provider.base_url).items():
            monkeypatch.setenv(variable, value)

        assert template.main() == 0

    assert printed in capsys.readouterr().out
    assert provider.completed_replies == len(replies)


def test_the_live_template_terminates_a_forbidden_command(
    skill: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pushes = ScriptedRun(
        stdout=[
            {"type": "thread.started", "thread_id": "thread-live"},
            {
                "type": "item.started",
                "item": {"id": "item_0", "type": "command_execution", "command": "git push"},
            },
        ],
        hang=True,  # until terminated
    )
    runner = ScriptedRunner([pushes])
    template = load(skill / "templates" / "live_stream.py")

    assert template.main(template.make_client(runner=runner, clock=runner.clock)) == 1

    assert capsys.readouterr().out.splitlines() == ["$ git push", "terminated: exit -15, thread thread-live"]
    assert runner.processes[0].closed


def test_the_custom_store_template_keeps_the_store_contract(skill: Path) -> None:
    load(skill / "templates" / "custom_store.py").test_the_store_keeps_the_contract()


def test_the_testing_template_runs_its_tests(skill: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = load(skill / "templates" / "testing_with_fakes.py")
    assert template.main() == 0
    passed = capsys.readouterr().out.splitlines()
    assert passed == [f"passed: {name}" for name in vars(template) if name.startswith("test_")]
    assert len(passed) == 5


def preflight(skill: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(skill / "scripts" / "preflight.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=skill,
        timeout=120,
    )


def test_preflight_passes_with_the_pinned_cli(skill: Path) -> None:
    done = preflight(skill, {**os.environ, "CODEX_BIN": pinned_cli()})
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == [
        "ok       python",
        "ok       codex_local_sdk",
        "ok       codex cli",
    ]
    assert re.search(r"codex-cli \d+\.\d+\.\d+ at ", lines[2]), lines[2]
    assert lines[3] == "preflight passed: ready to run codex_local_sdk code"


def test_preflight_fails_with_a_clear_line_when_the_cli_is_missing(skill: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CODEX_BIN"}
    env["PATH"] = str(tmp_path)  # an empty folder: no codex on PATH
    done = preflight(skill, env)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ok       python") and lines[1].startswith("ok       codex_local_sdk")
    assert lines[-1] == (
        "preflight failed: codex cli not found (`codex` on PATH): install it with "
        "`npm install -g @openai/codex`, or set CODEX_BIN to the path of a codex binary"
    )


def test_preflight_names_a_codex_bin_that_is_not_there(skill: Path, tmp_path: Path) -> None:
    done = preflight(skill, {**os.environ, "CODEX_BIN": str(tmp_path / "nowhere" / "codex")})
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1].startswith(
        f"preflight failed: codex cli not found (CODEX_BIN={tmp_path / 'nowhere' / 'codex'}): install it"
    )


def test_docs_export_writes_the_guide_pages_with_their_examples(tmp_path: Path) -> None:
    done = codex_local("docs", "export", "offline", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    export = tmp_path / "offline" / "codex-local-sdk-docs"
    guide = {path.name for path in (ROOT / "docs" / "guide").glob("*.md")}
    assert files_under(export) == {*guide, "api.md"}
    pages = {path.name: path.read_text(encoding="utf-8") for path in export.iterdir()}
    assert not [name for name, text in pages.items() if "--8<--" in text]  # every include resolved
    example = (TEMPLATES / "schema_output.py").read_text(encoding="utf-8")  # requests.md includes it
    assert example.strip() in pages["requests.md"]
    assert "def summarize_repo(" in pages["testing.md"]  # a marked section of an example
    assert "](reference/" not in pages["index.md"] and "](api.md)" in pages["index.md"]
    assert entries(pages["api.md"])[0] == set(codex_local_sdk.__all__)


def test_an_include_brings_its_section_dedented_to_the_include_s_indent(tmp_path: Path) -> None:
    (tmp_path / "example.py").write_text(
        "import os\n\n"
        "class A:\n"
        "    # --8<-- [start:body]\n"
        "    def f(self) -> None:\n"
        "        pass\n"
        "    # --8<-- [end:body]\n",
        encoding="utf-8",
    )
    page = (
        '!!! note\n    ```python\n    --8<-- "example.py:body"\n    ```\nSee [run](reference/client.md#a).\n'
    )

    rendered = render_page(page, tmp_path)

    assert (
        rendered
        == "!!! note\n    ```python\n    def f(self) -> None:\n        pass\n    ```\nSee [run](api.md).\n"
    )
    whole = render_page('--8<-- "example.py"', tmp_path)
    assert "--8<--" not in whole and whole.startswith("import os\n\nclass A:\n    def f")
    with pytest.raises(ValueError, match=r"example\.py marks no section 'tail'"):
        render_page('--8<-- "example.py:tail"', tmp_path)


def test_docs_export_needs_force_to_replace_an_export(tmp_path: Path) -> None:
    assert codex_local("docs", "export", cwd=tmp_path).returncode == 0
    again = codex_local("docs", "export", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists; pass --force to replace it" in again.stderr
    assert codex_local("docs", "export", "--force", cwd=tmp_path).returncode == 0


def test_the_console_script_is_codex_local() -> None:
    (script,) = entry_points(group="console_scripts", name="codex-local")
    assert script.value == "codex_local_sdk.cli:main"


def test_python_m_codex_local_sdk_runs_the_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "codex_local_sdk", "--help"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "skill" in done.stdout and "docs" in done.stdout


def test_a_folder_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "skills").write_text("a file where the folder should be", encoding="utf-8")
    done = codex_local("skill", "install", "skills", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["codex-local: error: [Errno 17] File exists: 'skills'"]


def test_a_command_without_an_action_is_a_usage_error(tmp_path: Path) -> None:
    done = codex_local("skill", cwd=tmp_path)
    assert done.returncode == 2
    assert "the following arguments are required: ACTION" in done.stderr
