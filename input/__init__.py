"""X11 side of xhands: XTest input and XFixes cursor over one python-xlib connection, mss capture, RECORD observing."""

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
