"""Resizing the screen, for every dialect's resize route: through the worker like any action, so it never cuts
into one, and answered the same way everywhere."""

from aiohttp import web

from xhands.input import DisplayUnavailable, FixedScreenSize, XRequestFailed

from .errors import ApiError

CAN_RESIZE = "start xhands with `--xserver xvnc` for a display that can be resized"


async def resize_screen(request: web.Request, width: int, height: int) -> dict:
    """Make the screen width x height; the new size, as the server now has it."""
    desktop = request.app["desktop"]

    async def resize():
        desktop.resize(width, height)
        return desktop.screen_size

    try:
        new_width, new_height = await request.app["worker"].submit(resize)
    except FixedScreenSize as exc:
        raise ApiError(409, f"{exc}; {CAN_RESIZE}", code="conflict") from None
    except XRequestFailed as exc:
        raise ApiError(409, f"the X server refused the new size ({exc}); {CAN_RESIZE}", code="conflict") from None
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    except DisplayUnavailable as exc:
        raise ApiError(503, str(exc)) from None
    return {"width": new_width, "height": new_height}
