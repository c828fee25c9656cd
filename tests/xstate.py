"""What the X server itself says about the keyboard: its keymap and which keys and buttons are down."""

import os

from Xlib import display as xdisplay


def _open(display_name: str | None):
    return xdisplay.Display(display_name or os.environ["DISPLAY"])


def keymap_rows(display_name: str | None = None) -> list[tuple]:
    conn = _open(display_name)
    try:
        first = conn.display.info.min_keycode
        count = conn.display.info.max_keycode - first + 1
        return [tuple(row) for row in conn.get_keyboard_mapping(first, count)]
    finally:
        conn.close()


def nothing_pressed(display_name: str | None = None) -> bool:
    """No key down in the server's keymap and no button in the pointer's mask."""
    conn = _open(display_name)
    try:
        keys_down = any(conn.query_keymap())
        buttons = conn.screen().root.query_pointer().mask & 0x1F00
        return not keys_down and not buttons
    finally:
        conn.close()


def release_everything(display_name: str | None = None) -> list[str]:
    """Release every key and button still down on the display (left by a test that failed); what was down."""
    from Xlib import X
    from Xlib.ext import xtest

    conn = _open(display_name)
    try:
        left = []
        for index, byte in enumerate(conn.query_keymap()):
            for bit in range(8):
                if byte & (1 << bit):
                    xtest.fake_input(conn, X.KeyRelease, index * 8 + bit)
                    left.append(f"keycode {index * 8 + bit}")
        mask = conn.screen().root.query_pointer().mask
        for button in range(1, 6):
            if mask & (X.Button1Mask << (button - 1)):
                xtest.fake_input(conn, X.ButtonRelease, button)
                left.append(f"button {button}")
        conn.sync()
        return left
    finally:
        conn.close()


def down(display_name: str | None = None) -> tuple[set[int], set[int]]:
    """The keycodes and the buttons (1-5) the server has down."""
    conn = _open(display_name)
    try:
        keys = {index * 8 + bit for index, byte in enumerate(conn.query_keymap()) for bit in range(8) if byte & (1 << bit)}
        mask = conn.screen().root.query_pointer().mask
        return keys, {button for button in range(1, 6) if mask & (0x80 << button)}
    finally:
        conn.close()
