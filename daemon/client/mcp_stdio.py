"""`xhands mcp`: the computer_action tool on stdin/stdout, for desktop MCP clients that start their servers
as commands (Claude Desktop, Claude Code, Cursor).

It relays to the daemon's own /mcp at --url, so the tool, its validation and its results are the daemon's,
in one place. When nothing answers at --url it starts a daemon of its own on a private Xvfb and stops both
when the client goes (stdin closes) or on SIGTERM/SIGINT. Only protocol messages go to stdout; logs go to
stderr, the private daemon's warnings too, where MCP clients keep them: nothing is left behind in a file.
"""

import asyncio
import logging
import signal
import sys
from contextlib import ExitStack
from importlib.metadata import version

import mcp_types as types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server import Server
from mcp.server.stdio import stdio_server
from mcp.shared._httpx_utils import create_mcp_http_client

from . import Client as HttpClient, Unreachable
from ..ops.xvfb import XvfbError
from .testing import LocalServer, ServerError

log = logging.getLogger("xhands.mcp")


def answers(url: str, token: str | None) -> bool:
    try:
        with HttpClient(url, token=token, timeout=2) as client:
            client.health()
    except Unreachable:
        return False
    return True  # even an unhealthy daemon answers: its tool calls will say why


async def relay(url: str, token: str | None) -> None:
    """Serve MCP on stdio, passing each tool listing and call to the daemon's /mcp."""
    this = asyncio.current_task()
    for signum in (signal.SIGTERM, signal.SIGINT):  # end by cancelling, so every context below closes in order
        asyncio.get_running_loop().add_signal_handler(signum, this.cancel)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    http = create_mcp_http_client(headers=headers)
    async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as daemon:

        async def list_tools(ctx, params) -> types.ListToolsResult:
            return await daemon.list_tools()

        async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
            return await daemon.call_tool(params.name, params.arguments)

        server = Server("xhands", version=version("xhands"), on_list_tools=list_tools, on_call_tool=call_tool)
        server.middleware.clear()  # no tracing spans nobody collects
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())


def main(url: str, token: str | None, screen: str) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="xhands mcp: %(levelname)s %(message)s")
    # SIGTERM (a desktop client closing) unwinds like Ctrl+C, so that a private daemon and Xvfb are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with ExitStack() as owned:
            if not answers(url, token):
                server = owned.enter_context(LocalServer(screen, args=("--log-level", "warning"), log_to_stderr=True))
                log.warning("nothing answers at %s: started a private daemon at %s on display %s (see it at %s/view; "
                            "put an application on it with `DISPLAY=%s chromium &`)",
                            url, server.url, server.display, server.url, server.display)
                url, token = server.url, server.token
            asyncio.run(relay(url, token))
    except (XvfbError, ServerError) as exc:
        log.error("nothing answers at %s, and a private daemon could not be started: %s", url, exc)
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    return 0
