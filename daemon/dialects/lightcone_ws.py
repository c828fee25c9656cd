"""Lightcone's action channel, GET /computers/{id}/ws: a WebSocket for callers that send many small actions.

Each text message is one request and gets one ActionResult back, in the order sent: `{"request_id": ...,
"action": {...}}` (an execute body), `{"actions": [...]}` (a batch body, answered with `results`) in Lightcone's
shape, or a batch of Kernel's actions (`{"type": "click_mouse", "click_mouse": {...}}`). They run through the
same worker and queue as every route, after the same origin, token and Host checks (made on the upgrade request).
A message that cannot be run is answered with an error result, and the socket stays open.
"""

import asyncio
import json
import weakref

from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import ValidationError

from ..errors import ApiError, from_validation
from ..http.app_keys import SETTINGS
from ..http.handling import computer_of, validation_context
from ..registry import ACTIONS, BatchRequest
from .agents import run
from .kernel import batch_result
from .lightcone import answers_action_result, envelope, parse_action, run_batch, run_one

# Kernel's action types that Lightcone has none of the same name: a batch with one of them is Kernel's.
KERNEL_ONLY = frozenset(ACTIONS) - {"scroll", "screenshot"}
SOCKETS = web.AppKey("lightcone_sockets", weakref.WeakSet)  # the open ones, closed at shutdown
SHAPES = 'each message is {"action": {...}} or {"actions": [...]}, as JSON text'


def is_kernel_action(action) -> bool:
    """Kernel's actions carry their parameters under their type's name; Lightcone's beside it."""
    return isinstance(action, dict) and (isinstance(action.get(action.get("type")), dict) or action.get("type") in KERNEL_ONLY)


async def run_kernel_batch(request: web.Request, actions: list) -> dict:
    try:
        batch = BatchRequest.model_validate({"actions": actions}, context=validation_context(request))
    except ValidationError as exc:
        raise from_validation(exc, {"actions": actions}) from None
    results = await run(request, batch.actions)
    return {**envelope(None, "success"), "results": [envelope(None, "success", result=batch_result(one)) for one in results]}


async def answer(request: web.Request, message: dict) -> dict:
    """The ActionResult of one message."""
    if isinstance(message.get("action"), dict):
        return await run_one(request, parse_action({"request_id": message.get("request_id"), **message["action"]}))
    actions = message.get("actions")
    if isinstance(actions, list) and any(map(is_kernel_action, actions)):
        result = await run_kernel_batch(request, actions)
    elif "actions" in message:
        result = await run_batch(request, actions)
    else:
        raise ApiError(400, SHAPES)
    return {**result, "request_id": message.get("request_id") or result["request_id"]}


async def reply_to(request: web.Request, text: str) -> dict:
    """The ActionResult of one message, errors too, echoing its request_id when it has one."""
    try:
        message = json.loads(text)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        return envelope(None, "error", error=f"the message is not a JSON object: {SHAPES}")
    request_id = message.get("request_id") if isinstance(message.get("request_id"), str) else None
    try:
        return await answer(request, message)
    except ApiError as error:
        return envelope(request_id, "error", error=error.message)


async def action_channel(request: web.Request) -> web.WebSocketResponse:
    computer_of(request)  # an unknown computer is a 404, not a socket whose every message fails
    socket = web.WebSocketResponse(max_msg_size=request.app[SETTINGS].max_body)
    await socket.prepare(request)
    request.app[SOCKETS].add(socket)
    try:
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                # A task of its own: at shutdown the worker cancels and awaits the task running an action,
                # which must end with that action, not with the socket.
                await socket.send_json(await asyncio.create_task(reply_to(request, message.data)))
            elif message.type == WSMsgType.BINARY:
                await socket.send_json(envelope(None, "error", error=f"binary messages are not read: {SHAPES}"))
    finally:
        request.app[SOCKETS].discard(socket)
    return socket


async def close_sockets(app: web.Application) -> None:
    """On shutdown, once the worker has answered what they were running: an open socket would otherwise hold the
    daemon's exit up until the shutdown timeout."""
    for socket in list(app[SOCKETS]):
        await socket.close(code=WSCloseCode.GOING_AWAY, message=b"the daemon is shutting down")


def add_routes(app: web.Application) -> None:
    app[SOCKETS] = weakref.WeakSet()
    app.router.add_get("/computers/{id}/ws", answers_action_result(action_channel))
