"""A typed client for the xhands HTTP API, blocking (`Client`) and asyncio (`AsyncClient`).

    from daemon.client import Action, Client

    with Client("http://127.0.0.1:10001") as xh:
        xh.click_mouse(100, 200)
        xh.type_text("hello\\n")
        xh.press_key("Ctrl+a")
        png = xh.screenshot()
        xh.batch([Action.move_mouse(10, 10), Action.get_mouse_position()])  # [None, Position(x=10, y=10)]

`AsyncClient` has the same methods as coroutines. The URL may also be
`unix:/path/to/socket` for a daemon started with `--unix-socket`. Parameters
left as None are not sent, so the server's defaults apply (see the seeds and
/openapi.json). Failures raise `ApiError` (the server's error, with its code,
message, details and request id) or `Unreachable` (no daemon answered).

Only the standard library (blocking) and aiohttp (asyncio) are used, and
nothing of the daemon's X side is imported: the client runs anywhere.
"""

from __future__ import annotations

import base64
import http.client
import inspect
import json
import os
import select
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, Literal, ParamSpec, TypeVar
from urllib.parse import urlsplit

DEFAULT_URL = "http://127.0.0.1:10001"
PREFIX = "/computer"

Button = Literal["left", "right", "middle", "back", "forward"]
ClickType = Literal["down", "up", "click"]
Point = tuple[int, int] | Sequence[int]


@dataclass(frozen=True)
class Position:
    x: int
    y: int


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Health:
    ok: bool
    status: str
    display: str | None
    screen: tuple[int, int] | None  # width, height; None when the display is down


BatchResult = None | Position | str | bytes  # nothing, a position, clipboard text, or PNG bytes


class ApiError(Exception):
    """The daemon answered with an error (the seeds' Error schema)."""

    def __init__(self, status: int, code: str, message: str, details: list[dict] | None = None, request_id: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.details = details or []
        self.request_id = request_id

    @property
    def target(self) -> str | None:
        """The JSON path of the offending field or action, when the daemon named one."""
        return next((d["target"] for d in self.details if d.get("target")), None)


class Unreachable(ConnectionError):
    """No daemon answered at the URL."""


def _params(**fields: Any) -> dict:
    """The fields that were given; None means 'not sent, server default'."""
    out = {}
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, Region):
            value = value.__dict__.copy()
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


def _keys(keys: Sequence[str] | None) -> list[str] | None:
    return None if keys is None else list(keys)


class Action:
    """Builders for batch actions: each returns `{"type": T, T: {...}}`."""

    @staticmethod
    def click_mouse(x: int, y: int, *, button: Button | None = None, click_type: ClickType | None = None,
                    num_clicks: int | None = None, hold_keys: Sequence[str] | None = None, smooth: bool | None = None) -> dict:
        return _action("click_mouse", x=x, y=y, button=button, click_type=click_type, num_clicks=num_clicks,
                       hold_keys=_keys(hold_keys), smooth=smooth)

    @staticmethod
    def move_mouse(x: int, y: int, *, smooth: bool | None = None, duration_ms: int | None = None,
                   hold_keys: Sequence[str] | None = None) -> dict:
        return _action("move_mouse", x=x, y=y, smooth=smooth, duration_ms=duration_ms, hold_keys=_keys(hold_keys))

    @staticmethod
    def type_text(text: str, *, delay: int | None = None, smooth: bool | None = None, typo_chance: float | None = None) -> dict:
        return _action("type_text", text=text, delay=delay, smooth=smooth, typo_chance=typo_chance)

    @staticmethod
    def press_key(*keys: str, duration: int | None = None, hold_keys: Sequence[str] | None = None) -> dict:
        return _action("press_key", keys=list(keys), duration=duration, hold_keys=_keys(hold_keys))

    @staticmethod
    def scroll(x: int, y: int, *, delta_x: int | None = None, delta_y: int | None = None,
               hold_keys: Sequence[str] | None = None) -> dict:
        return _action("scroll", x=x, y=y, delta_x=delta_x, delta_y=delta_y, hold_keys=_keys(hold_keys))

    @staticmethod
    def drag_mouse(path: Sequence[Point], *, button: Button | None = None, smooth: bool | None = None,
                   duration_ms: int | None = None, delay: int | None = None, steps_per_segment: int | None = None,
                   step_delay_ms: int | None = None, hold_keys: Sequence[str] | None = None) -> dict:
        return _action("drag_mouse", path=[list(point) for point in path], button=button, smooth=smooth,
                       duration_ms=duration_ms, delay=delay, steps_per_segment=steps_per_segment,
                       step_delay_ms=step_delay_ms, hold_keys=_keys(hold_keys))

    @staticmethod
    def set_cursor(hidden: bool) -> dict:
        return _action("set_cursor", hidden=hidden)

    @staticmethod
    def sleep(duration_ms: int) -> dict:
        return _action("sleep", duration_ms=duration_ms)

    @staticmethod
    def write_clipboard(text: str) -> dict:
        return _action("write_clipboard", text=text)

    @staticmethod
    def read_clipboard() -> dict:
        return {"type": "read_clipboard"}

    @staticmethod
    def screenshot(region: Region | None = None) -> dict:
        return _action("screenshot", region=region) if region else {"type": "screenshot"}

    @staticmethod
    def get_mouse_position() -> dict:
        return {"type": "get_mouse_position"}


def _action(kind: str, **fields: Any) -> dict:
    return {"type": kind, kind: _params(**fields)}


# --- what each call sends and how its answer is read -------------------------------------------

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    request_id: str | None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    body: dict | None
    read: Callable[[Reply], T]
    accept: tuple[int, ...] = (200,)


def _nothing(reply: Reply) -> None:
    return None


def _png(reply: Reply) -> bytes:
    return reply.body


def _position(reply: Reply) -> Position:
    data = reply.json()
    return Position(data["x"], data["y"])


def _text(reply: Reply) -> str:
    return reply.json()["text"]


def _batch_result(item: dict) -> BatchResult:
    if "data" in item:
        return base64.b64decode(item["data"])
    if "x" in item and "y" in item:
        return Position(item["x"], item["y"])
    if "text" in item:
        return item["text"]
    return None


def _batch(reply: Reply) -> list[BatchResult]:
    return [_batch_result(item) for item in reply.json()["results"]]


def _health(reply: Reply) -> Health:
    data = reply.json()
    screen = data.get("screen")
    return Health(reply.status == 200 and data.get("status") == "ok", data.get("status", ""), data.get("display"),
                  (screen["width"], screen["height"]) if screen else None)


def _route(build: Callable[P, dict], path: str, read: Callable[[Reply], T]) -> Callable[P, Call[T]]:
    """A single-action route whose body is the parameters of the batch action `build` makes."""

    def call(*args: P.args, **kwargs: P.kwargs) -> Call[T]:
        action = build(*args, **kwargs)
        return Call("POST", f"{PREFIX}/{path}", action.get(action["type"], {}), read)

    call.__doc__ = f"POST {PREFIX}/{path}"
    call.__name__ = build.__name__
    call.__signature__ = inspect.signature(build).replace(return_annotation=inspect.Signature.empty)  # type: ignore[attr-defined]
    return call


def _method(method, make):
    """Give a client method the call's signature (with self) and doc, for help() and editors."""
    signature = inspect.signature(make)
    self_ = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    method.__signature__ = signature.replace(parameters=[self_, *signature.parameters.values()],
                                             return_annotation=inspect.Signature.empty)
    method.__doc__ = make.__doc__
    method.__name__ = make.__name__.strip("_").removesuffix("_call")
    return method


def _batch_call(actions: Sequence[dict]) -> Call[list[BatchResult]]:
    """POST /computer/batch: the actions (see `Action`) in order; one result per action."""
    return Call("POST", f"{PREFIX}/batch", {"actions": list(actions)}, _batch)


def _health_call() -> Call[Health]:
    """GET /health; a display that is down is Health(ok=False), not an error."""
    return Call("GET", "/health", None, _health, accept=(200, 503))


def _metrics_call() -> Call[str]:
    """GET /metrics: the Prometheus text."""
    return Call("GET", "/metrics", None, lambda reply: reply.body.decode())


_click_mouse = _route(Action.click_mouse, "click_mouse", _nothing)
_move_mouse = _route(Action.move_mouse, "move_mouse", _nothing)
_type_text = _route(Action.type_text, "type", _nothing)
_press_key = _route(Action.press_key, "press_key", _nothing)
_scroll = _route(Action.scroll, "scroll", _nothing)
_drag_mouse = _route(Action.drag_mouse, "drag_mouse", _nothing)
_set_cursor = _route(Action.set_cursor, "cursor", _nothing)
_screenshot = _route(Action.screenshot, "screenshot", _png)
_get_mouse_position = _route(Action.get_mouse_position, "get_mouse_position", _position)
_read_clipboard = _route(Action.read_clipboard, "clipboard/read", _text)
_write_clipboard = _route(Action.write_clipboard, "clipboard/write", _nothing)


def _error(reply: Reply) -> ApiError:
    try:
        data = reply.json()
        return ApiError(reply.status, data["code"], data["message"], data.get("details"), reply.request_id)
    except (ValueError, KeyError, TypeError):
        text = reply.body[:200].decode(errors="replace")
        return ApiError(reply.status, "http_error", text or f"HTTP {reply.status}", None, reply.request_id)


def _finish(call: Call[T], reply: Reply) -> T:
    if reply.status not in call.accept:
        raise _error(reply)
    return call.read(reply)


class _Base:
    def __init__(self, url: str = DEFAULT_URL, *, token: str | None = None, timeout: float = 150.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        parts = urlsplit(self.url)
        if parts.scheme == "unix":
            self._unix_socket: str | None = parts.path
            self._host, self._port, self._tls = "localhost", None, False
        elif parts.scheme in ("http", "https"):
            self._unix_socket = None
            self._host, self._port, self._tls = parts.hostname or "127.0.0.1", parts.port, parts.scheme == "https"
        else:
            raise ValueError(f"xhands URL must be http://, https:// or unix:/path, not {url!r}")

    @classmethod
    def from_env(cls, **kwargs):
        """Configured by XHANDS_URL (default http://127.0.0.1:10001) and XHANDS_TOKEN."""
        return cls(os.environ.get("XHANDS_URL") or DEFAULT_URL, token=os.environ.get("XHANDS_TOKEN") or None, **kwargs)

    def _headers(self, call: Call) -> dict[str, str]:
        headers = {"Accept": "application/json, image/png"}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


def _sync(make: Callable[P, Call[T]]) -> Callable[Concatenate[Client, P], T]:
    def method(self: Client, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._send(make(*args, **kwargs))

    return _method(method, make)


def _async(make: Callable[P, Call[T]]) -> Callable[Concatenate[AsyncClient, P], Awaitable[T]]:
    async def method(self: AsyncClient, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._send(make(*args, **kwargs))

    return _method(method, make)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class Client(_Base):
    """Blocking client; one kept-alive connection, so use it from one thread at a time."""

    _conn: http.client.HTTPConnection | None = None

    click_mouse = _sync(_click_mouse)
    move_mouse = _sync(_move_mouse)
    type_text = _sync(_type_text)
    press_key = _sync(_press_key)
    scroll = _sync(_scroll)
    drag_mouse = _sync(_drag_mouse)
    set_cursor = _sync(_set_cursor)
    screenshot = _sync(_screenshot)
    get_mouse_position = _sync(_get_mouse_position)
    read_clipboard = _sync(_read_clipboard)
    write_clipboard = _sync(_write_clipboard)
    batch = _sync(_batch_call)
    health = _sync(_health_call)
    metrics = _sync(_metrics_call)

    def _connection(self) -> http.client.HTTPConnection:
        conn = self._conn
        if conn is not None and conn.sock is not None:
            readable, _, _ = select.select([conn.sock], [], [], 0)
            if readable:  # an idle kept-alive connection the server closed: never resend a request on it
                conn.close()
        if conn is None:
            if self._unix_socket:
                conn = _UnixConnection(self._unix_socket, self.timeout)
            elif self._tls:
                conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout)
            else:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
            self._conn = conn
        return conn

    def _send(self, call: Call[T]) -> T:
        conn = self._connection()
        body = None if call.body is None else json.dumps(call.body).encode()
        try:
            conn.request(call.method, call.path, body=body, headers=self._headers(call))
            response = conn.getresponse()
            data = response.read()
        except OSError as exc:  # refused, reset, timed out
            self.close()
            raise Unreachable(f"no answer from xhands at {self.url}: {exc}") from exc
        except http.client.HTTPException as exc:
            self.close()
            raise Unreachable(f"broken answer from xhands at {self.url}: {exc!r}") from exc
        reply = Reply(response.status, response.getheader("Content-Type", ""), data, response.getheader("X-Request-Id"))
        return _finish(call, reply)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AsyncClient(_Base):
    """asyncio client on aiohttp. `async with` keeps one session; otherwise each call opens its own."""

    _session = None

    click_mouse = _async(_click_mouse)
    move_mouse = _async(_move_mouse)
    type_text = _async(_type_text)
    press_key = _async(_press_key)
    scroll = _async(_scroll)
    drag_mouse = _async(_drag_mouse)
    set_cursor = _async(_set_cursor)
    screenshot = _async(_screenshot)
    get_mouse_position = _async(_get_mouse_position)
    read_clipboard = _async(_read_clipboard)
    write_clipboard = _async(_write_clipboard)
    batch = _async(_batch_call)
    health = _async(_health_call)
    metrics = _async(_metrics_call)

    def _new_session(self):
        import aiohttp

        connector = aiohttp.UnixConnector(path=self._unix_socket) if self._unix_socket else None
        return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout))

    def _url(self, path: str) -> str:
        if self._unix_socket:
            return f"http://localhost{path}"
        return f"{self.url}{path}"

    async def _send(self, call: Call[T]) -> T:
        import aiohttp

        session = self._session or self._new_session()
        try:
            async with session.request(call.method, self._url(call.path), json=call.body, headers=self._headers(call)) as response:
                data = await response.read()
                reply = Reply(response.status, response.headers.get("Content-Type", ""), data, response.headers.get("X-Request-Id"))
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError, OSError) as exc:
            raise Unreachable(f"no answer from xhands at {self.url}: {exc!r}") from exc
        finally:
            if session is not self._session:
                await session.close()
        return _finish(call, reply)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> AsyncClient:
        if self._session is None:
            self._session = self._new_session()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()


__all__ = ["Action", "ApiError", "AsyncClient", "BatchResult", "Client", "Health", "Position", "Region", "Unreachable"]
