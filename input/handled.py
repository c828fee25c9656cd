"""Knowing that the focused application has handled a key or button press, without asking it.

Applications that follow the EWMH (Chromium, Firefox, GTK and Qt ones) stamp their window's
_NET_WM_USER_TIME with the X server time of each key and button press they handle. A press sent at a known
moment has been handled once that stamp has reached the server's time of that moment; the server's time now
is read as the time of a PropertyNotify on a window of our own, and the press's is that less the time since.
Reading both costs three round trips on a connection of its own, and nothing while nobody asks.
"""

import time

from Xlib import X, Xatom

from .display import CONNECTION_ERRORS, close_quietly
from .observe import focused_window, user_time
from .starved import window_pid
from .watchdog import open_answering

# Server times are milliseconds, and a press and the moment it was noted here differ by about one.
SLACK_MS = 5
WRAP = 2**32  # server times are 32-bit milliseconds: they wrap after 49 days


def press_time(server_now: int, seconds_since_press: float) -> int:
    """The server time of a press made seconds_since_press ago, a little early (SLACK_MS) to be sure."""
    return (server_now - round(seconds_since_press * 1000) - SLACK_MS) % WRAP


def stamped_since(stamp: int, moment: int) -> bool:
    """Whether a server time stamp is at or after the moment (as times go round, within 24 days)."""
    return (stamp - moment) % WRAP < WRAP // 2


class HandledInput:
    def __init__(self, display_name: str):
        self.display = open_answering(display_name)
        root = self.display.screen().root
        self._clock = root.create_window(-1, -1, 1, 1, 0, X.CopyFromParent, X.InputOnly, X.CopyFromParent,
                                         event_mask=X.PropertyChangeMask)
        self._tick = self.display.intern_atom("_XHANDS_CLOCK")
        self.alive = True

    def server_time(self) -> int:
        """The X server's clock now: appending nothing to a property still notifies, with the time."""
        self._clock.change_property(self._tick, Xatom.STRING, 8, b"", X.PropModeAppend)
        self.display.flush()
        while True:  # the clock window's notices are the only events this connection asks for
            event = self.display.next_event()
            if event.type == X.PropertyNotify and event.window.id == self._clock.id:
                return event.time

    def press_handled(self, pressed_at: float) -> bool | None:
        """Whether the focused application has handled the press made at monotonic time pressed_at; None if it
        stamps no user time (it cannot tell)."""
        try:
            moment = press_time(self.server_time(), time.monotonic() - pressed_at)
            window = focused_window(self.display)
            stamp = user_time(self.display, window) if window else None
        except CONNECTION_ERRORS:  # the display went away: whoever asks next gets a new connection
            self.close()
            return None
        return None if stamp is None else stamped_since(stamp, moment)

    def focused_pid(self) -> int | None:
        """The focused application's process, where it says and is visible here (starved.py)."""
        try:
            window = focused_window(self.display)
            return window_pid(self.display, window) if window else None
        except CONNECTION_ERRORS:
            self.close()
            return None

    def close(self) -> None:
        self.alive = False
        close_quietly(self.display)
