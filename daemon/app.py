"""The aiohttp application: settings, the middlewares every route passes (errors, metrics, origin, token, Host),
/health, /metrics and /openapi.json, the dialects' routes over the computers (the daemon's own display, `local`,
and those Lightcone's POST /computers starts), and the order it all stops in."""

import asyncio
import functools
import hmac
import json
import logging
import time
from dataclasses import dataclass

from aiohttp import web

from xhands.input import Desktop, DisplayUnavailable

from . import models as m
from . import origin
from .http.bodies import too_large
from .dialects import anthropic, kernel, lightcone, lightcone_computers, lightcone_ws, mcp_route, openai
from .errors import ApiError
from .computer import Computer
from .computers import LOCAL, Computers
from .http.app_keys import COMPUTERS, SETTINGS, STREAMS_CLOSING
from .openapi import openapi_document
from .ops import logs, metrics
from .recording import routes as recording
from .streams import events, screencast, view

log = logging.getLogger(__name__)

OPENAPI = web.AppKey("openapi", dict)
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
    # Web origins whose pages may call, besides the daemon's own (origin.py); the token is still required.
    allowed_origins: frozenset[str] = frozenset()
    # The daemon's URL as others reach it (behind a proxy, a tunnel): the base of the URLs it hands out.
    public_url: str | None = None
    recordings_dir: str | None = None  # None: a private directory of its own, removed at shutdown
    max_recordings_mb: int = 2000  # the disk budget of all recordings together
    keep_recordings: bool = False  # leave the recordings' files at shutdown
    clipboard_timeout_s: float = 3.0
    # Computers POST /computers may start beside the daemon's own display (0: it answers that display).
    max_computers: int = 0
    xserver: str = "xvfb"  # the computers' X server, a name of ops/xvfb.SERVERS
    computer_command: str | None = None  # run on every computer started, with its DISPLAY
    allow_exec: bool = False  # exec runs shell commands: off unless asked for
    max_exec: int = 4
    cdp_url: str | None = None  # the DevTools of a Chromium on the daemon's display: its browser calls (--cdp)
    browser: str | None = None  # the browser kind "browser" computers start (--browser); None: chromium on PATH

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
        message = too_large(request.app[SETTINGS].max_body).message
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


def token_holder(token: str | None):
    """Whether a request carries the bearer token (never, when there is none)."""
    expected = token.encode() if token else None

    def holds(request: web.Request) -> bool:
        given = bearer_token(request.headers.get("Authorization", ""))
        return expected is not None and given is not None and hmac.compare_digest(given, expected)

    return holds


def auth_middleware(token: str):
    holds_token = token_holder(token)

    @web.middleware
    async def check_token(request: web.Request, handler):
        if request.path not in OPEN_PATHS and not holds_token(request):
            raise ApiError(401, "missing or wrong bearer token: send the header `Authorization: Bearer <token>`, "
                           "the daemon's --token (XHANDS_TOKEN)", headers={"WWW-Authenticate": "Bearer"})
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


async def display_answers(desktop: Desktop) -> tuple[int, int] | str:
    """The screen's size if the X server answers within its probe's time limit (one round trip off the event
    loop), else why not. Once the server has answered, the daemon's own connection is checked (reconnected after
    a restart of the server): a round trip that cannot wait long."""
    try:
        size = await desktop.probe.screen_size()
        if not desktop.connection.is_alive():
            size = f"cannot reach display {desktop.display_name}"
    except DisplayUnavailable as exc:
        size = str(exc)
    except TimeoutError:
        size = f"display {desktop.display_name} did not answer within {desktop.probe.timeout_s:g} s"
    metrics.DISPLAY_UP.set(0 if isinstance(size, str) else 1)
    return size


async def health(request: web.Request) -> web.Response:
    desktop = request.app[COMPUTERS].local.desktop
    size = await display_answers(desktop)
    if isinstance(size, str):
        return web.json_response({"status": "display_unavailable", "display": desktop.display_name, "message": size},
                                 status=503)
    width, height = size
    return web.json_response(
        {"status": "ok", "display": desktop.display_name, "screen": {"width": width, "height": height}}
    )


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI], dumps=lambda doc: json.dumps(doc, indent=None))


async def metrics_route(request: web.Request) -> web.Response:
    local = request.app[COMPUTERS].local
    await display_answers(local.desktop)
    body, content_type = metrics.exposition(local.worker.waiting)
    return web.Response(body=body, headers={"Content-Type": content_type})


def create_app(desktop: Desktop, settings: Settings) -> web.Application:
    middlewares = [logs.request_id_middleware, error_middleware,
                   origin.middleware(settings.allowed_origins, bool(settings.token),
                                     token_holder(settings.token))]
    if settings.token:
        middlewares.append(auth_middleware(settings.token))
    elif settings.check_host:
        middlewares.append(host_middleware(LOOPBACK_NAMES | settings.allowed_hosts))
    app = web.Application(client_max_size=settings.max_body, middlewares=middlewares)
    app[SETTINGS] = settings
    app[COMPUTERS] = Computers(Computer.on(LOCAL, desktop, settings.max_queue, settings.batch_timeout_s,
                                           settings.hold_timeout_s), settings)
    app[OPENAPI] = openapi_document(settings.limits)
    app[STREAMS_CLOSING] = asyncio.Event()
    app.on_response_prepare.append(origin.cors_headers)
    kernel.add_routes(app)
    anthropic.add_routes(app)
    openai.add_routes(app)
    lightcone.add_routes(app)
    lightcone_computers.add_routes(app)
    app.router.add_get("/health", health)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/metrics", metrics_route)
    events.add_routes(app)
    screencast.add_routes(app)
    recording.add_routes(app)  # after the screencast's: recordings are viewers of its frames
    view.add_routes(app)
    mcp_route.add_routes(app)
    lightcone_ws.add_routes(app)
    app.cleanup_ctx.append(lifetime)
    app.on_shutdown.append(shutdown)
    return app


async def lifetime(app: web.Application):
    """The local computer's worker runs from start-up on; every computer closes (programs, X servers, displays)
    once the last request has ended."""
    app[COMPUTERS].local.start()
    yield
    await app[COMPUTERS].close()


async def shutdown(app: web.Application) -> None:
    """Stopping, in this order. aiohttp runs this once the listeners are closed and before it gives the requests
    still open their last second (the shutdown timeout), so they are answered rather than cut off."""
    await app[recording.RECORDINGS].close()  # first: a recording is finished while the frames still come
    app[STREAMS_CLOSING].set()  # every stream ends at its next look
    # On every computer, the running action aborted (its request answered 503), the queued failed, all released;
    # event viewers end at once, with the events of what was aborted.
    await app[COMPUTERS].halt()
    await app[mcp_route.ROUTE].stop()  # the sessions end, and their streams with them: nothing waits for an action
    await lightcone_ws.close_sockets(app)  # each socket's running action has been answered
