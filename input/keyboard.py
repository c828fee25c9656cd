"""XTest keyboard: keys down and up by keysym, and typing text; what is held down is pressed.py's to say.

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
from .pressed import Presses, Scope

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
        self.presses = Presses()  # keycodes down, and for how long (pressed.py)
        self._shifted: set[tuple[int, Scope]] = set()  # (keysym, scope) for which we held Shift ourselves

    # -- single keycodes ---------------------------------------------------
    def _hold(self, keycode: int, scope: Scope) -> None:
        if self.presses.hold(keycode, scope):
            fake_event(self.display, X.KeyPress, keycode)
            self.catch_up.pressed()

    def _drop(self, keycode: int, scope: Scope) -> None:
        if self.presses.drop(keycode, scope):
            fake_event(self.display, X.KeyRelease, keycode)

    def release_scope(self, scope: Scope) -> bool:
        """Release every key held for `scope` or a narrower one, newest first; whether any was (none, the common
        case after an action, needs no flush). Lent keycodes are the caller's to give back."""
        if not self.presses:
            return False
        released = self.presses.drop_scope(scope)
        for keycode in released:
            fake_event(self.display, X.KeyRelease, keycode)
        self._shifted = {(keysym, held) for keysym, held in self._shifted if held > scope}
        self.unpin_released()
        return bool(released)

    def held_across_requests(self) -> list[int]:
        """The keysyms of the keys held across requests, in press order (a lent keycode's own keysym, which this
        client's cached keymap may not show yet)."""
        lent = {keycode: keysym for keysym, keycode in self.keymap.pinned.items()}
        return [lent.get(keycode) or self.display.keycode_to_keysym(keycode, 0)
                for keycode in self.presses.held(Scope.ACROSS_REQUESTS)]

    def hold_across_requests(self, keysyms: list[int]) -> None:
        """Press typeable keysyms (make_typeable first) in order and keep them down across requests until let go
        (Lightcone's key-down); a keycode lent to one stays lent (pinned) for as long as it is held."""
        if missing := [keysym for keysym in keysyms if self.keymap.locate(keysym) is None]:
            raise KeyError(missing[0])
        for keysym in keysyms:
            if keysym not in self.keymap.locations:
                self.keymap.pin(keysym)
            self.keysym_down(keysym, Scope.ACROSS_REQUESTS)

    def unpin_released(self) -> None:
        """Give back the loans of keys no longer held (a key-up, or everything released), at the next restore."""
        for keysym, keycode in list(self.keymap.pinned.items()):
            if keycode not in self.presses:
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
    def keysym_down(self, keysym: int, scope: Scope = Scope.ACTION) -> None:
        """Hold a typeable keysym; Shift is held with it first when it sits in column 1 and Shift is not down."""
        location = self.keymap.locate(keysym)
        if location.shift and not self._shift_down():
            self._hold(self.keymap.locate(SHIFT).keycode, scope)
            self._shifted.add((keysym, scope))
        self._hold(location.keycode, scope)

    def keysym_up(self, keysym: int, scope: Scope = Scope.ACTION) -> None:
        """End a hold of keysym_down; a keysym never held (an action cut short before it) is skipped."""
        location = self.keymap.locate(keysym)
        if location is None:
            return
        self._drop(location.keycode, scope)
        if (keysym, scope) in self._shifted:
            self._shifted.discard((keysym, scope))
            self._drop(self.keymap.locate(SHIFT).keycode, scope)

    def _shift_down(self) -> bool:
        return any(self.keymap.locate(k).keycode in self.presses for k in (XK.XK_Shift_L, XK.XK_Shift_R))

    def hold(self, keysyms: list[int]) -> Iterator[float]:
        """Hold keysyms in order for the action (hold_keys, or a combo held for a duration)."""
        yield from self.make_typeable(keysyms)
        for keysym in keysyms:
            self.keysym_down(keysym)

    def let_go(self, keysyms: list[int], scope: Scope = Scope.ACTION) -> None:
        """End the holds of keysyms, in reverse order."""
        for keysym in reversed(keysyms):
            self.keysym_up(keysym, scope)
        self.unpin_released()

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

    def type_text(self, text: str, delay_s: float = 0.0) -> Iterator[float]:
        """Type text with `delay_s` between keystrokes."""
        return self.type_keysyms([char_to_keysym(char) for char in text], [0.0] + [delay_s] * (len(text) - 1))
