"""The documentation cannot rot: every example in docs/examples runs here on the SDK's fakes,
the pages show the output the examples really print, and the API reference and the tables
name everything the code defines."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

import codex_local_sdk
from adapters.clock import FakeClock
from adapters.json_file_store import decode_payload, encode_payload
from adapters.scripted_runner import Pause, ScriptedRun, ScriptedRunner, codex_turn_events
from codex_local_sdk import (
    CodexExecRequest,
    CodexExecResult,
    CodexLocalClient,
    InMemorySessionStore,
    JsonFileSessionStore,
    RetryPolicy,
    SessionRecord,
    SessionTurnRecord,
    errors,
)
from codex_local_sdk.events import CLIENT_EVENT_TYPES
from codex_local_sdk.ports import ProcessSpec
from codex_local_sdk.testing import SessionStoreContract, StoreFactory, check_session_store, contracts
from codex_local_sdk.testing.store_rules import add_turn
from codex_local_sdk.versions import OPTIONS, SUBCOMMANDS, option_support
from tests.test_loopback_provider_real_cli import codex_bin as codex_bin  # the fixture test_fleet uses

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
TEMPLATES = ROOT / "codex_local_sdk" / "cli" / "skill_data" / "templates"  # the skill's; pages include some
GUIDE = ROOT / "docs" / "guide"
NOT_OURS = {"demo"}  # docs/examples/demo.py is `make demo`, tested in tests/test_demo.py
MINI_CODEX = ROOT / "contract_tests" / "standins" / "mini_codex.py"
THREAD = "0199a3f2-5b1e-7c40-9d2a-6f1e0b7c2d11"


def load(name: str, folder: Path = EXAMPLES) -> ModuleType:
    path = folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import does: typing.get_type_hints looks the module up
    spec.loader.exec_module(module)
    return module


def fake_ports(script: Sequence[ScriptedRun] | Callable[[ProcessSpec], ScriptedRun]) -> dict[str, Any]:
    """The ports an example's ``make_client(**ports)`` takes in tests: a scripted CLI, fake time."""
    clock = FakeClock()
    return {"runner": ScriptedRunner(script, clock=clock), "clock": clock}


def scripted_client(*runs: ScriptedRun, **options: Any) -> CodexLocalClient:
    ports = fake_ports(list(runs))
    return CodexLocalClient(session_store=InMemorySessionStore(clock=ports["clock"]), **ports, **options)


def page(name: str) -> str:
    return (GUIDE / f"{name}.md").read_text(encoding="utf-8")


def assert_shown_on(page_name: str, output: str) -> None:
    """The page shows ``output`` verbatim (in a ```text block), so it cannot drift from the code."""
    assert output.strip() in page(page_name), f"{page_name}.md does not show this output:\n{output}"


def turn(message: str, *, input_tokens: int = 10, output_tokens: int = 2) -> ScriptedRun:
    usage = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    return ScriptedRun(stdout=codex_turn_events(thread_id=THREAD, message=message, usage=usage))


# -- every example has a test -----------------------------------------------------------------


def test_every_example_has_a_test() -> None:
    examples = {path.stem for path in EXAMPLES.glob("*.py")} - NOT_OURS
    untested = {name for name in examples if f"test_{name}" not in globals()}
    assert not untested, f"examples without a test_<name> in {Path(__file__).name}: {sorted(untested)}"


def test_every_example_is_on_a_page() -> None:
    pages = "".join(path.read_text() for path in GUIDE.glob("*.md"))
    examples = {path.stem for path in EXAMPLES.glob("*.py")} - NOT_OURS
    orphans = {name for name in examples if f'--8<-- "docs/examples/{name}.py' not in pages}
    assert not orphans, f"examples no page includes: {sorted(orphans)}"


# -- quickstart ---------------------------------------------------------------------------------


def test_first_run(capsys: pytest.CaptureFixture[str]) -> None:
    load("first_run").main(scripted_client(turn("cli.py, store.py and engine.py.")))
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "cli.py, store.py and engine.py.",
        f"thread: {THREAD}",
        "ran: codex exec --json --sandbox read-only -",
        "status: completed exit: 0",
    ]
    assert_shown_on("quickstart", out)


TOOL_TURN: list[dict[str, Any]] = [
    {"type": "thread.started", "thread_id": THREAD},
    {"type": "turn.started"},
    {"type": "item.started", "item": {"id": "i1", "type": "command_execution", "command": "make test"}},
    {
        "type": "item.completed",
        "item": {
            "id": "i1",
            "type": "command_execution",
            "command": "make test",
            "aggregated_output": "112 passed",
            "exit_code": 0,
            "status": "completed",
        },
    },
    *codex_turn_events(thread_id=THREAD, message="Fixed; the tests pass.")[2:],
]


# --8<-- [start:test-service]
def test_quickstart_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    service = load("quickstart_service")
    clock = FakeClock()
    runner = ScriptedRunner(
        [
            ScriptedRun.success("A missing import in cli.py.", thread_id=THREAD),  # start_thread
            ScriptedRun(exit_code=1, stderr="ERROR: stream disconnected\n"),  # resume_live fails
            ScriptedRun(stdout=TOOL_TURN),  # ... and is retried
        ],
        clock=clock,
    )
    store = str(tmp_path / "sessions.json")
    service.main(service.make_client(store, runner=runner, clock=clock), repo=str(tmp_path))

    assert capsys.readouterr().out.splitlines() == [
        "codex: A missing import in cli.py.",
        "  $ make test",
        "    exit 0",
        "codex: Fixed; the tests pass.",
        f"ticket 4711: thread {THREAD}, 2 turns (0 failed), last: completed",
    ]
    assert runner.calls[1].argv[-3:] == ("resume", THREAD, "-")  # by name -> the saved thread
    assert clock.sleeps == [2]  # the backoff, in fake time
    assert "resume_live: retrying in 2 s" in caplog.text
    # Another worker, with its own client on the same file, sees the ticket:
    assert service.make_client(store).get_session_id("ticket-4711") == THREAD


# --8<-- [end:test-service]


# -- requests, retries, sessions ----------------------------------------------------------------


def test_request_argv(capsys: pytest.CaptureFixture[str]) -> None:
    load("request_argv").main()
    out = capsys.readouterr().out
    assert "-x is a valid prompt" not in out  # the prompt never reaches argv
    assert_shown_on("requests", out)


def test_structured_output(capsys: pytest.CaptureFixture[str]) -> None:
    ports = fake_ports([turn('{"languages": ["Python", "C"], "has_tests": true}')])
    load("schema_output", TEMPLATES).main(CodexLocalClient(**ports))
    assert capsys.readouterr().out == "languages: Python, C; tests: True\n"
    spec = ports["runner"].calls[0]
    assert json.loads(spec.input_files["output-schema.json"])["type"] == "object"  # the runner writes it


TYPED_REPLY: dict[str, Any] = {
    "verdict": "request_changes",
    "findings": [
        {"path": "app.py", "line": 12, "severity": "high", "message": "the token is logged"},
        {"path": "app.py", "line": 40, "severity": "low", "message": "unused import"},
    ],
    "follow_up": None,
}


def test_typed_output(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("typed_output")
    ports = fake_ports([turn(json.dumps(TYPED_REPLY))])
    assert example.main(CodexLocalClient(**ports)) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "verdict: request_changes"
    assert_shown_on("structured-output", out)
    schema = json.loads(ports["runner"].calls[0].input_files["output-schema.json"])
    assert schema["required"] == ["verdict", "findings", "follow_up"]


def test_typed_output_that_does_not_fit(capsys: pytest.CaptureFixture[str]) -> None:
    bad = {**TYPED_REPLY, "findings": [{**TYPED_REPLY["findings"][0], "line": "12", "severity": "urgent"}]}
    assert load("typed_output").main(scripted_client(turn(json.dumps(bad)))) == 1
    out = capsys.readouterr().out
    assert "@ Review.findings[0].line" in out and "@ Review.findings[0].severity" in out
    assert_shown_on("structured-output", out)


def test_retries(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("retries")
    runs = [
        ScriptedRun.failure("the model provider is overloaded", duration_seconds=2),
        ScriptedRun(hang=True),  # ended by the 600 s timeout
        ScriptedRun.failure("stream disconnected", duration_seconds=2),
        ScriptedRun.success("all 112 tests pass", duration_seconds=2),
    ]
    example.main(example.make_client(**fake_ports(runs)))
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "done after 4 attempts: all 112 tests pass"
    assert_shown_on("retries", out)


def test_retries_giving_up(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("retries")
    example.main(example.make_client(**fake_ports([ScriptedRun(hang=True)] * 4)))
    out = capsys.readouterr().out
    assert "gave up after 3 attempts" in out  # max_total_retry_seconds stopped a 4th
    assert_shown_on("retries", out)


def test_sessions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = load("sessions")
    runs = [
        turn("Noted: the project is called widgets.", input_tokens=1200, output_tokens=40),
        turn("widgets", input_tokens=2600, output_tokens=45),  # the thread's running total
        turn("You're welcome.", input_tokens=4100, output_tokens=52),
    ]
    path = tmp_path / "sessions.json"
    example.main(example.make_client(str(path), **fake_ports(runs)))
    out = capsys.readouterr().out
    assert "this turn: 1400 (the CLI reports running totals)" in out
    assert "onboarding: 3 turns, 3 ok, 0 failed" in out
    assert_shown_on("sessions", out)
    assert json.loads(path.read_text())["records"]["onboarding"]["turn_count"] == 3


def test_session_file(capsys: pytest.CaptureFixture[str]) -> None:
    load("session_file").main()
    out = capsys.readouterr().out
    assert out.count("file untouched: True") == 2
    assert_shown_on("sessions", out)


def test_choosing_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load("choosing_a_store")
    old = JsonFileSessionStore(tmp_path / "sessions.json", max_turn_history=2)
    for _ in range(3):
        add_turn(old, "ticket-4711")
    old.set("nightly-review", THREAD)
    example.main(str(tmp_path))
    out = capsys.readouterr().out
    assert "copied 2 sessions: ['nightly-review', 'ticket-4711']" in out
    assert_shown_on("sessions", out)
    monkeypatch.setenv("CODEX_SESSION_STORE", f"sqlite:{tmp_path}/sessions.db")
    client = example.make_client(**fake_ports([turn("Done.")]))
    assert client.session_store.get_record("ticket-4711") == old.get_record("ticket-4711")
    assert client.resume("Go on.", session_name="nightly-review").final_message == "Done."


def test_the_session_file_shown_is_what_the_store_writes() -> None:
    blocks = re.findall(r"```json\n(.*?)```", page("sessions"), flags=re.DOTALL)
    assert blocks, "sessions.md shows no ```json block"
    records, legacy = decode_payload(blocks[0], "sessions.md", now=0.0)
    assert not legacy and records
    assert encode_payload(records) == blocks[0]


# -- live, async, telemetry, errors -------------------------------------------------------------


def test_live(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("live")
    example.main(scripted_client(ScriptedRun(stdout=TOOL_TURN)))
    assert capsys.readouterr().out.splitlines() == [
        "$ make test",
        "codex: Fixed; the tests pass.",
        f"status: completed, exit 0, thread {THREAD}",
    ]
    astray = ScriptedRun(stdout=[*TOOL_TURN[:2], _command_started("git push --force")], hang=True)
    example.main(scripted_client(astray))
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "$ git push --force",
        "forbidden: terminating the process group",
        f"status: terminated, exit -15, thread {THREAD}",
    ]
    assert_shown_on("live", out)


def _command_started(command: str) -> dict[str, Any]:
    return {"type": "item.started", "item": {"id": "i9", "type": "command_execution", "command": command}}


def test_async_runs(capsys: pytest.CaptureFixture[str]) -> None:
    def reply(spec: ProcessSpec) -> ScriptedRun:
        prompt = spec.stdin.decode()
        answers = {"Review cli.py": "LGTM", "Review store.py": "one nit", "Shorter, please": "widgetry"}
        return turn(answers.get(prompt, f"re: {prompt}"))

    ports = fake_ports(reply)
    load("async_runs").main(CodexLocalClient(**ports))
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "{'cli.py': 'LGTM', 'store.py': 'one nit'}"
    assert "event: item.completed agent_message" in out
    assert "final: re: Explain src/main.py" in out
    assert "naming: 're: Pick a name for the new module' -> 'widgetry'" in out
    calls = ports["runner"].calls
    assert calls[-1].argv[-3:] == ("resume", THREAD, "-")  # the session continued its thread


def test_telemetry(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    example = load("telemetry")
    runs = [
        ScriptedRun.failure("the model provider is overloaded"),
        turn("It is test_retry."),
        turn("Fixed.", input_tokens=25, output_tokens=6),
    ]
    with caplog.at_level(logging.INFO, logger="my_service.codex"):
        example.main(example.make_client(**fake_ports(runs)))
    out = capsys.readouterr().out
    assert_shown_on("telemetry", out)
    logged = [vars(r)["codex_event"].type for r in caplog.records if r.name == "my_service.codex"]
    assert logged == [line.split()[0] for line in out.splitlines()]  # the sink saw every event too
    calls = {vars(r)["codex_event"].operation_id for r in caplog.records if r.name == "my_service.codex"}
    assert len(calls) == 2 and None not in calls  # one id per call, on every event of it


def test_opentelemetry(capsys: pytest.CaptureFixture[str]) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    example = load("opentelemetry")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    runs = [ScriptedRun.failure("the model provider is overloaded"), turn("It is test_retry.")]
    example.main(example.make_client(provider, **fake_ports(runs)))
    for span in sorted(exporter.get_finished_spans(), key=lambda span: span.parent is not None):
        indent = "  " if span.parent is not None else ""
        attributes = {k: v for k, v in (span.attributes or {}).items() if k != "codex.operation_id"}
        print(f"{indent}{span.name} {span.status.status_code.name} {attributes}")
        for event in span.events:
            print(f"{indent}  event {event.name} {dict(event.attributes or {})}")
    assert_shown_on("telemetry", capsys.readouterr().out)


ERROR_CASES = [
    ({}, ScriptedRun.not_installed(), "install the Codex CLI: 'codex' is not on PATH, or pass codex_bin="),
    ({}, ScriptedRun(hang=True), "no answer within 300 s (1 attempt), the process group was killed"),
    (
        {},
        ScriptedRun.failure("rate limit reached"),
        "codex failed (exit 1): rate limit reached",
    ),
    (
        {"session_id": THREAD},
        ScriptedRun(exit_code=1, stderr=f"Error: no rollout found for thread id {THREAD}\n"),
        f"the CLI has no thread {THREAD}: start a new one",
    ),
    (
        {"session_id": THREAD},
        ScriptedRun(exit_code=1, stderr=f"Error: thread {THREAD} already has an active writer\n"),
        "another run is continuing that thread: ask again once it has finished",
    ),
    (
        {"session_name": "release-notes"},
        None,
        "no session named 'release-notes': start_thread(..., session_name=...) first",
    ),
    (
        {"session_id": THREAD, "last": True},
        None,
        "bad call: resume needs exactly one of session_id=, session_name= or last=True; "
        "got session_id and last=True (a resume never guesses which session to continue)",
    ),
]


@pytest.mark.parametrize(("target", "run", "expected"), ERROR_CASES)
def test_errors(target: dict[str, Any], run: ScriptedRun | None, expected: str) -> None:
    client = scripted_client(*([run] if run else []))
    assert load("errors").ask(client, "Summarise the changelog", **target) == expected


def test_errors_main(capsys: pytest.CaptureFixture[str]) -> None:
    load("errors").main(scripted_client(turn("Three fixes."), turn("unused")))
    assert capsys.readouterr().out.splitlines()[:2] == [
        "ok: Three fixes.",
        "no session named 'release-notes': start_thread(..., session_name=...) first",
    ]


# -- extending and testing ----------------------------------------------------------------------


def test_custom_store(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("custom_store")
    example.main(example.make_client(":memory:", **fake_ports([turn("Noted."), turn("Friday.")])))
    assert capsys.readouterr().out == f"release: thread {THREAD}, 2 turns\n"


class TestTheCustomStoreKeepsTheContract(SessionStoreContract):
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        factory: StoreFactory = load("custom_store").make_store
        return factory


def test_the_custom_store_keeps_the_rules_without_pytest() -> None:
    check_session_store(load("custom_store").make_store)


def test_the_documented_store_certification_command() -> None:
    documented = re.search(
        r"^PYTHONPATH=docs/examples (pytest .+)$", page("architecture"), flags=re.MULTILINE
    )
    assert documented, "architecture.md shows no store certification command"
    done = subprocess.run(
        [sys.executable, "-m", *shlex.split(documented.group(1)), "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLES), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout


def test_custom_runner(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("custom_runner")
    inner = ScriptedRunner([turn("test_store.py takes 80 % of the time."), turn("async too")])
    client = example.make_client(inner)
    example.main(client)
    assert capsys.readouterr().out == "test_store.py takes 80 % of the time.\n"
    asyncio.run(client.run_prompt_async("and on asyncio?"))
    assert [call.argv[:5] for call in inner.calls] == [("nice", "-n", "10", "codex", "exec")] * 2


def test_testing_with_fakes(capsys: pytest.CaptureFixture[str]) -> None:
    load("testing_with_fakes", TEMPLATES).main()
    assert capsys.readouterr().out.count("passed:") == 5


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the stand-in CLI needs tomllib (Python 3.11)")
def test_offline_provider(capsys: pytest.CaptureFixture[str]) -> None:
    # The stand-in CLI of contract_tests/ speaks the same protocol as the real one.
    load("offline_provider").main(str(MINI_CODEX))
    assert capsys.readouterr().out.splitlines() == [
        "ran 'ls' -> exit 0",
        "codex: Two files: notes.txt and todo.txt.",
        "requests to the provider: 2",
        "the last one carried: function_call_output",
    ]


def test_fleet(codex_bin: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The real CLI, offline: a thread is a rollout file in CODEX_HOME, which the archive moves.
    load("fleet").main(codex_bin)
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "worker-a: in worker-a/checkouts/shop, read: Find the bug",
        "  worker-b restored the thread from the archive",
        "worker-b: in worker-b/checkouts/shop, read: Find the bug / Fix it",
        "  worker-a restored the thread from the archive",
        "worker-a: in worker-a/checkouts/shop, read: Find the bug / Fix it / Add a test",
        "one thread: True, 3 turns recorded",
        "archived threads: 1",
    ]
    assert_shown_on("fleet", out)


# -- the reference and the tables name everything -----------------------------------------------


def test_every_export_is_in_the_api_reference() -> None:
    documented = {
        identifier
        for path in (GUIDE / "reference").glob("*.md")
        for identifier in re.findall(r"^::: ([\w.]+)$", path.read_text(), flags=re.MULTILINE)
    }
    missing = {name for name in codex_local_sdk.__all__ if f"codex_local_sdk.{name}" not in documented}
    assert not missing, f"exports missing from docs/guide/reference/*.md: {sorted(missing)}"


def table_names(page_name: str) -> set[str]:
    """The names in the first column of the page's tables: | `name` | ..."""
    return set(re.findall(r"^\| `([\w.]+)`", page(page_name), flags=re.MULTILINE))


@pytest.mark.parametrize(
    ("page_name", "names"),
    [
        ("requests", [field.name for field in attrs.fields(CodexExecRequest)]),
        ("requests", [field.name for field in attrs.fields(CodexExecResult)]),
        ("retries", [field.name for field in attrs.fields(RetryPolicy)]),
        ("sessions", [field.name for field in attrs.fields(SessionRecord)]),
        ("sessions", [field.name for field in attrs.fields(SessionTurnRecord)]),
        ("telemetry", list(CLIENT_EVENT_TYPES)),
        ("errors", [name for name in errors.__dict__ if name.endswith(("Error", "Timeout"))]),
    ],
)
def test_every_field_and_type_has_a_row(page_name: str, names: list[str]) -> None:
    missing = set(names) - table_names(page_name)
    assert not missing, f"{page_name}.md has no table row for {sorted(missing)}"


def test_the_cli_contract_page_lists_every_contract_test() -> None:
    source = Path(contracts.__file__).with_name("test_cli_contract.py").read_text()
    tests = set(re.findall(r"^def (test_\w+)", source, flags=re.MULTILINE))
    assert tests and tests == table_names("cli-contract")


def version_rows() -> list[str]:
    """The rows of the "Supported CLI versions" table, from ``versions.OPTIONS``: each option
    that came or went within the supported range, with the commands that share its dates (a
    fork option that came with fork itself is implied by the subcommand's row)."""
    fork = option_support("exec", "fork")
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for row in OPTIONS:
        if not row.varies or (fork is not None and row.command == "fork" and row.since == fork.since):
            continue
        key = (row.option, str(row.since or "—"), str(row.removed_in or "—"))
        grouped.setdefault(key, []).append(row.command)
    return [
        f"| `{option}` | "
        + ("subcommand, with every option after it" if option in SUBCOMMANDS else ", ".join(commands))
        + f" | {since} | {removed} |"
        for (option, since, removed), commands in grouped.items()
    ]


def test_the_supported_versions_table_is_the_version_table() -> None:
    text = page("requests")
    table = text[text.index("| option | where | since | removed in |") :].split("\n\n")[0]
    assert table.splitlines()[2:] == version_rows()


# -- what the agent did -------------------------------------------------------------------------

ITEMS_FIXTURE = ROOT / "tests" / "fixtures" / "items-codex-0.169.0.jsonl"


def _fixture_turn() -> list[str]:
    """The real CLI 0.169.0's first turn of the items fixture (every tool), as it printed it."""
    lines = ITEMS_FIXTURE.read_text().splitlines()
    return lines[: next(i for i, line in enumerate(lines) if '"turn.completed"' in line) + 1]


def test_agent_activity(capsys: pytest.CaptureFixture[str]) -> None:
    status = load("agent_activity").main(scripted_client(ScriptedRun(stdout=_fixture_turn())), cwd="/work")
    out = capsys.readouterr().out
    assert status == 1  # a command failed
    assert out.splitlines() == [
        "[  ok] /bin/bash -c 'echo looked' (exit 0)",
        "[FAIL] /bin/bash -c 'ls missing-file' (exit 2)",
        "   add  hello.txt",
        "update  notes.txt",
        "delete  stale.txt",
        "plan: 2/2 steps done",
        "answer: All done.",
        "safe to retry: no",
    ]
    assert_shown_on("activity", out)


def test_live_progress(capsys: pytest.CaptureFixture[str]) -> None:
    paced = [step for line in _fixture_turn() for step in (Pause(0.2), line)]  # as the CLI worked
    load("live_progress").main(scripted_client(ScriptedRun(stdout=paced)))
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "0 commands (0 failed) | 0 files changed"
    assert lines[-2] == "2 commands (1 failed) | 3 files changed | plan 2/2 | says 'All done.'"
    assert lines[-1] == "done: completed, 9 items"
    assert_shown_on("activity", out)
