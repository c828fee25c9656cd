"""Knowing when the screen changed: XDamage on the root window, and XFixes cursor-shape notices, on a
connection of their own that the event loop reads whenever the X server has something to say.

The X server reports a change within a fraction of a millisecond of another client drawing it, and says
nothing at all while the screen stays the same: a screencast of an idle screen costs nothing, and "the
screen has been quiet for N ms" is known without looking at a single pixel. DamageReportNonEmpty sends one
notice when the damage region stops being empty; subtracting it at once re-arms the notice, so a
busy screen costs at most one notice per read of this connection, however much is drawn.
"""

import asyncio
import time
from collections.abc import Callable

from Xlib.ext import damage, xfixes

from .cursor import CursorSprite, read_cursor
from .display import CONNECTION_ERRORS, close_quietly
from .watchdog import open_answering


class ScreenWatcher:
    """Counts screen changes and cursor-shape changes, and calls listeners on each; lives in one event loop."""

    def __init__(self, display_name: str):
        self.display = open_answering(display_name)
        self.display.damage_query_version()
        self.display.xfixes_query_version()
        self.root = self.display.screen().root
        self._damage = self.root.damage_create(damage.DamageReportNonEmpty)
        self.display.xfixes_select_cursor_input(self.root, xfixes.XFixesDisplayCursorNotifyMask)
        # DamageCreate reports the whole window damaged once: the screen did not change, so that notice is
        # dropped (with the sync it has arrived) and the region emptied for the first real change.
        self.display.damage_subtract(self._damage)
        self.display.sync()
        while self.display.pending_events():
            self.display.next_event()
        self.changed_at = time.monotonic()  # when the screen last changed (or watching began)
        self.changes = 0
        self.cursor_shapes = 0
        self.alive = True
        self._listeners: list[Callable[[], None]] = []
        self._loop = asyncio.get_running_loop()
        # Kept: once the connection has died its socket's number reads -1, and the loop must still be told to
        # forget this one before a new connection (a viewer's, say) is given the same number.
        self._fd = self.display.fileno()
        self._loop.add_reader(self._fd, self._read)
        self._loop.call_soon(self._read)  # the round trips above may have queued a first notice already

    def listen(self, callback: Callable[[], None]) -> None:
        """Call `callback` (in the event loop, no arguments) after each batch of changes."""
        self._listeners.append(callback)

    def unlisten(self, callback: Callable[[], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _read(self) -> None:
        """Handle every notice received. Also called after each round trip on this connection: python-xlib
        queues the events that arrive while it waits for a reply, and the socket then has nothing to tell."""
        damaged, reshaped = False, False
        try:
            while self.display.pending_events():
                event = self.display.next_event()
                kind = type(event).__name__  # python-xlib registers a copy of each extension's event class
                if kind == "DamageNotify":
                    damaged = True
                elif kind == "DisplayCursorNotify":
                    self.cursor_shapes += 1
                    reshaped = True
            if damaged:
                self.changes += 1
                self.changed_at = time.monotonic()
                self.display.damage_subtract(self._damage)
                self.display.flush()
        except CONNECTION_ERRORS:
            self.close()  # the display went away; whoever needs a watcher makes a new one
            damaged = True  # listeners look at `alive`
        # Only when something happened: pointer() schedules a read after its round trip, and a listener that
        # looks at the pointer when woken would otherwise wake itself again at once, forever.
        if damaged or reshaped:
            for callback in list(self._listeners):
                callback()

    def pointer(self) -> tuple[int, int]:
        """Where the pointer is (one round trip on this connection)."""
        reply = self.root.query_pointer()
        self._loop.call_soon(self._read)
        return reply.root_x, reply.root_y

    def cursor_sprite(self) -> CursorSprite:
        """The cursor's current picture and hotspot (one round trip)."""
        sprite = read_cursor(self.display)
        self._loop.call_soon(self._read)
        return sprite

    def close(self) -> None:
        if not self.alive:
            return
        self.alive = False
        self._loop.remove_reader(self._fd)
        close_quietly(self.display)
