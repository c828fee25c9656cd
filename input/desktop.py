"""The X side as one object: a connection and the devices that live on it."""

import time

from Xlib import X

from .capture import OffLoopGrabber
from .cursor import Cursor
from .damage import ScreenWatcher
from .display import CONNECTION_ERRORS, DisplayUnavailable, Guard, XConnection
from .fakeinput import fake_event
from .handled import HandledInput
from .keyboard import Keyboard
from .keys import keysym_name
from .observe import InputObserver
from .pointer import BUTTONS, Pointer
from .pressed import Scope
from .probe import DisplayProbe
from .screen import resize_screen
from .settle import settle
from .timing import follow
from .watchdog import abandon_opening, open_answering, open_answering_async

BUTTON_NAMES = {number: name for name, number in BUTTONS.items()}


class Desktop:
    """Keyboard, pointer, cursor and screen of one display; rebuilt whenever the connection is."""

    def __init__(self, display_name: str, clipboard_timeout_s: float = 3.0):
        self.display_name = display_name
        self.clipboard_timeout_s = clipboard_timeout_s
        # Never waits on a silent server for long (watchdog.py); the worker reopens it for actions, waiting in the
        # event loop (XConnection.open).
        self.connection = XConnection(display_name, open_answering, open_answering_async)
        self.connection.on_connect.append(self._attach)
        self.grabber = OffLoopGrabber(display_name)
        self.probe = DisplayProbe(display_name)  # whether the server answers, never waiting on it for long
        self._watcher: ScreenWatcher | None = None
        self._handled: HandledInput | None = None
        self.input_sent_at = 0.0  # monotonic time of the last flush of input, which settled() waits to see drawn

    def screen_watcher(self) -> ScreenWatcher:
        """The watcher of screen changes (damage.py), opened on first need and again after the display was
        lost; call it from the event loop. Raises DisplayUnavailable while the display is gone."""
        self._watcher = self._own_connection(self._watcher, ScreenWatcher)
        return self._watcher

    def handled_input(self) -> HandledInput:
        """The connection that tells whether the focused application handled a press (handled.py), opened on
        first need and again after the display was lost."""
        self._handled = self._own_connection(self._handled, HandledInput)
        return self._handled

    def _own_connection(self, current, kind):
        """`current` while it lives, else a new `kind` on a connection of its own."""
        if current is not None and current.alive:
            return current
        try:
            return kind(self.display_name)
        except CONNECTION_ERRORS as exc:
            raise DisplayUnavailable(f"cannot open display {self.display_name}: {exc}") from None

    @property
    def pressed_at(self) -> float:
        """Monotonic time of the last key or button press sent (0: none yet)."""
        keyboard, pointer = getattr(self, "_keyboard", None), getattr(self, "_pointer", None)
        return max(keyboard.catch_up.last_press_at if keyboard else 0.0, pointer.pressed_at if pointer else 0.0)

    async def settled(self, quiet_s: float, limit_s: float) -> None:
        """Wait until the screen shows what the input sent so far drew (settle.py), at most limit_s; call it
        from the event loop. Raises DisplayUnavailable while the display is gone."""
        self.sync()  # the server has handled our input: its time now is after every press
        await settle(self.screen_watcher(), self.handled_input(), self.input_sent_at, self.pressed_at, quiet_s,
                     limit_s)

    def _attach(self, display) -> None:
        display.xfixes_query_version()  # XFixes requires this before any other request
        old = getattr(self, "_keyboard", None)
        if old is not None:
            old.close()
            release_left_over(display, old, self._pointer)
        own = display.display.info.resource_id_base  # the keyboard's markers and keymap changes come from here
        self._keyboard = Keyboard(display, observer_factory=lambda: InputObserver(self.display_name, own))
        self._pointer = Pointer(display)
        self._cursor = Cursor(display)

    @property
    def keyboard(self) -> Keyboard:
        self.connection.display
        return self._keyboard

    @property
    def pointer(self) -> Pointer:
        self.connection.display
        return self._pointer

    @property
    def cursor(self) -> Cursor:
        self.connection.display
        return self._cursor

    @property
    def screen_size(self) -> tuple[int, int]:
        return self.connection.screen_size

    def resize(self, width: int, height: int) -> None:
        """Change the screen's size (FixedScreenSize if the server cannot). The capture reconnects on its next
        grab: its shared-memory buffer was sized for the old screen."""
        with self.connection.guard() as display:
            resize_screen(display, width, height)
        self.grabber.close()
        self.connection.check_errors()  # SetScreenSize has no reply: a refusal is only known after a round trip

    def guarded(self) -> Guard:
        """Run X work; a lost connection becomes DisplayUnavailable."""
        return self.connection.guard()

    def flush(self) -> None:
        """Send the input made so far."""
        with self.connection.guard() as display:
            display.flush()
        self.input_sent_at = time.monotonic()

    def sync(self) -> None:
        """Wait until the X server has handled everything sent (one round trip), and raise XRequestFailed
        if it refused any of it since the last check."""
        self.connection.sync()

    def check_errors(self) -> None:
        """Raise XRequestFailed if the X server refused anything sent since the last check; a round trip only if
        something it may refuse was sent (XTest events for known keys and buttons cannot be)."""
        self.connection.check_errors()

    def raise_errors(self) -> None:
        """Raise XRequestFailed if the X server has already reported refusing a request (no round trip)."""
        self.connection.raise_errors()

    async def end_action(self) -> None:
        """Release what the action held (not what is held across requests), then give its lent keycodes back
        once the application has read the presses made with them (a late reader would get NoSymbol)."""
        with self.connection.guard():
            keyboard, pointer = self.keyboard, self.pointer
            released = [device.release_scope(Scope.ACTION) for device in (keyboard, pointer)]
            if any(released):
                self.flush()
            if keyboard.keymap.lent:  # else nothing to wait for, and no flush that would count as input sent
                await follow(keyboard.restore_keymap(), self.flush)
            keyboard.catch_up.pause()  # only now: the restore waits on what the observer saw read

    def release_scope(self, scope: Scope) -> None:
        """Release every key and button held for `scope` or a narrower one, and give lent keycodes back at once:
        Scope.ACTION after an action that failed or was cut short, ACROSS_REQUESTS to release everything (shutdown,
        the computer deleted, the hold's idle limit). Nothing on a lost connection: a display that is gone took the
        pressed state with it, and one that stopped answering gets it released on the next connection."""
        if not self.connection.is_open:
            return
        try:
            with self.connection.guard():
                self.keyboard.release_scope(scope)
                self.pointer.release_scope(scope)
                self.keyboard.catch_up.pause()
                self.keyboard.keymap.restore()
                self.flush()
        except DisplayUnavailable:
            pass

    @property
    def holding(self) -> bool:
        """Whether a key or button is held across requests (asks the X server nothing)."""
        keyboard, pointer = getattr(self, "_keyboard", None), getattr(self, "_pointer", None)
        return any(device is not None and device.presses.has(Scope.ACROSS_REQUESTS) for device in (keyboard, pointer))

    def held(self) -> dict[str, list]:
        """The keys (keysym names) and buttons (names) held across requests, in press order; none while the
        display is gone (its server took them along)."""
        if not self.connection.is_open or not self.connection.is_alive():
            return {"keys": [], "buttons": []}
        return {"keys": [keysym_name(keysym) for keysym in self.keyboard.held_across_requests()],
                "buttons": [BUTTON_NAMES.get(button, str(button))
                            for button in self.pointer.presses.held(Scope.ACROSS_REQUESTS)]}

    def close(self) -> None:
        self.release_scope(Scope.ACROSS_REQUESTS)
        keyboard = getattr(self, "_keyboard", None)
        if keyboard is not None:
            keyboard.close()
        self.grabber.close()
        self.probe.close()
        abandon_opening(self.display_name)
        if self._watcher is not None:
            self._watcher.close()
        if self._handled is not None:
            self._handled.close()
        self.connection.close()


def release_left_over(display, keyboard: Keyboard, pointer: Pointer) -> None:
    """On a new connection, undo what the lost one left: a server cut off for not answering (watchdog.py) lives
    on with its keys and buttons still down and its lent keycodes still lent. After a restarted server this
    changes nothing: nothing is down, and no keycode holds a loan."""
    for keycode in keyboard.presses.drop_scope(Scope.ACROSS_REQUESTS):
        fake_event(display, X.KeyRelease, keycode)
    for button in pointer.presses.drop_scope(Scope.ACROSS_REQUESTS):
        fake_event(display, X.ButtonRelease, button)
    for keysym, keycode in keyboard.keymap.bound.items():
        row = display.get_keyboard_mapping(keycode, 1)[0]
        if keysym in row and all(symbol in (keysym, X.NoSymbol) for symbol in row):  # still our loan (Keymap.bind)
            display.change_keyboard_mapping(keycode, [(X.NoSymbol,) * len(row)])
