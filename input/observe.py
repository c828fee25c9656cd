"""Watching other X clients catch up with our input, through the RECORD extension.

Typing unmapped characters means rebinding spare keycodes, and a rebind is only
safe once the receiving application has handled every key press sent before it,
and typing on is only safe once it has fetched the new map
(../shared/notes/typing.md). Timed waits have to assume the worst case; this
module observes the real thing instead:

- Chromium (like most GTK/toolkit apps) sends one ChangeProperty of
  _NET_WM_USER_TIME for every key press it processes, on the connection that
  owns its top-level window: counting those per client tells how many presses
  it has handled;
- after a keyboard-map change, the toolkit fetches the map again with an XKB
  GetMap request: counting those tells when the new binding has been seen.

A RECORD context on a connection of its own sees these requests from all
clients; a background thread only counts them (per client resource base).
Recording runs only while the keyboard is typing (resume/pause): enabled all
the time it would wake that thread for every key press and click any client
makes, ~100 µs of CPU each on the daemon's side.

Counts alone need a baseline (how far the application had got when counting
began), and a baseline taken after a timed guess inherits the guess's error:
Chromium on a busy machine, or after each pause, was still behind and got a
pressed 日 read as the é bound before it. So the observer also records, in the
same server-ordered stream:

- key presses, with their server time: Chromium sets _NET_WM_USER_TIME to the
  time of the press it handles, so when it has set the time of the latest
  press as often as presses happened in that millisecond, it has handled them
  all -- no baseline;
- our own ChangeKeyboardMapping, and every client's keymap fetch (XKB GetMap,
  or the core GetKeyboardMapping of plain Xlib clients) after it: such a fetch
  returns the new map;
- a marker round trip of ours (GetKeyboardControl, which the daemon sends for
  nothing else): once the observer has seen it, it has seen everything before
  it. The round trip also matters because the server hands out RECORD data only
  when it flushes output to some client; a quiet application's updates could
  otherwise sit in the server's buffer.

The keyboard waits on these as long as the application keeps up (bounded by a
generous limit), and falls back to its timed waits for applications that never
report, so those are typed into exactly as before.
"""

import logging
import struct
import threading

from Xlib import X
from Xlib import error as xerror
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
    """Counts _NET_WM_USER_TIME updates and XKB GetMap requests per client, as the X server handles them."""

    def __init__(self, display_name: str, own_client: int | None = None):
        self.display_name = display_name
        self.user_time: dict[int, int] = {}  # client resource base -> ChangeProperty(_NET_WM_USER_TIME) count
        self.get_map: dict[int, int] = {}  # client resource base -> XKB GetMap count
        # The resource base of the connection that sends the markers and keymap changes (the keyboard's).
        self.own_client = own_client
        self.user_time_at: dict[int, tuple[int, int]] = {}  # client -> (latest time it set, times set to it)
        self.last_press = (0, 0)  # (server time, presses at that time) of the latest key press recorded
        self.fetched_since_change: set[int] = set()  # clients that fetched the keymap after our last change
        self.marks_sent = self.marks_seen = 0
        self._control = xdisplay.Display(display_name)
        self._data = None
        self._thread = None
        self.failed = False
        try:
            if not self._control.has_extension("RECORD"):
                raise RuntimeError("no RECORD extension")
            xkb = self._control.query_extension("XKEYBOARD")
            if not xkb or not xkb.present:
                raise RuntimeError("no XKEYBOARD extension")
            self.xkb_opcode = xkb.major_opcode
            self.user_time_atom = self._control.intern_atom("_NET_WM_USER_TIME")
            self.id_mask = self._control.display.info.resource_id_mask
            self._context = self._control.record_create_context(0, [record.AllClients], [
                _range(core_requests=(CHANGE_PROPERTY, CHANGE_PROPERTY), device_events=(X.KeyPress, X.KeyPress)),
                _range(core_requests=(CHANGE_KEYBOARD_MAPPING, GET_KEYBOARD_CONTROL)),
                _range(ext_requests=(self.xkb_opcode, self.xkb_opcode, XKB_GET_MAP, XKB_GET_MAP)),
            ])
            self._control.sync()  # the context must exist before another connection enables it
            self._data = xdisplay.Display(display_name)
        except Exception:
            self.close()
            raise

    # -- recording on and off -----------------------------------------------
    @property
    def active(self) -> bool:
        return self._thread is not None

    def resume(self, timeout: float = 1.0) -> bool:
        """Start recording (if paused) and wait until the server records; returns whether it was paused.

        Counts go on from where they were, but nothing was counted while paused.
        """
        if self._thread is not None:
            return False
        self.marks_sent = self.marks_seen = 0  # markers sent while paused were never recorded
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xhands-observer", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            self.failed = True
        return True

    def pause(self) -> None:
        if self._thread is None:
            return
        thread, self._thread = self._thread, None
        try:
            self._control.record_disable_context(self._context)
            self._control.sync()
        except Exception:
            self.failed = True
        thread.join(1.0)
        if thread.is_alive():  # the recording connection did not see the end: do not trust it again
            self.failed = True

    # -- the recording thread ---------------------------------------------
    def _run(self) -> None:
        try:
            self._data.record_enable_context(self._context, self._on_data)
        except Exception as exc:  # the display went away, or the context was freed
            log.debug("input observer stopped: %s", exc)
            self.failed = True
        finally:
            self._started.set()

    def _on_data(self, reply) -> None:
        if reply.category == record.StartOfData:
            self._started.set()
            return
        data = reply.data
        order = ">" if reply.client_swapped else "<"
        if reply.category == record.FromServer:  # device events, 32 bytes each
            for offset in range(0, len(data) - 31, 32):
                if data[offset] & 0x7F == X.KeyPress:
                    self._press(struct.unpack_from(order + "I", data, offset + 4)[0])
            return
        if reply.category != record.FromClient:
            return
        base = reply.id_base
        own = base == self.own_client
        offset = 0
        while offset + 4 <= len(data):
            opcode = data[offset]
            length = struct.unpack_from(order + "H", data, offset + 2)[0] * 4
            if length == 0:  # BIG-REQUESTS: the real length follows
                if offset + 8 > len(data):
                    break
                length = struct.unpack_from(order + "I", data, offset + 4)[0] * 4
            if opcode == CHANGE_PROPERTY and offset + 12 <= len(data):
                atom = struct.unpack_from(order + "I", data, offset + 8)[0]
                if atom == self.user_time_atom:
                    self.user_time[base] = self.user_time.get(base, 0) + 1
                    if offset + 28 <= len(data):
                        self._user_time_set(base, struct.unpack_from(order + "I", data, offset + 24)[0])
            elif opcode == self.xkb_opcode and data[offset + 1] == XKB_GET_MAP:
                self.get_map[base] = self.get_map.get(base, 0) + 1
                if not own:
                    self.fetched_since_change.add(base)
            elif opcode == GET_KEYBOARD_MAPPING and not own:
                self.fetched_since_change.add(base)
            elif opcode == CHANGE_KEYBOARD_MAPPING and own:
                self.fetched_since_change = set()
            elif opcode == GET_KEYBOARD_CONTROL and own:
                self.marks_seen += 1
            if length <= 0:
                break
            offset += length

    def _press(self, time: int) -> None:
        last, count = self.last_press
        self.last_press = (time, count + 1) if time == last else (time, 1)

    def _user_time_set(self, client: int, value: int) -> None:
        latest, count = self.user_time_at.get(client, (value, 0))
        if value == latest:
            self.user_time_at[client] = (value, count + 1)
        elif newer(value, latest):
            self.user_time_at[client] = (value, 1)

    # -- what the keyboard asks ----------------------------------------------
    def client_of(self, window: int) -> int:
        return window & ~self.id_mask

    def mark(self, display) -> None:
        """A round trip on `display` (the own client's connection) that the observer will see."""
        self.marks_sent += 1
        display.get_keyboard_control()

    def caught_up_with_marks(self) -> bool:
        return self.marks_seen >= self.marks_sent

    def reports(self, client: int) -> bool:
        """Whether the client has been seen setting _NET_WM_USER_TIME."""
        return client in self.user_time_at

    def saw_user_time(self, client: int, value: int) -> None:
        """Note a _NET_WM_USER_TIME the client set before recording began (read from its window)."""
        if client not in self.user_time_at:
            self.user_time_at[client] = (value, 0)

    def handled_last_press(self, client: int) -> bool:
        """Whether the client has handled the latest key press recorded (or something after it)."""
        time, presses = self.last_press
        if presses == 0:
            return True
        latest, count = self.user_time_at.get(client, (0, 0))
        return newer(latest, time) or (latest == time and count >= presses)

    def presses_seen(self, client: int) -> int:
        return self.user_time.get(client, 0)

    def map_fetches(self) -> dict[int, int]:
        return dict(self.get_map)

    @property
    def alive(self) -> bool:
        """Usable: nothing has failed, and if recording, the recording thread runs."""
        return not self.failed and (self._thread is None or self._thread.is_alive())

    def close(self) -> None:
        try:
            self.pause()
            if self._data is not None:
                self._control.record_free_context(self._context)
                self._control.sync()
        except Exception:
            pass
        for conn in (self._data, self._control):
            try:
                if conn is not None:
                    conn.close()
            except Exception:
                pass
        self._thread = None


def focused_window(display) -> int | None:
    """The window that receives key presses: the focus window, or under PointerRoot the top-level under the pointer."""
    focus = display.get_input_focus().focus
    root = display.screen().root
    if isinstance(focus, int):  # X.NONE or X.PointerRoot
        if focus == X.NONE:
            return None
        focus = root
    if focus.id == root.id:  # keys go to the window under the pointer
        child = root.query_pointer().child
        return child.id if child else None
    return focus.id


def user_time(display, window_id: int) -> int | None:
    """The window's _NET_WM_USER_TIME (or its _NET_WM_USER_TIME_WINDOW's), if the application sets one."""
    try:
        window = display.create_resource_object("window", window_id)
        holder = window.get_full_property(display.intern_atom("_NET_WM_USER_TIME_WINDOW"), X.AnyPropertyType)
        if holder is not None and holder.format == 32 and len(holder.value):
            window = display.create_resource_object("window", int(holder.value[0]))
        prop = window.get_full_property(display.intern_atom("_NET_WM_USER_TIME"), X.AnyPropertyType)
    except xerror.XError:  # the window went away meanwhile
        return None
    return int(prop.value[0]) if prop is not None and prop.format == 32 and len(prop.value) else None
