"""XTest pointer: absolute motion, buttons and wheel notches, and the pointer's position."""

import time

from Xlib import X

from .fakeinput import fake_event, fake_motion

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
        self.pressed: list[int] = []  # buttons down, in press order
        # Buttons held on purpose across actions (mouse-down, Kernel's click_type "down") until their up.
        self.held: set[int] = set()
        self.pressed_at = 0.0  # monotonic time of the last press, which a settled screenshot waits to see handled

    def move(self, x: int, y: int) -> None:
        fake_motion(self.display, int(x), int(y))

    def down(self, button: int) -> None:
        fake_event(self.display, X.ButtonPress, button)
        self.pressed.append(button)
        self.pressed_at = time.monotonic()

    def up(self, button: int) -> None:
        fake_event(self.display, X.ButtonRelease, button)
        if button in self.pressed:
            self.pressed.remove(button)
        self.held.discard(button)

    def hold_across(self, button: int) -> None:
        """Press a button and keep it down across actions until its up or release_held."""
        if button not in self.held:
            self.down(button)
            self.held.add(button)

    def click(self, button: int) -> None:
        self.down(button)
        self.up(button)

    def position(self) -> tuple[int, int]:
        reply = self.display.screen().root.query_pointer()
        return reply.root_x, reply.root_y

    def release_all(self) -> None:
        """Release the buttons an action pressed; held ones stay down."""
        for button in reversed(self.pressed):
            if button not in self.held:
                fake_event(self.display, X.ButtonRelease, button)
        self.pressed = [button for button in self.pressed if button in self.held]
        self.display.flush()

    def release_held(self) -> None:
        """Release the held buttons too (shutdown, the computer deleted, the hold's idle limit)."""
        self.held.clear()
        self.release_all()
