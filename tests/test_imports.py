"""What ``import codex_local_sdk`` offers and what it costs: the names it exports, loaded on
first use, and the packages it leaves unloaded until a run needs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import codex_local_sdk

ROOT = Path(__file__).resolve().parents[1]

EXPORTS = [
    "AgentMessageItem",
    "AsyncCodexLiveRun",
    "AsyncProcessHandle",
    "CliVersion",
    "Clock",
    "CodexAuthError",
    "CodexClientEvent",
    "CodexError",
    "CodexEvent",
    "CodexExecFailedError",
    "CodexExecRequest",
    "CodexExecResult",
    "CodexLiveRun",
    "CodexLocalClient",
    "CodexNotInstalledError",
    "CodexOutputError",
    "CodexOutputTooLargeError",
    "CodexRateLimitError",
    "CodexSessionError",
    "CodexSpawnError",
    "CodexThreadBusyError",
    "CodexThreadSession",
    "CodexTimeoutError",
    "CodexUnknownThreadError",
    "CodexUnsupportedCliError",
    "CodexUnsupportedOptionError",
    "CodexUsageLimitError",
    "CommandExecutionItem",
    "DirectoryThreadArchive",
    "ErrorItem",
    "EventSink",
    "FailureKind",
    "FileChangeItem",
    "FileUpdateChange",
    "InMemorySessionStore",
    "JsonFileSessionStore",
    "McpToolCallItem",
    "OpenTelemetrySink",
    "PostgresSessionStore",
    "PostgresThreadArchive",
    "ProcessHandle",
    "ProcessRunner",
    "ProcessSpec",
    "ReasoningItem",
    "RetryPolicy",
    "SandboxMode",
    "SessionRecord",
    "SessionStore",
    "SessionStoreCorruptError",
    "SessionStoreError",
    "SessionStoreLockTimeout",
    "SessionStoreSchemaError",
    "SessionTurnRecord",
    "SessionWorkspace",
    "SqliteSessionStore",
    "ThreadArchive",
    "ThreadArchiveError",
    "ThreadLease",
    "TodoItem",
    "TodoListItem",
    "TurnProgress",
    "UnknownItem",
    "Usage",
    "WebSearchItem",
    "store_from_url",
]

# Which of the big dependencies are loaded, as one line of Python.
LOADED = "print(sorted(m for m in sys.modules if m.split('.')[0] in {'tenacity', 'cattrs'}))"


def run_python(code: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, **env},
    )


def test_the_public_names_are_pinned() -> None:
    assert sorted(codex_local_sdk.__all__) == EXPORTS


@pytest.mark.parametrize("name", EXPORTS)
def test_every_public_name_resolves_to_its_home(name: str) -> None:
    value = getattr(codex_local_sdk, name)
    assert value.__name__ == name
    assert value.__module__.startswith(("codex_local_sdk.", "adapters."))


def test_a_star_import_gives_every_public_name() -> None:
    done = run_python(
        "from codex_local_sdk import *\nprint(sorted(k for k in dir() if not k.startswith('_')))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(EXPORTS)


def test_a_star_import_needs_no_optional_extra() -> None:
    # sys.modules[name] = None makes `import name` fail, as where the extra is not installed
    done = run_python(
        "import sys\n"
        "sys.modules.update(dict.fromkeys(['psycopg', 'psycopg_pool']))\n"
        "from codex_local_sdk import *\n"
        "print(sorted(k for k in dir() if not k.startswith('_') and k != 'sys'))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(EXPORTS)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'codex_local_sdk' has no attribute 'NoSuchThing'"):
        _ = codex_local_sdk.NoSuchThing


def test_submodules_stay_importable_by_name() -> None:
    from codex_local_sdk import command, models, results

    assert models.CodexExecResult is results.CodexExecResult is codex_local_sdk.CodexExecResult
    assert models.Usage is results.Usage is codex_local_sdk.Usage
    assert models.UNSUCCESSFUL_TURN_STATUSES is results.UNSUCCESSFUL_TURN_STATUSES
    assert command.render_toml_value({"a": [1]}) == "{a = [1]}"


def test_importing_the_package_loads_neither_tenacity_nor_cattrs() -> None:
    done = run_python("import codex_local_sdk; import sys; " + LOADED)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_run_that_cannot_retry_loads_neither() -> None:
    done = run_python(
        "import sys\n"
        "from codex_local_sdk import CodexLocalClient\n"
        "from codex_local_sdk.testing import ScriptedRun, ScriptedRunner\n"
        "runner = ScriptedRunner([ScriptedRun(exit_code=1)] * 2)\n"
        "client = CodexLocalClient(runner=runner, raise_on_error=False)\n"
        "assert not client.run_prompt('p').succeeded\n" + LOADED
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_typed_items_load_cattrs_only_when_decoded() -> None:
    done = run_python(
        "import sys\n"
        "from codex_local_sdk import CodexLocalClient\n"
        "from codex_local_sdk.testing import ScriptedRun, ScriptedRunner\n"
        "item = {'id': 'i', 'type': 'command_execution', 'command': 'ls', 'exit_code': 1}\n"
        "run = ScriptedRun(stdout=[{'type': 'item.completed', 'item': item}])\n"
        "result = CodexLocalClient(runner=ScriptedRunner([run])).run_prompt('p')\n"
        "print('cattrs' in sys.modules, len(result.raw_items))\n"
        "print(result.failed_commands[0].exit_code, 'cattrs' in sys.modules)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "1", "1", "True"]


def test_a_policy_that_retries_loads_tenacity() -> None:
    done = run_python(
        "import sys\n"
        "from codex_local_sdk import CodexLocalClient, RetryPolicy\n"
        "from codex_local_sdk.testing import FakeClock, ScriptedRun, ScriptedRunner\n"
        "client = CodexLocalClient(runner=ScriptedRunner([ScriptedRun(exit_code=1)] * 2),\n"
        "    clock=FakeClock(), retry_policy=RetryPolicy(max_attempts=2), raise_on_error=False)\n"
        "assert client.run_prompt('p').attempts == 2\n"
        "print('tenacity' in sys.modules)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_a_namesake_adapters_package_still_fails_the_import(tmp_path: Path) -> None:
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "__init__.py").write_text("")
    # first on sys.path (the current directory, for -c), ahead of this project's adapters
    done = run_python("import codex_local_sdk", cwd=tmp_path)
    assert "ImportError: 'import adapters' found a different package" in done.stderr
