"""The loopback provider on its own, through raw sockets: no CLI needed."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Mapping
from typing import Any

import pytest

from codex_local_sdk.testing import LoopbackProvider, Reply

LONG_STREAM = Reply(
    items=tuple(item for n in range(20) for item in Reply.message(f"part {n}").items), pause_seconds=0.02
)


def serve_one(reply: Reply | Exception, *, reset: bool) -> None:
    """Start a provider, POST one request, read the first byte of the answer, then go away
    (``reset``: with an RST, else a plain close), and wait until the provider's request
    thread has finished."""
    handler_threads: list[threading.Thread] = []

    def handler(body: Mapping[str, Any]) -> Reply:
        handler_threads.append(threading.current_thread())
        if isinstance(reply, Exception):
            raise reply
        return reply

    with LoopbackProvider(handler=handler) as provider:
        port = int(provider.base_url.rsplit(":", 1)[1].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"POST /v1/responses HTTP/1.1\r\nHost: loopback\r\nContent-Length: 2\r\n\r\n{}")
            assert client.recv(1), "the provider sent nothing"
            if reset:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                drain(client)  # so that the close sends no RST: the provider's writes then fail
        handler_threads[0].join(10)
        assert not handler_threads[0].is_alive(), "the provider kept writing to a closed connection"


def drain(client: socket.socket) -> None:
    """Read what has arrived, without waiting for more."""
    client.setblocking(False)
    with contextlib.suppress(BlockingIOError):
        while client.recv(65536):
            pass


@pytest.mark.parametrize("reset", [True, False], ids=["reset", "closed"])
def test_a_client_gone_mid_stream_prints_nothing(capfd: pytest.CaptureFixture[str], reset: bool) -> None:
    # A CLI killed while the provider streams is an ordinary end of a test, not an error.
    serve_one(LONG_STREAM, reset=reset)
    assert capfd.readouterr().err == ""


def test_a_failing_handler_still_prints_its_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    serve_one(ValueError("the handler broke"), reset=False)
    err = capfd.readouterr().err
    assert "Traceback" in err and "ValueError: the handler broke" in err
