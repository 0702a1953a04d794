"""A tiny MCP server on stdio (JSON-RPC, one message a line) with one tool, ``add``.

The Codex CLI starts it when ``config.toml`` names it under ``[mcp_servers.NAME]``; the
real-CLI item tests use it to produce ``mcp_tool_call`` items offline. ``add`` returns the
sum of its numbers ``a`` and ``b`` as text, or an error when one is missing.
"""

from __future__ import annotations

import json
import sys
from typing import Any

TOOLS = [
    {
        "name": "add",
        "description": "Add two numbers.",
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    }
]


def answer(method: str, params: dict[str, Any]) -> dict[str, Any]:
    if method == "initialize":
        return {
            "protocolVersion": params.get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "tiny", "version": "1"},
        }
    if method == "tools/list":
        return {"tools": TOOLS}
    if method == "tools/call":
        arguments = params.get("arguments") or {}
        if not {"a", "b"} <= arguments.keys():
            return {"content": [{"type": "text", "text": "add needs a and b"}], "isError": True}
        return {"content": [{"type": "text", "text": str(arguments["a"] + arguments["b"])}], "isError": False}
    raise LookupError(method)


def main() -> None:
    for line in sys.stdin:
        message = json.loads(line)
        if "id" not in message:
            continue  # a notification: nothing to answer
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"]}
        try:
            reply["result"] = answer(message.get("method", ""), message.get("params") or {})
        except LookupError as exc:
            reply["error"] = {"code": -32601, "message": f"no method {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
