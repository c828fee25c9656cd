"""One aiohttp handler that serves an ASGI application: the MCP SDK's streamable HTTP transport is ASGI,
and serving it from an ordinary aiohttp route keeps it on the daemon's own listeners (TCP and Unix socket)
behind the same middlewares (token, Host, errors, metrics, request id) as every other route.

Only what that transport uses is bridged: HTTP (no websockets, no lifespan: the caller runs the app's
start and stop), a body read whole under the app's body limit, and streamed answers (SSE).
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..errors import ApiError
from .bodies import read

ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]

# The scope key holding the aiohttp request, for handlers that want to know whether its client is still there.
AIOHTTP_REQUEST = "xhands.aiohttp_request"
# aiohttp has no awaitable for a dropped connection (unless handlers are cancelled on one, which would
# abort a running action mid-way): a waiting receive() looks this often.
DISCONNECT_POLL_S = 0.2


def connection_closed(request: web.Request) -> bool:
    return request.transport is None or request.transport.is_closing()


def scope_of(request: web.Request) -> dict:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": f"{request.version.major}.{request.version.minor}",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.raw_path.split("?", 1)[0].encode(),
        "root_path": "",
        "query_string": request.query_string.encode(),
        "headers": [(name.lower(), value) for name, value in request.raw_headers],
        "client": tuple(peer[:2]) if isinstance(peer, tuple) else None,  # a Unix socket has no address
        "server": (request.host, None),
        AIOHTTP_REQUEST: request,
    }


async def serve_asgi(app: ASGIApp, request: web.Request) -> web.StreamResponse:
    body = await read(request)  # the app's body limit applies: 413 beyond it
    body_given = False
    response: web.StreamResponse | None = None

    async def receive() -> dict:
        nonlocal body_given
        if not body_given:
            body_given = True
            return {"type": "http.request", "body": body, "more_body": False}
        while not connection_closed(request):  # the body is read: what is left to hear of is the client leaving
            await asyncio.sleep(DISCONNECT_POLL_S)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal response
        if message["type"] == "http.response.start":
            response = web.StreamResponse(status=message["status"])
            for name, value in message.get("headers", ()):
                response.headers.add(name.decode("latin-1"), value.decode("latin-1"))
            await response.prepare(request)
        elif message["type"] == "http.response.body" and response is not None and not connection_closed(request):
            # A client that has read what it wanted may close before the stream's end: the rest has nobody to go to,
            # and receive() tells the app it left.
            with contextlib.suppress(ConnectionResetError):
                await response.write(message.get("body", b""))
                if not message.get("more_body", False):
                    await response.write_eof()

    await app(scope_of(request), receive, send)
    if response is None:
        raise ApiError(500, "internal error")  # the app ended without answering
    return response
