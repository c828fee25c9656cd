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
The keyboard turns the counts into waits that end as soon as the condition
holds, with its timed waits as the upper bound, so an application that never
reports anything is typed into exactly as before.
"""

import logging
import struct
import threading

from Xlib import X
from Xlib import display as xdisplay
from Xlib.ext import record

log = logging.getLogger(__name__)

CHANGE_PROPERTY = 18
XKB_GET_MAP = 8


class InputObserver:
    """Counts _NET_WM_USER_TIME updates and XKB GetMap requests per client, as the X server handles them."""

    def __init__(self, display_name: str):
        self.display_name = display_name
        self.user_time: dict[int, int] = {}  # client resource base -> ChangeProperty(_NET_WM_USER_TIME) count
        self.get_map: dict[int, int] = {}  # client resource base -> XKB GetMap count
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
            self._context = self._control.record_create_context(
                0,
                [record.AllClients],
                [{
                    "core_requests": (CHANGE_PROPERTY, CHANGE_PROPERTY),
                    "core_replies": (0, 0),
                    "ext_requests": (self.xkb_opcode, self.xkb_opcode, XKB_GET_MAP, XKB_GET_MAP),
                    "ext_replies": (0, 0, 0, 0),
                    "delivered_events": (0, 0),
                    "device_events": (0, 0),
                    "errors": (0, 0),
                    "client_started": False,
                    "client_died": False,
                }],
            )
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
        if reply.category != record.FromClient:
            return
        data = reply.data
        order = ">" if reply.client_swapped else "<"
        base = reply.id_base
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
            elif opcode == self.xkb_opcode and data[offset + 1] == XKB_GET_MAP:
                self.get_map[base] = self.get_map.get(base, 0) + 1
            if length <= 0:
                break
            offset += length

    # -- what the keyboard asks ----------------------------------------------
    def client_of(self, window: int) -> int:
        return window & ~self.id_mask

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
