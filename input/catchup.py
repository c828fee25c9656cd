"""Waiting for other X clients to catch up with our typing, before and after a keymap change.

Rebinding a spare keycode is only safe once the application receiving the keys
has handled every press sent before (or it reads those presses with the new
keysym), and typing on is only safe once it has fetched the new map (or it
reads the old one). Chromium, for one, needs 0.4-0.7 ms per key press and
fetches the whole map once per change, so no fixed pause is safe at full speed.

Timed waits assume the worst: 2 ms per press sent since the last rebind before
rebinding (at most TIMED_LIMIT_S), 10 ms after it. Where the X server has
RECORD, an InputObserver (observe.py) shows when the focused application has
really handled the presses and fetched the map; for an application that
reports its presses (Chromium does) the waits last until then, however long
that is on a busy machine (up to OBSERVED_LIMIT_S), and the timed values stay
for applications that report nothing. When no window gets the keys at all (the focus is None, or the pointer
is over the bare root window and no client selected the root's key events), there is nobody to wait for.
Every wait is a generator of monotonic deadlines, as in keyboard.py.
"""

import logging
import time
from collections.abc import Callable, Iterator

from Xlib import X

from .observe import focused_window, user_time

log = logging.getLogger(__name__)

# Chromium needs 0.4-0.7 ms per press; a plain Python client on a busy 2-core machine fell behind
# 1 ms per press once presses were sent as fast as they are now, so the guess allows 2.
PER_PRESS_S = 0.002
AFTER_REBIND_S = 0.010
# The timed wait never lasts longer than this: 2 ms per press after 100k characters of plain text
# would otherwise be a 200 s pause before the next rebind.
TIMED_LIMIT_S = 3.0
# Observed waits: how often to look, and when to stop trusting an application that reports its
# presses (it hung, or the presses went elsewhere) and fall back to the timed wait.
POLL_S = 0.0005
OBSERVED_LIMIT_S = 3.0


class CatchUp:
    def __init__(self, display, observer_factory: Callable[[], object] | None = None):
        """`observer_factory` makes an InputObserver on first need; None (or a failing one) keeps the timed waits."""
        self.display = display
        self._presses_since_rebind = 0
        self.last_press_at = 0.0
        self._observer_factory = observer_factory
        self._observer = None  # None: not made yet; False: unavailable
        self._watched: int | None = None  # the focused client, while it is seen keeping up
        self._nobody_reads = False  # at the last handled(): no client gets the keys

    def pressed(self) -> None:
        """Count a key press sent."""
        self._presses_since_rebind += 1
        self.last_press_at = time.monotonic()

    def rebound(self) -> None:
        """The keymap changed: presses are counted afresh."""
        self._presses_since_rebind = 0

    def handled(self) -> Iterator[float]:
        """Until the focused client has handled every press sent so far (observed), or the timed wait; no wait
        when no client gets the keys."""
        window = focused_window(self.display)
        self._nobody_reads = window is None and not root_reads_keys(self.display)
        if self._nobody_reads:
            self._watched = None
            return
        timed = min(self.last_press_at + self._presses_since_rebind * PER_PRESS_S, time.monotonic() + TIMED_LIMIT_S)
        observer = self._observer_ready()
        client = None
        if observer is not None:
            client = observer.client_of(window) if window else None
            if client is not None and not observer.reports(client):
                # Not seen since recording began: does its window carry a user time at all?
                value = user_time(self.display, window)
                if value is None:
                    client = None  # it reports nothing: the timed wait
                else:
                    observer.saw_user_time(client, value)
        self._watched = client
        if client is not None:
            if (yield from self._observe(observer, lambda: observer.handled_last_press(client))):
                return
            self._watched = None
        yield timed

    def fetched(self) -> Iterator[float]:
        """After a rebind, until a client has fetched the new map (observed), or the timed wait; none when nobody
        got the keys before it (handled)."""
        if self._nobody_reads:
            return
        observer = self._observer_ready() if self._watched is not None else None
        if observer is not None:
            if (yield from self._observe(observer, lambda: observer.fetched_since_change)):
                return
        yield time.monotonic() + AFTER_REBIND_S

    def pause(self) -> None:
        """Typing is over: stop recording (it would cost CPU for every press of any client)."""
        if self._observer:
            self._observer.pause()

    def close(self) -> None:
        if self._observer:
            self._observer.close()
        self._observer = None

    def _observer_ready(self):
        if self._observer is None and self._observer_factory is not None:
            try:
                self._observer = self._observer_factory()
            except Exception as exc:  # no RECORD, no XKB, ...: timed waits only
                log.info("typing with timed waits only: %s", exc)
                self._observer = False
        observer = self._observer
        if observer:
            observer.resume()
        if observer and not observer.alive:
            observer.close()
            self._observer = observer = False
        return observer or None

    def _synced(self, observer, deadline: float) -> Iterator[float]:
        """Send a marker and wait until the observer has seen it (and so everything sent before it)."""
        observer.mark(self.display)
        while not observer.caught_up_with_marks():
            if time.monotonic() > deadline or not observer.alive:
                return False
            yield time.monotonic() + POLL_S
        return True

    def _observe(self, observer, condition) -> Iterator[float]:
        """Until the condition holds of an up-to-date observer; False if not within OBSERVED_LIMIT_S."""
        deadline = time.monotonic() + OBSERVED_LIMIT_S
        while (yield from self._synced(observer, deadline)):
            if condition():
                return True
            if time.monotonic() > deadline:
                return False
            yield time.monotonic() + POLL_S
        return False


def root_reads_keys(display) -> bool:
    """Whether some client selected key events on the root window (which gets them when no other window does)."""
    masks = display.screen().root.get_attributes().all_event_masks
    return bool(masks & (X.KeyPressMask | X.KeyReleaseMask))
