"""Which keys (or buttons) the daemon holds down, why, and for how long: the one bookkeeping every press and
release of keyboard.py and pointer.py goes through.

Each press is a hold with a scope. A hold for the ACTION ends when the action that made it ends, whatever ends
it (the worker releases that scope after every action); a hold ACROSS_REQUESTS (Lightcone's key-down and
mouse-down, Kernel's click_type "down") lasts until its own up, or until everything is released (the
computer deleted, the hold's idle limit, shutdown). A code is pressed with its first hold and released
with its last, so a key held around an action (hold_keys) or across requests that the action presses
again is neither pressed again nor released by it. Holds within an action nest (each press has its
release); a code is held across requests once, however often it is asked for.
"""

from enum import IntEnum


class Scope(IntEnum):
    """How long a hold lasts; releasing a scope releases the narrower ones too."""

    ACTION = 1
    ACROSS_REQUESTS = 2


class Presses:
    """The codes held down, in press order, each with its holds."""

    def __init__(self):
        self._holds: dict[int, list[Scope]] = {}  # insertion order is press order

    def hold(self, code: int, scope: Scope) -> bool:
        """Add a hold on `code`; True if the code must go down now (it was up)."""
        holds = self._holds.setdefault(code, [])
        if scope is Scope.ACROSS_REQUESTS and scope in holds:
            return False
        holds.append(scope)
        return len(holds) == 1

    def drop(self, code: int, scope: Scope) -> bool:
        """Remove a hold of `scope` on `code`; True if the code must come up now (that was its last hold).
        A code without such a hold (never pressed, or held otherwise) stays as it is."""
        holds = self._holds.get(code)
        if not holds or scope not in holds:
            return False
        holds.remove(scope)
        if holds:
            return False
        del self._holds[code]
        return True

    def drop_scope(self, scope: Scope) -> list[int]:
        """Remove every hold of `scope` or a narrower one; the codes that must come up, newest first."""
        released = []
        for code in reversed(list(self._holds)):
            holds = [held for held in self._holds[code] if held > scope]
            if holds:
                self._holds[code] = holds
            else:
                del self._holds[code]
                released.append(code)
        return released

    def held(self, scope: Scope) -> list[int]:
        """The codes with a hold of `scope`, in press order."""
        return [code for code, holds in self._holds.items() if scope in holds]

    def has(self, scope: Scope) -> bool:
        return any(scope in holds for holds in self._holds.values())

    def __contains__(self, code: int) -> bool:
        return code in self._holds

    def __bool__(self) -> bool:
        return bool(self._holds)
