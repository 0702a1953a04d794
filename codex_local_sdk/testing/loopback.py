"""A fake model provider on loopback, so the real Codex CLI runs fully offline.

It answers ``POST /v1/responses`` the way the OpenAI Responses API streams Server-Sent
Events: ``response.created``, one ``response.output_item.done`` per output item, then
``response.completed`` with ``usage``. :func:`write_codex_home` points the CLI at it.

>>> with LoopbackProvider([Reply.tool_call("echo hi"), Reply.message("done")]) as provider:
...     env = write_codex_home(tmp_path / "codex-home", provider.base_url)
...     # run `codex exec --json --skip-git-repo-check -` with env=os.environ | env
...     provider.requests[-1]["input"][-1]["type"]  # "function_call_output"

Replies are served in order, one per request; when the queue is empty the ``default`` reply
(an assistant message ``"ok"``) answers. Instead of a queue, ``handler(request_body)`` may
pick each reply, like httpx's ``MockTransport(handler)``. Standard library only.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

ENV_KEY = "FAKE_KEY"
"""The environment variable that carries the (fake) API key; the config's ``env_key``."""

DEFAULT_USAGE: Mapping[str, int] = {"input_tokens": 10, "output_tokens": 5}
"""Token counts of a reply unless it says otherwise (``cached_input_tokens`` and
``reasoning_output_tokens`` may be given too)."""

_ids = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class Reply:
    """One answer of the provider: output items streamed as SSE, or an HTTP error.

    Build it with :meth:`message`, :meth:`tool_call`, :meth:`http_error`, :meth:`api_error`
    or :meth:`usage_limit`; several items go in one reply as
    ``Reply(items=(*Reply.message("a").items, *Reply.message("b").items))``.

    Attributes:
        items: the output items (Responses API JSON objects), one event each.
        status: the HTTP status; anything but 200 sends ``body`` instead of a stream.
        body: the error body.
        usage: the token counts in ``response.completed`` (see :data:`DEFAULT_USAGE`).
        pause_seconds: a pause before each event after the first, to show live streaming.
        content_type: the ``Content-Type`` of an error body.
    """

    items: tuple[Mapping[str, Any], ...] = ()
    status: int = 200
    body: str = ""
    usage: Mapping[str, int] = dataclasses.field(default_factory=lambda: dict(DEFAULT_USAGE))
    pause_seconds: float = 0.0
    content_type: str = "text/plain"

    @classmethod
    def message(cls, text: str, **options: Any) -> Reply:
        """An assistant message saying ``text``.

        Args:
            text: the message.
            **options: the other fields (``usage``, ``pause_seconds``...).

        Returns:
            A reply with one ``message`` item.
        """
        item = {
            "type": "message",
            "role": "assistant",
            "id": f"msg_{next(_ids)}",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
        return cls(items=(item,), **options)

    @classmethod
    def tool_call(cls, cmd: str, *, login: bool = False, **options: Any) -> Reply:
        """A call of the CLI's ``exec_command`` tool, running ``cmd`` with ``bash -c``.

        The CLI runs it and POSTs its output as a ``function_call_output`` input item; that
        request gets the next reply. ``login=True`` runs ``bash -lc`` instead (the CLI's own
        default), which reads the user's profile: slower, and its noise lands in the output.

        Args:
            cmd: the shell command.
            login: run it in a login shell.
            **options: the other fields (``usage``, ``pause_seconds``...).

        Returns:
            A reply with one ``function_call`` item.
        """
        return cls.function_call("exec_command", {"cmd": cmd, "login": login}, **options)

    @classmethod
    def function_call(
        cls, name: str, arguments: Mapping[str, Any], *, namespace: str | None = None, **options: Any
    ) -> Reply:
        """A call of one of the CLI's tools by name, e.g. ``update_plan`` (enable it with
        ``[tools.update_plan] enabled = true``), or of an MCP server's tool: ``namespace``
        ``"mcp__SERVER"`` and the tool's ``name``. The next reply answers the CLI's request
        that carries the call's output.

        Args:
            name: the tool's name.
            arguments: its arguments (sent as a JSON string, as the Responses API does).
            namespace: the tool's namespace (``mcp__<server>`` for an MCP server's tools).
            **options: the other fields (``usage``, ``pause_seconds``...).

        Returns:
            A reply with one ``function_call`` item.
        """
        call = next(_ids)
        item = {
            "type": "function_call",
            "id": f"fc_{call}",
            "call_id": f"call_{call}",
            "name": name,
            "arguments": json.dumps(arguments),
            **({"namespace": namespace} if namespace is not None else {}),
        }
        return cls(items=(item,), **options)

    @classmethod
    def apply_patch(cls, patch: str, **options: Any) -> Reply:
        """A call of the CLI's freeform ``apply_patch`` tool, which the CLI reports as a
        ``file_change`` item. The model must offer it: ``write_codex_home(...,
        model_options={"apply_patch_tool_type": "freeform"})``.

        Args:
            patch: the patch, from ``*** Begin Patch`` to ``*** End Patch`` (``*** Add
                File: PATH``, ``*** Update File: PATH``, ``*** Delete File: PATH``).
            **options: the other fields (``usage``, ``pause_seconds``...).

        Returns:
            A reply with one ``custom_tool_call`` item.
        """
        call = next(_ids)
        item = {
            "type": "custom_tool_call",
            "id": f"ctc_{call}",
            "call_id": f"call_{call}",
            "name": "apply_patch",
            "input": patch,
        }
        return cls(items=(item,), **options)

    @classmethod
    def reasoning(cls, summary: str, **options: Any) -> Reply:
        """A reasoning item whose summary the CLI reports as a ``reasoning`` item's text.
        Combine it with a message or a call in one reply: alone, it ends the turn silently.

        Args:
            summary: the reasoning summary.
            **options: the other fields (``usage``, ``pause_seconds``...).

        Returns:
            A reply with one ``reasoning`` item.
        """
        item = {
            "type": "reasoning",
            "id": f"rs_{next(_ids)}",
            "summary": [{"type": "summary_text", "text": summary}],
        }
        return cls(items=(item,), **options)

    @classmethod
    def web_search(cls, query: str, **options: Any) -> Reply:
        """A web search the provider ran, which the CLI reports as a ``web_search`` item. It
        asks nothing of the CLI: the turn ends after this reply unless it holds more items.

        Args:
            query: what was searched for.
            **options: the other fields (``usage``, ``pause_seconds``...).

        Returns:
            A reply with one ``web_search_call`` item.
        """
        item = {
            "type": "web_search_call",
            "id": f"ws_{next(_ids)}",
            "status": "completed",
            "action": {"type": "search", "query": query},
        }
        return cls(items=(item,), **options)

    @classmethod
    def http_error(cls, status: int = 500, body: str = "internal error (loopback)") -> Reply:
        """An HTTP error status with a plain-text ``body``, instead of a stream.

        Args:
            status: the HTTP status.
            body: the response body.

        Returns:
            The error reply.
        """
        return cls(status=status, body=body)

    @classmethod
    def api_error(cls, status: int, message: str, *, type: str = "api_error", **fields: Any) -> Reply:
        """An HTTP error with the API's JSON body, ``{"error": {"type", "message", ...}}``,
        which the CLI reads (for example, a 401 as ``api_error(401, "Incorrect API key
        provided", type="invalid_request_error", code="invalid_api_key")``).

        Args:
            status: the HTTP status.
            message: the error's ``message``.
            type: the error's ``type``.
            **fields: more fields of the error object (``code``...).

        Returns:
            The error reply.
        """
        body = json.dumps({"error": {"type": type, "message": message, **fields}})
        return cls(status=status, body=body, content_type="application/json")

    @classmethod
    def usage_limit(cls, resets_at: float | None = None, *, plan_type: str = "plus") -> Reply:
        """The 429 of a plan whose usage limit was reached (``usage_limit_reached``).

        Args:
            resets_at: when the limit resets, in seconds since the epoch; ``None`` gives no
                time (the CLI then says "Try again later.").
            plan_type: the plan named in the error.

        Returns:
            The error reply.
        """
        fields: dict[str, Any] = {"plan_type": plan_type}
        if resets_at is not None:
            fields["resets_at"] = int(resets_at)
        return cls.api_error(429, "The usage limit has been reached", type="usage_limit_reached", **fields)

    def sse_events(self) -> list[dict[str, Any]]:
        """The data objects of this reply's Server-Sent Events, in order: ``response.created``,
        one ``response.output_item.done`` per item, ``response.completed`` with the usage."""
        response_id = f"resp_{next(_ids)}"
        counts = {**DEFAULT_USAGE, **self.usage}
        usage = {
            "input_tokens": counts["input_tokens"],
            "input_tokens_details": {"cached_tokens": counts.get("cached_input_tokens", 0)},
            "output_tokens": counts["output_tokens"],
            "output_tokens_details": {"reasoning_tokens": counts.get("reasoning_output_tokens", 0)},
            "total_tokens": counts["input_tokens"] + counts["output_tokens"],
        }
        return [
            {"type": "response.created", "response": {"id": response_id}},
            *(
                {"type": "response.output_item.done", "output_index": index, "item": dict(item)}
                for index, item in enumerate(self.items)
            ),
            {"type": "response.completed", "response": {"id": response_id, "usage": usage}},
        ]


Handler = Callable[[Mapping[str, Any]], Reply]
"""Picks the reply from the request body (a parsed JSON object)."""


class LoopbackProvider:
    """An HTTP server on 127.0.0.1 (a free port) that plays :class:`Reply` objects.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. It serves from a
    daemon thread, one thread per connection, so a paused stream blocks no other request.

    Args:
        replies: replies to serve first, in order.
        default: the reply when the queue is empty (an assistant message ``"ok"``).
        handler: instead of the queue, a function of the request body that picks the reply.
    """

    env_key = ENV_KEY
    """The environment variable of the provider's API key (:data:`ENV_KEY`)."""

    def __init__(
        self,
        replies: Sequence[Reply] = (),
        *,
        default: Reply | None = None,
        handler: Handler | None = None,
    ) -> None:
        self._queue: collections.deque[Reply] = collections.deque(replies)
        self._default = default or Reply.message("ok")
        self._handler = handler
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []
        self._completed = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``, the provider's ``base_url`` in ``config.toml``.

        Raises:
            RuntimeError: the provider is not started.
        """
        if self._server is None:
            raise RuntimeError("the provider is not started: call start() or use it in a with block")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the JSON body of every ``/responses`` request received, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def completed_replies(self) -> int:
        """How many replies were sent to their end (errors included)."""
        with self._lock:
            return self._completed

    def enqueue(self, *replies: Reply) -> None:
        """Serve ``replies`` next, in order, after those already queued."""
        with self._lock:
            self._queue.extend(replies)

    def start(self) -> LoopbackProvider:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread (no-op if started).

        Returns:
            The provider itself.

        Raises:
            OSError: no port could be bound.
        """
        if self._server is None:
            self._server = _Server(("127.0.0.1", 0), _handler_class(self))
            serve = self._server.serve_forever
            # a short poll interval makes stop() quick (shutdown waits for the next poll)
            threading.Thread(target=serve, args=(0.05,), daemon=True, name="loopback-provider").start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (no-op if stopped). Streams still paused end with
        their thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LoopbackProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _reply_to(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self._requests.append(body)
            if self._handler is None:
                return self._queue.popleft() if self._queue else self._default
        return self._handler(body)  # outside the lock: it may read provider.requests

    def _completed_one(self) -> None:
        with self._lock:
            self._completed += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-reply (a CLI killed while it streams) ends a test, not
        # the provider: only other errors, such as a failing handler, print a traceback.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def _handler_class(provider: LoopbackProvider) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self.path.rstrip("/").endswith("/responses"):
                self._send_plain(404, f"no route {self.path}")
                return
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"unparsed": raw.decode(errors="replace")}
            try:
                reply = provider._reply_to(body)
            except Exception as exc:  # a failing handler fails the turn, not the connection
                self._send_plain(500, f"loopback handler failed: {exc!r}")
                raise  # and the server prints the traceback
            if reply.status != 200:
                self._send_plain(reply.status, reply.body, reply.content_type)
            else:
                self._send_events(reply)
            provider._completed_one()

        def do_GET(self) -> None:
            self._send_plain(404, f"no route {self.path}")

        def _send_events(self, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            for index, event in enumerate(reply.sse_events()):
                if index and reply.pause_seconds:
                    time.sleep(reply.pause_seconds)
                self.wfile.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            self.close_connection = True

        def _send_plain(self, status: int, text: str, content_type: str = "text/plain") -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tests read provider.requests, not an access log

    return _Handler


CONFIG_TOML = """\
model = {model}
model_provider = "fake"
model_catalog_json = {catalog}
approval_policy = "never"
web_search = "disabled"

[model_providers.fake]
name = "fake"
base_url = {base_url}
wire_api = "responses"
env_key = {env_key}
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[features]
plugins = false
shell_snapshot = false
"""
"""The ``config.toml`` that :func:`write_codex_home` writes (a ``str.format`` template whose
values are TOML strings). Besides the provider, it turns off what reaches the network or
the user's shell on its own: analytics (``ab.chatgpt.com``), the plugin marketplace sync
(``git ls-remote https://github.com/openai/plugins``, ``chatgpt.com``) and the login-shell
snapshot (``bash -lc``, which runs the user's profile)."""


def _model_catalog(model: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The smallest model catalog entry the CLI accepts, so it knows ``model`` and does not
    print an ``error`` item ("Model metadata for ... not found") before every turn, updated
    with ``options``."""
    entry: dict[str, Any] = {
        "slug": model,
        "display_name": model,
        "base_instructions": "You are a scripted model on loopback.",
        "supported_reasoning_levels": [],
        "shell_type": "unified_exec",
        "visibility": "list",
        "supported_in_api": True,
        "priority": 1,
        "support_verbosity": False,
        "truncation_policy": {"mode": "tokens", "limit": 10000},
        "experimental_supported_tools": [],
        # required by older CLIs (0.130.0 refuses the catalog without them), ignored by newer ones
        "supports_reasoning_summaries": False,
        "supports_parallel_tool_calls": False,
        **options,
    }
    return {"models": [entry]}


def write_codex_home(
    codex_home: str | Path,
    base_url: str,
    *,
    model: str = "fake-model",
    model_options: Mapping[str, Any] | None = None,
    extra_config: str = "",
) -> dict[str, str]:
    """Write ``config.toml`` (and a model catalog) into the folder ``codex_home``, pointing
    the CLI at the provider ``base_url``.

    Tools depend on the model's catalog entry and on the config: ``model_options=
    {"apply_patch_tool_type": "freeform"}`` offers ``apply_patch`` (:meth:`Reply.apply_patch`),
    and ``extra_config`` can enable ``[tools.update_plan]`` or add ``[mcp_servers.NAME]``.

    Args:
        codex_home: the folder to use as ``CODEX_HOME``; created if missing, made absolute.
        base_url: the provider's URL, e.g. :attr:`LoopbackProvider.base_url`.
        model: the model name the config selects and the catalog describes.
        model_options: more keys of the model's catalog entry (they replace the defaults).
        extra_config: TOML appended to ``config.toml`` (tables after the provider's).

    Returns:
        The environment the CLI needs on top of the parent's: ``CODEX_HOME`` and the
        provider's key variable (:data:`ENV_KEY`).
    """
    home = Path(codex_home).absolute()
    home.mkdir(parents=True, exist_ok=True)
    catalog = home / "model_catalog.json"
    catalog.write_text(json.dumps(_model_catalog(model, model_options or {})), encoding="utf-8")
    toml_string = json.dumps  # a JSON string is a TOML basic string
    config = CONFIG_TOML.format(
        model=toml_string(model),
        catalog=toml_string(str(catalog)),
        base_url=toml_string(base_url),
        env_key=toml_string(ENV_KEY),
    )
    (home / "config.toml").write_text(
        config + (f"\n{extra_config}\n" if extra_config else ""), encoding="utf-8"
    )
    return {"CODEX_HOME": str(home), ENV_KEY: "fake-key"}


def unreachable_base_url() -> str:
    """A loopback URL where nothing listens (a port that was free a moment ago), to test
    a provider that cannot be reached.

    Returns:
        ``http://127.0.0.1:PORT/v1``.
    """
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as server:
        port = server.server_address[1]
    return f"http://127.0.0.1:{port}/v1"
