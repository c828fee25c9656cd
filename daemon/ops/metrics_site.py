"""The metrics listener of `--metrics-port`: GET /metrics and GET /health, never a token.

Prometheus scrape annotations and kubelet probes cannot send a bearer token, so these
two read-only routes get a listener of their own, which may face the cluster network
while the API stays behind its token. Nothing else is served here: every other path
and method is a 404 in the API's error shape.
"""

from aiohttp import web

from xhands.daemon.app import error_middleware, health, metrics_route
from xhands.daemon.http.app_keys import COMPUTERS

from . import logs


async def not_here(request: web.Request) -> web.Response:
    raise web.HTTPNotFound(reason="only GET /metrics and GET /health are served on the metrics port")


def create_metrics_app(api: web.Application) -> web.Application:
    """The API application's own health and metrics handlers, over its computers."""
    app = web.Application(middlewares=[logs.request_id_middleware, error_middleware])
    app[COMPUTERS] = api[COMPUTERS]
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics_route)
    app.router.add_route("*", "/{path:.*}", not_here)  # also POST /metrics: a 404, not a 405 naming GET
    return app
