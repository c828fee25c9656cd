"""Resizing the screen, for every dialect's resize route and Lightcone's set_viewport action: through the worker
like any action, so it never cuts into one, and answered the same way everywhere."""

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from xhands.input import Desktop, DisplayUnavailable, FixedScreenSize, XRequestFailed

from .errors import ApiError

CAN_RESIZE = "start xhands with `--xserver xvnc` for a display that can be resized"


class DisplaySize(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    width: Annotated[int, Field(gt=0)]
    height: Annotated[int, Field(gt=0)]


async def resize_action(desktop: Desktop, size: DisplaySize) -> dict:
    """Make the screen width x height; the new size, as the server now has it."""
    try:
        desktop.resize(size.width, size.height)
    except FixedScreenSize as exc:
        raise ApiError(409, f"{exc}; {CAN_RESIZE}", code="conflict") from None
    except XRequestFailed as exc:
        raise ApiError(409, f"the X server refused the new size ({exc}); {CAN_RESIZE}", code="conflict") from None
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    width, height = desktop.screen_size
    return {"width": width, "height": height}


async def resize_screen(request: web.Request, width: int, height: int) -> dict:
    """resize_action as a request of its own."""
    try:
        return await request.app["worker"].submit(lambda: resize_action(request.app["desktop"], DisplaySize(width=width, height=height)))
    except DisplayUnavailable as exc:
        raise ApiError(503, str(exc)) from None
