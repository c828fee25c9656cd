"""Tzafon Lightcone's computers API: code written against its SDK drives this display by changing its base URL.

Each action route (POST /computers/{id}/click, ...) is `execute` of one action of the route's type; `execute`
and `batch` take Lightcone's ComputerAction objects. Each action becomes one of the core's actions, all
validated before any runs, and the worker of the computer `{id}` runs them (an unknown id is a 404); the
answer is Lightcone's ActionResult, errors too. The computers themselves (create, list, DELETE): lightcone_computers.py.

Lightcone's numbers are floats: coordinates are rounded to the nearest pixel. Key names are the core's, case
aside, which include the DOM's (Control, Enter, ArrowLeft, Meta). Scroll deltas are pixels, turned into wheel
notches at agents.PIXELS_PER_NOTCH (at least one for any movement). A screenshot answers a data URL when
asked for base64, else a URL on this daemon that serves the image from a bounded store (image_store.py).

key_down and mouse_down hold their key or button across requests, untouched by other actions (each of which
still releases what it pressed itself), until key_up or mouse_up, DELETE /computers/{id}, shutdown, the loss
of the display, or --hold-timeout seconds without an action; the computer's `held` shows what is down.
Browser calls (navigation, HTML, tabs) and the page_context of each ActionResult need a computer with a
browser: lightcone_browser.py. The `debug` action runs a shell command as exec does (lightcone_exec.py), alone
in an execute, not in a batch. POST /viewport resizes the whole X
screen (the core's resize_screen action), on a server that can (Xvnc). The same actions over a WebSocket: lightcone_ws.py.
"""

import base64
import struct
import uuid
from datetime import UTC, datetime
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..actions import Image
from ..errors import ApiError, from_validation
from ..http.handling import computer_of, validation_context
from ..models import DisplaySize, SingleAction
from . import lightcone_browser
from .agents import core_action, key_name, notches, run
from .image_store import ImageStore
from .lightcone_exec import exec_stream, exec_sync, run_command

IMAGES = web.AppKey("lightcone_images", ImageStore)
SCREENSHOTS = "/computers/{id}/screenshots/{name}"
NOT_YET = {"set_viewport": "resize the display with POST /computers/{id}/viewport, not in execute or batch"}
# The SDK's routes by the action type they run.
ACTION_ROUTES = {
    "click": "click", "double-click": "double_click", "right-click": "right_click", "drag": "drag",
    "hotkey": "keypress", "key-down": "key_down", "key-up": "key_up", "mouse-down": "mouse_down",
    "mouse-up": "mouse_up", "scroll": "scroll", "type": "type", "screenshot": "screenshot",
}
# Drags move in straight steps a frame apart, so a page sees the drag move, as a person's would.
DRAG_STEPS = {"smooth": False, "steps_per_segment": 10, "step_delay_ms": 16}

Number = Annotated[float, Field(allow_inf_nan=False)]


class Action(BaseModel):
    """Lightcone's ComputerAction: one flat object for every type; fields of other types (tab_id,
    include_context, ...) are accepted and ignored. settle_ms, Lightcone's pause between an action's steps,
    is a screenshot's settle_ms here: the wait until what the input drew is on screen."""

    model_config = ConfigDict(extra="ignore")
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
    keys: list[str] | None = None
    text: str | None = None
    ms: int | None = None
    settle_ms: int | None = None
    base64: bool = False
    url: str | None = None
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


def core(action: Action, context: dict) -> SingleAction:
    """The core's action that does what `action` asks."""
    kind = action.type
    if kind == "debug":
        raise ApiError(400, "debug runs alone: send it with execute or POST /computers/{id}/debug, not in a batch")
    if kind == "change_proxy":
        raise ApiError(501, lightcone_browser.PROXY, headers=lightcone_browser.NO_RETRY)
    if kind in NOT_YET:
        raise ApiError(501, f"{kind}: {NOT_YET[kind]}")
    if kind in ("click", "double_click", "right_click"):
        x, y = action.point()
        button = "right" if kind == "right_click" else (action.button or "left")
        return core_action("click_mouse", context, x=x, y=y, button=button, num_clicks=2 if kind == "double_click" else 1)
    if kind in ("mouse_down", "mouse_up"):
        x, y = action.point()
        return core_action("click_mouse", context, x=x, y=y, button=action.button or "left", click_type=kind[6:])
    if kind == "move":
        x, y = action.point()
        return core_action("move_mouse", context, x=x, y=y, smooth=False)
    if kind == "drag":
        return core_action("drag_mouse", context, path=[action.point("x1", "y1"), action.point("x2", "y2")], **DRAG_STEPS)
    if kind in ("keypress", "hotkey"):
        [keys] = action.needs("keys")
        if not keys:
            raise ApiError(400, f"{kind} needs at least one key")
        return core_action("press_key", context, keys=["+".join(key_name(key) for key in keys)])
    if kind in ("key_down", "key_up"):
        [key] = action.needs("key")
        return core_action(kind, context, key=key_name(key))
    if kind == "scroll":
        dx = action.dx if action.dx is not None else action.scroll_x or 0
        dy = action.dy if action.dy is not None else action.scroll_y or 0
        x, y = round(action.x or 0), round(action.y or 0)
        return core_action("scroll", context, x=x, y=y, delta_x=notches(dx), delta_y=notches(dy))
    if kind == "type":
        [text] = action.needs("text")
        return core_action("type_text", context, text=text)
    if kind == "wait":
        [ms] = action.needs("ms")
        return core_action("sleep", context, duration_ms=ms)
    if kind == "screenshot":
        return core_action("screenshot", context, **({} if action.settle_ms is None else {"settle_ms": action.settle_ms}))
    raise ApiError(400, f"unknown action type {kind!r}")


def action_result(request: web.Request, action: Action, result) -> dict:
    """Lightcone's ActionResult of one action that succeeded."""
    if isinstance(result, Image):
        result = screenshot_result(request, result, action.base64)
    return envelope(action.request_id, "success", result=result)


def envelope(request_id: str | None, status: str, result: dict | None = None, error: str | None = None) -> dict:
    return {"status": status, "request_id": request_id or uuid.uuid4().hex,
            "timestamp": rfc3339_now(), "result": result or {},
            "error_message": error}


def screenshot_result(request: web.Request, image: Image, as_data: bool) -> dict:
    # The PNG's IHDR holds its size at bytes 16..24: no decoding needed.
    width, height = struct.unpack(">II", image.data[16:24])
    if as_data:
        url = f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode()}"
    else:
        name = request.app[IMAGES].add(image)
        url = str(request.url.with_path(SCREENSHOTS.format(id=request.match_info.get("id", "local"), name=name))
                  .with_query(None))
    return {"screenshot_url": url, "width": width, "height": height}


def rfc3339_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def parse_action(data) -> Action:
    try:
        return Action.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc) from None


async def json_body(request: web.Request) -> dict:
    body = await request.read()
    try:
        data = await request.json() if body.strip() else {}
    except ValueError:
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


def answers_action_result(handler):
    """Errors as ActionResults too (status "error", the message in error_message), with their HTTP status."""

    async def handle(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ApiError as error:
            return web.json_response(envelope(None, "error", error=error.message), status=error.status,
                                     headers=error.headers)

    return handle


async def run_one(request: web.Request, action: Action) -> dict:
    if action.type == "debug":
        return envelope(action.request_id, "success", result={"debug_response": await run_command(request, action.debug)})
    [result] = await run_actions(request, [action])
    return result


async def run_batch(request: web.Request, actions) -> dict:
    """Lightcone's batch: every action validated before any runs, one ActionResult each under `results`."""
    if not isinstance(actions, list) or not actions:
        raise ApiError(400, "batch needs `actions`, a list of ComputerAction objects")
    parsed = [parse_action(one) for one in actions]
    return {**envelope(None, "success"), "results": await run_actions(request, parsed)}


async def run_actions(request: web.Request, parsed: list[Action]) -> list[dict]:
    """The ActionResults of actions run in order, all validated before any runs: input actions on the worker
    (back to back), browser actions in the computer's browser; on a computer with a browser, each result has its
    tab and page context."""
    context = validation_context(request)
    planned = [lightcone_browser.check(action) if action.type in lightcone_browser.ACTIONS else core(action, context)
               for action in parsed]
    browser = lightcone_browser.browser_of(computer_of(request))
    if browser is None and None in planned:
        lightcone_browser.needs_browser(request)  # the error saying how to have one
    results, start = [], 0
    while start < len(parsed):
        if planned[start] is None:
            end = start + 1
            result, tab_id = await lightcone_browser.run_action(browser, parsed[start])
            done = [envelope(parsed[start].request_id, "success", result=result)]
        else:  # input actions up to the next browser action, or the next naming a tab
            end = next((i for i in range(start + 1, len(parsed)) if planned[i] is None or parsed[i].tab_id), len(parsed))
            if browser is not None and parsed[start].tab_id:
                await lightcone_browser.bring_to_screen(browser, parsed[start].tab_id)
            done = [action_result(request, *pair) for pair in zip(parsed[start:end], await run(request, planned[start:end]))]
            tab_id = None
        if browser is not None:
            done = await lightcone_browser.with_context(browser, done, parsed[start:end], tab_id)
        results += done
        start = end
    return results


def action_route(action_type: str):
    async def handle(request: web.Request) -> web.Response:
        return web.json_response(await run_one(request, parse_action({**await json_body(request), "type": action_type})))

    return handle


async def execute(request: web.Request) -> web.Response:
    body = await json_body(request)
    if not isinstance(body.get("action"), dict):
        raise ApiError(400, "execute needs `action`, one ComputerAction object")
    return web.json_response(await run_one(request, parse_action(body["action"])))


async def batch(request: web.Request) -> web.Response:
    return web.json_response(await run_batch(request, (await json_body(request)).get("actions")))


class Viewport(BaseModel):
    """The whole screen's new size; a device scale factor is a browser's, and the screen has none but 1."""

    model_config = ConfigDict(extra="ignore")
    width: Annotated[int, Field(gt=0)]
    height: Annotated[int, Field(gt=0)]
    scale_factor: Number | None = None


async def viewport(request: web.Request) -> web.Response:
    try:
        size = Viewport.model_validate(await json_body(request))
    except ValidationError as exc:
        raise from_validation(exc) from None
    if size.scale_factor not in (None, 1):
        raise ApiError(400, "scale_factor can only be 1: xhands sizes the X screen in pixels")
    [new_size] = await run(request, [SingleAction("resize_screen", DisplaySize(width=size.width, height=size.height))])
    return web.json_response(envelope(None, "success", result=new_size))


def browser_route(action_type: str, tab_from_path: bool = False):
    """A browser route: its body (and the path's tab) as one action of that type."""

    async def handle(request: web.Request) -> web.Response:
        body = {} if request.method in ("GET", "DELETE") else await json_body(request)
        if tab_from_path:
            body["tab_id"] = request.match_info["tab_id"]
        return web.json_response(await run_one(request, parse_action({**body, "type": action_type})))

    return handle


async def debug(request: web.Request) -> web.Response:
    """The debug route: the debug action's command as its body."""
    return web.json_response(await run_one(request, Action(type="debug", debug=await json_body(request))))


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
    app.router.add_post("/computers/{id}/change-proxy", answers_action_result(lightcone_browser.change_proxy))
    lightcone_browser.add_to(app)
