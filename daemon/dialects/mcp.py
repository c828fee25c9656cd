"""Kernel's MCP tool `computer_action`: its schema, its calls and its results (mcp_route.py serves it at /mcp).

The official MCP SDK speaks the protocol; this module only translates. The tool's arguments are the
batch body of the HTTP API plus a session id (the computer of that id when there is one, else the daemon's
own display, like the browser id of the HTTP routes), validated by the same models with the same limits
against the live screen, and run by that computer's worker: FIFO with the HTTP requests, the same 429 when the queue is full, everything released whatever
ends a batch. Results and errors come back in the shapes Kernel's hosted tool uses (see tool_result).
"""

import asyncio
import base64
import json
import logging
from importlib.metadata import version

import anyio
import mcp_types as types
from aiohttp import web
from mcp.server import Server, ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from pydantic import Field, ValidationError

from .. import models as m
from ..actions import Image
from ..errors import ApiError, from_validation
from ..http.app_keys import COMPUTERS, SETTINGS
from ..http.asgi import AIOHTTP_REQUEST, connection_closed
from ..http.handling import checked_against
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


class ToolArguments(BatchRequest):
    """computer_action's arguments: the HTTP API's batch and Kernel's session id."""

    session_id: str = Field(description="Browser session id, as Kernel's tool takes it: the computer of that id "
                            "when there is one, else the daemon's own display")


def input_schema(limits: dict[str, int]) -> dict:
    """The JSON schema of the arguments, from the models that validate them, showing the configured limits."""
    schema = ToolArguments.model_json_schema()
    apply_limits(schema, limits)
    return schema


def parse(arguments: dict | None, context: dict) -> ToolArguments:
    """Validated as the HTTP body is: from JSON text (strict types, a tuple is a JSON array), the whole batch first."""
    try:
        return ToolArguments.model_validate_json(json.dumps(arguments or {}, allow_nan=False), context=context)
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise from_validation(exc, arguments) from None
        raise ApiError(400, f"invalid request: {exc}") from None  # NaN or infinity: not JSON


def viewport_text(screen: tuple[int, int], shot: m.ScreenshotRequest) -> str:
    """The coordinate space for x/y, and how to get there from a point in the picture when it is a part or scaled."""
    width, height = screen
    said = f"Viewport: {width}x{height}. Use these dimensions as the coordinate space for x/y."
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


def tool_result(actions: list, results: list, screen: tuple[int, int]) -> types.CallToolResult:
    """A summary text; for a screenshot at the end the viewport and the image; for JSON data, it as text and structured."""
    count = len(results)
    if count == 0:  # the client left before the first action
        return types.CallToolResult(content=[types.TextContent(text="Executed 0 action(s)")])
    last = actions[count - 1]
    if isinstance(results[-1], Image):
        image = results[-1]
        return types.CallToolResult(content=[
            types.TextContent(text=f"Executed {count} action(s), then captured screenshot."),
            types.TextContent(text=viewport_text(screen, last.params)),
            types.ImageContent(data=base64.b64encode(image.data).decode(), mime_type=image.mime_type),
        ])
    if ACTIONS[last.type].wire.reply == "json":
        return types.CallToolResult(
            content=[types.TextContent(text=f"Executed {count} action(s); {last.type} returned:"),
                     types.TextContent(text=json.dumps(results[-1], ensure_ascii=False))],
            structured_content=results[-1],
        )
    return types.CallToolResult(content=[types.TextContent(text=f"Executed {count} action(s) successfully")])


def error_result(error: ApiError) -> types.CallToolResult:
    """The HTTP API's error (code, message with the failing action's index) as a tool error the model can read."""
    said = f"{error.code}: {error.message}"
    if retry_after := error.headers.get("Retry-After"):
        said += f" (retry the call after {retry_after} s)"
    return types.CallToolResult(content=[types.TextContent(text=said)], structured_content=error.body(), is_error=True)


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
        title="Computer action",
        description=DESCRIPTION,
        input_schema=schema,
        annotations=types.ToolAnnotations(title="Computer action", read_only_hint=False, idempotent_hint=False),
    )

    async def list_tools(ctx: ServerRequestContext, params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool])

    async def call_tool(ctx: ServerRequestContext, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name != TOOL:
            raise MCPError(types.INVALID_PARAMS, f"unknown tool {params.name!r}; the tool is {TOOL}")
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
    return StreamableHTTPSessionManager(app=create_server(app), security_settings=None,
                                        max_request_body_size=app[SETTINGS].max_body)
