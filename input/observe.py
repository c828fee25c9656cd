"""Watching other X clients catch up with our input, through the RECORD extension.

Typing unmapped characters means rebinding spare keycodes, and a rebind is only
safe once the receiving application has handled every key press sent before it,
and typing on is only safe once it has fetched the new map (catchup.py). Timed
waits have to assume the worst case; this module observes the real thing:

- Chromium (like most GTK/toolkit apps) sends one ChangeProperty of
  _NET_WM_USER_TIME for every key press it processes, on the connection that
  owns its top-level window: counting those per client tells how many presses
  it has handled;
- after a keyboard-map change, the toolkit fetches the map again with an XKB
  GetMap request: counting those tells when the new binding has been seen.

A RECORD context on a connection of its own sees these requests from all
clients; a background thread only notes them (per client resource base).
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
import threading

from Xlib import X
from Xlib import error as xerror
from Xlib.ext import record
from Xlib.protocol import request, rq

from .display import close_quietly
from .watchdog import open_answering

log = logging.getLogger(__name__)

CHANGE_PROPERTY = 18
CHANGE_KEYBOARD_MAPPING = 100
GET_KEYBOARD_MAPPING = 101
GET_KEYBOARD_CONTROL = 103
XKB_GET_MAP = 8

# Recorded data is parsed with python-xlib's own protocol structures. Clients on this machine share its
# byte order, which is the one python-xlib reads.
DEVICE_EVENT = rq.EventField(None)
REQUEST_HEADER = rq.Struct(rq.Card8("opcode"), rq.Card8("minor"), rq.Card16("length"))
BIG_REQUEST_LENGTH = rq.Struct(rq.Pad(4), rq.Card32("length"))  # a length of 0 means the real one follows


def newer(a: int, b: int) -> bool:
    """Whether server time a is later than b (32-bit milliseconds that wrap)."""
    return 0 < (a - b) & 0xFFFFFFFF < 0x80000000


def _range(**fields) -> dict:
    empty = {"core_requests": (0, 0), "core_replies": (0, 0), "ext_requests": (0, 0, 0, 0),
             "ext_replies": (0, 0, 0, 0), "delivered_events": (0, 0), "device_events": (0, 0),
             "errors": (0, 0), "client_started": False, "client_died": False}
    return {**empty, **fields}


class InputObserver:
    """Notes _NET_WM_USER_TIME updates, key presses and keymap fetches per client, as the X server handles them."""

    def __init__(self, display_name: str, own_client: int | None = None):
        self.display_name = display_name
        # The resource base of the connection that sends the markers and keymap changes (the keyboard's).
        self.own_client = own_client
        self.user_time_at: dict[int, tuple[int, int]] = {}  # client -> (latest time it set, times set to it)
        self.last_press = (0, 0)  # (server time, presses at that time) of the latest key press recorded
        self.fetched_since_change: set[int] = set()  # clients that fetched the keymap after our last change
        self.marks_sent = self.marks_seen = 0
        self._control = open_answering(display_name)  # used on the event loop's thread
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
            self._data = open_answering(display_name, watched=False)  # waits on the recording thread, for ever
        except Exception:
            self.close()
            raise

    # -- recording on and off -----------------------------------------------
    def resume(self, timeout: float = 1.0) -> bool:
        """Start recording (if paused) and wait until the server records; returns whether it was paused.

        What clients reported stays, but nothing is noted while paused. The latest key press is
        forgotten: presses sent before were waited for by the action that sent them (it paused the
        observer only at its end), and one from a window since gone would never be reported.
        """
        if self._thread is not None:
            return False
        self.marks_sent = self.marks_seen = 0  # markers sent while paused were never recorded
        self.last_press = (0, 0)
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
        elif reply.category == record.FromServer:
            self._on_events(reply.data)
        elif reply.category == record.FromClient:
            self._on_requests(reply.id_base, reply.data)

    def _on_events(self, data: bytes) -> None:
        display = self._data.display
        while len(data) >= 32:
            event, data = DEVICE_EVENT.parse_binary_value(data, display, None, None)
            if event.type == X.KeyPress:
                self._press(event.time)

    def _on_requests(self, client: int, data: bytes) -> None:
        own = client == self.own_client
        while len(data) >= 4:
            header, _ = REQUEST_HEADER.parse_binary(data, None)
            length = header.length * 4 or (len(data) >= 8 and BIG_REQUEST_LENGTH.parse_binary(data, None)[0].length * 4)
            if not length:
                return
            self._on_request(client, own, header, data[:length])
            data = data[length:]

    def _on_request(self, client: int, own: bool, header, data: bytes) -> None:
        if header.opcode == CHANGE_PROPERTY:
            change, _ = request.ChangeProperty._request.parse_binary(data, self._data.display)
            if change.property == self.user_time_atom and change.data[0] == 32 and len(change.data[1]):
                self._user_time_set(client, int(change.data[1][0]))
        elif header.opcode == self.xkb_opcode and header.minor == XKB_GET_MAP or header.opcode == GET_KEYBOARD_MAPPING:
            if not own:
                self.fetched_since_change.add(client)
        elif header.opcode == CHANGE_KEYBOARD_MAPPING and own:
            self.fetched_since_change = set()
        elif header.opcode == GET_KEYBOARD_CONTROL and own:
            self.marks_seen += 1

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
            if conn is not None:
                close_quietly(conn)
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
