"""Who may call: a web page on another origin may not drive the desktop.

The daemon runs beside a browser that visits arbitrary sites, on loopback, often without a token. A page on
any origin can *send* requests there without asking anyone: a no-cors fetch or a beacon with a text/plain
body, a form posted into a hidden frame, a WebSocket. CORS only keeps the page from reading the answers,
and the Host check only stops DNS rebinding. So, before anything runs:

1. A request whose `Origin` is neither the daemon's own nor one admitted with --allow-origin is refused
   with 403, and so is one that names no origin but that the browser marks as sent for another site's page
   (`Sec-Fetch-Site: cross-site` or `same-site`: another port on localhost is the same site), unless it is
   a GET the page can only show.
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

# The content types a page may send to any origin without a preflight (the Fetch standard's safelist).
SAFELISTED_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
OTHER_SITES = frozenset({"cross-site", "same-site"})
PREFLIGHT_MAX_AGE_S = 600
NOT_ANOTHER_SITE = ("a page on another site may not drive this desktop "
                    "(admit a dashboard with --allow-origin, or send the token)")
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
    url = URL(text.strip()) if origin else None
    if url is None or url.path not in ("", "/") or url.query_string or url.fragment or url.user:
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


def only_shown(method: str, headers: Mapping[str, str]) -> bool:
    """Another site's page may show what a GET answers (an <img> of the MJPEG stream, a link followed, a frame) but
    never read it, and no GET route acts (the view page cannot be framed). A WebSocket opens with a GET, but acts."""
    return method in ("GET", "HEAD") and headers.get("Sec-Fetch-Mode", "").lower() != "websocket"


def refusal(method: str, headers: Mapping[str, str], own: str | None, allowed: frozenset[str],
            has_body: bool) -> ApiError | None:
    """Why a request a browser may have sent for another site's page is refused, or None if it is not."""
    if "Origin" in headers:
        origin = origin_of(headers["Origin"])
        if origin is None or (origin != own and origin not in allowed):
            return ApiError(403, f"requests from the web origin {headers['Origin']!r} are refused: {NOT_ANOTHER_SITE}")
    elif headers.get("Sec-Fetch-Site", "").lower() in OTHER_SITES and not only_shown(method, headers):
        return ApiError(403, f"requests a browser sends for another site's page are refused: {NOT_ANOTHER_SITE}")
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
    """Let a page send what it asks to (JSON bodies, the token, any method): the request itself is checked."""
    headers = {
        "Access-Control-Allow-Methods": request.headers["Access-Control-Request-Method"],
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
    }
    if asked := request.headers.get("Access-Control-Request-Headers"):
        headers["Access-Control-Allow-Headers"] = asked
    if request.headers.get("Access-Control-Request-Private-Network") == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    return web.Response(status=204, headers=headers)


ADMITTED = "xhands.origin.admitted"  # the request's key for the other origin whose page may read the answer


def middleware(allowed: frozenset[str], token_required: bool, holds_token: Callable[[web.Request], bool]):
    """The fences above. Pages of admitted origins may read the answers (CORS), and so may those of any origin
    that send the token: their preflights, which never carry it, are answered when there is a token to send."""

    @web.middleware
    async def check_origin(request: web.Request, handler):
        if not from_browser(request.headers):
            return await handler(request)  # curl, the SDKs: nothing a page could have sent
        sent = request.headers.get("Origin")
        trusted = holds_token(request)
        admitted = bool(sent) and (trusted or origin_of(sent) in allowed)
        if sent and is_preflight(request) and (admitted or token_required):
            request[ADMITTED] = sent
            return preflight(request)
        if not trusted and (error := refusal(request.method, request.headers,
                                             own_origin(request.scheme, request.host), allowed, request.body_exists)):
            return shaped(request.path, error)
        if admitted:
            request[ADMITTED] = sent
        return await handler(request)

    return check_origin


async def cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """An admitted page may read the answer (streams too: this runs as their headers are sent)."""
    if origin := request.get(ADMITTED):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.headers.add("Vary", "Origin")
