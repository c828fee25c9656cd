"""The aiohttp application: settings, the middlewares every route passes (errors, metrics, token, Host),
/health, /metrics and /openapi.json, and the dialects' routes over one worker."""

import asyncio
import functools
import hmac
import json
import logging
import time
from dataclasses import dataclass

from aiohttp import web

from xhands.input import Desktop

from . import models as m
from .dialects import anthropic, kernel, lightcone, lightcone_ws, mcp_route, openai
from .errors import ApiError
from .openapi import openapi_document
from .ops import logs, metrics
from .streams import events, screencast, view
from .worker import Worker

log = logging.getLogger(__name__)

OPEN_PATHS = {"/health", view.PATH}  # the view page holds no secret: it asks for the token
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass
class Settings:
    token: str | None = None
    max_body: int = 1024 * 1024
    max_queue: int = 64
    batch_timeout_s: float = 120.0
    hold_timeout_s: float = 60.0  # keys and buttons held across actions are released after this long without one
    max_text: int = m.MAX_TEXT
    max_path: int = m.MAX_PATH
    # Host header names accepted without a token, besides loopback names and the address we listen on.
    allowed_hosts: frozenset[str] = frozenset()
    check_host: bool = True

    @functools.cached_property  # read by every request's validation
    def limits(self) -> dict[str, int]:
        """The configurable limits models.WithinLimit checks, by name."""
        return {"max_text": self.max_text, "max_path": self.max_path}


def error_response(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers)


def from_http_exception(exc: web.HTTPException, request: web.Request) -> ApiError:
    """aiohttp's own errors (no route, wrong method, body too big) in the Error shape, saying what to do instead."""
    if isinstance(exc, web.HTTPNotFound):
        message = kernel.unknown_route(request.method, request.path)
    elif isinstance(exc, web.HTTPMethodNotAllowed):
        message = f"{request.method} is not allowed on {request.path}; use {', '.join(sorted(exc.allowed_methods))}"
    elif isinstance(exc, web.HTTPRequestEntityTooLarge):
        limit = request.app["settings"].max_body
        message = f"request body is larger than the limit of {limit:,} bytes (raise it with --max-body)"
    else:
        message = exc.reason
    # Keep headers such as Allow; the content type is ours now.
    headers = {name: value for name, value in exc.headers.items() if name.lower() != "content-type"}
    return ApiError(exc.status, message, headers=headers)


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
        response = error_response(from_http_exception(exc, request))
    except Exception:
        log.exception("unhandled error on %s", request.path)
        response = error_response(ApiError(500, "internal error"))
    metrics.observe_request(route, response.status, time.perf_counter() - started)
    return response


def bearer_token(authorization: str) -> bytes | None:
    """The credentials of `Bearer <token>`; the scheme is case-insensitive (RFC 7235)."""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    # Header values reach us decoded with surrogateescape: encode them back to the bytes sent.
    return credentials.lstrip(" ").encode("utf-8", "surrogateescape")


def auth_middleware(token: str):
    expected = token.encode()

    @web.middleware
    async def check_token(request: web.Request, handler):
        if request.path not in OPEN_PATHS:
            given = bearer_token(request.headers.get("Authorization", ""))
            if given is None or not hmac.compare_digest(given, expected):
                raise ApiError(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
        return await handler(request)

    return check_token


def host_name(host_header: str) -> str:
    """'127.0.0.1:10001' -> '127.0.0.1', '[::1]:80' -> '::1'."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def host_middleware(allowed: frozenset[str]):
    """Refuse requests whose Host is not ours: a page in the controlled browser could otherwise
    reach the daemon through DNS rebinding on localhost. (With a token, the page cannot forge it.)"""

    @web.middleware
    async def check_host(request: web.Request, handler):
        if host_name(request.headers.get("Host", "")).lower() not in allowed:
            raise ApiError(403, "Host header not allowed; add it with --allow-host")
        return await handler(request)

    return check_host


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
    alive = request.app["desktop"].connection.is_alive()
    body, content_type = metrics.exposition(request.app["worker"].waiting, alive)
    return web.Response(body=body, headers={"Content-Type": content_type})


def create_app(desktop: Desktop, settings: Settings) -> web.Application:
    middlewares = [logs.request_id_middleware, error_middleware]
    if settings.token:
        middlewares.append(auth_middleware(settings.token))
    elif settings.check_host:
        middlewares.append(host_middleware(LOOPBACK_NAMES | settings.allowed_hosts))
    app = web.Application(client_max_size=settings.max_body, middlewares=middlewares)
    app["settings"] = settings
    app["desktop"] = desktop
    app["worker"] = Worker(desktop, settings.max_queue, settings.batch_timeout_s, settings.hold_timeout_s)
    app["openapi"] = openapi_document(settings.limits)
    app["streams_closing"] = asyncio.Event()  # set on shutdown: every open stream ends (streams/sse.py)
    kernel.add_routes(app)
    anthropic.add_routes(app)
    openai.add_routes(app)
    lightcone.add_routes(app)
    app.router.add_get("/health", health)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/metrics", metrics_route)

    async def start_worker(app):
        app["worker"].start()

    async def stop_worker(app):
        await app["worker"].stop()

    async def close_display(app):
        desktop.close()

    async def close_streams(app):
        app["streams_closing"].set()

    app.on_startup.append(start_worker)
    app.on_shutdown.append(close_streams)
    app.on_shutdown.append(stop_worker)
    app.on_cleanup.append(close_display)
    events.add_routes(app)  # after close_streams: see add_routes
    screencast.add_routes(app)
    view.add_routes(app)
    mcp_route.add_routes(app)  # after the worker's hooks: see add_routes
    lightcone_ws.add_routes(app)  # its sockets close once the worker has aborted their actions
    return app
