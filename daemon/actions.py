"""Each action type is one small async function: (desktop, params) -> result.

Results: {} for actions that return nothing, {"x","y"}, {"text"}, or an Image.
They run one at a time, in the order the worker takes requests (worker.py);
clipboard helpers and image encoding run off the event loop.
"""

import asyncio
import time
from dataclasses import dataclass

from xhands.input import (
    BUTTONS,
    IMAGE_TYPES,
    Desktop,
    FixedScreenSize,
    Scope,
    XRequestFailed,
    char_to_keysym,
    encode_image,
    parse_combo,
    read_clipboard,
    wheel_clicks,
    write_clipboard,
)
from xhands.input.timing import follow, sleep_until

from . import models as m
from .errors import ApiError


def _motion():
    """input.motion and bezier/ need numpy (~11 MB of RSS): loaded on first use, or by warm_up()."""
    from xhands.input import motion

    return motion


def _warm() -> None:
    _motion()
    from xhands.bezier import plan_move
    from xhands.bezier.keystrokes import plan_keystrokes

    plan_move((0, 0), (100, 100), 100, bounds=(200, 200))  # numpy's first calls are slow too
    plan_keystrokes("warm up", 0.0)


async def warm_up() -> None:
    """Load the motion code off the event loop, so the first smooth move is on time (~150 ms of imports)."""
    try:
        await asyncio.to_thread(_warm)
    except Exception:  # only a head start; the real use will import and report for itself
        pass


# Gap between the clicks of num_clicks: far inside any double-click interval, yet distinct events.
CLICK_GAP_S = 0.015
# The least gap the X server itself keeps between them. Chromium takes a press stamped in the same millisecond
# as the one before for a copy of it, not a further click: a daemon or X server kept from running could send
# or read two clicks at once, and a triple click became a double one on a loaded machine.
SERVER_CLICK_GAP_MS = 1


@dataclass(frozen=True)
class Image:
    mime_type: str
    data: bytes


def _combo_keysyms(combos: list[str]) -> list[int]:
    return [keysym for combo in combos for keysym in parse_combo(combo)]


async def hold_keys(desktop: Desktop, hold_keys: list[str]) -> None:
    """Hold these keys for the rest of the action: the worker releases them when it ends, however it ends."""
    if hold_keys:
        await follow(desktop.keyboard.hold(_combo_keysyms(hold_keys)), desktop.flush)


async def click_mouse(desktop: Desktop, p: m.ClickMouseRequest) -> dict:
    await hold_keys(desktop, p.hold_keys)
    pointer = desktop.pointer
    if p.smooth:
        await follow(_motion().glide(pointer, (p.x, p.y), None, desktop.screen_size), desktop.flush)
    else:
        pointer.move(p.x, p.y)
    button = BUTTONS[p.button]
    if p.click_type == "click":
        start = time.monotonic()
        for index in range(p.num_clicks):
            await sleep_until(start + index * CLICK_GAP_S)
            pointer.click(button, delay_ms=SERVER_CLICK_GAP_MS if index else 0)
            desktop.flush()
    else:  # down or up happens once, whatever num_clicks says (as in the reference server); down holds the
        # button across requests until its up
        (pointer.down if p.click_type == "down" else pointer.up)(button, Scope.ACROSS_REQUESTS)
        desktop.flush()
    return {}


async def move_mouse(desktop: Desktop, p: m.MoveMouseRequest) -> dict:
    await hold_keys(desktop, p.hold_keys)
    if p.smooth:
        await follow(_motion().glide(desktop.pointer, (p.x, p.y), p.duration_ms, desktop.screen_size), desktop.flush)
    else:
        desktop.pointer.move(p.x, p.y)
        desktop.flush()
    return {}


async def type_text(desktop: Desktop, p: m.TypeTextRequest) -> dict:
    keyboard = desktop.keyboard
    text = p.text.replace("\r\n", "\n")  # a CRLF is one line break; a lone \r is one Return too
    if p.smooth:
        from xhands.bezier.keystrokes import plan_keystrokes

        strokes = plan_keystrokes(text, p.typo_chance)
        steps = keyboard.type_keysyms([char_to_keysym(char) for char, _ in strokes], [gap for _, gap in strokes])
    else:
        steps = keyboard.type_text(text, p.delay / 1000)
    await follow(steps, desktop.flush)
    # Answered once the X server has handled every key (one round trip, nothing beside a text's time): up to a
    # socket buffer of keys may still be on their way, and a caller reading what arrived must find them there.
    desktop.sync()
    return {}


async def press_key(desktop: Desktop, p: m.PressKeyRequest) -> dict:
    """Without duration, tap the combos one after another; with it, press them all together, hold, release in reverse.
    A key that hold_keys holds stays down throughout: a combo naming it neither presses nor releases it again."""
    combos = [parse_combo(combo) for combo in p.keys]
    if p.duration:
        combos = [list(dict.fromkeys(keysym for combo in combos for keysym in combo))]
    await hold_keys(desktop, p.hold_keys)
    keyboard = desktop.keyboard
    for keysyms in combos:
        await follow(keyboard.hold(keysyms), desktop.flush)
        if p.duration:
            await asyncio.sleep(p.duration / 1000)
        keyboard.let_go(keysyms)
        desktop.flush()
    return {}


async def key_down(desktop: Desktop, p: m.HeldKeyRequest) -> dict:
    """Press a key and keep it down across requests until key_up (Lightcone's key-down); a key the keyboard map
    lacks (F24) is lent a spare keycode, as typing does, for as long as it is held."""
    keysyms = parse_combo(p.key)
    await follow(desktop.keyboard.make_typeable(keysyms), desktop.flush)
    desktop.keyboard.hold_across_requests(keysyms)
    desktop.flush()
    return {}


async def key_up(desktop: Desktop, p: m.HeldKeyRequest) -> dict:
    desktop.keyboard.let_go(parse_combo(p.key), Scope.ACROSS_REQUESTS)
    desktop.flush()
    await follow(desktop.keyboard.restore_keymap(), desktop.flush)  # see press_key
    return {}


async def release_everything(desktop: Desktop, p: m.NoParams) -> dict:
    """Let go of every key and button held across requests (Lightcone's DELETE of the computer)."""
    desktop.release_scope(Scope.ACROSS_REQUESTS)
    return {}


async def scroll(desktop: Desktop, p: m.ScrollRequest) -> dict:
    await hold_keys(desktop, p.hold_keys)
    pointer = desktop.pointer
    pointer.move(p.x, p.y)
    for button, notches in wheel_clicks(p.delta_x, p.delta_y):
        for _ in range(notches):
            pointer.click(button)
    desktop.flush()
    return {}


async def drag_mouse(desktop: Desktop, p: m.DragMouseRequest) -> dict:
    """The button goes up at the path's end; an action cut short has it released by the worker."""
    pointer = desktop.pointer
    button = BUTTONS[p.button]
    await hold_keys(desktop, p.hold_keys)
    pointer.move(*p.path[0])
    pointer.down(button)
    desktop.flush()
    await asyncio.sleep(p.delay / 1000)
    if p.smooth:
        steps = _motion().drag_smooth(pointer, p.path, p.duration_ms, desktop.screen_size)
    else:
        steps = _motion().drag_straight(pointer, p.path, p.steps_per_segment, p.step_delay_ms / 1000)
    await follow(steps, desktop.flush)
    pointer.up(button)
    desktop.flush()
    return {}


async def set_cursor(desktop: Desktop, p: m.SetCursorRequest) -> dict:
    desktop.cursor.set_hidden(p.hidden)
    return {}


async def sleep(desktop: Desktop, p: m.SleepAction) -> dict:
    await asyncio.sleep(p.duration_ms / 1000)
    return {}


async def write_clipboard_action(desktop: Desktop, p: m.WriteClipboardRequest) -> dict:
    await asyncio.to_thread(write_clipboard, desktop.display_name, p.text, desktop.clipboard_timeout_s)
    return {}


async def read_clipboard_action(desktop: Desktop, p: m.NoParams) -> dict:
    return {"text": await asyncio.to_thread(read_clipboard, desktop.display_name, desktop.clipboard_timeout_s)}


async def screenshot(desktop: Desktop, p: m.ScreenshotRequest) -> Image:
    """Grab after the worker's input (sent before it is on screen; with settle_ms, drawn), and encode, both off the
    event loop (on the capture's thread)."""
    if p.settle_ms is not None:
        await desktop.settled(p.settle_ms / 1000, m.MAX_SETTLE_MS / 1000)
    if p.region:
        x, y, width, height = p.region.x, p.region.y, p.region.width, p.region.height
    else:
        (width, height), x, y = desktop.screen_size, 0, 0
    if p.include_cursor:
        cursor = desktop.cursor.image()  # a round trip: the server has handled all our input before the grab
    else:
        cursor = None
        desktop.sync()
    size = p.scale_to.size_for(width, height) if p.scale_to else None
    data = await desktop.grabber.grab(x, y, width, height,
                                      then=lambda frame: encode_image(frame, p.format, p.quality, size, cursor, (x, y)))
    return Image(IMAGE_TYPES[p.format], data)


CAN_RESIZE = "start xhands with `--xserver xvnc` for a display that can be resized"


async def resize_screen(desktop: Desktop, p: m.DisplaySize) -> dict:
    """Make the screen width x height; the new size, as the server now has it."""
    try:
        desktop.resize(p.width, p.height)
    except FixedScreenSize as exc:
        raise ApiError(409, f"{exc}; {CAN_RESIZE}", code="conflict") from None
    except XRequestFailed as exc:
        raise ApiError(409, f"the X server refused the new size ({exc}); {CAN_RESIZE}", code="conflict") from None
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    width, height = desktop.screen_size
    return {"width": width, "height": height}


async def get_mouse_position(desktop: Desktop, p: m.NoParams) -> dict:
    x, y = desktop.pointer.position()
    return {"x": x, "y": y}
