"""Each action type is one small async function: (desktop, params) -> result.

Results: {} for actions that return nothing, {"x","y"}, {"text"}, or an Image.
They run one at a time, in the order the worker takes requests (worker.py);
clipboard helpers and image encoding run off the event loop.
"""

import asyncio
import time
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass

from xhands.input import (
    BUTTONS,
    IMAGE_TYPES,
    Desktop,
    char_to_keysym,
    encode_image,
    parse_combo,
    read_clipboard,
    wheel_clicks,
    write_clipboard,
)

from . import models as m
from .errors import ApiError
from .timing import follow, sleep_until


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


@dataclass(frozen=True)
class Image:
    mime_type: str
    data: bytes


def _combo_keysyms(combos: list[str]) -> list[int]:
    return [keysym for combo in combos for keysym in parse_combo(combo)]


_NOTHING_HELD = nullcontext()


def holding(desktop: Desktop, hold_keys: list[str]):
    """Hold these keys around the body; always released, whatever ends it."""
    if not hold_keys:
        return _NOTHING_HELD  # the common case costs no generator
    return _holding(desktop, _combo_keysyms(hold_keys))


@asynccontextmanager
async def _holding(desktop: Desktop, keysyms: list[int]):
    keyboard = desktop.keyboard
    try:
        await follow(keyboard.hold(keysyms), desktop.flush)
        yield
    finally:
        keyboard.release(keysyms)
        desktop.flush()
    await follow(keyboard.restore_keymap(), desktop.flush)  # see press_key


async def click_mouse(desktop: Desktop, p: m.ClickMouseRequest) -> dict:
    async with holding(desktop, p.hold_keys):
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
                pointer.click(button)
                desktop.flush()
        else:  # down or up happens once, whatever num_clicks says (as in the reference server); down holds the
            # button across actions until its up
            (pointer.hold_across if p.click_type == "down" else pointer.up)(button)
            desktop.flush()
    return {}


async def move_mouse(desktop: Desktop, p: m.MoveMouseRequest) -> dict:
    async with holding(desktop, p.hold_keys):
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
    A key that hold_keys holds stays down throughout: the combos neither press nor release it again."""
    held = set(_combo_keysyms(p.hold_keys))
    combos = [[keysym for keysym in parse_combo(combo) if keysym not in held] for combo in p.keys]
    if p.duration:
        combos = [list(dict.fromkeys(keysym for combo in combos for keysym in combo))]
    async with holding(desktop, p.hold_keys):
        for keysyms in combos:
            await _press_together(desktop, keysyms, p.duration / 1000)
    # Give lent keycodes back only once the application has read the presses made with them
    # (the worker's release_all would restore them at once, and a late reader gets NoSymbol).
    await follow(desktop.keyboard.restore_keymap(), desktop.flush)
    return {}


async def _press_together(desktop: Desktop, keysyms: list[int], hold_s: float) -> None:
    keyboard = desktop.keyboard
    try:
        await follow(keyboard.hold(keysyms), desktop.flush)
        if hold_s:
            await asyncio.sleep(hold_s)
    finally:
        keyboard.release(keysyms)
        desktop.flush()


async def key_down(desktop: Desktop, p: m.HeldKeyRequest) -> dict:
    """Press a key and keep it down across actions until key_up (Lightcone's key-down)."""
    try:
        desktop.keyboard.hold_across(parse_combo(p.key))
    except KeyError:
        raise ApiError(400, f"key-down holds only keys on the keyboard map, and {p.key!r} is not on it") from None
    desktop.flush()
    return {}


async def key_up(desktop: Desktop, p: m.HeldKeyRequest) -> dict:
    desktop.keyboard.let_go(parse_combo(p.key))
    desktop.flush()
    return {}


async def scroll(desktop: Desktop, p: m.ScrollRequest) -> dict:
    async with holding(desktop, p.hold_keys):
        pointer = desktop.pointer
        pointer.move(p.x, p.y)
        for button, notches in wheel_clicks(p.delta_x, p.delta_y):
            for _ in range(notches):
                pointer.click(button)
        desktop.flush()
    return {}


async def drag_mouse(desktop: Desktop, p: m.DragMouseRequest) -> dict:
    pointer = desktop.pointer
    button = BUTTONS[p.button]
    async with holding(desktop, p.hold_keys):
        pointer.move(*p.path[0])
        pointer.down(button)
        try:
            desktop.flush()
            await asyncio.sleep(p.delay / 1000)
            if p.smooth:
                steps = _motion().drag_smooth(pointer, p.path, p.duration_ms, desktop.screen_size)
            else:
                steps = _motion().drag_straight(pointer, p.path, p.steps_per_segment, p.step_delay_ms / 1000)
            await follow(steps, desktop.flush)
        finally:
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
    """Grab on the worker (input sent before it is on screen; with settle_ms, drawn), encode off the event loop."""
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
    frame = desktop.grabber.grab(x, y, width, height)
    size = p.scale_to.size_for(width, height) if p.scale_to else None
    data = await asyncio.to_thread(encode_image, frame, p.format, p.quality, size, cursor, (x, y))
    return Image(IMAGE_TYPES[p.format], data)


async def get_mouse_position(desktop: Desktop, p: m.NoParams) -> dict:
    x, y = desktop.pointer.position()
    return {"x": x, "y": y}
