"""Kernel's MCP tool `computer_action`: its schema, its calls and its results (mcp_route.py serves it at /mcp).

The official MCP SDK speaks the protocol; this module only translates. The tool's arguments are the
batch body of the HTTP API plus a session id (the computer of that id when there is one, else the daemon's
own display, like the browser id of the HTTP routes), validated by the same models with the same limits
against the live screen, and run by that computer's worker: FIFO with the HTTP requests, the same 429 when
the queue is full, everything released whatever ends a batch. Results and errors come back in the texts and
shapes Kernel's hosted tool uses (tool_result, error_result), since agents are prompted on them; its title,
hints and arguments (project, project_id, x/y as numbers, rounded) are Kernel's too.
"""

import asyncio
import base64
import json
import logging
import math
from importlib.metadata import version

import anyio
import mcp_types as types
from aiohttp import web
from mcp.server import Server, ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from pydantic import Field

from .. import models as m
from ..actions import Image
from ..errors import ApiError
from ..http.app_keys import COMPUTERS, SETTINGS
from ..http.asgi import AIOHTTP_REQUEST, connection_closed
from ..http.handling import checked_against
from ..http.bodies import validated
from ..openapi import apply_limits
from ..registry import ACTIONS, BatchRequest

log = logging.getLogger(__name__)

TOOL = "computer_action"
DESCRIPTION = """\
Operate the computer's screen like a person at it: click, move the mouse, type, press keys, scroll, \
drag, show or hide the cursor, wait, read or write the clipboard, take a screenshot, read the mouse position.

`actions` is an ordered list; each item is {"type": T, T: {...parameters}} (screenshot, read_clipboard \
and get_mouse_position may leave the parameters out). The actions run one after another, and the list \
stops at the first that fails.

How to use it well:
1. Start with a screenshot: it shows the screen and gives the viewport size, the coordinate space of every x/y.
2. Put related pointer and keyboard actions in one call (click a field, type, press Return) instead of one call each.
3. After something that makes the page load, animate or update later, add a sleep (e.g. 500-2000 ms) before looking.
4. screenshot, read_clipboard and get_mouse_position return data, so only the last action may be one of them; \
end with a screenshot whenever you need to see the result, with settle_ms (e.g. 100) so that it shows what the \
actions before it made the application draw.

Keys are X keysym names (Return, Tab, Escape, BackSpace, F5, Page_Down, a, A) or combos joined by + \
(Ctrl+l, Ctrl+Shift+Tab). Scroll deltas are wheel notches, positive down/right."""


TITLE = "Control browser (mouse, keyboard, screenshot)"
# Kernel's descriptions of its project selection, which a connection scoped to one project needs.
PROJECT = ("Optional project name or ID used to scope this operation. On organization-wide connections, omit it to "
           "use the API's organization-wide or default-project behavior. On project-scoped connections, omit it or "
           "pass the fixed project returned by get_connection_context.")
PROJECT_ID = ("Deprecated: use `project` instead. Optional project ID used to scope this operation. On "
              "organization-wide connections, omit it to use the API's organization-wide or default-project behavior. "
              "On project-scoped connections, omit it or pass the fixed project ID returned by get_connection_context.")
DATA_ACTIONS = frozenset(name for name, spec in ACTIONS.items() if spec.returns_data)
# The coordinates Kernel's schema takes as any number (z.number()): rounded to the pixel here, by model and field.
NUMBERS = {"ClickMouseRequest": ("x", "y"), "MoveMouseRequest": ("x", "y"), "ScrollRequest": ("x", "y", "delta_x", "delta_y"),
           "Region": ("x", "y")}


class ToolArguments(BatchRequest):
    """computer_action's arguments: the HTTP API's batch, Kernel's session id and project selection."""

    session_id: str = Field(description="Browser session id, as Kernel's tool takes it: the computer of that id "
                            "when there is one, else the daemon's own display")
    project: str = Field(None, min_length=1, description=PROJECT, json_schema_extra=m.ABSENT.json_schema_extra)
    project_id: str = Field(None, min_length=1, description=PROJECT_ID, json_schema_extra=m.ABSENT.json_schema_extra)


def input_schema(limits: dict[str, int]) -> dict:
    """The JSON schema of the arguments, from the models that validate them, showing the configured limits;
    coordinates are numbers, as in Kernel's schema."""
    schema = ToolArguments.model_json_schema()
    apply_limits(schema, limits)
    for model, fields in NUMBERS.items():
        for field in fields:
            schema["$defs"][model]["properties"][field]["type"] = "number"
    for point in schema["$defs"]["DragMouseRequest"]["properties"]["path"]["items"]["prefixItems"]:
        point["type"] = "number"
    return schema


def rounded(arguments: dict) -> dict:
    """The arguments with the coordinates Kernel takes as numbers rounded to whole pixels."""

    def whole(value):
        return round(value) if isinstance(value, float) and math.isfinite(value) else value

    def round_fields(params, fields):
        return {key: whole(value) if key in fields else value for key, value in params.items()}

    actions = []
    for one in arguments.get("actions") if isinstance(arguments.get("actions"), list) else []:
        params = one.get(one.get("type")) if isinstance(one, dict) and isinstance(one.get("type"), str) else None
        if isinstance(params, dict):
            if one["type"] in ("click_mouse", "move_mouse", "scroll"):
                params = round_fields(params, NUMBERS["ScrollRequest"])
            elif one["type"] == "drag_mouse" and isinstance(params.get("path"), list):
                params = {**params, "path": [[whole(v) for v in point] if isinstance(point, list) else point
                                             for point in params["path"]]}
            elif one["type"] == "screenshot" and isinstance(params.get("region"), dict):
                params = {**params, "region": round_fields(params["region"], NUMBERS["Region"])}
            one = {**one, one["type"]: params}
        actions.append(one)
    return {**arguments, "actions": actions} if actions else arguments


def misplaced(arguments: dict) -> str | None:
    """Kernel's text for a data-returning action before the last, which it answers before anything runs."""
    actions = arguments.get("actions")
    for one in actions[:-1] if isinstance(actions, list) else []:
        if isinstance(one, dict) and one.get("type") in DATA_ACTIONS:
            return f"Error: {one['type']} must be the last action in the sequence."
    return None


def parse(arguments: dict | None, context: dict) -> ToolArguments:
    """Validated as the HTTP body is, the whole batch first; x and y rounded, as Kernel's tool takes numbers."""
    return validated(ToolArguments, rounded(arguments or {}), context)


def viewport_text(screen: tuple[int, int], shot: m.ScreenshotRequest) -> str:
    """Kernel's sentence on the coordinate space; then, for a picture that is a part or scaled (extensions), how
    to get there from a point in it."""
    width, height = screen
    said = f"Viewport: {width}x{height}. Use these dimensions as the coordinate space for click, scroll, and move actions."
    x, y, part_width, part_height = (0, 0, width, height)
    if shot.region:
        x, y, part_width, part_height = shot.region.x, shot.region.y, shot.region.width, shot.region.height
        said += f" The image shows only the {part_width}x{part_height} region at ({x}, {y}): add ({x}, {y}) to a point in it."
    if shot.scale_to:
        image_width, image_height = shot.scale_to.size_for(part_width, part_height)
        if (image_width, image_height) != (part_width, part_height):
            said += (f" The image is scaled to {image_width}x{image_height}: multiply a point in it by "
                     f"{part_width / image_width:.4g} (x) and {part_height / image_height:.4g} (y) for screen coordinates.")
    return said


def text(said: str) -> types.TextContent:
    return types.TextContent(text=said)


def tool_result(actions: list, results: list, screen: tuple[int, int]) -> types.CallToolResult:
    """Kernel's texts: for a screenshot at the end, how many actions ran before it (when any), the viewport and
    the image; for JSON data at the end, the same count, then the data as indented JSON (and structured);
    else how many ran. A batch the client left short ends with the last action that ran."""
    count = len(results)
    last = actions[count - 1] if count else None
    before = count - 1
    if results and isinstance(results[-1], Image):
        image = results[-1]
        summary = [text(f"Executed {before} action(s), then captured screenshot.")] if before else []
        return types.CallToolResult(content=[
            *summary, text(viewport_text(screen, last.params)),
            types.ImageContent(data=base64.b64encode(image.data).decode(), mime_type=image.mime_type),
        ])
    if last is not None and ACTIONS[last.type].wire.reply == "json":
        summary = [text(f"Executed {before} action(s).")] if before else []
        return types.CallToolResult(content=[*summary, text(json.dumps(results[-1], indent=2, ensure_ascii=False))],
                                    structured_content=results[-1])
    return types.CallToolResult(content=[text(f"Executed {count} action(s) successfully")])


def error_result(error: ApiError) -> types.CallToolResult:
    """An error as Kernel's tool words what its API answered: the SDK's message (status and message), the code."""
    said = f"Error in {TOOL} (actions): {error.status} {error.message} [code: {error.code}]"
    if retry_after := error.headers.get("Retry-After"):
        said += f" (retry the call after {retry_after} s)"
    return types.CallToolResult(content=[text(said)], structured_content=error.body(), is_error=True)


def is_error(said: str) -> types.CallToolResult:
    return types.CallToolResult(content=[text(said)], is_error=True)


async def run_batch(worker, actions: list, request: web.Request | None) -> list:
    """Run through the computer's worker. The client leaving (its HTTP connection closed, or its session ended, which
    cancels this call) stops the batch after the current action, as for the HTTP API, instead of mid-action."""
    left = False
    running = asyncio.ensure_future(
        worker.run_actions(actions, lambda: left or (request is not None and connection_closed(request))))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        left = True
        with anyio.CancelScope(shield=True):  # the SDK cancels through anyio, which would cancel this wait again
            await asyncio.gather(running, return_exceptions=True)
        raise


def computer_named(app: web.Application, arguments: dict | None):
    """The computer whose id is the session_id, else the daemon's own display (as Kernel's /browsers/{id}/...)."""
    computers = app[COMPUTERS]
    session_id = (arguments or {}).get("session_id")
    return (computers.get(session_id) if isinstance(session_id, str) else None) or computers.local


def create_server(app: web.Application) -> Server:
    schema = input_schema(app[SETTINGS].limits)
    tool = types.Tool(
        name=TOOL,
        description=DESCRIPTION,
        input_schema=schema,
        annotations=types.ToolAnnotations(title=TITLE, read_only_hint=False, destructive_hint=True,
                                          idempotent_hint=False, open_world_hint=True),
    )

    async def list_tools(ctx: ServerRequestContext, params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool])

    async def call_tool(ctx: ServerRequestContext, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name != TOOL:  # as the TypeScript SDK's McpServer answers it
            return is_error(f"MCP error {types.INVALID_PARAMS}: Tool {params.name} not found")
        if said := misplaced(params.arguments or {}):
            return is_error(said)
        request = ctx.request.scope.get(AIOHTTP_REQUEST) if ctx.request is not None else None
        try:
            computer = computer_named(app, params.arguments)
            context = checked_against(computer.desktop, app[SETTINGS].limits)
            batch = parse(params.arguments, context)
            results = await run_batch(computer.worker, batch.actions, request)
        except ApiError as error:
            return error_result(error)
        except Exception:
            log.exception("unhandled error in %s", TOOL)
            return error_result(ApiError(500, "internal error"))
        return tool_result(batch.actions, results, context["screen"])

    server = Server("xhands", version=version("xhands"), on_list_tools=list_tools, on_call_tool=call_tool,
                    get_tool_input_schema=lambda name: schema if name == TOOL else None)
    server.middleware.clear()  # the SDK's tracing middleware: a span per message nobody collects, on every call
    return server


def create_manager(app: web.Application) -> StreamableHTTPSessionManager:
    """The SDK's streamable HTTP sessions over the tool; the caller runs it (manager.run()) and routes to it."""
    # Host and Origin checks are the app's middlewares' (origin.py): the SDK's own would refuse the names
    # --allow-host adds and the token holders of other origins, and answer in another shape than the other routes.
    # A call's result is answered as plain JSON, not as an SSE stream of one event: the tool sends nothing before
    # its result, and a click measured ~10 % faster so, end to end with the SDK's client (clients accept both).
    return StreamableHTTPSessionManager(app=create_server(app), security_settings=None, json_response=True,
                                        max_request_body_size=app[SETTINGS].max_body)
