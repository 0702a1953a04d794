"""A fake model provider on loopback, so the real Codex CLI runs fully offline.

It answers ``POST /v1/responses`` the way the OpenAI Responses API streams:
``response.created``, one ``response.output_item.done`` per output item, then
``response.completed`` with ``usage``. Point the CLI at it with :func:`write_codex_home`.

>>> with LoopbackProvider() as provider:
...     provider.enqueue(Reply.message("Hello from loopback"))
...     env = write_codex_home(tmp_path / "codex-home", provider.base_url)
...     # run `codex exec --json --skip-git-repo-check -` with env=...
...     provider.requests[0]["input"]  # what the CLI sent

Replies are served in order, one per request; when the queue is empty the ``default`` reply
(or the ``handler(request_body)`` function, if given) answers. Standard library only.
"""

from __future__ import annotations

import collections
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs

ENV_KEY = "CODEX_LOOPBACK_KEY"
_ids = itertools.count(1)


@attrs.frozen(kw_only=True)
class Reply:
    """One answer of the provider: output items streamed as SSE, or an HTTP error.

    Build it with :meth:`message`, :meth:`tool_call` or :meth:`http_error`; combine items
    with ``Reply(items=[...])``.

    Attributes:
        items: the output items (Responses API JSON objects).
        status: the HTTP status; anything but 200 sends ``body`` instead of a stream.
        body: the error body.
        usage: ``response.completed.usage`` for this reply.
        pause_seconds: a pause before each event after the first, to show streaming.
    """

    items: tuple[Mapping[str, Any], ...] = ()
    status: int = 200
    body: str = ""
    usage: Mapping[str, int] = attrs.field(factory=lambda: {"input_tokens": 10, "output_tokens": 5})
    pause_seconds: float = 0.0

    @classmethod
    def message(cls, text: str, **options: Any) -> Reply:
        """An assistant message with ``text``."""
        item = {
            "type": "message",
            "role": "assistant",
            "id": f"msg_{next(_ids)}",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
        return cls(items=(item,), **options)

    @classmethod
    def tool_call(cls, cmd: str, **options: Any) -> Reply:
        """A call of the CLI's ``exec_command`` tool running ``cmd`` in a shell. The CLI runs
        it and sends its output in the next request, which gets the next reply."""
        call = next(_ids)
        item = {
            "type": "function_call",
            "id": f"fc_{call}",
            "call_id": f"call_{call}",
            "name": "exec_command",
            "arguments": json.dumps({"cmd": cmd}),
        }
        return cls(items=(item,), **options)

    @classmethod
    def http_error(cls, status: int = 500, body: str = "internal error (loopback)") -> Reply:
        """An HTTP error answer."""
        return cls(status=status, body=body)

    def sse_events(self) -> list[dict[str, Any]]:
        """The Server-Sent Events' data objects of this reply, in order."""
        response_id = f"resp_{next(_ids)}"
        tokens = {"input_tokens": 0, "output_tokens": 0, **self.usage}
        usage: dict[str, Any] = {
            **tokens,
            "total_tokens": tokens["input_tokens"] + tokens["output_tokens"],
            "input_tokens_details": {"cached_tokens": tokens.get("cached_input_tokens", 0)},
            "output_tokens_details": {"reasoning_tokens": tokens.get("reasoning_output_tokens", 0)},
        }
        return [
            {"type": "response.created", "response": {"id": response_id}},
            *(
                {"type": "response.output_item.done", "output_index": i, "item": dict(item)}
                for i, item in enumerate(self.items)
            ),
            {"type": "response.completed", "response": {"id": response_id, "usage": usage}},
        ]


Handler = Callable[[Mapping[str, Any]], Reply]


class LoopbackProvider:
    """An HTTP server on 127.0.0.1 (a free port) that plays :class:`Reply` objects.

    Args:
        replies: replies to serve first, in order.
        default: the reply when the queue is empty (an assistant message ``"ok"``).
        handler: instead of the queue, a function of the request body that picks the reply.

    Attributes:
        requests: the JSON body of every request received, in order.
        completed_replies: how many replies were sent to their end.
    """

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
        self.requests: list[dict[str, Any]] = []
        self.completed_replies = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``, for the CLI's ``base_url``."""
        if self._server is None:
            raise RuntimeError("the provider is not started: call start() or use it in a with block")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def enqueue(self, *replies: Reply) -> None:
        """Serve ``replies`` next, in order."""
        with self._lock:
            self._queue.extend(replies)

    def start(self) -> LoopbackProvider:
        """Start serving in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="loopback-provider"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
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
            self.requests.append(body)
            if self._handler is not None:
                return self._handler(body)
            return self._queue.popleft() if self._queue else self._default


def _handler_class(provider: LoopbackProvider) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"unparsed": raw.decode(errors="replace")}
            if not self.path.rstrip("/").endswith("/responses"):
                self._send_plain(404, f"no route {self.path}")
                return
            reply = provider._reply_to(body)
            if reply.status != 200:
                self._send_plain(reply.status, reply.body)
                return
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
            with provider._lock:
                provider.completed_replies += 1
            self.close_connection = True

        def _send_plain(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tests read provider.requests, not the access log

    return _Handler


def write_codex_home(
    codex_home: str | Path, base_url: str, *, model: str = "loopback-model"
) -> dict[str, str]:
    """Write a ``config.toml`` into ``codex_home`` that points the CLI at ``base_url``.

    Returns:
        The environment the CLI needs: ``CODEX_HOME`` and the provider's key variable.
    """
    home = Path(codex_home)
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "{model}"\n'
        'model_provider = "loopback"\n'
        'approval_policy = "never"\n'
        "\n"
        "[model_providers.loopback]\n"
        'name = "loopback"\n'
        f'base_url = "{base_url}"\n'
        'wire_api = "responses"\n'
        f'env_key = "{ENV_KEY}"\n'
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n",
        encoding="utf-8",
    )
    return {"CODEX_HOME": str(home), ENV_KEY: "loopback-key"}


def unreachable_base_url() -> str:
    """A loopback URL where nothing listens (a port that was free a moment ago)."""
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as server:
        port = server.server_address[1]
    return f"http://127.0.0.1:{port}/v1"
