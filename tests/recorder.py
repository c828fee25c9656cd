"""A real X client that records the input events it receives.

Tests drive the display (through the daemon, xdotool, ...) and then look at
what an ordinary X application actually got: a :class:`Recorder` opens its own
python-xlib connection, maps an override-redirect window (there is no window
manager under Xvfb), gives it the input focus and records key, button, motion,
focus and MappingNotify events from a background thread.

Keysyms are resolved the way a core-protocol client does it, at receipt, from
the recorder's own copy of the keyboard map: events are handled strictly in
order and every keyboard MappingNotify refreshes that copy before the next
event is looked at. A client can only ever learn the map *as it is when its
GetKeyboardMapping request is served*; if another client rebinds a keycode,
presses it and rebinds it again before that request is served, the press can
only be resolved with the later binding -- exactly what a real application
would see too. The recorder detects when that can have happened (a later
MappingNotify for the same keycode is already queued behind the key event when
the refresh reply arrives) and marks such events ``stale=True``: their keysym
*may* come from a later binding (a notify does not always change the keysyms,
e.g. XTest's device switch re-sends the whole map, so it is a hint for dumps,
not a verdict).

    with Recorder() as rec:
        subprocess.run(["xdotool", "type", "hi"])
        rec.wait_for(lambda evs: len([e for e in evs if e.kind == "key_release"]) >= 2)
        assert rec.typed_text() == "hi"
"""

from __future__ import annotations

import contextlib
import select
import threading
import time
from typing import Callable

from Xlib import X, display as xdisplay, error as xerror
from Xlib.protocol import event as xevent

from tests.keysyms import keysym_to_text
from tests.x_events import Event, format_events

__all__ = ["Recorder"]

_MASK = (
    X.KeyPressMask
    | X.KeyReleaseMask
    | X.ButtonPressMask
    | X.ButtonReleaseMask
    | X.PointerMotionMask
    | X.FocusChangeMask
    | X.ExposureMask
    | X.StructureNotifyMask
)

_KINDS = {
    X.KeyPress: "key_press",
    X.KeyRelease: "key_release",
    X.ButtonPress: "button_press",
    X.ButtonRelease: "button_release",
    X.MotionNotify: "motion",
    X.FocusIn: "focus_in",
    X.FocusOut: "focus_out",
}


# --------------------------------------------------------------------------


def _connect(display_name: str | None, timeout: float = 3.0) -> xdisplay.Display:
    """Open a display, retrying briefly: an Xvfb started without -noreset resets
    when its last client disconnects and refuses connections while it does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return xdisplay.Display(display_name)
        except (xerror.DisplayConnectionError, xerror.ConnectionClosedError, OSError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


class Recorder:
    """An X client window that records the input events delivered to it."""

    def __init__(self, display_name: str | None = None, x: int = 0, y: int = 0,
                 width: int | None = None, height: int | None = None, colour: int = 0x3366CC):
        self._lock = threading.Lock()  # guards _events/_last_t
        self._xlock = threading.RLock()  # guards every use of the display
        self._events: list[Event] = []
        self._stale_ids: set[int] = set()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._closed = False
        self._last_t = time.monotonic()
        self._mapped = self._exposed = False

        self.display = _connect(display_name)
        try:
            self._setup(x, y, width, height, colour)
        except BaseException:
            self.display.close()
            raise
        self._thread = threading.Thread(target=self._run, name="x-recorder", daemon=True)
        self._thread.start()

    # -- setup -------------------------------------------------------------

    def _setup(self, x, y, width, height, colour):
        d = self.display
        screen = d.screen()
        self.width = width if width is not None else screen.width_in_pixels - x
        self.height = height if height is not None else screen.height_in_pixels - y
        self.x, self.y = x, y
        r, g, b = (colour >> 16) & 0xFF, (colour >> 8) & 0xFF, colour & 0xFF
        pixel = screen.default_colormap.alloc_color(r * 257, g * 257, b * 257).pixel
        self.background_pixel = pixel
        self.window = screen.root.create_window(
            x, y, self.width, self.height, 0, screen.root_depth,
            X.InputOutput, X.CopyFromParent,
            background_pixel=pixel, override_redirect=True, event_mask=_MASK,
        )
        self.window.set_wm_name("xhands-recorder")
        self.window.map()
        self.window.configure(stack_mode=X.Above)
        d.flush()
        deadline = time.monotonic() + 5.0
        while not (self._mapped and self._exposed):
            if time.monotonic() > deadline:
                raise AssertionError("recorder window was never mapped/exposed")
            if not self._drain():
                select.select([d.fileno()], [], [], 0.05)
        self.window.set_input_focus(X.RevertToParent, X.CurrentTime)
        d.sync()
        self._drain()

    # -- reader thread -------------------------------------------------------

    def _drain(self) -> int:
        """Handle every queued event, in order. Caller holds _xlock or owns the display."""
        n = 0
        while self.display.pending_events():
            self._handle(self.display.next_event())
            n += 1
        return n

    def _run(self):
        try:
            fd = self.display.fileno()
            while not self._stop.is_set():
                with self._xlock:
                    self._drain()
                select.select([fd], [], [], 0.02)
        except BaseException as exc:  # surface it through wait_for / close
            if not self._stop.is_set():
                self._error = exc

    def _handle(self, ev):
        t = time.monotonic()
        etype = ev.type & 0x7F
        syn = bool(getattr(ev, "send_event", False))
        if etype == X.MappingNotify:
            if ev.request == X.MappingKeyboard:
                self.display.refresh_keyboard_mapping(ev)
                self._mark_stale()
                self._record(Event("mapping", ev.first_keycode, None, None, None, None, 0, 0, t,
                                   count=ev.count, request=ev.request))
            else:
                self._record(Event("mapping", None, None, None, None, None, 0, 0, t,
                                   request=ev.request))
            return
        if etype == X.MapNotify and ev.window.id == self.window.id:
            self._mapped = True
            return
        if etype == X.Expose and ev.window.id == self.window.id:
            self._exposed = True
            return
        kind = _KINDS.get(etype)
        if kind is None:
            return
        if etype in (X.KeyPress, X.KeyRelease):
            stale = id(ev) in self._stale_ids
            self._stale_ids.discard(id(ev))
            self._record(Event(kind, ev.detail, self._resolve(ev.detail, ev.state), None,
                               ev.root_x, ev.root_y, ev.state, ev.time, t, stale=stale,
                               synthetic=syn))
        elif etype in (X.ButtonPress, X.ButtonRelease):
            self._record(Event(kind, None, None, ev.detail, ev.root_x, ev.root_y,
                               ev.state, ev.time, t, synthetic=syn))
        elif etype == X.MotionNotify:
            self._record(Event(kind, None, None, None, ev.root_x, ev.root_y, ev.state, ev.time, t,
                               synthetic=syn))
        else:  # focus
            self._record(Event(kind, None, None, None, None, None, 0, 0, t, synthetic=syn))

    def _resolve(self, keycode: int, state: int) -> int:
        d = self.display
        if state & X.ShiftMask:
            ks = d.keycode_to_keysym(keycode, 1)
            if ks != X.NoSymbol:
                return ks
        return d.keycode_to_keysym(keycode, 0)

    def _mark_stale(self):
        """After a map refresh: key events already queued that are followed, still in
        the queue, by another keyboard MappingNotify covering their keycode were
        generated under a binding that is already gone -- flag them."""
        queue = list(getattr(self.display.display, "event_queue", None) or ())
        later: list[tuple[int, int]] = []
        for ev in reversed(queue):
            if isinstance(ev, xevent.MappingNotify):
                if ev.request == X.MappingKeyboard:
                    later.append((ev.first_keycode, ev.first_keycode + ev.count))
            elif isinstance(ev, (xevent.KeyPress, xevent.KeyRelease)):
                if any(a <= ev.detail < b for a, b in later):
                    self._stale_ids.add(id(ev))

    def _record(self, e: Event):
        with self._lock:
            self._events.append(e)
            self._last_t = e.t

    # -- public API ------------------------------------------------------------

    def snapshot(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    @property
    def events(self) -> list[Event]:
        return self.snapshot()

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def _check(self):
        if self._error is not None:
            raise AssertionError(f"recorder thread died: {self._error!r}") from self._error

    def sync(self) -> list[Event]:
        """Round trip to the server, then wait until every event it had sent us
        before the reply is recorded. Returns a snapshot."""
        self._check()
        with self._xlock:
            self.display.sync()
            self._drain()
        return self.snapshot()

    def wait_for(self, predicate: Callable[[list[Event]], bool], timeout: float = 5.0,
                 what: str | None = None) -> list[Event]:
        deadline = time.monotonic() + timeout
        while True:
            self._check()
            snap = self.snapshot()
            if predicate(snap):
                return snap
            if time.monotonic() >= deadline:
                desc = what or getattr(predicate, "__name__", repr(predicate))
                raise AssertionError(
                    f"timed out after {timeout:g}s waiting for {desc}; "
                    f"{len(snap)} events recorded:\n{format_events(snap)}")
            time.sleep(0.01)

    def wait_idle(self, quiet: float = 0.2, timeout: float = 5.0) -> list[Event]:
        start = time.monotonic()
        deadline = start + timeout
        self.sync()
        while True:
            self._check()
            now = time.monotonic()
            with self._lock:
                last = max(self._last_t, start)
            if now - last >= quiet:
                return self.snapshot()
            if now >= deadline:
                snap = self.snapshot()
                raise AssertionError(
                    f"events kept arriving for {timeout:g}s (wanted {quiet:g}s of quiet); "
                    f"{len(snap)} events recorded:\n{format_events(snap)}")
            time.sleep(min(0.01, max(0.0, quiet - (now - last))))

    @contextlib.contextmanager
    def locked(self):
        """Hold the display lock and yield the Display: the only safe way to make
        your own requests on it (python-xlib is not thread-safe; the reader thread
        uses the connection continuously). Events that arrive meanwhile are recorded
        as soon as the lock is released."""
        self._check()
        with self._xlock:
            yield self.display

    def pixel(self, x: int, y: int) -> int:
        """0xRRGGBB of the screen at root coordinates (x, y) (24/32-bit TrueColor)."""
        with self.locked() as d:
            img = d.screen().root.get_image(x, y, 1, 1, X.ZPixmap, 0xFFFFFFFF)
        return int.from_bytes(img.data[:4], "little") & 0xFFFFFF

    def focus(self) -> None:
        """Raise the window and give it the input focus again."""
        self._check()
        with self._xlock:
            self.window.configure(stack_mode=X.Above)
            self.window.set_input_focus(X.RevertToParent, X.CurrentTime)
            self.display.sync()
            self._drain()

    def of_kind(self, *kinds: str) -> list[Event]:
        return [e for e in self.snapshot() if e.kind in kinds]

    def presses(self) -> list[int]:
        return [e.keysym for e in self.of_kind("key_press")]

    def releases(self) -> list[int]:
        return [e.keysym for e in self.of_kind("key_release")]

    def typed_text(self) -> str:
        return "".join(keysym_to_text(ks) for ks in self.presses())

    def buttons(self, kind: str = "button_press") -> list[int]:
        return [e.button for e in self.of_kind(kind)]

    def motions(self) -> list[tuple[int, int, float]]:
        return [(e.x, e.y, e.t) for e in self.of_kind("motion")]

    def stale(self) -> list[Event]:
        return [e for e in self.snapshot() if e.stale]

    def dump(self) -> str:
        return format_events(self.snapshot())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._thread.join(timeout=2.0)
        with self._xlock:
            try:
                self.window.destroy()
                self.display.sync()
            except Exception:
                pass
            try:
                self.display.close()
            except Exception:
                pass

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
