"""XTest key and button events without packing each request anew.

python-xlib packs every request field by field (about 25 us for a FakeInput:
three quarters of the time typing takes). A key or button event's request is
the same bytes every time (no time, no root, no position), so it is packed
once, by python-xlib's own FakeInput structure, and resent as it is.
"""

from functools import lru_cache

from Xlib import X
from Xlib.ext import xtest


class _Packed:
    """What python-xlib's request queue needs of a request without a reply: its bytes and a serial."""

    __slots__ = ("_binary", "_serial")

    def __init__(self, binary: bytes):
        self._binary = binary
        self._serial = None

    def _set_error(self, error) -> int:
        return 0  # not handled here: the connection's error handler sees it (display.py)


@lru_cache(maxsize=2048)
def _packed(opcode: int, event_type: int, detail: int) -> bytes:
    return xtest.FakeInput._request.to_binary(opcode=opcode, event_type=event_type, detail=detail,
                                              time=X.CurrentTime, root=X.NONE, x=0, y=0)


def fake_event(display, event_type: int, detail: int) -> None:
    """Queue a KeyPress, KeyRelease, ButtonPress or ButtonRelease of `detail` (a keycode or button)."""
    opcode = display.display.get_extension_major(xtest.extname)
    display.display.send_request(_Packed(_packed(opcode, event_type, detail)), False)
