"""XTest keyboard: keys down and up by keysym, typing text, and never leaving a key pressed.

Operations that must wait (for a delay, or for other clients to catch up with
a keymap change) are generators yielding monotonic deadlines; the caller
sleeps until each one without blocking anything else. Waits follow
../shared/notes/typing.md: before rebinding, let clients process the presses
already sent (1 ms each); after rebinding, give them 10 ms to fetch the map.
"""

import time
from collections.abc import Iterable, Iterator, Sequence

from Xlib import X, XK
from Xlib.ext import xtest

from .keymap import Keymap
from .keys import char_to_keysym

PER_PRESS_S = 0.001
AFTER_REBIND_S = 0.010
SHIFT = XK.XK_Shift_L


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
    def __init__(self, display):
        self.display = display
        self.keymap = Keymap(display)
        self.pressed: list[int] = []  # keycodes down, in press order
        self._presses_since_rebind = 0
        self._last_press_at = 0.0
        self._shifted_for: set[int] = set()  # keysyms for which we pressed Shift ourselves

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
        yield self._settled_at()
        self.keymap.bind(needed)
        self._presses_since_rebind = 0
        yield time.monotonic() + AFTER_REBIND_S

    def restore_keymap(self) -> Iterator[float]:
        if self.keymap.lent:
            self.display.flush()
            yield self._settled_at()
            self.keymap.restore()
            self._presses_since_rebind = 0

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
