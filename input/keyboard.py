"""XTest keyboard: keys down and up by keysym, typing text, and never leaving a key pressed.

Operations that must wait (for a delay, or for other clients to catch up with
a keymap change) are generators yielding monotonic deadlines; the caller
sleeps until each one without blocking anything else. Waits follow
../shared/notes/typing.md: before rebinding, let clients process the presses
already sent (1 ms each); after rebinding, give them 10 ms to fetch the map.
Where the X server has RECORD, an InputObserver (observe.py) shows when the
focused application has really handled the presses and fetched the map: for
an application that reports its presses (Chromium does) the waits last until
then, however long that is on a busy machine (up to OBSERVED_LIMIT_S); the
timed values stay for applications that report nothing.
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from Xlib import X, XK
from Xlib.ext import xtest

from .keymap import Keymap
from .keys import char_to_keysym
from .observe import focused_window, user_time

log = logging.getLogger(__name__)

PER_PRESS_S = 0.001
AFTER_REBIND_S = 0.010
SHIFT = XK.XK_Shift_L
# Observed waits: how often to look, and when to stop trusting an application that reports its
# presses (it hung, or the presses went elsewhere) and fall back to the timed wait.
POLL_S = 0.0005
OBSERVED_LIMIT_S = 3.0
# Keys typed between flushes at zero delay. python-xlib grows its send buffer by concatenation, so
# one flush after a long text costs time quadratic in its length (100k characters: ~110 s); a
# bounded chunk keeps it linear, and each chunk is a point where the event loop gets its turn.
KEYS_PER_FLUSH = 256


def split_groups(keysyms: list[int], is_mapped, limit: int) -> list[list[int]]:
    """Cut a keysym sequence into stretches that each need at most `limit` distinct unmapped keysyms."""
    groups: list[list[int]] = []
    current: list[int] = []
    unmapped: set[int] = set()
    for keysym in keysyms:
        if not is_mapped(keysym) and keysym not in unmapped:
            if len(unmapped) == limit:
                groups.append(current)
                current, unmapped = [], set()
            unmapped.add(keysym)
        current.append(keysym)
    if current:
        groups.append(current)
    return groups


class Keyboard:
    def __init__(self, display, observer_factory: Callable[[], object] | None = None):
        """`observer_factory` makes an InputObserver on first need; None (or a failing one) keeps the timed waits."""
        self.display = display
        self.keymap = Keymap(display)
        self.pressed: list[int] = []  # keycodes down, in press order
        self._presses_since_rebind = 0
        self._last_press_at = 0.0
        self._shifted_for: set[int] = set()  # keysyms for which we pressed Shift ourselves
        self._observer_factory = observer_factory
        self._observer = None  # None: not made yet; False: unavailable
        self._watched: int | None = None  # the focused client, while it is seen keeping up

    # -- single keycodes ---------------------------------------------------
    def _down(self, keycode: int) -> None:
        xtest.fake_input(self.display, X.KeyPress, keycode)
        self.pressed.append(keycode)
        self._presses_since_rebind += 1
        self._last_press_at = time.monotonic()

    def _up(self, keycode: int) -> None:
        xtest.fake_input(self.display, X.KeyRelease, keycode)
        if keycode in self.pressed:
            self.pressed.remove(keycode)

    def release_all(self) -> None:
        """Release every key this daemon holds, newest first, and give back lent keycodes."""
        self._pause_observer()
        if not self.pressed and not self.keymap.lent:
            return  # nothing to undo (the common case after every action): no flush either
        for keycode in reversed(self.pressed):
            xtest.fake_input(self.display, X.KeyRelease, keycode)
        self.pressed.clear()
        self._shifted_for.clear()
        self.keymap.restore()
        self.display.flush()

    # -- keymap changes, with the waits other clients need ------------------
    def _settled_at(self) -> float:
        return self._last_press_at + self._presses_since_rebind * PER_PRESS_S

    def make_typeable(self, keysyms: Iterable[int]) -> Iterator[float]:
        """Bind whatever keysyms are missing, waiting before and after the rebind."""
        needed = set(keysyms)
        if all(self.keymap.locate(keysym) for keysym in needed):
            return
        self.display.flush()
        yield from self._wait_handled()
        self.keymap.bind(needed)
        self._presses_since_rebind = 0
        yield from self._wait_fetched()

    def restore_keymap(self) -> Iterator[float]:
        if self.keymap.lent:
            self.display.flush()
            yield from self._wait_handled()
            self.keymap.restore()
            self._presses_since_rebind = 0

    # -- observed waits ----------------------------------------------------
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

    def _pause_observer(self) -> None:
        if self._observer:
            self._observer.pause()

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

    def _wait_handled(self) -> Iterator[float]:
        """Until the focused client has handled every press sent so far (observed), or the timed wait."""
        timed = self._settled_at()
        observer = self._observer_ready()
        client = None
        if observer is not None:
            window = focused_window(self.display)
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

    def _wait_fetched(self) -> Iterator[float]:
        """After a rebind, until a client has fetched the new map (observed), or the timed wait."""
        observer = self._observer_ready() if self._watched is not None else None
        if observer is not None:
            if (yield from self._observe(observer, lambda: observer.fetched_since_change)):
                return
        yield time.monotonic() + AFTER_REBIND_S

    def close(self) -> None:
        if self._observer:
            self._observer.close()
        self._observer = None

    # -- keysyms -----------------------------------------------------------
    def keysym_down(self, keysym: int) -> None:
        """Press a typeable keysym; Shift goes down first when it sits in column 1 and Shift is not held."""
        location = self.keymap.locate(keysym)
        if location.shift and not self._shift_held():
            self._down(self.keymap.locate(SHIFT).keycode)
            self._shifted_for.add(keysym)
        self._down(location.keycode)

    def keysym_up(self, keysym: int) -> None:
        """Release a keysym pressed by keysym_down; one never pressed (an action cut short before it) is skipped."""
        location = self.keymap.locate(keysym)
        if location is None or location.keycode not in self.pressed:
            return
        self._up(location.keycode)
        if keysym in self._shifted_for:
            self._shifted_for.discard(keysym)
            self._up(self.keymap.locate(SHIFT).keycode)

    def _shift_held(self) -> bool:
        return any(self.keymap.locate(k).keycode in self.pressed for k in (XK.XK_Shift_L, XK.XK_Shift_R))

    def hold(self, keysyms: list[int]) -> Iterator[float]:
        """Press keysyms in order and leave them down (hold_keys, or a combo held for a duration)."""
        yield from self.make_typeable(keysyms)
        for keysym in keysyms:
            self.keysym_down(keysym)

    def release(self, keysyms: list[int]) -> None:
        """Release keysyms in reverse order."""
        for keysym in reversed(keysyms):
            self.keysym_up(keysym)

    def type_keysyms(self, keysyms: list[int], gaps_s: Sequence[float] | None = None) -> Iterator[float]:
        """Tap each keysym in order, waiting gaps_s[i] before key i, rebinding spare keycodes group by group."""
        is_mapped = self.keymap.locations.__contains__
        gaps = iter(gaps_s or ())
        next_at = time.monotonic()
        unflushed = 0
        for group in split_groups(keysyms, is_mapped, self.keymap.capacity):
            yield from self.make_typeable(group)
            next_at = max(next_at, time.monotonic())  # a rebind wait is not made up for by a burst
            for keysym in group:
                gap = next(gaps, 0.0)
                if gap:
                    next_at += gap
                    yield next_at
                    unflushed = 0
                elif unflushed == KEYS_PER_FLUSH:
                    yield time.monotonic()  # flushed and on at once, after other tasks had their turn
                    unflushed = 0
                unflushed += 1
                self.keysym_down(keysym)
                self.keysym_up(keysym)
        yield from self.restore_keymap()

    def type_text(self, text: str, delay_s: float = 0.0) -> Iterator[float]:
        """Type text with `delay_s` between keystrokes."""
        return self.type_keysyms([char_to_keysym(char) for char in text], [0.0] + [delay_s] * (len(text) - 1))
