"""What every dialect's handlers need of an aiohttp request besides its body (bodies.py): the computer it drives,
what the body is checked against, and whether its client is still there."""

from typing import TYPE_CHECKING

from aiohttp import web

from xhands.input import DisplayUnavailable

from ..errors import ApiError
from .app_keys import COMPUTERS, SETTINGS

if TYPE_CHECKING:
    from xhands.input import Desktop

    from ..computer import Computer

COMPUTER = "xhands_computer"  # the request's computer, once found: it stays the same after a DELETE


def computer_of(request: web.Request) -> "Computer":
    """The computer a request drives. Lightcone's /computers/{id}/... names it, and an unknown id is a 404;
    Kernel's /browsers/{id}/computer/... (and MCP's session_id) names it when a computer has that id, else it
    is the daemon's own display, as for every path without an id."""
    if COMPUTER not in request:
        computers = request.app[COMPUTERS]
        computer_id = request.match_info.get("id")
        if computer_id is None:
            request[COMPUTER] = computers.local
        elif request.path.startswith("/computers/"):
            request[COMPUTER] = computers.named(computer_id)
        else:
            request[COMPUTER] = computers.get(computer_id) or computers.local
    return request[COMPUTER]


def validation_context(request: web.Request) -> dict:
    """Checked against the live screen and the configured limits, so a whole batch is checked before anything runs."""
    return checked_against(computer_of(request).desktop, request.app[SETTINGS].limits)


def checked_against(desktop: "Desktop", limits: dict[str, int]) -> dict:
    try:
        screen = desktop.screen_size
    except DisplayUnavailable as exc:
        raise ApiError(503, str(exc)) from None
    return {"screen": screen, "limits": limits}


def client_gone(request: web.Request):
    return lambda: request.transport is None or request.transport.is_closing()
