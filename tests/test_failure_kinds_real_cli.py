"""Failure kinds and the stall timeouts against the real Codex CLI, offline: the loopback
provider answers 401, 403, 429, 500, 503 and a usage limit; the CLI gets a bad ``-c`` value,
an unknown flag, a folder that is not a git repository, an unknown thread, a SIGKILL from
outside, and a provider that cannot be reached. Skipped without ``$CODEX_BIN``."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_local_sdk import (
    CodexExecRequest,
    CodexExecResult,
    CodexLocalClient,
    RetryPolicy,
)
from codex_local_sdk.errors import CodexAuthError, CodexRateLimitError, CodexUsageLimitError
from codex_local_sdk.results import FailureKind
from codex_local_sdk.testing.loopback import (
    ENV_KEY,
    LoopbackProvider,
    Reply,
    unreachable_base_url,
    write_codex_home,
)

MakeClient = Callable[..., CodexLocalClient]


@pytest.fixture
def codex_bin() -> str:
    binary = os.environ.get("CODEX_BIN")
    if not binary:
        pytest.skip("set CODEX_BIN to a Codex CLI binary (make test does) to run it against the provider")
    return os.path.abspath(binary) if os.sep in binary else binary


@pytest.fixture
def provider() -> Iterator[LoopbackProvider]:
    with LoopbackProvider() as running:
        yield running


@pytest.fixture
def make_client(codex_bin: str, tmp_path: Path, provider: LoopbackProvider) -> MakeClient:
    def make(base_url: str | None = None, *, drop_key: bool = False, **options: Any) -> CodexLocalClient:
        workdir = tmp_path / "work"
        workdir.mkdir(exist_ok=True)
        env = write_codex_home(tmp_path / "codex-home", base_url or provider.base_url)
        if drop_key:
            env.pop(ENV_KEY)
        return CodexLocalClient(
            codex_bin=codex_bin,
            default_cwd=workdir,
            default_env={k: v for k, v in os.environ.items() if k != ENV_KEY} | env,
            raise_on_error=False,
            terminate_grace_seconds=1,
            **options,
        )

    return make


def run(client: CodexLocalClient, **options: Any) -> CodexExecResult:
    return client.run_prompt("hello", skip_git_repo_check=True, timeout_seconds=60, **options)


def described(result: CodexExecResult) -> str:
    """What a run did, for a failed assertion: how it ended, its events and its stderr's end."""
    return (
        f"status={result.turn_status} return_code={result.return_code} timeout_kind={result.timeout_kind} "
        f"duration={result.duration_seconds:.1f}s events={[e.type for e in result.events]} "
        f"error={result.error_message!r} stderr={result.stderr[-2000:]!r}"
    )


@pytest.mark.parametrize(
    ("reply", "kind", "message"),
    [
        (
            Reply.api_error(
                401, "Incorrect API key provided", type="invalid_request_error", code="invalid_api_key"
            ),
            FailureKind.AUTH,
            "unexpected status 401 Unauthorized: Incorrect API key provided",
        ),
        (Reply.api_error(403, "forbidden", type="permission_denied"), FailureKind.AUTH, "403 Forbidden"),
        (
            Reply.api_error(429, "Rate limit reached", type="rate_limit_exceeded"),
            FailureKind.RATE_LIMITED,
            "exceeded retry limit, last status: 429 Too Many Requests",
        ),
        (Reply.http_error(500), FailureKind.PROVIDER_UNAVAILABLE, "currently experiencing high demand"),
        (
            Reply.http_error(503, "service unavailable"),
            FailureKind.PROVIDER_UNAVAILABLE,
            "unexpected status 503 Service Unavailable",
        ),
        (
            Reply.usage_limit(),
            FailureKind.USAGE_LIMIT,
            "hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit "
            "https://chatgpt.com/settings/usage to purchase more credits or try again later.",
        ),
    ],
)
def test_each_provider_failure_is_classified(
    make_client: MakeClient, provider: LoopbackProvider, reply: Reply, kind: FailureKind, message: str
) -> None:
    provider.enqueue(reply)
    result = run(make_client())
    assert result.return_code == 1 and result.turn_status == "failed"
    assert result.error_message is not None and message in result.error_message
    assert result.failure_kind == kind


def test_a_usage_limit_says_when_to_come_back(make_client: MakeClient, provider: LoopbackProvider) -> None:
    resets_at = time.time() + 5 * 86400
    provider.enqueue(Reply.usage_limit(resets_at))
    client = make_client()
    client_raising = CodexLocalClient(
        codex_bin=client.codex_bin, default_cwd=client.default_cwd, default_env=client.default_env
    )
    with pytest.raises(CodexUsageLimitError) as info:
        run(client_raising)
    assert info.value.resets_at is not None  # "Try again at Dec 8th, 2026 12:53 PM." in local time
    assert abs(info.value.resets_at.timestamp() - resets_at) < 60


def test_the_errors_callers_branch_on(make_client: MakeClient, provider: LoopbackProvider) -> None:
    client = make_client()
    raising = CodexLocalClient(
        codex_bin=client.codex_bin, default_cwd=client.default_cwd, default_env=client.default_env
    )
    provider.enqueue(Reply.api_error(401, "Incorrect API key provided"), Reply.api_error(429, "slow down"))
    with pytest.raises(CodexAuthError):
        run(raising)
    with pytest.raises(CodexRateLimitError):
        run(raising)


def test_a_missing_key_is_auth(make_client: MakeClient) -> None:
    result = run(make_client(drop_key=True))
    assert result.error_message == f"Missing environment variable: `{ENV_KEY}`."
    assert result.failure_kind == FailureKind.AUTH


@pytest.mark.parametrize(
    ("options", "return_code", "kind", "stderr"),
    [
        (
            {"config": {"sandbox_mode": "nonsense"}},
            1,
            FailureKind.INVALID_REQUEST,
            "Error loading config.toml",
        ),
        (
            {"extra_args": ["--no-such-option"]},
            2,
            FailureKind.INVALID_REQUEST,
            "unexpected argument '--no-such-option'",
        ),
    ],
)
def test_a_bad_call_is_an_invalid_request(
    make_client: MakeClient, options: dict[str, Any], return_code: int, kind: FailureKind, stderr: str
) -> None:
    result = run(make_client(), **options)
    assert (result.return_code, result.failure_kind) == (return_code, kind)
    assert stderr in result.stderr


def test_a_folder_outside_git_is_not_a_git_repo(make_client: MakeClient) -> None:
    result = make_client().run_prompt("hello", timeout_seconds=60)
    assert "Not inside a trusted directory" in result.stderr
    assert result.failure_kind == FailureKind.NOT_A_GIT_REPO


def test_an_unknown_thread(make_client: MakeClient) -> None:
    result = make_client().resume(
        "hello",
        session_id="01a23bf7-0000-7000-8000-000000000000",
        skip_git_repo_check=True,
        timeout_seconds=60,
    )
    assert "no rollout found" in result.stderr
    assert result.failure_kind == FailureKind.UNKNOWN_THREAD


def test_a_sigkill_from_outside_is_killed(make_client: MakeClient, provider: LoopbackProvider) -> None:
    provider.enqueue(Reply.message("slow", pause_seconds=5))
    client = make_client()
    with client.run_live(
        CodexExecRequest(prompt="hello", skip_git_repo_check=True), timeout_seconds=60
    ) as live:
        assert live.pid is not None
        os.killpg(live.pid, signal.SIGKILL)
        result = live.result()
    assert result.return_code in (-9, 137) and result.failure_kind == FailureKind.KILLED


@pytest.mark.parametrize("limit", ["idle_timeout_seconds", "first_event_timeout_seconds"])
def test_an_unreachable_provider_ends_by_the_stall_timeout(make_client: MakeClient, limit: str) -> None:
    client = make_client(unreachable_base_url())
    for seconds in (2, 6, 15):  # a loaded machine may start the CLI after the first limit passed
        started = time.monotonic()
        result = run(client, **{limit: seconds})
        if result.events:
            break
    assert time.monotonic() - started < seconds + 1 + 5  # the limit, the grace, the CLI's start-up
    assert result.timed_out and result.timeout_kind == limit.removesuffix("_timeout_seconds")
    assert result.failure_kind == FailureKind.TIMEOUT
    assert [e.type for e in result.events][:2] == ["thread.started", "turn.started"]


def test_a_policy_retries_a_500_and_not_a_401(make_client: MakeClient, provider: LoopbackProvider) -> None:
    policy = RetryPolicy(
        max_attempts=2, initial_backoff_seconds=0, retry_on_failures={"provider_unavailable"}
    )
    client = make_client(retry_policy=policy)
    provider.enqueue(Reply.http_error(500), Reply.message("recovered"))
    result = run(client)
    assert (result.final_message, result.attempts) == ("recovered", 2), described(result)
    provider.enqueue(Reply.api_error(401, "Incorrect API key provided"), Reply.message("never asked"))
    result = run(client)
    assert (result.failure_kind, result.attempts) == (FailureKind.AUTH, 1), described(result)
