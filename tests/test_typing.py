"""The signatures say what the code accepts: mypy --strict rejects a misspelt option or a
wrong value, and accepts every form the code takes (paths, os.environ, sandbox strings)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

GOOD = """
import os
from pathlib import Path

from codex_local_sdk import CodexExecRequest, CodexLocalClient, SandboxMode

client = CodexLocalClient(codex_bin=Path("codex"), default_cwd=Path("."), default_env=os.environ)
client.run_prompt("x", model="m", sandbox="read-only", cwd=Path("."), images=[Path("a.png")], config={"a": 1})
client.run_with_schema("x", {}, model="m", output_last_message_path=Path("o.txt"))
session, first = client.start_thread("x", sandbox=SandboxMode.READ_ONLY, session_name="n", ephemeral=True)
session.continue_prompt("x", model="m", api_key="k")
session.continue_live("x", keep_events=True, add_dirs=[Path("d"), "e"])
client.resume("x", session_id="t", add_dirs=[Path("d")], output_schema_path=Path("s.json"))
client.resume_live("x", last=True, all_sessions=True, web_search_mode="live", extra_args=["--newer"])
client.open_session("n", model="m")
CodexExecRequest(prompt="x", cwd=Path("."), output_schema_path=Path("s"), images=(Path("a"),))


async def main() -> None:
    await client.run_prompt_async("x", model="m")
    await client.run_with_schema_async("x", {}, profile="p")
    await client.start_thread_async("x", skip_git_repo_check=True)
    await client.resume_async("x", session_id="t", json_output=False)
    await client.resume_live_async("x", last=True, model="m")
    await session.continue_prompt_async("x", cwd=Path("."))
    await session.continue_live_async("x", keep_events=False)
"""

# Each line must draw the error code after "E:".
BAD = """
from codex_local_sdk import CodexExecRequest, CodexLocalClient

client = CodexLocalClient(default_env={"A": 1})  # E: dict-item
client.run_prompt("x", modle="m")  # E: call-arg
client.run_prompt("x", sandbox="read-olny")  # E: arg-type
client.run_prompt("x", model=123)  # E: arg-type
client.run_prompt("x", ephemeral="false")  # E: arg-type
client.run_with_schema("x", {}, output_schema_path="s.json")  # E: call-arg
session, first = client.start_thread("x", modle="m")  # E: call-arg
client.resume("x", session_id="t", modle="m")  # E: call-arg
client.resume_live("x", last=True, sandbox="everything")  # E: arg-type
client.open_session("n", modle="m")  # E: call-arg
session.continue_prompt("x", modle="m")  # E: call-arg
session.continue_live("x", keep_events="yes")  # E: arg-type
CodexExecRequest(prompt="x", sandbox="read-olny")  # E: arg-type


async def main() -> None:
    await client.run_prompt_async("x", modle="m")  # E: call-arg
    await client.start_thread_async("x", images=[1])  # E: list-item
    await session.continue_prompt_async("x", modle="m")  # E: call-arg
"""


def test_mypy_rejects_misspelt_and_mistyped_options_and_accepts_the_right_ones(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(textwrap.dedent(GOOD))
    bad.write_text(textwrap.dedent(BAD))
    # A private cache: mypy replays a cached module's errors under the path it had then.
    options = ["--strict", "--python-version", "3.10", "--config-file", "", "--cache-dir", str(tmp_path)]
    stdout, stderr, _ = api.run([*options, str(good), str(bad)])
    errors = re.findall(r"^(.*?):(\d+): error: .*\[([a-z-]+)\]$", stdout, re.MULTILINE)
    assert not [e for e in errors if e[0] == str(good)], stdout + stderr
    expected = {
        (str(bad), str(number), code)
        for number, line in enumerate(bad.read_text().splitlines(), 1)
        for code in re.findall(r"# E: ([a-z-]+)", line)
    }
    assert {e for e in errors if e[0] == str(bad)} == expected, stdout + stderr


def test_the_option_dicts_name_every_request_field() -> None:
    import attrs

    from codex_local_sdk import CodexExecRequest
    from codex_local_sdk.options import LiveTurnOptions, RequestOptions, SchemaRunOptions, TurnOptions

    fields = {field.name for field in attrs.fields(CodexExecRequest)} - {"prompt"}
    assert set(RequestOptions.__annotations__) | set(SchemaRunOptions.__annotations__) == fields
    assert set(SchemaRunOptions.__optional_keys__) == fields - {"output_schema_path"}
    assert set(TurnOptions.__optional_keys__) == fields | {"api_key", "all_sessions"}
    assert set(LiveTurnOptions.__optional_keys__) == fields | {"api_key", "all_sessions", "keep_events"}


def test_the_sandbox_literal_lists_every_mode() -> None:
    from typing import get_args

    from codex_local_sdk import SandboxMode
    from codex_local_sdk.models import SandboxName

    assert get_args(SandboxName) == tuple(mode.value for mode in SandboxMode)
