"""The API's routes, and what to say about a path that is none of them."""

import difflib
import re
from dataclasses import dataclass

PREFIXES = ("/computer", "/browsers/{id}/computer")
OTHER_PATHS = ("/health", "/metrics", "/openapi.json")


@dataclass(frozen=True)
class Route:
    """A single-action route: which action it runs and how its result is answered."""

    action: str
    reply: str  # "empty", "ok", "json" or "image"


ROUTES = {
    "click_mouse": Route("click_mouse", "empty"),
    "move_mouse": Route("move_mouse", "empty"),
    "type": Route("type_text", "empty"),
    "press_key": Route("press_key", "empty"),
    "scroll": Route("scroll", "empty"),
    "drag_mouse": Route("drag_mouse", "empty"),
    "cursor": Route("set_cursor", "ok"),
    "screenshot": Route("screenshot", "image"),
    "get_mouse_position": Route("get_mouse_position", "json"),
    "clipboard/read": Route("read_clipboard", "json"),
    "clipboard/write": Route("write_clipboard", "empty"),
}
OPERATIONS = ("batch", *ROUTES)
# Batch actions whose route is named otherwise: callers try POST /computer/type_text for the route /computer/type.
ROUTE_OF_ACTION = {route.action: path for path, route in ROUTES.items() if route.action != path}
UNDER_A_PREFIX = re.compile(r"(/computer|/browsers/[^/]+/computer)/(.*)")


def unknown_route(method: str, path: str) -> str:
    """A 404's message: the route the caller most likely meant, if one is close."""
    said = f"no route {method} {path}"
    if match := UNDER_A_PREFIX.fullmatch(path):
        prefix, operation = match.groups()
        if operation in ROUTE_OF_ACTION:
            return f"{said}: the route is {prefix}/{ROUTE_OF_ACTION[operation]} ({operation} is the batch action's name)"
        candidates = [f"{prefix}/{name}" for name in difflib.get_close_matches(operation, OPERATIONS, n=1)]
    else:
        candidates = difflib.get_close_matches(path, [*OTHER_PATHS, *(f"{PREFIXES[0]}/{name}" for name in OPERATIONS)], n=1)
    if candidates:
        return f"{said}; did you mean {candidates[0]}?"
    return f"{said}; /openapi.json lists the routes"
