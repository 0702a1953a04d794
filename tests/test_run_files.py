"""The files of a run, behind the runner port: the schema, the images, the last-message file.

The core only says which files a run needs and makes (``ProcessSpec.input_files``,
``required_files``, ``output_files``); ``SubprocessRunner`` writes, checks and reads them on
this machine (tested here with a stand-in CLI, a real process), ``ScriptedRunner`` records
them, and a runner of the older port gets them handled by ``LocalFilesRunner``.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.local_files import LocalFilesRunner
from adapters.scripted_runner import ScriptedRun, ScriptedRunner, codex_turn_events
from adapters.sinks import CallbackSink
from adapters.subprocess_runner import SubprocessRunner
from codex_local_sdk import (
    AsyncProcessHandle,
    CodexClientEvent,
    CodexExecFailedError,
    CodexLocalClient,
    CodexTimeoutError,
    ProcessHandle,
    ProcessSpec,
)
from codex_local_sdk.ports import run_file
from tests.test_docs_examples import load

SCHEMA = {"type": "object", "properties": {"answer": {"type": "integer"}}}

# The stand-in CLI: records where it found the schema file (and its modes), then succeeds,
# fails, or hangs, as CODEX_BEHAVIOUR says.
STAND_IN = """
import json, os, sys, time
sys.stdin.read()
args = sys.argv
path = args[args.index("--output-schema") + 1]
record = {
    "path": path,
    "schema": json.loads(open(path).read()),
    "mode": os.stat(path).st_mode & 0o777,
    "dir_mode": os.stat(os.path.dirname(path)).st_mode & 0o777,
}
with open(os.environ["CODEX_RECORD"] + ".tmp", "w") as file:
    json.dump(record, file)
os.rename(os.environ["CODEX_RECORD"] + ".tmp", os.environ["CODEX_RECORD"])
behaviour = os.environ["CODEX_BEHAVIOUR"]
if behaviour == "hang":
    time.sleep(60)
if behaviour == "fail":
    sys.exit(1)
for event in json.loads(os.environ["CODEX_EVENTS"]):
    print(json.dumps(event), flush=True)
"""


def stand_in_client(tmp_path: Path, behaviour: str) -> tuple[CodexLocalClient, Path]:
    cli = tmp_path / "codex"
    cli.write_text(f"#!{sys.executable}\n" + textwrap.dedent(STAND_IN))
    cli.chmod(0o755)
    record = tmp_path / "record.json"
    env = {
        "CODEX_RECORD": str(record),
        "CODEX_BEHAVIOUR": behaviour,
        "CODEX_EVENTS": json.dumps(codex_turn_events(message='{"answer": 42}')),
    }
    client = CodexLocalClient(codex_bin=str(cli), default_env=env, terminate_grace_seconds=1)
    return client, record


def recorded(record: Path) -> dict[str, Any]:
    return json.loads(record.read_text())  # type: ignore[no-any-return]


def assert_gone(seen: dict[str, Any]) -> None:
    assert not Path(seen["path"]).exists()
    assert not Path(seen["path"]).parent.exists()


# -- SubprocessRunner: the schema file is private, and removed whatever the outcome --------


def test_run_with_schema_writes_a_private_file_and_removes_it(tmp_path: Path) -> None:
    client, record = stand_in_client(tmp_path, "succeed")
    result = client.run_with_schema("p", SCHEMA)
    seen = recorded(record)
    assert result.parse_json() == {"answer": 42}
    assert seen["schema"] == SCHEMA
    assert seen["mode"] == 0o600
    assert seen["dir_mode"] == 0o700
    assert_gone(seen)


def test_async_run_with_schema_writes_a_private_file_and_removes_it(tmp_path: Path) -> None:
    client, record = stand_in_client(tmp_path, "succeed")
    result = asyncio.run(client.run_with_schema_async("p", SCHEMA))
    seen = recorded(record)
    assert (result.parse_json(), seen["schema"], seen["mode"]) == ({"answer": 42}, SCHEMA, 0o600)
    assert_gone(seen)


def test_schema_file_is_removed_when_the_run_fails(tmp_path: Path) -> None:
    client, record = stand_in_client(tmp_path, "fail")
    with pytest.raises(CodexExecFailedError):
        client.run_with_schema("p", {"type": "object"})
    assert_gone(recorded(record))


def test_schema_file_is_removed_after_a_timeout(tmp_path: Path) -> None:
    client, record = stand_in_client(tmp_path, "hang")
    with pytest.raises(CodexTimeoutError):
        client.run_with_schema("p", {"type": "object"}, timeout_seconds=3)
    assert_gone(recorded(record))


def test_schema_file_is_removed_after_a_cancel(tmp_path: Path) -> None:
    client, record = stand_in_client(tmp_path, "hang")

    async def main() -> None:
        task = asyncio.ensure_future(client.run_with_schema_async("p", {"type": "object"}))
        for _ in range(600):  # the stand-in writes its record as soon as it has started
            if record.exists():
                break
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert_gone(recorded(record))


def test_input_files_are_removed_when_the_start_fails(tmp_path: Path) -> None:
    spec = ProcessSpec(
        argv=(str(tmp_path / "missing"), run_file("a.json")),
        cwd=str(tmp_path),
        input_files={"a.json": b"{}"},
    )
    before = set(os.listdir(_tempdir()))
    with pytest.raises(Exception, match="missing"):
        SubprocessRunner().start(spec)
    assert {name for name in os.listdir(_tempdir()) if name.startswith("codex-run-")} <= before


def _tempdir() -> str:
    return tempfile.gettempdir()


# -- SubprocessRunner: images and the last-message file ------------------------------------


def test_missing_image_fails_before_any_process(tmp_path: Path) -> None:
    spec = ProcessSpec(argv=("/nonexistent/codex",), cwd=str(tmp_path), required_files=("missing.png",))
    with pytest.raises(ValueError, match=r"image 'missing\.png' does not exist"):
        SubprocessRunner().start(spec)


def test_an_image_that_is_a_directory_is_reported_as_such(tmp_path: Path) -> None:
    (tmp_path / "shots").mkdir()
    spec = ProcessSpec(argv=("/nonexistent/codex",), cwd=str(tmp_path), required_files=("shots",))
    with pytest.raises(ValueError, match="image 'shots' is a directory"):
        asyncio.run(SubprocessRunner().start_async(spec))


def test_non_json_mode_reads_the_last_message_file(tmp_path: Path) -> None:
    cli = tmp_path / "codex"
    cli.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdin.read()\n"
        "args = sys.argv\nopen(args[args.index('--output-last-message') + 1], 'w').write('from the file')\n"
        "print('plain text output')\n"
    )
    cli.chmod(0o755)
    client = CodexLocalClient(codex_bin=str(cli))
    result = client.run_prompt("p", json_output=False, cwd=str(tmp_path), output_last_message_path="last.txt")
    assert result.final_message == "from the file"
    assert result.events == ()


def test_a_refused_image_is_reported_as_a_failed_attempt(tmp_path: Path) -> None:
    events: list[CodexClientEvent] = []
    runner = ScriptedRunner([ScriptedRun.success()])
    client = CodexLocalClient(runner=runner, event_sink=CallbackSink(events.append))
    with pytest.raises(ValueError, match="does not exist"):
        client.run_prompt("p", cwd=str(tmp_path), images=["missing.png"])
    types = ["operation.started", "attempt.started", "attempt.failed", "operation.finished"]
    assert [e.type for e in events] == types
    assert "missing.png" in str(events[2].error)
    assert runner.calls == []


# -- ScriptedRunner: the files are recorded and scripted -----------------------------------


def test_the_schema_bytes_reach_the_runner() -> None:
    runner = ScriptedRunner([ScriptedRun.success('{"answer": 42}')])
    result = CodexLocalClient(runner=runner).run_with_schema("p", SCHEMA)
    spec = runner.calls[0]
    assert spec.argv[spec.argv.index("--output-schema") + 1] == "{file:output-schema.json}"
    assert json.loads(spec.input_files["output-schema.json"]) == SCHEMA
    assert result.parse_json() == {"answer": 42}


def test_the_scripted_last_message_file_is_the_final_message(tmp_path: Path) -> None:
    runner = ScriptedRunner([ScriptedRun(stdout=["plain"], output_files={"last.txt": b"from the file"})])
    client = CodexLocalClient(runner=runner)
    result = client.run_prompt("p", json_output=False, cwd=str(tmp_path), output_last_message_path="last.txt")
    assert result.final_message == "from the file"
    assert runner.calls[0].output_files == ("last.txt",)
    assert runner.calls[0].required_files == ()


# -- a runner of the older port ------------------------------------------------------------


def legacy_runner_class() -> type:
    """A runner written before files moved behind the port: no ``handles_run_files``, handles
    without ``output_file``; it reads the schema from the path in argv, as the CLI would."""

    class Handle:
        def __init__(self, inner: ProcessHandle) -> None:
            self._inner = inner
            self.pid = None
            self.returncode: int | None = None
            self.read_lines, self.stderr_tail = inner.read_lines, inner.stderr_tail
            self.terminate, self.kill = inner.terminate, inner.kill

        def wait(self, timeout: float | None = None) -> int | None:
            self.returncode = self._inner.wait(timeout)
            return self.returncode

        def close(self) -> None:
            self._inner.close()

    class AsyncHandle:
        def __init__(self, inner: AsyncProcessHandle) -> None:
            self._inner = inner
            self.pid, self.read_lines, self.stderr_tail = None, inner.read_lines, inner.stderr_tail
            self.terminate, self.kill, self.close = inner.terminate, inner.kill, inner.close

        @property
        def returncode(self) -> int | None:
            return self._inner.returncode

        async def wait(self, timeout: float | None = None) -> int | None:
            return await self._inner.wait(timeout)

    class LegacyRunner:
        def __init__(self, script: Callable[[ProcessSpec], ScriptedRun]) -> None:
            self.inner = ScriptedRunner(script)

        def start(self, spec: ProcessSpec) -> Handle:
            return Handle(self.inner.start(spec))

        async def start_async(self, spec: ProcessSpec) -> AsyncHandle:
            return AsyncHandle(await self.inner.start_async(spec))

    return LegacyRunner


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_runner_of_the_older_port_still_works_with_a_warning(tmp_path: Path, mode: str) -> None:
    seen: dict[str, Any] = {}

    def script(spec: ProcessSpec) -> ScriptedRun:
        path = spec.argv[spec.argv.index("--output-schema") + 1]
        seen.update(path=path, schema=json.loads(Path(path).read_text()), specs=spec)
        seen["mode"] = stat.S_IMODE(os.stat(path).st_mode)
        return ScriptedRun.success('{"answer": 42}')

    runner = legacy_runner_class()(script)
    with pytest.warns(DeprecationWarning, match="handles_run_files = True"):
        client = CodexLocalClient(runner=runner)
    if mode == "sync":
        result = client.run_with_schema("p", SCHEMA)
    else:
        result = asyncio.run(client.run_with_schema_async("p", SCHEMA))
    assert result.parse_json() == {"answer": 42}
    assert (seen["schema"], seen["mode"]) == (SCHEMA, 0o600)
    assert seen["specs"].input_files == {}  # the wrapper handled them
    assert_gone(seen)


def test_the_older_port_warns_once_per_runner_class_and_reads_files_locally(tmp_path: Path) -> None:
    (tmp_path / "last.txt").write_text("from the file")
    (tmp_path / "shots").mkdir()
    runner_class = legacy_runner_class()
    with pytest.warns(DeprecationWarning):
        CodexLocalClient(runner=runner_class(lambda spec: ScriptedRun(stdout=["plain"])))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = CodexLocalClient(runner=runner_class(lambda spec: ScriptedRun(stdout=["plain"])))
    assert isinstance(client._engine.runner, LocalFilesRunner)
    result = client.run_prompt("p", json_output=False, cwd=str(tmp_path), output_last_message_path="last.txt")
    assert result.final_message == "from the file"
    with pytest.raises(ValueError, match="image 'shots' is a directory"):
        client.run_prompt("p", cwd=str(tmp_path), images=["shots"])


def test_a_runner_of_the_new_port_is_not_wrapped() -> None:
    runner = ScriptedRunner([])
    assert CodexLocalClient(runner=runner)._engine.runner is runner


def test_the_documented_wrapping_runner_hands_the_files_to_the_runner_it_wraps() -> None:
    inner = ScriptedRunner([ScriptedRun.success('{"answer": 42}')])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeprecationWarning: it is a runner of the new port
        client = load("custom_runner").make_client(inner)
    assert client.run_with_schema("p", SCHEMA).parse_json() == {"answer": 42}
    assert json.loads(inner.calls[0].input_files["output-schema.json"]) == SCHEMA
    assert inner.calls[0].argv[:3] == ("nice", "-n", "10")
