"""Anthropic's `computer` tool and computer toolset: POST /agents/anthropic/computer takes the model's tool_use
block whole, and answers the tool_result to send back; GET /agents/anthropic/tool gives the tool definition to
send the model.

The toolset (computer_toolset_20260801) makes each action a tool of its own: a block named `left_click`,
`screenshot` ... with `toolset_name: "computer"`, its input that action's fields. The single tool (the older
versions) is one tool named `computer` whose input names the action; its bare `input` is taken too, answered
`{"content": [...], "is_error": bool}`, the tool_result's content.

Each action becomes the core's actions, run by the one worker; coordinates are in the model's space
(agents.Scaling, `?scale=` on both routes). Actions that change the screen answer with a screenshot taken
after it has settled. A request the model got wrong answers 200 with `is_error` and a text saying why, so
the loop can hand it back to the model; nothing of it has run.
"""

import base64
from typing import Literal, get_args

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ..actions import Image
from ..errors import ApiError
from ..http.handling import computer_of, validation_context
from .agents import ScaleQuery, Scaling, core_action, pointer_position, run, scaling_for, screenshot_after
from ..apidoc import document
from ..http.bodies import decode, read, validated

TOOLSET = "computer_toolset_20260801"
TOOL_VERSIONS = ("computer_20251124", "computer_20250124", "computer_20241022", TOOLSET)
CLICKS = {  # action: (button, clicks)
    "left_click": ("left", 1), "right_click": ("right", 1), "middle_click": ("middle", 1),
    "double_click": ("left", 2), "triple_click": ("left", 3),
}
# Without a coordinate these act where the pointer is, as xdotool does in the reference loop.
AT_POINTER = {*CLICKS, "left_mouse_down", "left_mouse_up", "scroll", "left_click_drag"}
SCROLL_DIRECTIONS = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}

Coordinate = tuple[int, int]


class ToolInput(BaseModel):
    """The computer tool's input, of every version."""

    model_config = ConfigDict(extra="forbid", strict=True)
    action: Literal[
        "screenshot", "left_click", "right_click", "middle_click", "double_click", "triple_click", "mouse_move",
        "left_click_drag", "left_mouse_down", "left_mouse_up", "scroll", "type", "key", "hold_key", "wait",
        "cursor_position", "zoom",
    ]
    coordinate: Coordinate | None = None
    start_coordinate: Coordinate | None = None
    text: str | None = None
    key: str | None = None  # a click's or scroll's modifier, as some model versions name it
    scroll_direction: Literal["up", "down", "left", "right"] | None = None
    scroll_amount: int | None = Field(None, ge=0)
    duration: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    region: tuple[int, int, int, int] | None = None
    repeat: int | None = Field(None, ge=1, le=100)  # the toolset's key: press it this many times


class ToolUse(BaseModel):
    """A tool_use block as the model sent it (its caller, cache_control ... are the loop's business)."""

    model_config = ConfigDict(extra="ignore", strict=True)
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict
    toolset_name: str | None = None

    def tool_input(self) -> ToolInput:
        """The single tool's input, or the toolset member's as the single tool's action of the member's name."""
        if self.name == "computer" and self.toolset_name is None:
            return validated(ToolInput, self.input)
        actions = get_args(ToolInput.model_fields["action"].annotation)
        if self.toolset_name != "computer" or self.name not in actions or "action" in self.input:
            raise ApiError(400, f"the tool is the computer toolset's ({', '.join(actions)}, with toolset_name "
                                f"\"computer\") or the computer tool's, not {self.name!r}")
        return validated(ToolInput, {**self.input, "action": self.name})


class ToolResult(BaseModel):
    """The answer, ready to be the tool_result's content; a mistake of the model's is is_error with a text."""

    content: list[dict] = Field(description="An image block (the screen after the action) or a text block")
    is_error: bool


class ToolQuery(ScaleQuery):
    version: Literal[TOOL_VERSIONS] | None = Field(None, description="The tool version; the newest when not given")


def needs(said: ToolInput, field: str):
    value = getattr(said, field)
    if value is None:
        raise ApiError(400, f"{said.action} needs `{field}`")
    return value


def core_actions(said: ToolInput, point: Coordinate | None, scaling: Scaling, context: dict) -> list:
    """The core's actions for one tool input; `point` is where it acts (a drag's start), on the screen."""
    # A click's, drag's or scroll's `text` is the modifier it holds (xdotool syntax: "shift", "ctrl+shift").
    modifiers = [said.text or said.key] if (said.text or said.key) else []
    if said.action in CLICKS:
        button, clicks = CLICKS[said.action]
        return [core_action("click_mouse", context, x=point[0], y=point[1], button=button, num_clicks=clicks,
                            hold_keys=modifiers)]
    if said.action in ("left_mouse_down", "left_mouse_up"):
        return [core_action("click_mouse", context, x=point[0], y=point[1], click_type=said.action.rpartition("_")[2])]
    if said.action == "mouse_move":
        return [core_action("move_mouse", context, x=point[0], y=point[1], smooth=False)]
    if said.action == "left_click_drag":  # from `point`, its start
        end = scaling.to_screen(*needs(said, "coordinate"))
        # Straight steps a frame apart: a page sees the drag move, as a person's would.
        return [core_action("drag_mouse", context, path=[point, end], smooth=False, steps_per_segment=10,
                            step_delay_ms=16, hold_keys=modifiers)]
    if said.action == "scroll":
        step_x, step_y = SCROLL_DIRECTIONS[needs(said, "scroll_direction")]
        amount = needs(said, "scroll_amount")
        if amount == 0:  # nothing to scroll: a success that only looks, as the reference does
            return []
        return [core_action("scroll", context, x=point[0], y=point[1], delta_x=step_x * amount,
                            delta_y=step_y * amount, hold_keys=modifiers)]
    if said.action == "type":
        return [core_action("type_text", context, text=needs(said, "text"))]
    if said.action == "key":  # xdotool's `key` syntax: combos separated by spaces; the toolset's repeat
        return [core_action("press_key", context, keys=needs(said, "text").split() * (said.repeat or 1))]
    if said.action == "hold_key":
        return [core_action("press_key", context, keys=[needs(said, "text")],
                            duration=round(needs(said, "duration") * 1000))]
    if said.action == "wait":
        return [core_action("sleep", context, duration_ms=round(needs(said, "duration") * 1000))]
    return []  # screenshot


def zoom_region(said: ToolInput, scaling: Scaling) -> dict:
    """The screen region of a zoom's [x0, y0, x1, y1] in the model's space."""
    x0, y0, x1, y1 = needs(said, "region")
    (left, top), (right, bottom) = scaling.to_screen(x0, y0, "region"), scaling.to_screen(x1, y1, "region")
    if right <= left or bottom <= top:
        raise ApiError(400, "region must be [x0, y0, x1, y1] with x0 < x1 and y0 < y1")
    return {"x": left, "y": top, "width": right - left, "height": bottom - top}


def image_block(image: Image) -> dict:
    return {"type": "image",
            "source": {"type": "base64", "media_type": image.mime_type, "data": base64.b64encode(image.data).decode()}}


def text_block(text: str) -> dict:
    return {"type": "text", "text": text}


async def perform(request: web.Request, said: ToolInput, scaling: Scaling, context: dict) -> list[dict]:
    """Run one tool input; the content of its tool_result."""
    if said.action == "cursor_position":
        x, y = scaling.to_model(*await pointer_position(request, context))
        return [text_block(f"X={x},Y={y}")]
    if said.action == "zoom":
        [image] = await run(request, [core_action("screenshot", context, region=zoom_region(said, scaling))])
        return [image_block(image)]
    # Where the action acts: a drag's start (computer_20241022 drags from the pointer to `coordinate`).
    field = "start_coordinate" if said.action == "left_click_drag" else "coordinate"
    point = None
    if getattr(said, field) is not None:
        point = scaling.to_screen(*getattr(said, field), field)
    elif said.action in AT_POINTER:
        point = await pointer_position(request, context)
    elif said.action == "mouse_move":
        needs(said, "coordinate")
    results = await run(request, screenshot_after(core_actions(said, point, scaling, context), scaling, context))
    return [image_block(results[-1])]


def parse_body(body: bytes) -> dict:
    data = decode(body)
    if not isinstance(data, dict):
        raise ApiError(400, "the body is a tool_use block, or the computer tool's input: a JSON object")
    return data


def parse_block(data: dict) -> ToolUse | None:
    """The tool_use block the body is, or None for a bare input of the single tool."""
    return validated(ToolUse, data) if data.get("type") == "tool_use" else None


def answer(content: list[dict], is_error: bool, block: ToolUse | None) -> dict:
    """The tool_result of a block; for a bare input, its content and is_error."""
    said = {"content": content, "is_error": is_error}
    return {"type": "tool_result", "tool_use_id": block.id, **said} if block else said


def error_answer(error: ApiError, block: ToolUse | None = None) -> web.Response:
    """The model's mistakes answer 200, for the loop to hand back; the daemon's own troubles keep their status."""
    status = 200 if error.status == 400 else error.status
    return web.json_response(answer([text_block(f"Error: {error.message}")], True, block),
                             status=status, headers=error.headers)


async def computer(request: web.Request) -> web.Response:
    block = None
    try:
        context = validation_context(request)
        scaling = scaling_for(request, context["screen"], "auto")
        data = parse_body(await read(request))
        block = parse_block(data)
        said = block.tool_input() if block else validated(ToolInput, data)
        content = await perform(request, said, scaling, context)
    except ApiError as error:
        return error_answer(error, block)
    return web.json_response(answer(content, False, block))


async def tool_definition(request: web.Request) -> web.Response:
    """`?version=` one of TOOL_VERSIONS (the newest when not given); `?scale=` as for the actions."""
    version = request.query.get("version", TOOL_VERSIONS[0])
    if version not in TOOL_VERSIONS:
        raise ApiError(400, f"version must be one of {', '.join(TOOL_VERSIONS)}, not {version!r}")
    if version == TOOLSET:
        # A toolset entry has no name or display size: coordinates are in the space of the screenshots it returns
        # (scaled by `?scale=` as ever), and every member, zoom included, is on by default.
        return web.json_response({"type": TOOLSET})
    scaling = scaling_for(request, validation_context(request)["screen"], "auto")
    tool = {"type": version, "name": "computer",
            "display_width_px": scaling.model[0], "display_height_px": scaling.model[1]}
    display_number = computer_of(request).desktop.display_name.rpartition(":")[2].partition(".")[0]
    if display_number.isdigit():
        tool["display_number"] = int(display_number)
    if version == "computer_20251124":
        tool["enable_zoom"] = True
    return web.json_response(tool)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/agents/anthropic/computer", computer)
    app.router.add_get("/agents/anthropic/tool", tool_definition)


document("post", "/agents/anthropic/computer", "anthropic_computer", "Run the input of a computer tool_use block",
         body=ToolInput, query=ScaleQuery, reply=ToolResult, error=ToolResult, error_statuses=(413, 429, 503))
document("get", "/agents/anthropic/tool", "anthropic_tool", "The computer tool's definition, to send the model",
         query=ToolQuery, reply={"description": "The tool definition",
                                 "content": {"application/json": {"schema": {"type": "object"}}}}, error_statuses=(400,))
