"""Tzafon Lightcone's computers API: code written against its SDK drives this display by changing its base URL.

Each action route (POST /computers/{id}/click, ...) is `execute` of one action of the route's type; `execute`
and `batch` take Lightcone's ComputerAction objects. Each action becomes one of the core's actions, all
validated before any runs, and the worker of the computer `{id}` runs them (an unknown id is a 404); the
answer is Lightcone's ActionResult, errors too. The computers themselves (create, list, DELETE):
lightcone_computers.py.

Lightcone's numbers are floats: coordinates are rounded to the nearest pixel. Key names are the core's, case
aside, which include the DOM's (Control, Enter, ArrowLeft, Meta). Scroll deltas are pixels, turned into wheel
notches at agents.PIXELS_PER_NOTCH (at least one for any movement). A screenshot answers a data URL when
asked for base64, else a URL on this daemon that serves the image from a bounded store (image_store.py).

key_down and mouse_down hold their key or button across requests, untouched by other actions (each of which
still releases what it pressed itself), until key_up or mouse_up, DELETE /computers/{id}, shutdown, the loss
of the display, or --hold-timeout seconds without an action; the computer's `held` shows what is down.
Browser calls (navigation, HTML, tabs) and the page_context of each ActionResult need a computer with a
browser (lightcone_browser.py); answers that retrying cannot change (409 for a screen that cannot be
resized or a computer without a browser) carry `x-should-retry: false`, so the SDK gives them at once.
The `debug` action runs a shell command as exec does (lightcone_exec.py), alone in an execute, not in a batch.
POST /viewport (and set_viewport) resizes the whole X screen (the core's resize_screen action), on a server
that can (Xvnc).
Each result's request_id is the one its events carry (call_id). The same actions over a WebSocket:
lightcone_ws.py.
"""

import base64
import re
import struct
import time
import uuid
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from .. import models as m
from ..actions import Image
from ..apidoc import document
from ..errors import ApiError
from ..http.app_keys import SETTINGS
from ..http.bodies import decode, read, validated
from ..http.handling import computer_of, validation_context
from ..models import DisplaySize, SingleAction
from ..ops import logs
from .agents import SETTLE_MS, WAIT_MS, core_action, key_name, notches, run
from ..ops.logs import new_id
from ..shell import ExecRequest
from ..timestamps import rfc3339
from . import lightcone_browser
from .image_store import ImageStore
from .lightcone_exec import exec_stream, exec_sync, run_command

REQUEST_ID = "lightcone_request_id"  # the call's id, kept on the aiohttp request for its error answer
SCREENSHOTS = "/computers/{id}/screenshots/{name}"
IMAGES = web.AppKey("lightcone_images", ImageStore)
# Answers that the same request, sent again, cannot change: the SDK's retries (408, 409, 429, 5xx by default)
# would only make the caller wait for the same error.
NOT_RETRYABLE = {409}
# The SDK's routes by the action type they run.
ACTION_ROUTES = {
    "click": "click", "double-click": "double_click", "right-click": "right_click", "drag": "drag",
    "hotkey": "keypress", "key-down": "key_down", "key-up": "key_up", "mouse-down": "mouse_down",
    "mouse-up": "mouse_up", "scroll": "scroll", "type": "type", "screenshot": "screenshot",
}
# Lightcone's button names (Northstar's, OpenAI's) as the core's.
BUTTONS = {"left": "left", "right": "right", "middle": "middle", "wheel": "middle", "back": "back", "forward": "forward"}
# Drags move in straight steps a frame apart, so a page sees the drag move, as a person's would.
DRAG_STEPS = {"smooth": False, "steps_per_segment": 10, "step_delay_ms": 16}

Number = Annotated[float, Field(allow_inf_nan=False)]


class PathPoint(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    x: Number
    y: Number


class Action(BaseModel):
    """Lightcone's ComputerAction: one flat object for every type; fields of other types (tab_id,
    include_context, ...) are accepted and ignored, and null is absent. Northstar's actions, as the SDK's
    types/action_*.py carry them and Tzafon's example loop passes them on, are ComputerActions too: a drag's
    `path` of {x, y}, key_down/key_up's `keys`, wait without `ms`, point_and_type. settle_ms, Lightcone's
    pause between an action's steps, is a screenshot's settle_ms here: the wait until what the input drew
    is on screen."""

    model_config = ConfigDict(extra="ignore", strict=True)
    type: str
    request_id: str | None = None
    x: Number | None = None
    y: Number | None = None
    x1: Number | None = None
    y1: Number | None = None
    x2: Number | None = None
    y2: Number | None = None
    dx: Number | None = None
    dy: Number | None = None
    scroll_x: Number | None = None  # OpenAI's names for dx/dy, used when those are absent
    scroll_y: Number | None = None
    button: str | None = None
    key: str | None = None
    keys: list[str] | None = Field(None, max_length=m.MAX_COMBO_KEYS)
    path: list[PathPoint] | None = None
    text: str | None = None
    ms: int | None = None
    width: int | None = None
    height: int | None = None
    scale_factor: Number | None = None
    settle_ms: int | None = None
    screenshot_after: bool | None = None
    base64: bool | None = None  # null, as a model_dump() of the SDK's types writes absent fields, is absent
    url: str | None = None
    proxy_url: str | None = None  # change_proxy's; absent or empty: directly
    tab_id: str | None = None  # the tab an action runs in; for input, it is brought to the screen first
    include_context: bool | None = None  # page_context comes unless this is false (lightcone_browser.py)
    debug: dict | None = None  # the debug action's command: {command, cwd, env, max_output_length, timeout_seconds}

    def needs(self, *names: str) -> list:
        missing = [name for name in names if getattr(self, name) is None]
        if missing:
            raise ApiError(400, f"{self.type} needs {' and '.join(missing)}")
        return [getattr(self, name) for name in names]

    def point(self, x: str = "x", y: str = "y") -> tuple[int, int]:
        return tuple(round(value) for value in self.needs(x, y))

    def button_name(self) -> str:
        button = self.button or "left"
        if button not in BUTTONS:
            raise ApiError(400, f"button must be one of {', '.join(BUTTONS)}, not {button!r}")
        return BUTTONS[button]

    def drag_path(self) -> list[tuple[int, int]]:
        """Northstar's path of {x, y} points, else Lightcone's x1,y1 to x2,y2."""
        if self.path is None:
            return [self.point("x1", "y1"), self.point("x2", "y2")]
        if len(self.path) < 2:
            raise ApiError(400, "drag needs a path of at least 2 points")
        return [(round(point.x), round(point.y)) for point in self.path]

    def held_key(self) -> str:
        """key_down/key_up's `key`, or Northstar's `keys`, pressed in order (released in reverse)."""
        if self.key is not None:
            return key_name(self.key)
        [keys] = self.needs("keys")
        if not keys:
            raise ApiError(400, f"{self.type} needs at least one key")
        return "+".join(key_name(key) for key in keys)


class ActionResult(BaseModel):
    """Lightcone's ActionResult, every answer of its action routes, errors too (status "error", error_message)."""

    status: Literal["success", "error"]
    request_id: str
    timestamp: str = Field(description="RFC 3339, UTC")
    result: dict = Field(description="screenshot: screenshot_url, width, height; viewport: width, height")
    error_message: str | None
    results: list[dict] | None = Field(None, description="batch: one ActionResult per action")


def core(action: Action, context: dict) -> list[SingleAction]:
    """The core's actions that do what `action` asks (point_and_type is two)."""
    kind = action.type
    if kind == "debug":
        raise ApiError(400, "debug runs alone: send it with execute or POST /computers/{id}/debug, not in a batch")
    if kind in ("click", "double_click", "right_click"):
        x, y = action.point()
        button = "right" if kind == "right_click" else action.button_name()
        return [core_action("click_mouse", context, x=x, y=y, button=button, num_clicks=2 if kind == "double_click" else 1)]
    if kind in ("mouse_down", "mouse_up"):
        x, y = action.point()
        return [core_action("click_mouse", context, x=x, y=y, button=action.button_name(), click_type=kind[6:])]
    if kind == "move":
        x, y = action.point()
        return [core_action("move_mouse", context, x=x, y=y, smooth=False)]
    if kind == "drag":
        return [core_action("drag_mouse", context, path=action.drag_path(), **DRAG_STEPS)]
    if kind in ("keypress", "hotkey"):
        [keys] = action.needs("keys")
        if not keys:
            raise ApiError(400, f"{kind} needs at least one key")
        return [core_action("press_key", context, keys=["+".join(key_name(key) for key in keys)])]
    if kind in ("key_down", "key_up"):
        return [core_action(kind, context, key=action.held_key())]
    if kind == "scroll":
        dx = action.dx if action.dx is not None else action.scroll_x or 0
        dy = action.dy if action.dy is not None else action.scroll_y or 0
        x, y = round(action.x or 0), round(action.y or 0)
        return [core_action("scroll", context, x=x, y=y, delta_x=notches(dx), delta_y=notches(dy))]
    if kind == "type":
        [text] = action.needs("text")
        return [core_action("type_text", context, text=text)]
    if kind == "point_and_type":  # click there, then type
        x, y = action.point()
        [text] = action.needs("text")
        return [core_action("click_mouse", context, x=x, y=y), core_action("type_text", context, text=text)]
    if kind == "wait":  # Northstar's wait has no duration: it waits as OpenAI's sample loop does
        return [core_action("sleep", context, duration_ms=WAIT_MS if action.ms is None else action.ms)]
    if kind == "set_viewport":  # the whole X screen, as POST /viewport
        width, height = action.needs("width", "height")
        check_scale_factor(action.scale_factor)
        return [core_action("resize_screen", context, width=width, height=height)]
    if kind == "screenshot":
        return [core_action("screenshot", context, **({} if action.settle_ms is None else {"settle_ms": action.settle_ms}))]
    raise ApiError(400, f"unknown action type {kind!r}")


def action_result(request: web.Request, action: Action, results: list, request_id: str) -> dict:
    """Lightcone's ActionResult of one action that succeeded, from its core actions' results: its own is the
    last, or with screenshot_after the one before the screenshot, whose URL joins it."""
    result = results[-2] if action.screenshot_after else results[-1]
    if isinstance(result, Image):
        result = screenshot_result(request, result, bool(action.base64))
    if action.screenshot_after:
        result = {**result, "screenshot_url": screenshot_result(request, results[-1], bool(action.base64))["screenshot_url"]}
    return envelope(request_id, "success", result=result)


def envelope(request_id: str | None, status: str, result: dict | None = None, error: str | None = None) -> dict:
    return {"status": status, "request_id": request_id or new_id(),
            "timestamp": rfc3339(time.time()), "result": result or {},
            "error_message": error}


def screenshot_result(request: web.Request, image: Image, as_data: bool) -> dict:
    # The PNG's IHDR holds its size at bytes 16..24: no decoding needed.
    width, height = struct.unpack(">II", image.data[16:24])
    if as_data:
        url = f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode()}"
    else:
        url = public_url(request, SCREENSHOTS.format(id=computer_of(request).id, name=request.app[IMAGES].add(image)))
    return {"screenshot_url": url, "width": width, "height": height}


def public_url(request: web.Request, path: str) -> str:
    """A URL of this daemon to hand out: under --public-url, else where the request came."""
    base = request.app[SETTINGS].public_url
    return base.rstrip("/") + path if base else str(request.url.with_path(path).with_query(None))


async def json_body(request: web.Request) -> dict:
    body = await read(request)
    data = decode(body) if body.strip() else {}
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


def call_id(request: web.Request, body: dict | None = None) -> str:
    """The id of a call: the caller's `request_id`, else the HTTP request's (X-Request-Id). Its actions' results
    and their events on /events carry it, unless an action names its own."""
    given = (body or {}).get("request_id")
    request[REQUEST_ID] = given if isinstance(given, str) and given else logs.request_id.get() or uuid.uuid4().hex
    return request[REQUEST_ID]


def answers_action_result(handler):
    """Errors as ActionResults too (status "error", the message in error_message, the call's request_id),
    with their HTTP status."""

    async def handle(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ApiError as error:
            headers = {"x-should-retry": "false"} if error.status in NOT_RETRYABLE else {}
            return web.json_response(envelope(request.get(REQUEST_ID) or logs.request_id.get(), "error", error=error.message),
                                     status=error.status, headers={**error.headers, **headers})

    return handle


async def run_actions(request: web.Request, parsed: list[Action], request_id: str) -> list[dict]:
    """The ActionResults of actions run in order, all validated before any runs: input actions on the worker
    (back to back), browser actions in the computer's browser; on a computer with a browser, each result has its
    tab and page context. Each carries the action's own request_id or else the call's, the same its events carry."""
    context = validation_context(request)
    planned = [lightcone_browser.check(action) if action.type in lightcone_browser.ACTIONS
               else core(action, context) + screenshot_after(action, context) for action in parsed]
    ids = [action.request_id or request_id for action in parsed]
    browser = lightcone_browser.browser_of(computer_of(request))
    if browser is None and None in planned:
        lightcone_browser.needs_browser(request)  # the error saying how to have one
    results, start = [], 0
    while start < len(parsed):
        if planned[start] is None:
            end = start + 1
            result, tab_id = await lightcone_browser.run_action(browser, parsed[start])
            done = [envelope(ids[start], "success", result=result)]
        else:  # input actions up to the next browser action, or the next naming a tab
            end = next((i for i in range(start + 1, len(parsed)) if planned[i] is None or parsed[i].tab_id), len(parsed))
            if browser is not None and parsed[start].tab_id:
                await lightcone_browser.bring_to_screen(browser, parsed[start].tab_id)
            done = await run_input(request, parsed[start:end], planned[start:end], ids[start:end])
            tab_id = None
        if browser is not None:
            done = await lightcone_browser.with_context(browser, done, parsed[start:end], tab_id)
        results += done
        if len(done) < end - start:  # the client left before the rest ran
            break
        start = end
    return results


async def run_input(request: web.Request, actions: list[Action], groups: list[list[SingleAction]],
                    ids: list[str]) -> list[dict]:
    """Input actions, each its group of core actions, run back to back by the worker; one ActionResult each, of
    the last of its group."""
    results = await run(request, [one for group in groups for one in group],
                        [one_id for group, one_id in zip(groups, ids) for _ in group])
    answers, done = [], 0
    for action, group, one_id in zip(actions, groups, ids):
        if done + len(group) > len(results):  # the client left before it ran
            break
        answers.append(action_result(request, action, results[done:done + len(group)], one_id))
        done += len(group)
    return answers


def screenshot_after(action: Action, context: dict) -> list[SingleAction]:
    """screenshot_after: the screen once what the action made the application draw is on it."""
    return [core_action("screenshot", context, settle_ms=SETTLE_MS)] if action.screenshot_after else []


async def run_one(request: web.Request, action: Action, request_id: str) -> dict:
    if action.type == "debug":
        result = {"debug_response": await run_command(request, action.debug)}
        return envelope(action.request_id or request_id, "success", result=result)
    [result] = await run_actions(request, [action], request_id)
    return result


class RouteAction(Action):
    """The body of an action route (POST /computers/{id}/click, ...): an action whose route names its type."""

    type: str | None = None


class ExecuteBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    action: Action
    request_id: str | None = None


class BatchBody(BaseModel):
    """Lightcone's batch; at most as many actions as the core's batch."""

    model_config = ConfigDict(extra="ignore", strict=True)
    actions: list[Action] = Field(min_length=1, max_length=m.MAX_ACTIONS)
    request_id: str | None = None


async def run_batch(request: web.Request, actions, request_id: str) -> dict:
    """Lightcone's batch: every action validated before any runs, one ActionResult each under `results`."""
    parsed = validated(BatchBody, {"actions": actions}).actions
    return {**envelope(request_id, "success"), "results": await run_actions(request, parsed, request_id)}


def action_route(action_type: str):
    async def handle(request: web.Request) -> web.Response:
        body = await json_body(request)
        action = validated(RouteAction, {**body, "type": action_type})
        return web.json_response(await run_one(request, action, call_id(request, body)))

    return handle


async def execute(request: web.Request) -> web.Response:
    body = await json_body(request)
    return web.json_response(await run_one(request, validated(ExecuteBody, body).action, call_id(request, body)))


async def batch(request: web.Request) -> web.Response:
    body = await json_body(request)
    return web.json_response(await run_batch(request, body.get("actions"), call_id(request, body)))


class Viewport(BaseModel):
    """The whole screen's new size; a device scale factor is a browser's, and the screen has none but 1."""

    model_config = ConfigDict(extra="ignore", strict=True)
    width: Annotated[int, Field(gt=0)]
    height: Annotated[int, Field(gt=0)]
    scale_factor: Number | None = None


def check_scale_factor(scale_factor: float | None) -> None:
    if scale_factor not in (None, 1):
        raise ApiError(400, "scale_factor can only be 1: xhands sizes the X screen in pixels")


async def viewport(request: web.Request) -> web.Response:
    size = validated(Viewport, await json_body(request))
    check_scale_factor(size.scale_factor)
    [new_size] = await run(request, [SingleAction("resize_screen", DisplaySize(width=size.width, height=size.height))])
    return web.json_response(envelope(None, "success", result=new_size))


def browser_route(action_type: str, tab_from_path: bool = False):
    """A browser route: its body (and the path's tab) as one action of that type."""

    async def handle(request: web.Request) -> web.Response:
        body = {} if request.method in ("GET", "DELETE") else await json_body(request)
        if tab_from_path:
            body["tab_id"] = request.match_info["tab_id"]
        action = validated(RouteAction, {**body, "type": action_type})
        return web.json_response(await run_one(request, action, call_id(request, body)))

    return handle


async def debug(request: web.Request) -> web.Response:
    """The debug route: the debug action's command as its body."""
    body = await json_body(request)
    return web.json_response(await run_one(request, Action(type="debug", debug=body), call_id(request)))


async def served_screenshot(request: web.Request) -> web.Response:
    image = request.app[IMAGES].get(request.match_info["name"])
    if image is None:
        raise ApiError(404, "no such screenshot: only the newest ones are kept")
    return web.Response(body=image.data, content_type=image.mime_type)


def add_routes(app: web.Application) -> None:
    app[IMAGES] = ImageStore()
    app.router.add_get(SCREENSHOTS, served_screenshot)
    app.router.add_post("/computers/{id}/execute", answers_action_result(execute))
    app.router.add_post("/computers/{id}/batch", answers_action_result(batch))
    for path, action_type in ACTION_ROUTES.items():
        app.router.add_post(f"/computers/{{id}}/{path}", answers_action_result(action_route(action_type)))
    app.router.add_post("/computers/{id}/viewport", answers_action_result(viewport))
    app.router.add_post("/computers/{id}/exec", exec_stream)
    app.router.add_post("/computers/{id}/exec/sync", answers_action_result(exec_sync))
    app.router.add_post("/computers/{id}/debug", answers_action_result(debug))
    app.router.add_post("/computers/{id}/navigate", answers_action_result(browser_route("go_to_url")))
    app.router.add_post("/computers/{id}/html", answers_action_result(browser_route("get_html_content")))
    app.router.add_get("/computers/{id}/tabs", answers_action_result(browser_route("list_tabs")))
    app.router.add_post("/computers/{id}/tabs", answers_action_result(browser_route("new_tab")))
    app.router.add_delete("/computers/{id}/tabs/{tab_id}", answers_action_result(browser_route("close_tab", True)))
    app.router.add_post("/computers/{id}/tabs/{tab_id}/switch", answers_action_result(browser_route("switch_tab", True)))
    app.router.add_post("/computers/{id}/change-proxy", answers_action_result(browser_route("change_proxy")))
    lightcone_browser.add_to(app)


BROWSER_DOCS = (  # a computer's browser (lightcone_browser.py): 409 on a computer without one
    ("post", "navigate", "Navigate a tab (the main one by default) and wait for the load"),
    ("post", "html", "The page's HTML"),
    ("get", "tabs", "The browser's tabs"),
    ("post", "tabs", "Open a tab, which becomes the main one"),
    ("delete", "tabs/{tab_id}", "Close a tab"),
    ("post", "tabs/{tab_id}/switch", "Make a tab the main one, on screen"),
)
COMPUTER_REPLY = {"description": "Lightcone's ComputerResponse",
                  "content": {"application/json": {"schema": {"type": "object"}}}}
COMPUTERS_REPLY = {"description": "The computers",
                   "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}
# (A refused token or Host is answered before the dialect: in the Error shape.)
RESULT_ERRORS = {"reply": ActionResult, "error": ActionResult, "error_statuses": (400, 404, 413, 429, 503)}
document("post", "/computers", "lightcone_create", "Start a computer (with --max-computers; else the daemon's own)",
         reply=COMPUTER_REPLY, error=ActionResult, error_statuses=(400, 413, 429, 503))
document("get", "/computers", "lightcone_list", "The computers", reply=COMPUTERS_REPLY)
UNKNOWN_ID = {"error": ActionResult, "error_statuses": (400, 404, 413, 429, 503)}  # 404: no computer of that id
document("get", "/computers/{id}", "lightcone_computer", "A computer; `held`: keys and buttons held down",
         reply=COMPUTER_REPLY, **UNKNOWN_ID)
document("get", "/computers/{id}/status", "lightcone_status", "A computer", reply=COMPUTER_REPLY, **UNKNOWN_ID)
document("post", "/computers/{id}/keepalive", "lightcone_keepalive", "Keep an idle computer alive",
         **UNKNOWN_ID)
document("delete", "/computers/{id}", "lightcone_terminate",
         "End a computer: its X server and programs (`local`: release every key and button held)",
         **RESULT_ERRORS)
document("get", SCREENSHOTS, "lightcone_screenshot_file", "A screenshot taken without base64, while it is kept",
         reply={"description": "The image", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
         error_statuses=(401, 404), path_descriptions={"name": "The name in the screenshot_url"})
document("post", "/computers/{id}/execute", "lightcone_execute", "Run one action", body=ExecuteBody, **RESULT_ERRORS)
document("post", "/computers/{id}/batch", "lightcone_batch", "Run actions in order, all validated before any runs",
         body=BatchBody, **RESULT_ERRORS)
for _path, _type in ACTION_ROUTES.items():
    document("post", f"/computers/{{id}}/{_path}", f"lightcone_{_type}", f"Run a {_type} action",
             body=RouteAction, body_required=False, **RESULT_ERRORS)
document("post", "/computers/{id}/viewport", "lightcone_viewport", "Resize the whole X screen (on a server that can)",
         body=Viewport, **{**RESULT_ERRORS, "error_statuses": (*RESULT_ERRORS["error_statuses"], 409)})
for _method, _path, _summary in BROWSER_DOCS:
    document(_method, f"/computers/{{id}}/{_path}", "lightcone_" + re.sub(r"\W+", "_", f"{_method}_{_path}").strip("_"),
             _summary, path_descriptions={"tab_id": "A tab's id, as tabs lists them"},
             **{**RESULT_ERRORS, "error_statuses": (400, 404, 409, 413, 429, 502, 503, 504)})
document("post", "/computers/{id}/change-proxy", "lightcone_post_change_proxy",
         "Send the browser's traffic through proxy_url from now on (absent or empty: directly); its tabs are reopened "
         "at their URLs in a new context, without the old one's cookies",
         body=RouteAction, body_required=False, **{**RESULT_ERRORS, "error_statuses": (400, 404, 409, 413, 429, 502, 503)})
document("post", "/computers/{id}/exec", "lightcone_exec",
         "Run a shell command (with --allow-exec): NDJSON lines stdout/stderr, then exit; a failure is one error line",
         body=ExecRequest, **UNKNOWN_ID,
         reply={"description": "NDJSON lines", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}})
document("post", "/computers/{id}/exec/sync", "lightcone_exec_sync", "Run a shell command to its end (with --allow-exec)",
         body=ExecRequest, **{**RESULT_ERRORS, "error_statuses": (400, 403, 404, 413, 429, 503)})
document("post", "/computers/{id}/debug", "lightcone_debug", "The debug action: a shell command, as exec/sync",
         body=ExecRequest, **{**RESULT_ERRORS, "error_statuses": (400, 403, 404, 413, 429, 503)})
