"""Request models: the one source of validation and of the OpenAPI document.

Strict like a Go or TypeScript client of the same OpenAPI: no coercion
("10" or true is not an integer), int32 range, unknown fields rejected.
Screen bounds and limits come from the validation context, so a whole batch
is checked against the live screen before anything runs.
"""

from typing import Annotated, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from xhands.input import UnknownKey, fit_size, parse_combo

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
MAX_ACTIONS = 100
MAX_COMBO_KEYS = 100  # keys pressed together in one combo (or a dialect's hotkey)
MAX_TEXT = 100_000
MAX_PATH = 1_000
MAX_SETTLE_MS = 2_000  # a screenshot's settle wait, and its whole wait for the screen, end within this

Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]


def _screen(info: ValidationInfo) -> tuple[int, int] | None:
    return (info.context or {}).get("screen")


LIMIT_MARK = "x-xhands-limit"  # names the setting behind a maxLength/maxItems; openapi.py puts the configured value there


class WithinLimit:
    """A length limit the daemon's configuration may change: context["limits"][name] when validating;
    in the JSON schema the default, marked with LIMIT_MARK so the OpenAPI document can show the configured one."""

    def __init__(self, name: str, default: int, what: str, unit: str):
        self.name, self.default, self.what, self.unit = name, default, what, unit

    def check(self, value, info: ValidationInfo):
        limit = (info.context or {}).get("limits", {}).get(self.name, self.default)
        if len(value) > limit:
            raise PydanticCustomError(
                "too_long",
                "{what} has {length} {unit}, more than the limit of {limit} (raise it with {flag})",
                # Formatted here: the message template has no format specs, and 100,000 reads better.
                {"what": self.what, "length": f"{len(value):,}", "unit": self.unit, "limit": f"{limit:,}",
                 "flag": "--" + self.name.replace("_", "-")},
            )
        return value

    def __get_pydantic_core_schema__(self, source, handler: GetCoreSchemaHandler):
        return core_schema.with_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema, handler: GetJsonSchemaHandler):
        json_schema = handler(schema)
        json_schema["maxLength" if json_schema.get("type") == "string" else "maxItems"] = self.default
        json_schema[LIMIT_MARK] = self.name
        return json_schema


def _on_screen(axis: int, name: str):
    def check(value: int, info: ValidationInfo) -> int:
        screen = _screen(info)
        if screen and not 0 <= value < screen[axis]:
            raise PydanticCustomError(
                "out_of_screen",
                "{name}={value} is outside the screen (0..{last})",
                {"name": name, "value": value, "last": screen[axis] - 1},
            )
        return value

    return AfterValidator(check)


ScreenX = Annotated[Int32, _on_screen(0, "x")]
ScreenY = Annotated[Int32, _on_screen(1, "y")]


def _valid_combo(combo: str) -> str:
    # Every key takes at most two characters of `+` (`a++` is a and plus): more than that many is too many keys,
    # refused before parsing them.
    too_many = combo.count("+") > 2 * MAX_COMBO_KEYS
    try:
        too_many = too_many or len(parse_combo(combo)) > MAX_COMBO_KEYS
    except UnknownKey as exc:
        raise PydanticCustomError("unknown_key", str(exc)) from None
    if too_many:
        raise PydanticCustomError("too_many_keys", "a combo has at most {limit} keys", {"limit": MAX_COMBO_KEYS})
    return combo


KeyCombo = Annotated[str, AfterValidator(_valid_combo)]
HoldKeys = Annotated[list[KeyCombo], Field(default_factory=list, max_length=16, description="Modifier keys to hold during the action")]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class ClickMouseRequest(Strict):
    x: ScreenX = Field(description="X coordinate of the click position")
    y: ScreenY = Field(description="Y coordinate of the click position")
    button: Literal["left", "right", "middle", "back", "forward"] = "left"
    click_type: Literal["down", "up", "click"] = "click"
    hold_keys: HoldKeys
    num_clicks: int = Field(1, ge=1, le=100, description="Number of times to repeat the click")
    smooth: bool = Field(False, description="Extension: approach x,y along a Bezier path first")


class MoveMouseRequest(Strict):
    x: ScreenX
    y: ScreenY
    hold_keys: HoldKeys
    smooth: bool = Field(True, description="Human-like Bezier path instead of an instant jump")
    duration_ms: int | None = Field(None, ge=50, le=5000, description="Omit for distance-based timing")


class TypeTextRequest(Strict):
    text: Annotated[str, WithinLimit("max_text", MAX_TEXT, "text", "characters")] = Field(
        description=f"Text to type; any Unicode, \\n as Return, \\t as Tab; at most {MAX_TEXT:,} characters by default"
    )
    delay: int = Field(0, ge=0, le=10_000, description="Delay in milliseconds between keystrokes")
    smooth: bool = Field(False, description="Extension: type like a person (word bursts, varied delays, pauses after sentences)")
    typo_chance: float = Field(0.0, ge=0.0, le=0.10, allow_inf_nan=False, description="Extension, with smooth: chance of a corrected typo per letter")


class PressKeyRequest(Strict):
    keys: list[KeyCombo] = Field(min_length=1, max_length=100, description="Keysym names or combos like Ctrl+Shift+Tab")
    duration: int = Field(0, ge=0, le=30_000, description="Hold the keys this long (ms); 0 taps them")
    hold_keys: HoldKeys


class HeldKeyRequest(Strict):
    """A key (or combo, pressed in order) held down across actions: Lightcone's key-down and key-up."""

    key: KeyCombo


class ScrollRequest(Strict):
    x: ScreenX
    y: ScreenY
    delta_x: int = Field(0, ge=-1000, le=1000, description="Wheel notches; positive scrolls right")
    delta_y: int = Field(0, ge=-1000, le=1000, description="Wheel notches; positive scrolls down")
    hold_keys: HoldKeys

    @model_validator(mode="after")
    def _moves(self):
        if self.delta_x == 0 and self.delta_y == 0:
            raise PydanticCustomError("no_scroll", "delta_x and delta_y are both 0")
        return self


Point = Annotated[tuple[ScreenX, ScreenY], Field(description="[x, y]")]


class DragMouseRequest(Strict):
    path: Annotated[list[Point], WithinLimit("max_path", MAX_PATH, "path", "points")] = Field(
        min_length=2, description=f"[x, y] points to drag through; at most {MAX_PATH:,} by default"
    )
    button: Literal["left", "middle", "right"] = "left"
    delay: int = Field(0, ge=0, le=30_000, description="ms between button down and the first move")
    steps_per_segment: int = Field(10, ge=1, le=1000)
    step_delay_ms: int = Field(50, ge=0, le=10_000)
    hold_keys: HoldKeys
    smooth: bool = True
    duration_ms: int | None = Field(None, ge=50, le=10_000)


class SetCursorRequest(Strict):
    hidden: bool


class SleepAction(Strict):
    duration_ms: int = Field(ge=0, le=30_000)


class WriteClipboardRequest(Strict):
    text: Annotated[str, WithinLimit("max_text", MAX_TEXT, "text", "characters")]


class Region(Strict):
    x: ScreenX
    y: ScreenY
    width: int = Field(ge=1, le=INT32_MAX)
    height: int = Field(ge=1, le=INT32_MAX)

    @model_validator(mode="after")
    def _inside(self, info: ValidationInfo):
        screen = _screen(info)
        if screen and (self.x + self.width > screen[0] or self.y + self.height > screen[1]):
            raise PydanticCustomError(
                "out_of_screen", "region extends past the screen ({w}x{h})", {"w": screen[0], "h": screen[1]}
            )
        return self


MAX_IMAGE_SIDE = 16_384


class ScaleTo(Strict):
    """Largest picture wanted; the capture is scaled down to fit inside it with its aspect ratio kept."""

    width: int | None = Field(None, ge=1, le=MAX_IMAGE_SIDE, description="Maximum width in pixels")
    height: int | None = Field(None, ge=1, le=MAX_IMAGE_SIDE, description="Maximum height in pixels")
    keep_aspect: bool = Field(True, description=(
        "Extension: false scales to exactly width x height (both needed, never enlarged), as the computer-use "
        "models' fixed coordinate spaces (1366x768 for a 1920x1080 screen) want"))

    @model_validator(mode="after")
    def _some_size(self):
        if self.width is None and self.height is None:
            raise PydanticCustomError("no_size", "scale_to needs width, height or both")
        if not self.keep_aspect and (self.width is None or self.height is None):
            raise PydanticCustomError("no_exact_size", "scale_to with keep_aspect false needs both width and height")
        return self

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        """The picture's size for a capture of width x height."""
        if self.keep_aspect:
            return fit_size(width, height, self.width, self.height)
        return min(width, self.width), min(height, self.height)


class ScreenshotRequest(Strict):
    region: Region | None = None
    format: Literal["png", "jpeg", "webp"] = Field("png", description="Extension: image format (png is lossless)")
    quality: int | None = Field(
        None, ge=1, le=100, description="Extension: jpeg/webp quality (jpeg 85, webp 80 when omitted); not for png"
    )
    scale_to: ScaleTo | None = Field(
        None, description="Extension: scale the capture down to fit width x height, aspect ratio kept; never enlarged"
    )
    include_cursor: bool = Field(False, description="Extension: draw the pointer's current cursor image into the picture")
    settle_ms: int | None = Field(
        None, ge=0, le=MAX_SETTLE_MS,
        description="Extension: first wait until the screen shows the input sent before (something drawn since, "
                    "or nothing within 300 ms) and has then not changed for this many ms; at most 2 s in all",
    )

    @model_validator(mode="after")
    def _quality_for_lossy(self):
        if self.quality is not None and self.format == "png":
            raise PydanticCustomError("quality_for_png", "quality applies to jpeg and webp, not png")
        return self


class DisplaySize(Strict):
    """The screen's new size (Kernel's PATCH /computer/display, Lightcone's viewport)."""

    width: Annotated[int, Field(gt=0)]
    height: Annotated[int, Field(gt=0)]


class NoParams(Strict):
    """Actions without parameters (read_clipboard, get_mouse_position)."""


class MousePosition(Strict):
    """get_mouse_position's result."""

    x: int
    y: int


class ClipboardText(Strict):
    """read_clipboard's result."""

    text: str


class SingleAction(NamedTuple):
    """One action as the worker runs it: its type (a registry.PARAMS key) and its validated parameters. A batch's
    ComputerAction has the same two attributes; a dialect builds these, without a ComputerAction per request."""

    type: str
    params: BaseModel


def _without_default(schema: dict) -> None:
    schema.pop("default", None)


# A parameters field left out is None, but null is no object and is refused; the schema shows neither.
ABSENT = Field(None, json_schema_extra=_without_default)


class OneAction(Strict):
    """The base of the batch union (registry.ComputerAction): `type` names the action and the field of the
    same name holds its parameters, which may be left out only where none is required."""

    @model_validator(mode="after")
    def _one_matching_field(self):
        given = self.model_fields_set - {"type"}
        others = given - {self.type}
        if others:
            raise PydanticCustomError(
                "field_mismatch", "field {others} does not match type {type}", {"others": ", ".join(sorted(others)), "type": self.type}
            )
        if self.type not in given:
            params = type(self).model_fields[self.type].annotation
            if any(field.is_required() for field in params.model_fields.values()):
                raise PydanticCustomError("missing_params", "type {type} needs a {type} field", {"type": self.type})
            setattr(self, self.type, params())
        return self

    @property
    def params(self) -> BaseModel:
        return getattr(self, self.type)


def batch_request(action: type[OneAction], data_returning: frozenset[str]) -> type[BaseModel]:
    """The batch body over the union of actions; data-returning actions only last."""

    class BatchRequest(Strict):
        actions: list[action] = Field(min_length=1, max_length=MAX_ACTIONS)

        @field_validator("actions")
        @classmethod
        def _data_last(cls, actions: list[OneAction]) -> list[OneAction]:
            for index, one in enumerate(actions[:-1]):
                if one.type in data_returning:
                    raise PydanticCustomError(
                        "data_action_not_last",
                        "{type} returns data and may only be the last action",
                        {"type": one.type, "at": index},  # 'at' extends the error's JSON path
                    )
            return actions

    return BatchRequest
