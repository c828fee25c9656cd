"""XTest pointer: absolute motion, buttons and wheel notches, and the pointer's position."""

import time

from Xlib import X

from .fakeinput import fake_event, fake_motion
from .pressed import Presses, Scope

BUTTONS = {"left": 1, "middle": 2, "right": 3, "back": 8, "forward": 9}
WHEEL = {"up": 4, "down": 5, "left": 6, "right": 7}


def wheel_clicks(delta_x: int, delta_y: int) -> list[tuple[int, int]]:
    """(button, notches) for a scroll: positive y is down (5), positive x is right (7)."""
    clicks = []
    if delta_y:
        clicks.append((WHEEL["down"] if delta_y > 0 else WHEEL["up"], abs(delta_y)))
    if delta_x:
        clicks.append((WHEEL["right"] if delta_x > 0 else WHEEL["left"], abs(delta_x)))
    return clicks


class Pointer:
    def __init__(self, display):
        self.display = display
        self.presses = Presses()  # buttons down, and for how long (pressed.py)
        self.pressed_at = 0.0  # monotonic time of the last press, which a settled screenshot waits to see handled

    def move(self, x: int, y: int) -> None:
        fake_motion(self.display, int(x), int(y))

    def down(self, button: int, scope: Scope = Scope.ACTION, delay_ms: int = 0) -> None:
        """Hold a button for the action, or across requests (mouse-down) until its up; the server presses it
        delay_ms after the event before (fakeinput.fake_event)."""
        if self.presses.hold(button, scope):
            fake_event(self.display, X.ButtonPress, button, delay_ms)
            self.pressed_at = time.monotonic()

    def up(self, button: int, scope: Scope = Scope.ACTION) -> None:
        """End a hold of down(); a button not held at all is released anyway (Kernel's click_type "up" lets go
        of whatever holds it: the X server delivers nothing for a button that is not down)."""
        if self.presses.drop(button, scope) or button not in self.presses:
            fake_event(self.display, X.ButtonRelease, button)

    def click(self, button: int, delay_ms: int = 0) -> None:
        self.down(button, delay_ms=delay_ms)
        self.up(button)

    def position(self) -> tuple[int, int]:
        reply = self.display.screen().root.query_pointer()
        return reply.root_x, reply.root_y

    def release_scope(self, scope: Scope) -> bool:
        """Release every button held for `scope` or a narrower one, newest first; whether any was."""
        if not self.presses:
            return False
        released = self.presses.drop_scope(scope)
        for button in released:
            fake_event(self.display, X.ButtonRelease, button)
        return bool(released)
