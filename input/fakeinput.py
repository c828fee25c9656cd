"""XTest key, button and motion events without packing each request anew, and which of them the server cannot refuse.

python-xlib packs every request field by field (about 25 us for a FakeInput:
three quarters of the time typing takes). A key or button event's request is
the same bytes every time (no time, no root, no position), so it is packed
once, by python-xlib's own FakeInput structure, and resent as it is; a motion
differs only in its position, which is patched into the packed bytes.

XTest requests have no reply: a refusal (BadValue) only comes back with some
later reply, so finding out needs a round trip (display.py). An event for a
keycode in the server's range, a button the pointer has, or a motion cannot be
refused. While nothing but such events was sent since the last round trip, the
connection stays "clean" and the next check needs no round trip of its own.
"""

import struct
from functools import lru_cache
from weakref import WeakKeyDictionary

from Xlib import X
from Xlib.ext import xtest

# python-xlib's request serial after the last request known to be reported on or unrefusable, per connection.
_clean_serial: "WeakKeyDictionary[object, int]" = WeakKeyDictionary()
# How many buttons each connection's pointer has (the length of its button map).
_buttons: "WeakKeyDictionary[object, int]" = WeakKeyDictionary()


class _Packed:
    """What python-xlib's request queue needs of a request without a reply: its bytes and a serial."""

    __slots__ = ("_binary", "_serial")

    def __init__(self, binary: bytes):
        self._binary = binary
        self._serial = None

    def _set_error(self, error) -> int:
        return 0  # not handled here: the connection's error handler sees it (display.py)


@lru_cache(maxsize=2048)
def _packed(opcode: int, event_type: int, detail: int, delay_ms: int = 0) -> bytes:
    return xtest.FakeInput._request.to_binary(opcode=opcode, event_type=event_type, detail=detail,
                                              time=delay_ms, root=X.NONE, x=0, y=0)


# Where FakeInput keeps rootX and rootY: after the 4-byte header, type, detail, 2 unused, time, root and 8 unused.
_POSITION = struct.Struct("<hh")
_POSITION_AT = 24


def _send(display, binary: bytes, unrefusable: bool) -> None:
    protocol = display.display
    clean = _clean_serial.get(protocol) == protocol.request_serial
    protocol.send_request(_Packed(binary), False)
    if clean and unrefusable:
        _clean_serial[protocol] = protocol.request_serial


def fake_event(display, event_type: int, detail: int, delay_ms: int = 0) -> None:
    """Queue a KeyPress, KeyRelease, ButtonPress or ButtonRelease of `detail` (a keycode or button). With a
    delay, XTest's own: the server holds the request (and the connection's next ones) until its clock reads
    delay_ms past the time of the last event it handled."""
    opcode = display.display.get_extension_major(xtest.extname)
    if event_type in (X.KeyPress, X.KeyRelease):
        info = display.display.info
        unrefusable = info.min_keycode <= detail <= info.max_keycode
    else:
        unrefusable = 1 <= detail <= pointer_buttons(display)
    _send(display, _packed(opcode, event_type, detail, delay_ms), unrefusable)


def fake_motion(display, x: int, y: int) -> None:
    """Queue a motion to (x, y) on the screen (the server keeps the pointer on it: never refused)."""
    opcode = display.display.get_extension_major(xtest.extname)
    binary = bytearray(_packed(opcode, X.MotionNotify, 0))
    _POSITION.pack_into(binary, _POSITION_AT, x, y)
    _send(display, bytes(binary), True)


def pointer_buttons(display) -> int:
    """How many buttons the pointer has (one round trip, the first time on a connection)."""
    protocol = display.display
    if protocol not in _buttons:
        _buttons[protocol] = len(display.get_pointer_mapping())
    return _buttons[protocol]


def mark_reported(display) -> None:
    """A round trip has just made the server report on every request sent so far."""
    _clean_serial[display.display] = display.display.request_serial


def unreported(display) -> bool:
    """Whether a request the server may have refused was sent since the last round trip (mark_reported)."""
    return _clean_serial.get(display.display) != display.display.request_serial
