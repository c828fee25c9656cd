"""Request bodies, for every dialect in one place: read under the body limit, and validated by a model.

The bytes go straight to the model's JSON validation (pydantic-core's own parser), which refuses what is not
JSON, bad UTF-8, nesting past its depth limit, a non-object and wrong types alike, as a validation error. So
any body ends as an ApiError (400, or 413 past --max-body), never as an exception a handler did not expect;
each dialect then answers that error in its own shape. Validation is strict JSON's: "1" and true are no numbers.
"""

import pydantic_core
from aiohttp import web
from pydantic import BaseModel, ValidationError

from ..errors import ApiError, from_validation
from .app_keys import SETTINGS

# Routes without parameters are called with no body at all, or with `null`
# (the TypeScript SDK's captureScreenshot(id, null)): both mean no parameters.
NO_BODY = (b"", b"null")


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is larger than the limit of {limit:,} bytes (raise it with --max-body)")


async def read(request: web.Request) -> bytes:
    """The body's bytes; past the app's body limit an ApiError, which the dialect shapes (aiohttp's own would not be)."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_large(request.app[SETTINGS].max_body) from None


def validated(model: type[BaseModel], data, context: dict | None = None) -> BaseModel:
    """`data` as `model`: JSON text (bytes or str), or data decoded from JSON already (a WebSocket message's part,
    an MCP call's arguments), which is validated as its JSON so that both meet the same rules (an array is a
    tuple, NaN is no number)."""
    try:
        text = data if isinstance(data, (bytes, str)) else pydantic_core.to_json(data)
        return model.model_validate_json(text, context=context)
    except ValidationError as exc:
        raise from_validation(exc, data if text is not data else document_of(text)) from None
    except ValueError as exc:  # to_json: data no JSON could hold (nested too deep)
        raise ApiError(400, f"invalid request: {exc}") from None


def document_of(text: bytes | str):
    """The body as JSON, for an error to point into (a flattened batch action's hint); None when it is not JSON
    (the error says so itself)."""
    try:
        return decode(text)
    except ApiError:
        return None


def decode(text: bytes | str):
    """JSON text as Python data, for a message whose model depends on its content (a WebSocket message)."""
    try:
        return pydantic_core.from_json(text, allow_inf_nan=False)
    except (ValueError, TypeError) as exc:  # TypeError: a str with a lone surrogate has no UTF-8 to parse
        raise ApiError(400, f"invalid JSON: {exc}") from None


async def parse(request: web.Request, model: type[BaseModel], context: dict | None = None) -> BaseModel:
    """The request's body as `model`; no body or `null` is `{}`. `context`: what the model checks against (the
    screen, the limits: handling.validation_context)."""
    body = await read(request)
    return validated(model, b"{}" if body.strip() in NO_BODY else body, context)
