"""The aiohttp application: routes of the Kernel computer controls API over the worker."""

import base64
import hmac
import json
import logging
import time
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel, ValidationError

from input import Desktop

from . import metrics
from . import models as m
from .actions import Image
from .errors import ApiError, from_validation
from .openapi import openapi_document
from .worker import Worker

log = logging.getLogger(__name__)

PREFIXES = ("/computer", "/browsers/{id}/computer")
OPEN_PATHS = {"/health"}


@dataclass(frozen=True)
class Route:
    """A single-action route: which action it runs and how its result is answered."""

    action: str
    reply: str  # "empty", "ok", "json" or "image"


ROUTES = {
    "click_mouse": Route("click_mouse", "empty"),
    "move_mouse": Route("move_mouse", "empty"),
    "type": Route("type_text", "empty"),
    "press_key": Route("press_key", "empty"),
    "scroll": Route("scroll", "empty"),
    "drag_mouse": Route("drag_mouse", "empty"),
    "cursor": Route("set_cursor", "ok"),
    "screenshot": Route("screenshot", "image"),
    "get_mouse_position": Route("get_mouse_position", "json"),
    "clipboard/read": Route("read_clipboard", "json"),
    "clipboard/write": Route("write_clipboard", "empty"),
}


@dataclass
class Settings:
    token: str | None = None
    max_body: int = 1024 * 1024
    max_queue: int = 64
    batch_timeout_s: float = 120.0


def error_response(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers)


@web.middleware
async def error_middleware(request: web.Request, handler):
    started = time.perf_counter()
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
    try:
        response = await handler(request)
    except ApiError as error:
        response = error_response(error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(ApiError(exc.status, exc.reason))
    except Exception:
        log.exception("unhandled error on %s", request.path)
        response = error_response(ApiError(500, "internal error"))
    metrics.observe_request(route, response.status, time.perf_counter() - started)
    return response


def auth_middleware(token: str):
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def check_token(request: web.Request, handler):
        if request.path not in OPEN_PATHS:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                raise ApiError(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
        return await handler(request)

    return check_token


def validation_context(desktop: Desktop) -> dict:
    return {"screen": desktop.screen_size}


async def parse(request: web.Request, model: type[BaseModel]) -> BaseModel:
    body = await request.read()
    if not body.strip():
        body = b"{}"  # routes without parameters are called with no body at all
    try:
        with request.app["desktop"].guarded():
            context = validation_context(request.app["desktop"])
    except Exception as exc:
        raise ApiError(503, str(exc)) from None
    try:
        return model.model_validate_json(body, context=context)
    except ValidationError as exc:
        raise from_validation(exc) from None


def client_gone(request: web.Request):
    return lambda: request.transport is None or request.transport.is_closing()


async def batch(request: web.Request) -> web.Response:
    batch_request = await parse(request, m.BatchRequest)
    results = await request.app["worker"].run_actions(batch_request.actions, client_gone(request))
    return web.json_response({"results": [batch_result(result) for result in results]})


def batch_result(result) -> dict:
    if isinstance(result, Image):
        return {"mime_type": result.mime_type, "data": base64.b64encode(result.data).decode()}
    return result


def single(route: Route):
    params_model = m.PARAMS[route.action]

    async def handle(request: web.Request) -> web.Response:
        params = await parse(request, params_model)
        action = m.ComputerAction.model_construct(type=route.action, **{route.action: params})
        try:
            [result] = await request.app["worker"].run_actions([action], client_gone(request))
        except ApiError as error:
            for detail in error.details:
                detail.pop("target", None)  # a single-action route has no action index
            raise
        if route.reply == "image":
            return web.Response(body=result.data, content_type=result.mime_type)
        if route.reply == "json":
            return web.json_response(result)
        if route.reply == "ok":
            return web.json_response({"ok": True})
        return web.Response(status=200)

    return handle


async def health(request: web.Request) -> web.Response:
    desktop: Desktop = request.app["desktop"]
    alive = desktop.connection.is_alive()
    metrics.DISPLAY_UP.set(1 if alive else 0)
    if not alive:
        return web.json_response(
            {"status": "display_unavailable", "display": desktop.display_name}, status=503
        )
    width, height = desktop.screen_size
    return web.json_response(
        {"status": "ok", "display": desktop.display_name, "screen": {"width": width, "height": height}}
    )


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app["openapi"], dumps=lambda doc: json.dumps(doc, indent=None))


async def metrics_route(request: web.Request) -> web.Response:
    body, content_type = metrics.exposition(request.app["worker"].queue.qsize())
    return web.Response(body=body, headers={"Content-Type": content_type})


def create_app(desktop: Desktop, settings: Settings) -> web.Application:
    middlewares = [error_middleware]
    if settings.token:
        middlewares.append(auth_middleware(settings.token))
    app = web.Application(client_max_size=settings.max_body, middlewares=middlewares)
    app["desktop"] = desktop
    app["worker"] = Worker(desktop, settings.max_queue, settings.batch_timeout_s)
    app["openapi"] = openapi_document(ROUTES, PREFIXES[0])
    for prefix in PREFIXES:
        app.router.add_post(f"{prefix}/batch", batch)
        for path, route in ROUTES.items():
            app.router.add_post(f"{prefix}/{path}", single(route))
    app.router.add_get("/health", health)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/metrics", metrics_route)

    async def start_worker(app):
        app["worker"].start()

    async def stop_worker(app):
        await app["worker"].stop()
        desktop.close()

    app.on_startup.append(start_worker)
    app.on_shutdown.append(stop_worker)
    return app
