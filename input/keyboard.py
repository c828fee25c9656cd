"""XTest keyboard: keys down and up by keysym, typing text, and never leaving a key pressed.

Operations that must wait (for a delay, or for other clients to catch up with
a keymap change: catchup.py) are generators yielding monotonic deadlines; the
caller sleeps until each one without blocking anything else.
"""

import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from Xlib import XK, X

from .catchup import CatchUp
from .fakeinput import fake_event
from .keymap import Keymap
from .keys import char_to_keysym

SHIFT = XK.XK_Shift_L
# Keys typed between flushes at zero delay. python-xlib grows its send buffer by concatenation, so
# one flush after a long text costs time quadratic in its length (100k characters: ~110 s); a
# bounded chunk keeps it linear, and each chunk is a point where the event loop gets its turn.
KEYS_PER_FLUSH = 64


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
        """`observer_factory` makes an InputObserver on first need (see catchup.py)."""
        self.display = display
        self.keymap = Keymap(display)
        self.catch_up = CatchUp(display, observer_factory)
        self.pressed: list[int] = []  # keycodes down, in press order
        # Keycodes held on purpose across actions (Lightcone's key-down) until let go: release_all leaves them down.
        self.held: set[int] = set()
        self._shifted_for: set[int] = set()  # keysyms for which we pressed Shift ourselves

    # -- single keycodes ---------------------------------------------------
    def _down(self, keycode: int) -> None:
        fake_event(self.display, X.KeyPress, keycode)
        self.pressed.append(keycode)
        self.catch_up.pressed()

    def _up(self, keycode: int) -> None:
        fake_event(self.display, X.KeyRelease, keycode)
        if keycode in self.pressed:
            self.pressed.remove(keycode)
        self.held.discard(keycode)

    def release_all(self) -> None:
        """Release every key an action pressed, newest first, and give back lent keycodes; held keys stay down."""
        self.catch_up.pause()
        if len(self.pressed) == len(self.held) and not self.keymap.lent:
            return  # nothing to undo (the common case after every action): no flush either
        for keycode in reversed(self.pressed):
            if keycode not in self.held:
                fake_event(self.display, X.KeyRelease, keycode)
        self.pressed = [keycode for keycode in self.pressed if keycode in self.held]
        self._shifted_for = {keysym for keysym in self._shifted_for if self.keymap.locate(keysym).keycode in self.held}
        self.keymap.restore()
        self.display.flush()

    def release_held(self) -> None:
        """Release the keys held across actions too (shutdown, the computer deleted, the hold's idle limit)."""
        self.held.clear()
        for keysym in list(self.keymap.pinned):
            self.keymap.unpin(keysym)
        self.release_all()

    # -- keys held across actions ------------------------------------------
    def hold_across(self, keysyms: list[int]) -> None:
        """Press typeable keysyms (make_typeable first) in order and keep them down across actions until let_go
        or release_held; a keycode lent to one stays lent as long (pinned)."""
        if missing := [keysym for keysym in keysyms if self.keymap.locate(keysym) is None]:
            raise KeyError(missing[0])
        for keysym in keysyms:
            if keysym not in self.keymap.locations:
                self.keymap.pin(keysym)
        pressed_before = len(self.pressed)
        for keysym in keysyms:
            self.keysym_down(keysym)
        self.held.update(self.pressed[pressed_before:])

    def held_keysyms(self) -> list[int]:
        """The keysyms held across actions, in press order (a pinned loan's own, which this client's cached
        keymap may not show yet)."""
        lent = {keycode: keysym for keysym, keycode in self.keymap.pinned.items()}
        return [lent.get(keycode) or self.display.keycode_to_keysym(keycode, 0)
                for keycode in self.pressed if keycode in self.held]

    def let_go(self, keysyms: list[int]) -> None:
        """Release keys held by hold_across, in reverse order; a key not held is skipped."""
        for keysym in reversed(keysyms):
            location = self.keymap.locate(keysym)
            if location is not None and location.keycode in self.held:
                self.held.discard(location.keycode)
                self.keysym_up(keysym)
                self.keymap.unpin(keysym)

    # -- keymap changes, with the waits other clients need ------------------
    def make_typeable(self, keysyms: Iterable[int]) -> Iterator[float]:
        """Bind whatever keysyms are missing, waiting before and after the rebind."""
        needed = set(keysyms)
        if all(self.keymap.locate(keysym) for keysym in needed):
            return
        self.display.flush()
        yield from self.catch_up.handled()
        self.keymap.bind(needed)
        self.catch_up.rebound()
        yield from self.catch_up.fetched()

    def restore_keymap(self) -> Iterator[float]:
        if self.keymap.lent:
            self.display.flush()
            yield from self.catch_up.handled()
            self.keymap.restore()
            self.catch_up.rebound()

    def close(self) -> None:
        self.catch_up.close()

    # -- keysyms -----------------------------------------------------------
    def keysym_down(self, keysym: int) -> None:
        """Press a typeable keysym; Shift goes down first when it sits in column 1 and Shift is not held."""
        location = self.keymap.locate(keysym)
        if location.keycode in self.held:
            return  # held across actions: an action neither presses it again nor lets it go
        if location.shift and not self._shift_held():
            self._down(self.keymap.locate(SHIFT).keycode)
            self._shifted_for.add(keysym)
        self._down(location.keycode)

    def keysym_up(self, keysym: int) -> None:
        """Release a keysym pressed by keysym_down; one never pressed (an action cut short before it) is skipped."""
        location = self.keymap.locate(keysym)
        if location is None or location.keycode not in self.pressed or location.keycode in self.held:
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
