"""Seeing the focused application catch up with our typing, through the RECORD extension.

Typing a character missing from the keymap means rebinding a spare keycode.
That is only safe once the receiving application has handled every key press
sent before the rebind, and typing on is only safe once it has seen the new
map (../shared/notes/typing.md). Timed waits guess at both and lose on a busy
machine: Chromium, typed into on a loaded 2-core box, turned characters of one
group into those of the next. This watches the real thing instead.

RECORD delivers, in the order the server handles them: key and button presses
(with their server time), and requests from every client. From those:

- Chromium, like most toolkit applications, sets _NET_WM_USER_TIME to the time
  of every key or button press it handles, one ChangeProperty each, from the
  connection that owns its window. When it has set the time of our last press
  as many times as presses happened in that millisecond, it has handled them.
- After a keyboard-map change, clients fetch the map (XKB GetMap, or the core
  GetKeyboardMapping of plain Xlib clients): a fetch recorded after our last
  ChangeKeyboardMapping returns the new map.
- A marker round trip of ours (GetKeyboardControl, which nothing else here
  sends) appears in the same stream: once the observer has seen it, it has
  seen everything we sent before it.
"""

import logging
import struct
import threading

from Xlib import X
from Xlib import display as xdisplay
from Xlib.ext import record

log = logging.getLogger(__name__)

CHANGE_PROPERTY = 18
CHANGE_KEYBOARD_MAPPING = 100
GET_KEYBOARD_MAPPING = 101
GET_KEYBOARD_CONTROL = 103
XKB_GET_MAP = 8


def newer(a: int, b: int) -> bool:
    """Whether server time a is later than b (32-bit milliseconds that wrap)."""
    return 0 < (a - b) & 0xFFFFFFFF < 0x80000000


def _range(**fields) -> dict:
    empty = {"core_requests": (0, 0), "core_replies": (0, 0), "ext_requests": (0, 0, 0, 0),
             "ext_replies": (0, 0, 0, 0), "delivered_events": (0, 0), "device_events": (0, 0),
             "errors": (0, 0), "client_started": False, "client_died": False}
    return {**empty, **fields}


class InputObserver:
    """Key presses, _NET_WM_USER_TIME updates, keymap changes and fetches, as the server handles them."""

    def __init__(self, display_name: str, own_client: int):
        self.own_client = own_client  # resource base of the connection that sends markers and keymap changes
        self.marks_sent = 0
        self.marks_seen = 0
        self.last_press = (0, 0)  # (server time, presses at that time) of the latest key press
        self.user_time: dict[int, tuple[int, int]] = {}  # client -> (latest time set, times set to it)
        self.fetched_since_change: set[int] = set()  # clients that fetched the keymap after our last change
        self._control = xdisplay.Display(display_name)
        self._data = None
        self._thread = None
        try:
            xkb = self._control.query_extension("XKEYBOARD")
            if not self._control.has_extension("RECORD") or not xkb or not xkb.present:
                raise RuntimeError("the display lacks RECORD or XKEYBOARD")
            self._xkb = xkb.major_opcode
            self._user_time_atom = self._control.intern_atom("_NET_WM_USER_TIME")
            self._id_mask = self._control.display.info.resource_id_mask
            self._context = self._control.record_create_context(0, [record.AllClients], [
                _range(core_requests=(CHANGE_PROPERTY, CHANGE_PROPERTY), device_events=(X.KeyPress, X.KeyPress)),
                _range(core_requests=(CHANGE_KEYBOARD_MAPPING, GET_KEYBOARD_CONTROL)),
                _range(ext_requests=(self._xkb, self._xkb, XKB_GET_MAP, XKB_GET_MAP)),
            ])
            self._control.sync()  # the context must exist before the data connection enables it
            self._data = xdisplay.Display(display_name)
            self._thread = threading.Thread(target=self._run, name="xhands-observer", daemon=True)
            self._thread.start()
        except Exception:
            self.close()
            raise

    def _run(self) -> None:
        try:
            self._data.record_enable_context(self._context, self._take)
        except Exception as exc:  # the display went away, or the context was freed
            log.debug("input observer stopped: %s", exc)

    def _take(self, reply) -> None:
        order = ">" if reply.client_swapped else "<"
        data = reply.data
        if reply.category == record.FromServer:
            for offset in range(0, len(data) - 31, 32):
                if data[offset] & 0x7F == X.KeyPress:
                    self._press(struct.unpack_from(order + "I", data, offset + 4)[0])
        elif reply.category == record.FromClient:
            self._requests(reply.id_base, data, order)

    def _press(self, time: int) -> None:
        last, count = self.last_press
        self.last_press = (time, count + 1) if time == last else (time, 1)

    def _requests(self, client: int, data: bytes, order: str) -> None:
        offset = 0
        while offset + 4 <= len(data):
            opcode = data[offset]
            length = struct.unpack_from(order + "H", data, offset + 2)[0] * 4
            if length == 0 and offset + 8 <= len(data):  # BIG-REQUESTS: the real length follows
                length = struct.unpack_from(order + "I", data, offset + 4)[0] * 4
            if opcode == CHANGE_PROPERTY and offset + 28 <= len(data):
                if struct.unpack_from(order + "I", data, offset + 8)[0] == self._user_time_atom:
                    value = struct.unpack_from(order + "I", data, offset + 24)[0]
                    latest, count = self.user_time.get(client, (value, 0))
                    if value == latest:
                        self.user_time[client] = (value, count + 1)
                    elif newer(value, latest):
                        self.user_time[client] = (value, 1)
            elif (opcode == self._xkb and data[offset + 1] == XKB_GET_MAP) or opcode == GET_KEYBOARD_MAPPING:
                if client != self.own_client:
                    self.fetched_since_change.add(client)
            elif client == self.own_client and opcode == CHANGE_KEYBOARD_MAPPING:
                self.fetched_since_change = set()
            elif client == self.own_client and opcode == GET_KEYBOARD_CONTROL:
                self.marks_seen += 1
            if length <= 0:
                break
            offset += length

    # -- questions the keyboard asks -----------------------------------------
    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def client_of(self, window_id: int) -> int:
        """The resource base of the client that created a window."""
        return window_id & ~self._id_mask

    def reports(self, client: int) -> bool:
        """Whether the client has ever been seen setting _NET_WM_USER_TIME."""
        return client in self.user_time

    def mark(self, display) -> None:
        """A round trip on `display` (the own client's connection) that the observer will see."""
        self.marks_sent += 1
        display.get_keyboard_control()

    def caught_up_with_marks(self) -> bool:
        return self.marks_seen >= self.marks_sent

    def handled_last_press(self, client: int) -> bool:
        """Whether the client has handled the latest key press the server saw (or anything after it)."""
        time, presses = self.last_press
        if presses == 0:
            return True
        latest, count = self.user_time.get(client, (0, 0))
        return newer(latest, time) or (latest == time and count >= presses)

    def close(self) -> None:
        if self._thread is not None:
            try:
                self._control.record_disable_context(self._context)
                self._control.sync()
                self._thread.join(1.0)
                self._control.record_free_context(self._context)
                self._control.sync()
            except Exception:  # the display is already gone
                pass
            self._thread = None
        for conn in (self._data, self._control):
            try:
                if conn is not None:
                    conn.close()
            except Exception:
                pass
        self._data = self._control = None


def focused_window(display) -> int | None:
    """The window key presses go to: the focus window, or under PointerRoot the top-level under the pointer."""
    focus = display.get_input_focus().focus
    root = display.screen().root
    if isinstance(focus, int):  # X.NONE or X.PointerRoot
        if focus == X.NONE:
            return None
        focus = root
    if focus.id == root.id:
        child = root.query_pointer().child
        return child.id if child else None
    return focus.id
