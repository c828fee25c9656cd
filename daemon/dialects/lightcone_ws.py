"""Lightcone's action channel, GET /computers/{id}/ws: a WebSocket for callers that send many small actions.

Each text message is one request and gets one ActionResult back, in the order sent: `{"request_id": ...,
"action": {...}}` (an execute body), `{"actions": [...]}` (a batch body, answered with `results`) in Lightcone's
shape, or a batch of Kernel's actions (`{"type": "click_mouse", "click_mouse": {...}}`). They run through the
same worker and queue as every route, after the same origin, token and Host checks (made on the upgrade request).
A message that cannot be run is answered with an error result, and the socket stays open.
"""

import logging
import uuid
import weakref

from aiohttp import WSCloseCode, WSMsgType, web

from ..apidoc import document
from ..errors import ApiError
from ..http.app_keys import SETTINGS
from ..http.bodies import decode, validated
from ..http.handling import computer_of, validation_context
from ..ops import logs
from ..registry import ACTIONS, BatchRequest
from .agents import run
from .kernel import batch_result
from .lightcone import Action, ActionResult, answers_action_result, envelope, run_batch, run_one

log = logging.getLogger(__name__)

# Kernel's action types that Lightcone has none of the same name: a batch with one of them is Kernel's.
KERNEL_ONLY = frozenset(ACTIONS) - {"scroll", "screenshot"}
SOCKETS = web.AppKey("lightcone_sockets", weakref.WeakSet)  # the open ones, closed at shutdown
SHAPES = 'each message is {"action": {...}} or {"actions": [...]}, as JSON text'


def is_kernel_action(action) -> bool:
    """Kernel's actions carry their parameters under their type's name; Lightcone's beside it."""
    return isinstance(action, dict) and (isinstance(action.get(action.get("type")), dict) or action.get("type") in KERNEL_ONLY)


async def run_kernel_batch(request: web.Request, actions: list, request_id: str) -> dict:
    batch = validated(BatchRequest, {"actions": actions}, validation_context(request))
    results = await run(request, batch.actions, [request_id] * len(batch.actions))
    return {**envelope(request_id, "success"),
            "results": [envelope(request_id, "success", result=batch_result(one)) for one in results]}


async def answer(request: web.Request, message: dict, request_id: str) -> dict:
    """The ActionResult of one message."""
    if isinstance(message.get("action"), dict):
        return await run_one(request, validated(Action, message["action"]), request_id)
    actions = message.get("actions")
    if isinstance(actions, list) and any(map(is_kernel_action, actions)):
        return await run_kernel_batch(request, actions, request_id)
    if "actions" in message:
        return await run_batch(request, actions, request_id)
    raise ApiError(400, SHAPES)


async def reply_to(request: web.Request, text: str) -> dict:
    """The ActionResult of one message, errors too, echoing its request_id when it has one."""
    try:
        message = decode(text)
    except ApiError as error:
        return envelope(None, "error", error=f"the message is not a JSON object ({error.message}): {SHAPES}")
    if not isinstance(message, dict):
        return envelope(None, "error", error=f"the message is not a JSON object: {SHAPES}")
    # Without a request_id of the caller's, a message's actions are the upgrade request's, in its events too.
    given = message.get("request_id")
    if given is not None and not isinstance(given, str):
        return envelope(None, "error", error="request_id: Input should be a valid string")
    request_id = given or logs.request_id.get() or uuid.uuid4().hex
    try:
        return await answer(request, message, request_id)
    except ApiError as error:
        return envelope(request_id, "error", error=error.message)
    except Exception:  # answered like any other failure: the socket, and the caller's other messages, go on
        log.exception("unhandled error on a WebSocket message")
        return envelope(request_id, "error", error="internal error")


async def action_channel(request: web.Request) -> web.WebSocketResponse:
    computer_of(request)  # an unknown computer is a 404, not a socket whose every message fails
    socket = web.WebSocketResponse(max_msg_size=request.app[SETTINGS].max_body)
    await socket.prepare(request)
    request.app[SOCKETS].add(socket)
    try:
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                # In this task, as an HTTP request's actions run in its own (no task per message: one more turn
                # of the event loop). At shutdown the worker cancels the action, and this answers it.
                await socket.send_json(await reply_to(request, message.data))
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


document("get", "/computers/{id}/ws", "lightcone_ws",
         f"WebSocket (upgrade): one ActionResult per text message, in order; {SHAPES}; a bad one gets an error result",
         reply={"description": "Switching Protocols: the WebSocket"}, error=ActionResult, error_statuses=(400, 404))
