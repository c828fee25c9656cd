"""Server-Sent Events over aiohttp: the response, one event's wire form, the heartbeat, and knowing when
the viewer has gone.

aiohttp does not cancel a handler whose client left (it only notices on the next write), so a stream that
waits for something to send looks at its connection every POLL_S and ends within that once it is gone, or
once the daemon shuts down.
"""

import asyncio
import json

from aiohttp import web

from ..http.app_keys import STREAMS_CLOSING
from ..http.handling import client_gone, computer_of

HEARTBEAT_S = 30.0  # a comment this often keeps proxies from closing a quiet stream
HEARTBEAT = b": heartbeat\n\n"
POLL_S = 1.0


def event_bytes(data: dict, event: str | None = None, event_id: int | None = None) -> bytes:
    """One event: optional `event:` and `id:` lines, then the data as one line of JSON."""
    lines = []
    if event is not None:
        lines.append(f"event: {event}")
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


async def open_stream(request: web.Request, content_type: str = "text/event-stream") -> web.StreamResponse:
    response = web.StreamResponse(headers={
        "Content-Type": content_type,
        "Cache-Control": "no-cache, no-store",
        "X-Accel-Buffering": "no",  # nginx and friends: pass each event on at once
    })
    await response.prepare(request)
    return response


def gone(request: web.Request) -> bool:
    """The viewer closed the connection, its computer stopped, or the daemon is shutting down."""
    return client_gone(request)() or request.app[STREAMS_CLOSING].is_set() or computer_of(request).stopping


async def wait_or_gone(request: web.Request, signal: asyncio.Event, timeout_s: float) -> bool:
    """Wait for `signal` up to timeout_s, looking every POLL_S whether the viewer is gone; True if signalled."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not gone(request):
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(signal.wait(), min(POLL_S, remaining))
            return True
        except TimeoutError:
            continue
    return False
