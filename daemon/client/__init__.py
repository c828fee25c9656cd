"""A typed client for the xhands HTTP API, blocking (`Client`) and asyncio (`AsyncClient`), on httpx.

    from xhands import Action, Client

    with Client("http://127.0.0.1:10001") as xh:
        xh.click_mouse(100, 200)
        xh.type_text("hello\\n")
        xh.press_key("Ctrl+a")
        png = xh.screenshot()
        xh.batch([Action.move_mouse(10, 10), Action.get_mouse_position()])  # [None, Position(x=10, y=10)]

`AsyncClient` has the same methods as coroutines; both are made from the
operations in api.py, one method per action route. The URL may also be
`unix:/path/to/socket` for a daemon started with `--unix-socket`. Parameters
left as None are not sent, so the server's defaults apply (see /openapi.json).
Failures raise `ApiError` (the server's error, with its code, message,
details and request id) or `Unreachable` (no daemon answered). Nothing of the
daemon's server or X side is imported: the client runs anywhere.
"""

from .api import Action, ApiError, BatchResult, Health, Image, Position, Region, Size, Unreachable

# httpx is imported with the client classes, on first use: the daemon imports api.py (the registry's wire
# forms) and needs no HTTP client.
_TRANSPORT = {"Client", "AsyncClient", "DEFAULT_URL"}


def __getattr__(name: str):
    if name in _TRANSPORT:
        from . import transport

        return getattr(transport, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Action", "ApiError", "AsyncClient", "BatchResult", "Client", "Health", "Image", "Position", "Region", "Size",
           "Unreachable"]
