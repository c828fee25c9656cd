"""What every dialect's handlers need of an aiohttp request: its body as a validated model, and whether its
client is still there."""

from aiohttp import web
from pydantic import BaseModel, ValidationError

from xhands.input import DisplayUnavailable

from .errors import ApiError, from_validation


def validation_context(app: web.Application) -> dict:
    """Checked against the live screen and the configured limits, so a whole batch is checked before anything runs."""
    try:
        screen = app["desktop"].screen_size
    except DisplayUnavailable as exc:
        raise ApiError(503, str(exc)) from None
    return {"screen": screen, "limits": app["settings"].limits}


async def parse(request: web.Request, model: type[BaseModel]) -> BaseModel:
    body = await request.read()
    # Routes without parameters are called with no body at all, or with `null`
    # (the TypeScript SDK's captureScreenshot(id, null)): both mean no parameters.
    if body.strip() in (b"", b"null"):
        body = b"{}"
    context = validation_context(request.app)
    try:
        return model.model_validate_json(body, context=context)
    except ValidationError as exc:
        raise from_validation(exc) from None


def client_gone(request: web.Request):
    return lambda: request.transport is None or request.transport.is_closing()
