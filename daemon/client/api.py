"""The API as the client sees it: each action's builder, its Kernel route and how its answer is read.

The builders are the client's side of the action registry (daemon/registry.py):
`@operation` records each one with its route under /computer and its reply, and
the server takes the routes from here, so an action is listed in one place.
Nothing here imports the daemon's server or X side: the client runs anywhere.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urlsplit

PREFIX = "/computer"

Button = Literal["left", "right", "middle", "back", "forward"]
ClickType = Literal["down", "up", "click"]
ImageFormat = Literal["png", "jpeg", "webp"]
Point = tuple[int, int] | Sequence[int]
ReplyKind = Literal["empty", "ok", "json", "image"]  # what a single-action route answers


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
class Size:
    """The largest picture wanted (scale_to): either side may be left out; the aspect ratio is kept."""

    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Health:
    ok: bool
    status: str
    display: str | None
    screen: tuple[int, int] | None  # width, height; None when the display is down


class Image(bytes):
    """An encoded picture: its bytes, and its `mime_type` (image/png unless another format was asked for)."""

    mime_type: str

    def __new__(cls, data: bytes, mime_type: str = "image/png") -> Image:
        image = super().__new__(cls, data)
        image.mime_type = mime_type
        return image


BatchResult = None | Position | str | Image  # nothing, a position, clipboard text, or a picture


class ApiError(Exception):
    """The daemon answered with an error (Kernel's Error shape)."""

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


URL_SCHEMES = ("http", "https", "unix")


def check_url(url: str) -> str:
    """The daemon's URL, if it is one a client can use: http://HOST:PORT, https://... or unix:/path."""
    if urlsplit(url).scheme not in URL_SCHEMES:
        raise ValueError(f"an xhands URL is http://HOST:PORT, https://HOST:PORT or unix:/path, not {url!r}")
    return url


# --- answers ---------------------------------------------------------------------------------

T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    request_id: str | None

    def json(self) -> Any:
        return json.loads(self.body)


def _nothing(reply: Reply) -> None:
    return None


def _image(reply: Reply) -> Image:
    return Image(reply.body, reply.content_type.split(";")[0] or "image/png")


def _position(reply: Reply) -> Position:
    data = reply.json()
    return Position(data["x"], data["y"])


def _text(reply: Reply) -> str:
    return reply.json()["text"]


def _batch_result(item: dict) -> BatchResult:
    if "data" in item:
        return Image(base64.b64decode(item["data"]), item.get("mime_type", "image/png"))
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


def error_of(reply: Reply) -> ApiError:
    try:
        data = reply.json()
        return ApiError(reply.status, data["code"], data["message"], data.get("details"), reply.request_id)
    except (ValueError, KeyError, TypeError):
        text = reply.body[:200].decode(errors="replace")
        return ApiError(reply.status, "http_error", text or f"HTTP {reply.status}", None, reply.request_id)


# --- what each call sends -----------------------------------------------------------------------


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    body: dict | None
    read: Callable[[Reply], T]
    accept: tuple[int, ...] = (200,)

    def finish(self, reply: Reply) -> T:
        if reply.status not in self.accept:
            raise error_of(reply)
        return self.read(reply)


@dataclass(frozen=True)
class Operation:
    """One action as the wire has it: batch type, Kernel route under /computer, reply kind, and the client's reading."""

    action: str
    route: str | None  # None: a batch action only (sleep has no route of its own)
    reply: ReplyKind
    read: Callable[[Reply], Any]
    build: Callable[..., dict]

    def call(self, *args, **kwargs) -> Call:
        action = self.build(*args, **kwargs)
        return Call("POST", f"{PREFIX}/{self.route}", action.get(action["type"], {}), self.read)


OPERATIONS: dict[str, Operation] = {}


def operation(route: str | None, reply: ReplyKind, read: Callable[[Reply], Any]):
    """Record a builder (named as its action) with its route and reply; it stays a static builder on Action."""

    def record(build: Callable[..., dict]):
        OPERATIONS[build.__name__] = Operation(build.__name__, route, reply, read, build)
        if route is not None:
            build.__doc__ = f"POST {PREFIX}/{route}; as a batch action, Action.{build.__name__}(...)"
        return staticmethod(build)

    return record


def _params(**fields: Any) -> dict:
    """The fields that were given; None means 'not sent, server default'."""
    out = {}
    for key, value in fields.items():
        if value is None:
            continue
        if dataclasses.is_dataclass(value):
            value = {name: field for name, field in dataclasses.asdict(value).items() if field is not None}
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


def _action(kind: str, **fields: Any) -> dict:
    return {"type": kind, kind: _params(**fields)} if fields else {"type": kind}


def _keys(keys: Sequence[str] | None) -> list[str] | None:
    return None if keys is None else list(keys)


class Action:
    """Builders for batch actions: each returns `{"type": T, T: {...}}`; the same calls are the Client's methods."""

    @operation("click_mouse", "empty", _nothing)
    def click_mouse(x: int, y: int, *, button: Button | None = None, click_type: ClickType | None = None,
                    num_clicks: int | None = None, hold_keys: Sequence[str] | None = None, smooth: bool | None = None) -> dict:
        return _action("click_mouse", x=x, y=y, button=button, click_type=click_type, num_clicks=num_clicks,
                       hold_keys=_keys(hold_keys), smooth=smooth)

    @operation("move_mouse", "empty", _nothing)
    def move_mouse(x: int, y: int, *, smooth: bool | None = None, duration_ms: int | None = None,
                   hold_keys: Sequence[str] | None = None) -> dict:
        return _action("move_mouse", x=x, y=y, smooth=smooth, duration_ms=duration_ms, hold_keys=_keys(hold_keys))

    @operation("type", "empty", _nothing)
    def type_text(text: str, *, delay: int | None = None, smooth: bool | None = None, typo_chance: float | None = None) -> dict:
        return _action("type_text", text=text, delay=delay, smooth=smooth, typo_chance=typo_chance)

    @operation("press_key", "empty", _nothing)
    def press_key(*keys: str, duration: int | None = None, hold_keys: Sequence[str] | None = None) -> dict:
        return _action("press_key", keys=list(keys), duration=duration, hold_keys=_keys(hold_keys))

    @operation("scroll", "empty", _nothing)
    def scroll(x: int, y: int, *, delta_x: int | None = None, delta_y: int | None = None,
               hold_keys: Sequence[str] | None = None) -> dict:
        return _action("scroll", x=x, y=y, delta_x=delta_x, delta_y=delta_y, hold_keys=_keys(hold_keys))

    @operation("drag_mouse", "empty", _nothing)
    def drag_mouse(path: Sequence[Point], *, button: Button | None = None, smooth: bool | None = None,
                   duration_ms: int | None = None, delay: int | None = None, steps_per_segment: int | None = None,
                   step_delay_ms: int | None = None, hold_keys: Sequence[str] | None = None) -> dict:
        return _action("drag_mouse", path=[list(point) for point in path], button=button, smooth=smooth,
                       duration_ms=duration_ms, delay=delay, steps_per_segment=steps_per_segment,
                       step_delay_ms=step_delay_ms, hold_keys=_keys(hold_keys))

    @operation("cursor", "ok", _nothing)
    def set_cursor(hidden: bool) -> dict:
        return _action("set_cursor", hidden=hidden)

    @operation(None, "empty", _nothing)
    def sleep(duration_ms: int) -> dict:
        return _action("sleep", duration_ms=duration_ms)

    @operation("clipboard/write", "empty", _nothing)
    def write_clipboard(text: str) -> dict:
        return _action("write_clipboard", text=text)

    @operation("clipboard/read", "json", _text)
    def read_clipboard() -> dict:
        return _action("read_clipboard")

    @operation("screenshot", "image", _image)
    def screenshot(region: Region | None = None, *, format: ImageFormat | None = None, quality: int | None = None,
                   scale_to: Size | None = None, include_cursor: bool | None = None,
                   settle_ms: int | None = None) -> dict:
        return _action("screenshot", region=region, format=format, quality=quality, scale_to=scale_to,
                       include_cursor=include_cursor, settle_ms=settle_ms)

    @operation("get_mouse_position", "json", _position)
    def get_mouse_position() -> dict:
        return _action("get_mouse_position")


def batch(actions: Sequence[dict]) -> Call[list[BatchResult]]:
    """POST /computer/batch: the actions (see `Action`) in order; one result per action."""
    return Call("POST", f"{PREFIX}/batch", {"actions": list(actions)}, _batch)


def health() -> Call[Health]:
    """GET /health; a display that is down is Health(ok=False), not an error."""
    return Call("GET", "/health", None, _health, accept=(200, 503))


def metrics() -> Call[str]:
    """GET /metrics: the Prometheus text."""
    return Call("GET", "/metrics", None, lambda reply: reply.body.decode())
