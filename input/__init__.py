"""X11 side of xhands: one python-xlib connection driving XTest, XFixes and mss."""

from .capture import Frame, encode_png
from .clipboard import ClipboardError, read_clipboard, write_clipboard
from .desktop import Desktop
from .display import DisplayUnavailable
from .keys import UnknownKey, char_to_keysym, parse_combo
from .pointer import BUTTONS, wheel_clicks

__all__ = [
    "BUTTONS",
    "ClipboardError",
    "Desktop",
    "DisplayUnavailable",
    "Frame",
    "UnknownKey",
    "char_to_keysym",
    "encode_png",
    "parse_combo",
    "read_clipboard",
    "wheel_clicks",
    "write_clipboard",
]
