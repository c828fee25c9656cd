"""OpenAI's computer-use tool: POST /agents/openai/computer takes a `computer_call` output item (its `action`,
or its batched `actions`; null fields, as the SDK's model_dump() writes them, are absent) and answers the
`computer_call_output` item to send back, with the screenshot taken after the actions have settled.
GET /agents/openai/tool gives the tool definition to send the model: the GA tool `computer` (`?version=computer`),
which declares no size, or `computer_use_preview`, which declares the screen's.

The actions become the core's actions, all validated before any runs, and run by the one worker. Coordinates
are those of the screenshots answered: the screen's unless `?scale=` gives the model a smaller space
(agents.Scaling). Scrolls come in pixels and the wheel turns in notches (agents.notches). `wait` waits WAIT_MS.
Pending safety checks are acknowledged, unless `?safety_checks=refuse` asks for them back as an error.
"""

import base64
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ..errors import ApiError
from ..http.handling import validation_context
from .agents import ScaleQuery, Scaling, WAIT_MS, core_action, key_name, notches, run, scaling_for, screenshot_after
from .. import models as m
from ..apidoc import document
from ..http.bodies import decode, read, validated

VERSIONS = ("computer_use_preview", "computer")  # the first, the default, keeps the sample loops' tool
BUTTONS = {"left": "left", "right": "right", "wheel": "middle", "back": "back", "forward": "forward"}


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    keys: list[str] = []  # held during the action (keypress: the keys pressed together)


class Click(Action):
    type: Literal["click"]
    button: Literal["left", "right", "wheel", "back", "forward"] = "left"
    x: int
    y: int


class DoubleClick(Action):
    type: Literal["double_click"]
    x: int
    y: int


class PathPoint(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    x: int
    y: int


class Drag(Action):
    type: Literal["drag"]
    path: list[PathPoint] = Field(min_length=2)


class Move(Action):
    type: Literal["move"]
    x: int
    y: int


class Scroll(Action):
    type: Literal["scroll"]
    x: int
    y: int
    scroll_x: int = 0
    scroll_y: int = 0


class Keypress(Action):
    type: Literal["keypress"]


class Type(Action):
    type: Literal["type"]
    text: str


class Wait(Action):
    type: Literal["wait"]


class Screenshot(Action):
    type: Literal["screenshot"]


AnyAction = Annotated[Click | DoubleClick | Drag | Move | Scroll | Keypress | Type | Wait | Screenshot,
                      Field(discriminator="type")]


class ComputerCall(BaseModel):
    """The model's computer_call item; its other fields (id, status, ...) are the loop's business."""

    model_config = ConfigDict(extra="ignore", strict=True)
    type: Literal["computer_call"] = "computer_call"
    call_id: str
    action: AnyAction | None = None
    actions: list[AnyAction] | None = Field(None, max_length=m.MAX_ACTIONS)
    pending_safety_checks: list[dict] = []


def core_actions(action: Action, scaling: Scaling, context: dict) -> list:
    held = [key_name(key) for key in action.keys]
    if isinstance(action, (Click, DoubleClick)):
        x, y = scaling.to_screen(action.x, action.y)
        button = BUTTONS[action.button] if isinstance(action, Click) else "left"
        return [core_action("click_mouse", context, x=x, y=y, button=button,
                            num_clicks=2 if isinstance(action, DoubleClick) else 1, hold_keys=held)]
    if isinstance(action, Move):
        x, y = scaling.to_screen(action.x, action.y)
        return [core_action("move_mouse", context, x=x, y=y, smooth=False, hold_keys=held)]
    if isinstance(action, Drag):
        path = [scaling.to_screen(point.x, point.y, f"path[{index}]") for index, point in enumerate(action.path)]
        # Straight steps a frame apart: a page sees the drag move, as a person's would.
        return [core_action("drag_mouse", context, path=path, smooth=False, steps_per_segment=10, step_delay_ms=16,
                            hold_keys=held)]
    if isinstance(action, Scroll):
        x, y = scaling.to_screen(action.x, action.y)
        return [core_action("scroll", context, x=x, y=y, delta_x=notches(action.scroll_x),
                            delta_y=notches(action.scroll_y), hold_keys=held)]
    if isinstance(action, Keypress):
        if not held:
            raise ApiError(400, "keypress needs `keys`")
        return [core_action("press_key", context, keys=["+".join(held)])]
    if isinstance(action, Type):
        return [core_action("type_text", context, text=action.text)]
    if isinstance(action, Wait):
        return [core_action("sleep", context, duration_ms=WAIT_MS)]
    return []  # screenshot


def without_nulls(value):
    """JSON with every null field left out: the SDK's model_dump() writes absent fields as null."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


async def parse_call(request: web.Request) -> ComputerCall:
    call = validated(ComputerCall, without_nulls(decode(await read(request))))
    if (call.action is None) == (call.actions is None):
        raise ApiError(400, "a computer_call has either `action` or `actions`")
    return call


def chosen(request: web.Request, name: str, choices: tuple[str, ...]) -> str:
    said = request.query.get(name, choices[0])
    if said not in choices:
        raise ApiError(400, f"{name} must be one of {', '.join(choices)}, not {said!r}")
    return said


def refuse_pending(checks: list[dict]) -> None:
    """`?safety_checks=refuse`: a call with pending safety checks runs nothing and answers them, for a person to
    confirm before the loop sends the call again (acknowledged)."""
    if checks:
        named = "; ".join(f"{check.get('id')} ({check.get('code')}): {check.get('message')}" for check in checks)
        raise ApiError(409, f"the call has pending safety checks, not acknowledged: {named}", code="pending_safety_checks",
                       details=[{"code": str(check.get("code")), "message": str(check.get("message")),
                                 "target": str(check.get("id"))} for check in checks])


async def computer(request: web.Request) -> web.Response:
    """`?version=` is either tool's (both run the same way); `?safety_checks=` acknowledge (the default) or refuse."""
    chosen(request, "version", VERSIONS)
    policy = chosen(request, "safety_checks", ("acknowledge", "refuse"))
    context = validation_context(request)
    scaling = scaling_for(request, context["screen"], "none")
    call = await parse_call(request)
    if policy == "refuse":
        refuse_pending(call.pending_safety_checks)
    actions = [] if call.action is None else [call.action]
    actions += call.actions or []
    core = [one for action in actions for one in core_actions(action, scaling, context)]
    results = await run(request, screenshot_after(core, scaling, context))
    image = results[-1]
    return web.json_response({
        "type": "computer_call_output",
        "call_id": call.call_id,
        "acknowledged_safety_checks": call.pending_safety_checks,
        "output": {"type": "computer_screenshot",
                   "image_url": f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode()}"},
    })


async def tool_definition(request: web.Request) -> web.Response:
    """The GA tool declares no display: the model's coordinates are those of the screenshots it gets."""
    if chosen(request, "version", VERSIONS) == "computer":
        return web.json_response({"type": "computer"})
    scaling = scaling_for(request, validation_context(request)["screen"], "none")
    return web.json_response({"type": "computer_use_preview", "display_width": scaling.model[0],
                              "display_height": scaling.model[1], "environment": "linux"})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/agents/openai/computer", computer)
    app.router.add_get("/agents/openai/tool", tool_definition)


CALL_OUTPUT = {"description": "The computer_call_output item to send back, with the screenshot after the actions",
               "content": {"application/json": {"schema": {"type": "object"}}}}
document("post", "/agents/openai/computer", "openai_computer", "Run a computer_call's actions", body=ComputerCall,
         query=ScaleQuery, reply=CALL_OUTPUT)
document("get", "/agents/openai/tool", "openai_tool", "The computer tool's definition, to send the model",
         query=ScaleQuery, reply={"description": "The tool definition",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}, error_statuses=(400,))
