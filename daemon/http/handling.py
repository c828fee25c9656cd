"""What every dialect's handlers need of an aiohttp request besides its body (bodies.py): what the body is checked
against, and whether its client is still there."""

from aiohttp import web

from xhands.input import DisplayUnavailable

from ..errors import ApiError
from .app_keys import DESKTOP, SETTINGS


def validation_context(app: web.Application) -> dict:
    """Checked against the live screen and the configured limits, so a whole batch is checked before anything runs."""
    try:
        screen = app[DESKTOP].screen_size
    except DisplayUnavailable as exc:
        raise ApiError(503, str(exc)) from None
    return {"screen": screen, "limits": app[SETTINGS].limits}


def client_gone(request: web.Request):
    return lambda: request.transport is None or request.transport.is_closing()
