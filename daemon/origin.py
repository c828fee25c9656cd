"""Who may call: a web page on another origin may not drive the desktop.

The daemon runs beside a browser that visits arbitrary sites, on loopback, often without a token. A page on
any origin can *send* requests there without asking anyone: a no-cors fetch or a beacon with a text/plain
body, a form posted into a hidden frame, a WebSocket. CORS only keeps the page from reading the answers,
and the Host check only stops DNS rebinding. So, before anything runs:

1. A request whose `Origin` is neither the daemon's own nor one admitted with --allow-origin is refused
   with 403, and so is one the browser marks as sent by another site (`Sec-Fetch-Site: cross-site` or
   `same-site`: another port on localhost is the same site) when it names no origin.
2. For a browser that sends no `Origin`: a request from a browser (it carries `Origin` or a `Sec-Fetch-*`
   header) whose body is of a type a page may send anywhere without asking first (text/plain or a form
   type, or no type at all) is refused with 415. `curl -d` sends no browser headers and still works.

A request carrying the right token passes both: a page cannot forge it. Origins admitted on purpose also
get CORS answers (the preflight, Access-Control-Allow-Origin), so that a dashboard's page can read them.
"""

from collections.abc import Callable, Mapping

from aiohttp import web
from yarl import URL

from .dialects import anthropic, lightcone, mcp_route
from .errors import ApiError
from .streams import view

# The content types a page may send to any origin without a preflight (the Fetch standard's safelist).
SAFELISTED_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
OTHER_SITES = frozenset({"cross-site", "same-site"})
PREFLIGHT_MAX_AGE_S = 600
# The daemon's answers a dashboard's page may read besides the simple ones.
EXPOSED_HEADERS = "X-Request-Id, Mcp-Session-Id, Retry-After, Allow"


def origin_of(text: str) -> str | None:
    """An origin as browsers write it (lowercase, without a default port), or None if it names none
    (an opaque origin is sent as `null`)."""
    try:
        url = URL(text.strip())
    except ValueError:
        return None
    if url.scheme not in ("http", "https") or not url.host:
        return None
    return str(url.origin())


def allowed_origin(text: str) -> str:
    """An --allow-origin value: scheme://host[:port], nothing more."""
    origin = origin_of(text)
    if origin is None or URL(text.strip()).path not in ("", "/") or URL(text.strip()).query_string:
        raise ValueError(f"not an origin (scheme://host[:port], e.g. http://localhost:3000): {text!r}")
    return origin


def own_origin(scheme: str, host: str) -> str | None:
    return origin_of(f"{scheme}://{host}") if host else None


def from_browser(headers: Mapping[str, str]) -> bool:
    return "Origin" in headers or any(name.lower().startswith("sec-fetch-") for name in headers)


def sendable_anywhere(content_type: str | None, has_body: bool) -> bool:
    """Whether a page may send this body to another origin without a preflight."""
    if not content_type:
        return has_body
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence in SAFELISTED_TYPES


def opens_view(method: str, path: str, headers: Mapping[str, str]) -> bool:
    """A link to the view page followed from another site: a top-level navigation, which cannot read or act on
    the page (and the page itself cannot be framed)."""
    return (method == "GET" and path == view.PATH and headers.get("Sec-Fetch-Mode") == "navigate"
            and headers.get("Sec-Fetch-Dest") == "document")


def refusal(method: str, path: str, headers: Mapping[str, str], own: str | None, allowed: frozenset[str],
            has_body: bool) -> ApiError | None:
    """Why a request a browser may have sent for another site's page is refused, or None if it is not."""
    if "Origin" in headers:
        origin = origin_of(headers["Origin"])
        if origin is None or (origin != own and origin not in allowed):
            return ApiError(403, f"requests from the web origin {headers['Origin']!r} are refused: a page on another "
                            "site may not drive this desktop (admit a dashboard with --allow-origin, or send the token)")
    elif headers.get("Sec-Fetch-Site", "").lower() in OTHER_SITES and not opens_view(method, path, headers):
        return ApiError(403, "requests a browser sends for another site's page are refused: a page on another "
                        "site may not drive this desktop (admit a dashboard with --allow-origin, or send the token)")
    if from_browser(headers) and sendable_anywhere(headers.get("Content-Type"), has_body):
        return ApiError(415, "a browser's request must send its body as JSON, with Content-Type: application/json")
    return None


def shaped(path: str, error: ApiError) -> web.Response:
    """The refusal in the error shape of the dialect the path belongs to."""
    if path == mcp_route.PATH:  # the MCP transport's: a JSON-RPC error with no id
        body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": error.message}}
        return web.json_response(body, status=error.status)
    if path == "/computers" or path.startswith("/computers/"):
        return web.json_response(lightcone.envelope(None, "error", error=error.message), status=error.status)
    if path.startswith("/agents/anthropic/"):
        return anthropic.error_answer(error)
    raise error  # Kernel's shape, the core's: the error middleware writes it


def is_preflight(request: web.Request) -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def preflight(request: web.Request) -> web.Response:
    """Let an admitted origin's page send what it asks to: JSON bodies, the token, any method."""
    headers = {
        "Access-Control-Allow-Methods": request.headers["Access-Control-Request-Method"],
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
    }
    if asked := request.headers.get("Access-Control-Request-Headers"):
        headers["Access-Control-Allow-Headers"] = asked
    if request.headers.get("Access-Control-Request-Private-Network") == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    return web.Response(status=204, headers=headers)


def middleware(allowed: frozenset[str], trusted: Callable[[web.Request], bool]):
    """The fences above; `trusted` says whether a request carries the token."""

    @web.middleware
    async def check_origin(request: web.Request, handler):
        if request.headers.get("Origin") and origin_of(request.headers["Origin"]) in allowed and is_preflight(request):
            return preflight(request)  # a preflight never carries the token
        if not trusted(request):
            error = refusal(request.method, request.path, request.headers, own_origin(request.scheme, request.host),
                            allowed, request.body_exists)
            if error is not None:
                return shaped(request.path, error)
        return await handler(request)

    return check_origin


async def cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer to an admitted origin says it may read it (streams too: this runs as headers are sent)."""
    origin = request.headers.get("Origin")
    if origin and origin_of(origin) in request.app["settings"].allowed_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.headers.add("Vary", "Origin")
