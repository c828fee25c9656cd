"""The server's keyboard map: where each keysym lives, and spare keycodes lent to missing keysyms.

Facts measured on Xvfb with Chromium that this follows: bind each spare keycode with
its own request (one request spanning a range rewrites the live keys between
and corrupted the XKB map), put the keysym in every column (with column 0
only, XKB turns an uppercase Latin-1 keysym into its lowercase letter), and
restore the saved rows afterwards.
"""

from dataclasses import dataclass

from Xlib import X


@dataclass(frozen=True)
class KeyLocation:
    keycode: int
    shift: bool  # the keysym sits in column 1: press Shift with it


def index_keymap(first_keycode: int, rows: list[list[int]]) -> tuple[dict[int, KeyLocation], list[int]]:
    """Map keysym -> location from columns 0 and 1, and list the keycodes with no keysym at all."""
    locations: dict[int, KeyLocation] = {}
    spares = []
    for offset, row in enumerate(rows):
        keycode = first_keycode + offset
        if not any(row):
            spares.append(keycode)
            continue
        for column, shift in ((0, False), (1, True)):
            if column < len(row) and row[column] != X.NoSymbol:
                locations.setdefault(row[column], KeyLocation(keycode, shift))
    return locations, spares


class Keymap:
    """The live keymap of one connection, with spare keycodes bound on demand."""

    def __init__(self, display):
        self.display = display
        first = display.display.info.min_keycode
        count = display.display.info.max_keycode - first + 1
        rows = [list(row) for row in display.get_keyboard_mapping(first, count)]
        self.columns = len(rows[0])
        self.locations, spares = index_keymap(first, rows)
        # Keycode 8 is reserved by evdev; lend it last.
        self.spares = sorted(spares, key=lambda code: (code == 8, code))
        self.bound: dict[int, int] = {}  # keysym -> spare keycode currently lending it
        self.lent: set[int] = set()  # spare keycodes changed since the last restore
        # keysym -> spare keycode lent across actions, to a key held down (Lightcone's key-down of F24): kept
        # bound through restores until unpinned, so its release is read with the keysym it was pressed with.
        self.pinned: dict[int, int] = {}

    def locate(self, keysym: int) -> KeyLocation | None:
        if keysym in self.locations:
            return self.locations[keysym]
        if keysym in self.bound:
            return KeyLocation(self.bound[keysym], False)
        return None

    @property
    def capacity(self) -> int:
        return len(self.spares) - len(self.pinned)

    def bind(self, keysyms: set[int]) -> None:
        """Make every keysym in the set typeable, lending spare keycodes.

        Loans that the set still needs are kept, so a text's next group rebinds only its new keysyms.
        """
        missing = [keysym for keysym in keysyms if self.locate(keysym) is None]
        if not missing:
            return
        kept = {keysym: code for keysym, code in self.bound.items() if keysym in keysyms or keysym in self.pinned}
        free = [code for code in self.spares if code not in kept.values()]
        if len(missing) > len(free):
            raise ValueError(f"{len(keysyms)} unmapped keysyms at once, but only {self.capacity} spare keycodes")
        for keysym, keycode in zip(missing, free):
            self.display.change_keyboard_mapping(keycode, [(keysym,) * self.columns])
            kept[keysym] = keycode
        self.bound = kept
        self.lent.update(kept.values())
        self.display.sync()

    def pin(self, keysym: int) -> None:
        """Keep a bound keysym's loan through restores."""
        self.pinned[keysym] = self.bound[keysym]

    def unpin(self, keysym: int) -> None:
        """End a pin: the next restore gives its keycode back."""
        if keysym in self.pinned:
            self.lent.add(self.pinned.pop(keysym))

    def restore(self) -> None:
        """Give every lent keycode back its empty row, but those pinned."""
        if not self.lent:
            return
        for keycode in sorted(self.lent - set(self.pinned.values())):
            self.display.change_keyboard_mapping(keycode, [(X.NoSymbol,) * self.columns])
        self.bound = dict(self.pinned)
        self.lent = set()
        self.display.sync()
