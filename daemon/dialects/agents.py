"""What the dialects of agents' tools (anthropic.py, openai.py, lightcone.py) share: the model's coordinate space and
its scaling to the screen, building the core's actions, and running them through the one worker.

A model sees the screen in a coordinate space of its own (Anthropic recommends XGA-like sizes, since its
models are trained at them): screenshots are scaled to that space and the coordinates it sends scaled back.
"""

from typing import NamedTuple

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from ..errors import ApiError, from_validation
from ..http.handling import client_gone, computer_of
from ..models import SingleAction
from ..registry import PARAMS

# Anthropic's recommended sizes: XGA, WXGA, FWXGA.
MODEL_SIZES = ((1024, 768), (1280, 800), (1366, 768))
ASPECT_TOLERANCE = 0.02
# A screen change (a page reacting to a click) takes a frame or several to be drawn: the screenshot an
# action answers with waits until the application has drawn and the screen has rested this long (settle.py;
# at most 2 s, as long as the reference loops always wait). After typing into Chromium that is ~170 ms.
SETTLE_MS = 100
# Chromium scrolls about 100 px per wheel notch: the pixel deltas of OpenAI and Lightcone become notches at this rate.
PIXELS_PER_NOTCH = 100
# A wait that carries no duration (OpenAI's, Northstar's) waits as OpenAI's sample loop does.
WAIT_MS = 1000


class Scaling(NamedTuple):
    """The screen's size and the model's; coordinates go from one space to the other per axis."""

    screen: tuple[int, int]
    model: tuple[int, int]

    def to_screen(self, x: int, y: int, what: str = "coordinate") -> tuple[int, int]:
        """A model point on the screen; a point outside the model's space is an error naming its range."""
        width, height = self.model
        if not (0 <= x < width and 0 <= y < height):
            raise ApiError(400, f"{what} ({x}, {y}) is outside the screen: x must be 0..{width - 1} and y 0..{height - 1}")
        return (min(round(x * self.screen[0] / width), self.screen[0] - 1),
                min(round(y * self.screen[1] / height), self.screen[1] - 1))

    def to_model(self, x: int, y: int) -> tuple[int, int]:
        return (min(round(x * self.model[0] / self.screen[0]), self.model[0] - 1),
                min(round(y * self.model[1] / self.screen[1]), self.model[1] - 1))

    def screenshot_params(self) -> dict:
        """The core's screenshot of the whole screen as the model sees it."""
        if self.model == self.screen:
            return {}
        return {"scale_to": {"width": self.model[0], "height": self.model[1], "keep_aspect": False}}


def recommended_size(screen: tuple[int, int]) -> tuple[int, int]:
    """The largest recommended size smaller than the screen with nearly its aspect ratio, else the screen's own."""
    width, height = screen
    fitting = [(w, h) for w, h in MODEL_SIZES
               if abs(w / h - width / height) <= ASPECT_TOLERANCE and w < width and h < height]
    return max(fitting, key=lambda size: size[0] * size[1], default=screen)


class ScaleQuery(BaseModel):
    """The query of the agents' routes, as scaling_for reads it."""

    scale: str | None = Field(None, pattern=r"^(auto|none|[0-9]+x[0-9]+)$", description=(
        "The model's coordinate space: auto (a recommended size near the screen's aspect), none (the screen's "
        "own) or WxH no larger than the screen"))


def scaling_for(request: web.Request, screen: tuple[int, int], default: str) -> Scaling:
    """`?scale=auto` (the recommended size), `none` (the screen's own) or `WxH`; `default` when not given."""
    said = request.query.get("scale", default)
    if said == "auto":
        return Scaling(screen, recommended_size(screen))
    if said == "none":
        return Scaling(screen, screen)
    width, _, height = said.partition("x")
    if not (width.isdigit() and height.isdigit() and 0 < int(width) <= screen[0] and 0 < int(height) <= screen[1]):
        raise ApiError(400, f"scale must be auto, none or WxH no larger than the screen ({screen[0]}x{screen[1]}), not {said!r}")
    return Scaling(screen, (int(width), int(height)))


def key_name(key: str) -> str:
    """OpenAI's key names (CTRL, ENTER, ArrowLeft, cmd) and Lightcone's DOM ones (Control, Meta, ArrowLeft) are
    the core's, case aside; a lone letter is the key, not the capital, and `+` is a key of its own, not a joint."""
    if key == "+":
        return "plus"
    return key.lower() if len(key) == 1 else key


def notches(pixels: float) -> int:
    """Wheel notches for a scroll of `pixels`: rounded, and at least one for any movement."""
    if pixels == 0:
        return 0
    return (1 if pixels > 0 else -1) * max(1, round(abs(pixels) / PIXELS_PER_NOTCH))


def core_action(name: str, context: dict, **params) -> SingleAction:
    """One of the core's actions, validated by its own model (limits, key names, on-screen checks)."""
    try:
        return SingleAction(name, PARAMS[name].model_validate(params, context=context))
    except ValidationError as exc:
        raise from_validation(exc) from None


def screenshot_after(actions: list[SingleAction], scaling: Scaling, context: dict) -> list[SingleAction]:
    """The actions, then the screen as the model sees it, once what they changed has been drawn."""
    settle = {"settle_ms": SETTLE_MS} if actions else {}
    return [*actions, core_action("screenshot", context, **scaling.screenshot_params(), **settle)]


async def run(request: web.Request, actions: list[SingleAction], request_ids: list[str] | None = None) -> list:
    return await computer_of(request).worker.run_actions(actions, client_gone(request), request_ids)


async def pointer_position(request: web.Request, context: dict) -> tuple[int, int]:
    """Where the pointer is on the screen, for the actions that act there when given no coordinate."""
    [position] = await run(request, [core_action("get_mouse_position", context)])
    return position["x"], position["y"]
