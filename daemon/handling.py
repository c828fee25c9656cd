"""What every dialect's handlers need of an aiohttp request besides its body (bodies.py): what the body is checked
against, and whether its client is still there."""

from aiohttp import web

from xhands.input import DisplayUnavailable

from .errors import ApiError


def validation_context(app: web.Application) -> dict:
    """Checked against the live screen and the configured limits, so a whole batch is checked before anything runs."""
    try:
        with app["desktop"].guarded():
            return {"screen": app["desktop"].screen_size, "limits": app["settings"].limits}
    except DisplayUnavailable as exc:
        raise ApiError(503, str(exc)) from None


def client_gone(request: web.Request):
    return lambda: request.transport is None or request.transport.is_closing()
