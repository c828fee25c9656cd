"""Kernel's computer controls: its routes over the registry's actions, and what to say about a path that is none.

Every action with a route is POST /computer/<route> and, for the SDKs, POST
/browsers/{id}/computer/<route> (the computer of that id
when there is one, else the daemon's own display: handling.computer_of); batch takes
`{"actions": [...]}`; PATCH .../display {width, height} resizes the screen. Single routes
answer as the reference server does: empty 200s, `{"ok": true}` for the cursor, JSON for data, the image's own bytes.
"""

import base64
import difflib
import re
from aiohttp import web

from ..actions import Image
from ..errors import ApiError
from ..http.handling import client_gone, computer_of, validation_context
from ..models import DisplaySize, SingleAction
from ..http.bodies import parse
from ..registry import ACTIONS, ActionSpec, BatchRequest

PREFIXES = ("/computer", "/browsers/{id}/computer")
OTHER_PATHS = ("/health", "/metrics", "/openapi.json", "/view")


# Single-action routes under each prefix, by path: the registry's actions that have one.
ROUTES = {spec.wire.route: spec for spec in ACTIONS.values() if spec.wire.route is not None}
OPERATIONS = ("batch", *ROUTES)
# Batch actions whose route is named otherwise: callers try POST /computer/type_text for the route /computer/type.
ROUTE_OF_ACTION = {spec.name: path for path, spec in ROUTES.items() if spec.name != path}
UNDER_A_PREFIX = re.compile(r"(/computer|/browsers/[^/]+/computer)/(.*)")


def unknown_route(method: str, path: str) -> str:
    """A 404's message: the route the caller most likely meant, if one is close."""
    said = f"no route {method} {path}"
    if path == "/":  # someone opened the daemon's address in a browser
        return f"{said}: the API is under /computer; /view shows the screen, /openapi.json lists the routes"
    if match := UNDER_A_PREFIX.fullmatch(path):
        prefix, operation = match.groups()
        if operation in ROUTE_OF_ACTION:
            return f"{said}: the route is {prefix}/{ROUTE_OF_ACTION[operation]} ({operation} is the batch action's name)"
        candidates = [f"{prefix}/{name}" for name in difflib.get_close_matches(operation, OPERATIONS, n=1)]
    else:
        candidates = difflib.get_close_matches(path, [*OTHER_PATHS, *(f"{PREFIXES[0]}/{name}" for name in OPERATIONS)], n=1)
    if candidates:
        return f"{said}; did you mean {candidates[0]}?"
    return f"{said}; /openapi.json lists the routes"


async def batch(request: web.Request) -> web.Response:
    batch_request = await parse(request, BatchRequest, validation_context(request))
    results = await computer_of(request).worker.run_actions(batch_request.actions, client_gone(request))
    return web.json_response({"results": [batch_result(result) for result in results]})


def batch_result(result) -> dict:
    if isinstance(result, Image):
        return {"mime_type": result.mime_type, "data": base64.b64encode(result.data).decode()}
    return result


async def run_single(request: web.Request, action: SingleAction):
    """Run one action; its result."""
    try:
        [result] = await computer_of(request).worker.run_actions([action], client_gone(request))
    except ApiError as error:
        for detail in error.details:
            detail.pop("target", None)  # a single-action route has no action index
        raise
    return result


def single(spec: ActionSpec):
    async def handle(request: web.Request) -> web.Response:
        params = await parse(request, spec.params, validation_context(request))
        result = await run_single(request, SingleAction(spec.name, params))
        if spec.wire.reply == "image":
            return web.Response(body=result.data, content_type=result.mime_type)
        if spec.wire.reply == "json":
            return web.json_response(result)
        if spec.wire.reply == "ok":
            return web.json_response({"ok": True})
        return web.Response(status=200)

    return handle


async def patch_display(request: web.Request) -> web.Response:
    """PATCH .../display {width, height}: resize the screen (on a server that can) and answer its new size."""
    size = await parse(request, DisplaySize)
    return web.json_response(await run_single(request, SingleAction("resize_screen", size)))


def add_routes(app: web.Application) -> None:
    for prefix in PREFIXES:
        app.router.add_patch(f"{prefix}/display", patch_display)
        app.router.add_post(f"{prefix}/batch", batch)
        for path, spec in ROUTES.items():
            app.router.add_post(f"{prefix}/{path}", single(spec))
