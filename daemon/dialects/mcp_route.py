"""/mcp: the computer_action tool over streamable HTTP on the daemon's own listener (TCP and Unix socket),
behind the same middlewares as every route.

The MCP SDK costs about 0.7 s of start-up and 28 MiB of memory, so it is loaded by the first request to /mcp,
not at start: a daemon nobody asks for MCP stays as small and quick to start as before.
"""

import asyncio
import contextlib
import importlib

from typing import Literal

from ..http.asgi import serve_asgi
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from ..apidoc import document

PATH = "/mcp"


class JsonRpcMessage(BaseModel):
    """A JSON-RPC 2.0 message of MCP's streamable HTTP transport, which the MCP SDK validates: `initialize` first
    (its answer's Mcp-Session-Id header names the session), then `tools/list` and `tools/call` of computer_action
    with that header. Send Accept: application/json, text/event-stream."""

    model_config = ConfigDict(extra="allow")
    jsonrpc: Literal["2.0"]
    id: int | str | None = None
    method: str | None = None
    params: dict | None = None


class JsonRpcError(BaseModel):
    """How the MCP SDK answers a message it cannot take."""

    jsonrpc: Literal["2.0"]
    id: int | str | None
    error: dict = Field(description="{code, message}: a JSON-RPC error")


class McpRoute:
    def __init__(self, app: web.Application):
        self.app = app
        self.manager = None  # the SDK's session manager, once loaded
        self._loading = asyncio.Lock()
        self._stop = asyncio.Event()
        self._running: asyncio.Task | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        manager = self.manager or await self._load()
        return await serve_asgi(manager.handle_request, request)

    async def _load(self):
        async with self._loading:
            if self.manager is None:
                # Imported off the event loop: the running actions and other requests go on meanwhile.
                mcp = await asyncio.to_thread(importlib.import_module, "xhands.daemon.dialects.mcp")
                manager = mcp.create_manager(self.app)
                started = asyncio.Event()
                self._running = asyncio.create_task(self._hold(manager, started), name="xhands-mcp")
                await asyncio.wait([self._running, asyncio.ensure_future(started.wait())],
                                   return_when=asyncio.FIRST_COMPLETED)
                if self._running.done():
                    self._running.result()  # it failed to start: say why
                self.manager = manager
        return self.manager

    async def _hold(self, manager, started: asyncio.Event) -> None:
        # The manager's task group must be entered and left in one task: requests and the stop hook are others.
        async with manager.run():
            started.set()
            await self._stop.wait()

    async def stop(self) -> None:
        """End the sessions: their streams close, so the listener's shutdown does not wait for them."""
        self._stop.set()
        if self._running is not None:
            with contextlib.suppress(Exception):
                await self._running


ROUTE = web.AppKey("mcp_route", McpRoute)  # stopped at shutdown, after the worker (app.py)


def add_routes(app: web.Application) -> None:
    app[ROUTE] = McpRoute(app)
    app.router.add_route("*", PATH, app[ROUTE].handle)


STREAM = {"description": "Server-Sent Events with the JSON-RPC answers (or one JSON answer)",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}}
MCP_ERRORS = {"error": JsonRpcError, "error_statuses": (400, 404, 405, 406, 415), "other_errors": (413,)}
document("post", PATH, "mcp", "MCP over streamable HTTP: the computer_action tool", body=JsonRpcMessage, reply=STREAM,
         **MCP_ERRORS)
document("get", PATH, "mcp_stream", "MCP: the session's stream of server messages", reply=STREAM, **MCP_ERRORS)
document("delete", PATH, "mcp_end", "MCP: end the session named by Mcp-Session-Id", **MCP_ERRORS)
