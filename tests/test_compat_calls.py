"""codex-local-sdk-python 0.1.4's method calls, its error constructor and its defaults, on ours.

That package passed most method arguments positionally, in orders written below as it
declared them (``ORIGIN_METHODS``: the origin is not installed here, so its signatures are
copied, not imported), and named a few differently. Each call is made as its code made it.
"""

from __future__ import annotations

import inspect
from typing import Any

import attrs
import pytest

from adapters.scripted_runner import ScriptedRun, codex_turn_events
from codex_local_sdk import (
    AsyncCodexLiveRun,
    CodexAuthError,
    CodexExecFailedError,
    CodexExecResult,
    CodexLiveRun,
    CodexLocalClient,
    CodexNotInstalledError,
    CodexOutputError,
    CodexRateLimitError,
    CodexThreadSession,
    CodexTimeoutError,
    CodexUsageLimitError,
    InMemorySessionStore,
    RetryPolicy,
    SessionRecord,
)
from codex_local_sdk.options import LiveTurnOptions
from tests.conftest import MakeHarness, sync_only

# Every public method of 0.1.4's client, thread session and live handles, with its
# parameters in their positional order (``self`` and the private ``_operation`` left out),
# and whether it took ``**kwargs`` (request fields).
ORIGIN_METHODS: dict[tuple[type, str], tuple[tuple[str, ...], bool]] = {
    (CodexLocalClient, "__init__"): (
        (
            "codex_bin",
            "default_cwd",
            "default_env",
            "raise_on_error",
            "retry_policy",
            "session_store",
            "event_hook",
        ),
        False,
    ),
    (CodexLocalClient, "run"): (("request", "api_key", "timeout_seconds"), False),
    (CodexLocalClient, "run_async"): (("request", "api_key", "timeout_seconds"), False),
    (CodexLocalClient, "run_live"): (("request", "api_key"), False),
    (CodexLocalClient, "run_live_async"): (("request", "api_key"), False),
    (CodexLocalClient, "run_prompt"): (("prompt", "api_key", "timeout_seconds"), True),
    (CodexLocalClient, "run_prompt_async"): (("prompt", "api_key", "timeout_seconds"), True),
    (CodexLocalClient, "run_with_schema"): (
        ("prompt", "schema", "output_json_path", "api_key", "timeout_seconds"),
        True,
    ),
    (CodexLocalClient, "run_with_schema_async"): (
        ("prompt", "schema", "output_json_path", "api_key", "timeout_seconds"),
        True,
    ),
    (CodexLocalClient, "start_thread"): (("prompt", "api_key", "session_name", "timeout_seconds"), True),
    (CodexLocalClient, "start_thread_async"): (
        ("prompt", "api_key", "session_name", "timeout_seconds"),
        True,
    ),
    **{
        (CodexLocalClient, name): (
            (
                "prompt",
                "session_id",
                "session_name",
                "last",
                "all_sessions",
                "json_output",
                "cwd",
                "api_key",
                "timeout_seconds",
            ),
            False,
        )
        for name in ("resume", "resume_async")
    },
    **{
        (CodexLocalClient, name): (
            ("prompt", "session_id", "session_name", "last", "all_sessions", "cwd", "api_key"),
            False,
        )
        for name in ("resume_live", "resume_live_async")
    },
    (CodexLocalClient, "save_session"): (("name", "session_id"), False),
    (CodexLocalClient, "get_session_id"): (("name",), False),
    (CodexLocalClient, "delete_session"): (("name",), False),
    (CodexLocalClient, "list_sessions"): ((), False),
    (CodexLocalClient, "get_session_record"): (("name",), False),
    (CodexLocalClient, "list_session_records"): ((), False),
    (CodexLocalClient, "open_session"): (("name", "default_cwd", "api_key"), False),
    (CodexThreadSession, "__init__"): (
        ("client", "session_id", "default_cwd", "api_key", "session_name"),
        False,
    ),
    **{
        (CodexThreadSession, name): (
            ("prompt", "json_output", "cwd", "api_key", "all_sessions", "timeout_seconds"),
            False,
        )
        for name in ("continue_prompt", "continue_prompt_async")
    },
    **{
        (CodexThreadSession, name): (("prompt", "cwd", "api_key", "all_sessions"), False)
        for name in ("continue_live", "continue_live_async")
    },
    **{
        (handle, name): (params, False)
        for handle in (CodexLiveRun, AsyncCodexLiveRun)
        for name, params in (("iter_events", ()), ("wait", ("timeout",)), ("terminate", ()), ("kill", ()))
    },
    **{(handle, "result"): ((), False) for handle in (CodexLiveRun, AsyncCodexLiveRun)},
}

# 0.1.4's keywords that ours spells differently, by method.
RENAMED = {
    "run_with_schema": {"output_json_path": "output_last_message_path"},
    "run_with_schema_async": {"output_json_path": "output_last_message_path"},
    "open_session": {"default_cwd": "cwd"},
}
OPTION_NAMES = set(LiveTurnOptions.__optional_keys__)


def positional_capacity(method: Any) -> int:
    """How many positional arguments ``method`` takes after ``self``: its own, or the
    0.1.4 order its compatibility wrapper maps."""
    own = [
        p
        for p in inspect.signature(method, follow_wrapped=False).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if any(
        p.kind is p.VAR_POSITIONAL
        for p in inspect.signature(method, follow_wrapped=False).parameters.values()
    ):
        return 10**6
    return len(own) - 1


@pytest.mark.parametrize(("owner", "name"), list(ORIGIN_METHODS), ids=lambda x: getattr(x, "__name__", x))
def test_every_origin_parameter_is_accepted(owner: type, name: str) -> None:
    params, took_kwargs = ORIGIN_METHODS[(owner, name)]
    method = getattr(owner, name)
    ours = inspect.signature(method).parameters
    takes_options = any(p.kind is p.VAR_KEYWORD for p in ours.values())
    for param in params:
        mapped = RENAMED.get(name, {}).get(param, param)
        assert mapped in ours or (takes_options and mapped in OPTION_NAMES), f"{name}() rejects {param}="
    assert positional_capacity(method) >= len(params), f"{name}() takes fewer positional arguments"
    assert takes_options or not took_kwargs, f"{name}() takes no request fields as keywords"


def test_the_wrapped_methods_keep_our_signatures_and_kinds() -> None:
    assert list(inspect.signature(CodexLocalClient.run).parameters) == [
        "self",
        "request",
        "api_key",
        "timeout_seconds",
        "idle_timeout_seconds",
        "first_event_timeout_seconds",
    ]
    assert (
        inspect.signature(CodexLocalClient.run).parameters["api_key"].kind is inspect.Parameter.KEYWORD_ONLY
    )
    assert inspect.iscoroutinefunction(CodexLocalClient.run_async)
    assert inspect.iscoroutinefunction(CodexThreadSession.continue_prompt_async)
    assert not inspect.iscoroutinefunction(CodexLocalClient.run)


# -- the calls, made as 0.1.4's code made them ------------------------------------------------


def test_run_takes_api_key_and_timeout_positionally(make_harness: MakeHarness) -> None:
    from codex_local_sdk import CodexExecRequest

    h = make_harness([ScriptedRun.success("hi"), ScriptedRun(hang=True)])
    client: Any = h.client
    result = client.run(CodexExecRequest(prompt="p"), "sk-test", 30)
    assert result.final_message == "hi"
    assert h.runner.calls[0].env["CODEX_API_KEY"] == "sk-test"
    with pytest.raises(CodexTimeoutError) as info:
        client.run(CodexExecRequest(prompt="p"), None, 30)
    assert info.value.timeout_seconds == 30


def test_run_prompt_takes_api_key_and_timeout_positionally(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success("hi")])
    client: Any = h.client
    client.run_prompt("p", "sk-test", 30, model="m")
    assert h.runner.calls[0].env["CODEX_API_KEY"] == "sk-test"
    assert h.runner.calls[0].argv[3:5] == ("--model", "m")


def test_run_with_schema_writes_the_answer_to_output_json_path(make_harness: MakeHarness) -> None:
    answer = b'{"ok": true}'
    h = make_harness(
        [ScriptedRun(stdout=codex_turn_events(message=answer.decode()), output_files={"answer.json": answer})]
        * 2
    )
    client: Any = h.client
    positional = client.run_with_schema("p", {"type": "object"}, "answer.json", "sk-test", 30)
    by_name = client.run_with_schema("p", {"type": "object"}, output_json_path="answer.json")
    for call in h.runner.calls:
        assert call.output_files == ("answer.json",)
        assert "--output-last-message" in call.argv and "answer.json" in call.argv
    assert h.runner.calls[0].env["CODEX_API_KEY"] == "sk-test"
    assert positional.ok and by_name.ok


def test_run_with_schema_refuses_both_names_for_the_answer_file(make_harness: MakeHarness) -> None:
    client: Any = make_harness([]).client
    with pytest.raises(TypeError, match="output_last_message_path and output_json_path"):
        client.run_with_schema("p", {}, output_json_path="a.json", output_last_message_path="b.json")


def test_start_thread_takes_api_key_then_session_name_positionally(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success("hi", thread_id="t-1")])
    client: Any = h.client
    thread, _ = client.start_thread("p", "sk-test", "work", 30)
    assert (thread.session_id, thread.session_name) == ("t-1", "work")
    assert h.runner.calls[0].env["CODEX_API_KEY"] == "sk-test"
    assert h.client.get_session_id("work") == "t-1"


def test_resume_takes_its_arguments_positionally_with_all_sessions(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success("again", thread_id="t-1")] * 2)
    client: Any = h.client
    client.resume("p", "t-1", None, False, False, True, "/tmp", "sk-test", 30)
    client.resume("p", last=True, all_sessions=True)
    first, second = h.runner.calls
    assert first.argv[-3:] == ("resume", "t-1", "-")
    assert (first.cwd, first.env["CODEX_API_KEY"]) == ("/tmp", "sk-test")
    assert "--json" in first.argv and "--all" not in first.argv
    assert second.argv[-4:] == ("resume", "--last", "--all", "-")


def test_all_sessions_must_be_a_bool(make_harness: MakeHarness) -> None:
    with pytest.raises(TypeError, match="all_sessions must be True or False"):
        make_harness([]).client.resume("p", last=True, all_sessions="yes")  # type: ignore[arg-type]


@sync_only
def test_resume_live_takes_all_sessions(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success("live")])
    client: Any = h.client
    with client.resume_live("p", None, None, True, True) as run:
        assert run.result().final_message == "live"
    assert h.runner.calls[0].argv[-4:] == ("resume", "--last", "--all", "-")


def test_open_session_takes_default_cwd(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success("a", thread_id="t-1")] * 3)
    h.client.save_session("work", "t-1")
    client: Any = h.client
    client.open_session("work", "/srv/a").continue_prompt("one")
    client.open_session("work", default_cwd="/srv/b", api_key="sk-test").continue_prompt("two")
    assert [call.cwd for call in h.runner.calls[:2]] == ["/srv/a", "/srv/b"]
    assert h.runner.calls[1].env["CODEX_API_KEY"] == "sk-test"


def test_continue_prompt_takes_its_arguments_positionally(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success("a", thread_id="t-1")] * 2)
    client: Any = h.client
    thread: Any = CodexThreadSession(client, "t-1")
    thread.continue_prompt("one", True, "/srv", "sk-test", False, 30)
    call = h.runner.calls[0]
    assert (call.cwd, call.env["CODEX_API_KEY"]) == ("/srv", "sk-test")
    assert call.argv[-3:] == ("resume", "t-1", "-")


def test_list_session_records_is_a_dict_by_name(make_harness: MakeHarness) -> None:
    h = make_harness([])
    h.client.save_session("b", "t-2")
    h.client.save_session("a", "t-1")
    records = h.client.list_session_records()
    assert isinstance(records, dict) and list(records) == ["a", "b"]
    assert records["a"].session_id == "t-1"


class DictStore(InMemorySessionStore):
    """A store as 0.1.4 custom stores are: ``list_records`` returns a dict by name."""

    def list_records(self) -> Any:
        return {record.name: record for record in super().list_records()}


def test_list_session_records_takes_an_origin_stores_dict() -> None:
    store = DictStore()
    store.set("a", "t-1")
    records = CodexLocalClient(session_store=store).list_session_records()
    assert list(records) == ["a"] and isinstance(records["a"], SessionRecord)


# -- the error and the defaults --------------------------------------------------------------


def failed_result() -> CodexExecResult:
    return CodexExecResult(return_code=1, command=("codex",), stdout="", stderr="boom", final_message=None)


@pytest.mark.parametrize(
    "error",
    [CodexExecFailedError, CodexTimeoutError, CodexAuthError, CodexRateLimitError, CodexUsageLimitError],
)
def test_exec_failed_error_takes_message_then_result(error: type[CodexExecFailedError]) -> None:
    run = failed_result()
    positional = error("Codex command failed with exit code 1.", run)
    by_name = error("Codex command failed.", result=run)
    assert (str(positional), positional.result, positional.return_code) == (
        "Codex command failed with exit code 1.",
        run,
        1,
    )
    assert by_name.result is run
    assert "after 1 attempt(s)" in str(error(result=run))  # the message built from the result


@pytest.mark.parametrize(
    "error",
    [
        CodexExecFailedError,
        CodexTimeoutError,
        CodexAuthError,
        CodexRateLimitError,
        CodexUsageLimitError,
        CodexOutputError,
    ],
)
def test_exec_failed_error_says_what_to_pass(error: type[CodexExecFailedError]) -> None:
    Failed: Any = error
    with pytest.raises(TypeError, match="needs the run's result"):
        Failed("no result")
    with pytest.raises(TypeError, match="after the message"):
        Failed(failed_result())


def test_retry_policy_defaults_are_the_origin_ones() -> None:
    assert attrs.asdict(RetryPolicy()) == {
        "max_attempts": 1,
        "initial_backoff_seconds": 0.5,
        "backoff_multiplier": 2.0,
        "max_backoff_seconds": 8.0,
        "retry_on_exit_codes": None,
        "jitter_ratio": 0.2,
        "max_total_retry_seconds": None,
        "retry_on_timeouts": True,
        "retry_on_failures": None,  # ours, after 0.1.4's fields: they keep their positions
        "retry_after_side_effects": False,
    }
    Policy: Any = RetryPolicy
    assert Policy(3, 1.0, 3.0, 9.0, (75,), 0.0, 60.0, False) == RetryPolicy(
        max_attempts=3,
        initial_backoff_seconds=1.0,
        backoff_multiplier=3.0,
        max_backoff_seconds=9.0,
        retry_on_exit_codes=(75,),
        jitter_ratio=0.0,
        max_total_retry_seconds=60.0,
        retry_on_timeouts=False,
    )


def test_timeouts_are_retried_by_default(make_harness: MakeHarness) -> None:
    h = make_harness(
        [ScriptedRun(hang=True), ScriptedRun.success("fine")], retry_policy=RetryPolicy(max_attempts=2)
    )
    assert h.client.run_prompt("p", timeout_seconds=5).attempts == 2


def test_none_in_a_positional_continue_call_keeps_the_sessions_values(make_harness: MakeHarness) -> None:
    h = make_harness([ScriptedRun.success("a", thread_id="t-1")] * 2)
    client: Any = h.client
    thread: Any = CodexThreadSession(client, "t-1", "/srv", "sk-session")
    thread.continue_prompt("one", True, None, None, False, None)
    thread.continue_prompt("two", cwd=None, api_key=None)
    for call in h.runner.calls:
        assert (call.cwd, call.env["CODEX_API_KEY"]) == ("/srv", "sk-session")


def test_not_installed_error_takes_a_message_alone() -> None:
    NotInstalled: Any = CodexNotInstalledError
    error = NotInstalled("Could not find `codex` in PATH. Install Codex CLI first.")
    assert str(error) == "Could not find `codex` in PATH. Install Codex CLI first."
    assert (error.binary, error.search_path, error.interpreter) == ("", "", None)
    assert "was not found (PATH searched: '/bin')" in str(CodexNotInstalledError("codex", "/bin"))
