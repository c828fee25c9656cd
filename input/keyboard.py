"""XTest keyboard: keys down and up by keysym, typing text, and never leaving a key pressed.

Operations that must wait (for a delay, or for other clients to catch up with
a keymap change) are generators yielding monotonic deadlines; the caller
sleeps until each one without blocking anything else. Waits follow
../shared/notes/typing.md: before rebinding, let clients process the presses
already sent (1 ms each); after rebinding, give them 10 ms to fetch the map.
Where the X server has RECORD, an InputObserver (observe.py) shows when the
focused application has really handled the presses and fetched the map, and
the waits end then; the timed values stay as the bound for applications that
report neither.
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from Xlib import X, XK
from Xlib.ext import xtest

from .keymap import Keymap
from .keys import char_to_keysym
from .observe import focused_window

log = logging.getLogger(__name__)

PER_PRESS_S = 0.001
AFTER_REBIND_S = 0.010
SHIFT = XK.XK_Shift_L
# Observed waits: how often to look, and how much longer than the timed wait to trust an
# application that has shown it reports every press but has not caught up yet.
POLL_S = 0.0005
SETTLE_GRACE_S = 1.0
FETCH_GRACE_S = 0.2


@dataclass(frozen=True)
class Settled:
    """A point where the client `client` had handled every press sent: its count then, and ours."""

    client: int
    seen: int
    sent: int
    reports: bool  # its count has moved with our presses before


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
        self.presses_sent = 0
        # Presses of other devices that applications count as user activity too (the pointer's buttons).
        self.other_presses: Callable[[], int] = lambda: 0
        self._observer_factory = observer_factory
        self._observer = None  # None: not made yet; False: unavailable
        self._settled: Settled | None = None
        self._map_followers: set[int] = set()  # clients seen fetching the map after our rebinds

    # -- single keycodes ---------------------------------------------------
    def _down(self, keycode: int) -> None:
        xtest.fake_input(self.display, X.KeyPress, keycode)
        self.pressed.append(keycode)
        self._presses_since_rebind += 1
        self.presses_sent += 1
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
        observer = self._observer_ready()
        fetched_before = observer.map_fetches() if observer else None
        changes = self.keymap.bind(needed)
        self._presses_since_rebind = 0
        yield from self._wait_fetched(changes, fetched_before)

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
        if observer and observer.resume():
            self._settled = None  # presses made while not recording were not counted
        if observer and not observer.alive:
            observer.close()
            self._observer = observer = False
        return observer or None

    def _pause_observer(self) -> None:
        if self._observer:
            self._observer.pause()

    def _wait_handled(self) -> Iterator[float]:
        """Until the focused client has handled every press sent so far (observed), or the timed bound."""
        timed = self._settled_at()
        observer = self._observer_ready()
        if observer is None:
            yield timed
            return
        window = focused_window(self.display)
        client = observer.client_of(window) if window else None
        sent = self.presses_sent + self.other_presses()
        settled = self._settled
        if client is None or settled is None or settled.client != client:
            yield timed  # its backlog is unknown: wait the timed way, then count from here
            self._settled = Settled(client, observer.presses_seen(client), sent, False) if client else None
            return
        target = settled.seen + (sent - settled.sent)
        deadline = timed + SETTLE_GRACE_S if settled.reports else timed
        while observer.presses_seen(client) < target and time.monotonic() < deadline:
            yield min(deadline, time.monotonic() + POLL_S)
        seen = observer.presses_seen(client)
        self._settled = Settled(client, seen, sent, settled.reports or seen > settled.seen)

    def _wait_fetched(self, changes: int, before: dict | None) -> Iterator[float]:
        """Until the clients that follow our rebinds have fetched the new map (observed), or the timed bound."""
        timed = time.monotonic() + AFTER_REBIND_S
        observer = self._observer_ready() if before is not None else None
        if observer is None or changes == 0:
            yield timed
            return

        def caught_up() -> set[int]:
            now = observer.map_fetches()
            return {client for client, count in now.items() if count - before.get(client, 0) >= changes}

        followers = self._map_followers
        if not followers:
            yield timed  # learn who fetches the map after a change
            self._map_followers = caught_up()
            return
        deadline = timed + FETCH_GRACE_S
        while not followers <= caught_up() and time.monotonic() < deadline:
            yield min(deadline, time.monotonic() + POLL_S)
        self._map_followers = followers & caught_up()  # a follower that has gone quiet is learnt afresh

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
        self._up(self.keymap.locate(keysym).keycode)
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
        for group in split_groups(keysyms, is_mapped, self.keymap.capacity):
            yield from self.make_typeable(group)
            next_at = max(next_at, time.monotonic())  # a rebind wait is not made up for by a burst
            for keysym in group:
                gap = next(gaps, 0.0)
                if gap:
                    self.display.flush()
                    next_at += gap
                    yield next_at
                self.keysym_down(keysym)
                self.keysym_up(keysym)
        yield from self.restore_keymap()

    def type_text(self, text: str, delay_s: float = 0.0) -> Iterator[float]:
        """Type text with `delay_s` between keystrokes."""
        return self.type_keysyms([char_to_keysym(char) for char in text], [0.0] + [delay_s] * (len(text) - 1))
