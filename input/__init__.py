"""X11 side of xhands: XTest input, the XFixes cursor, mss capture, RECORD observing.

Input goes through one python-xlib connection (display.py), whose keys and buttons held down are pressed.py's
bookkeeping; the others each have their own, so that none waits on another: capture (mss), the screen watcher
(damage.py), the input observer (observe.py), the handled-input check (handled.py) and the health probe
(probe.py). None of those the event loop uses waits on a silent X server for more than a few seconds
(watchdog.py; capture grabs on a thread of its own).
"""

from .capture import CursorImage, Frame
from .clipboard import ClipboardError, read_clipboard, write_clipboard
from .desktop import Desktop
from .display import DisplayUnavailable, XRequestFailed
from .encode import FORMATS as IMAGE_TYPES
from .encode import encode as encode_image
from .encode import encode_png, fit_size
from .keys import UnknownKey, char_to_keysym, parse_combo
from .pointer import BUTTONS, wheel_clicks
from .pressed import Scope
from .screen import FixedScreenSize

__all__ = [
    "BUTTONS",
    "ClipboardError",
    "Desktop",
    "DisplayUnavailable",
    "FixedScreenSize",
    "CursorImage",
    "Frame",
    "IMAGE_TYPES",
    "UnknownKey",
    "char_to_keysym",
    "encode_image",
    "encode_png",
    "fit_size",
    "parse_combo",
    "Scope",
    "read_clipboard",
    "wheel_clicks",
    "write_clipboard",
    "XRequestFailed",
]
