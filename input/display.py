"""The daemon's long-lived X connection (input goes through it; capture and the input observer have their own),
protocol errors it reports, and what happens when the X server goes away."""

import logging
import os

from Xlib import display as xdisplay
from Xlib import error as xerror

from . import fakeinput

log = logging.getLogger(__name__)

# What python-xlib raises when the server is gone or refuses us.
CONNECTION_ERRORS = (
    xerror.ConnectionClosedError,
    xerror.DisplayError,
    xerror.XauthError,
    ConnectionError,
    OSError,
)


def open_display(name: str) -> xdisplay.Display:
    """Open a display and make its protocol errors readable (see _restore_core_errors)."""
    conn = _open(name)
    _restore_core_errors(conn)
    return conn


def _open(name: str) -> xdisplay.Display:
    """Open a display; with no Xauthority file at all, connect without credentials.

    python-xlib refuses to connect when ~/.Xauthority is missing, although a
    server started without -auth (Xvfb's default) needs none.
    """
    try:
        return xdisplay.Display(name)
    except xerror.XauthError:
        if os.path.exists(os.environ.get("XAUTHORITY", os.path.expanduser("~/.Xauthority"))):
            raise
        saved = os.environ.get("XAUTHORITY")
        os.environ["XAUTHORITY"] = os.devnull
        try:
            return xdisplay.Display(name)
        finally:
            if saved is None:
                del os.environ["XAUTHORITY"]
            else:
                os.environ["XAUTHORITY"] = saved


def close_quietly(conn: xdisplay.Display) -> None:
    """Close a connection, whose server may have gone (python-xlib then fails to flush on close)."""
    try:
        conn.close()
    except Exception:  # the socket is already dead; nothing to flush
        pass


def _restore_core_errors(conn: xdisplay.Display) -> None:
    """python-xlib 0.32-0.33 registers the RANDR and DAMAGE errors at codes 0-2, over the core
    BadRequest and BadValue: a BadValue then breaks its reader (no sequence_number) and the next
    request on the connection spins forever (python-xlib issues 241 and 259). The core codes get
    their own classes back; extension errors are read as plain XError."""
    conn.display.error_classes = dict(xerror.xerror_class)


# The extensions the daemon cannot work without, and what is lost without each.
REQUIRED_EXTENSIONS = {
    "XTEST": "the mouse and keyboard cannot be driven",
    "XFIXES": "the cursor cannot be hidden, shown or drawn into screenshots",
}


def missing_extensions(conn: xdisplay.Display) -> list[str]:
    return [name for name in REQUIRED_EXTENSIONS if not conn.has_extension(name)]


class DisplayUnavailable(RuntimeError):
    """The X display cannot be reached right now."""


class XRequestFailed(RuntimeError):
    """The X server refused a request of ours (a protocol error, such as BadValue for a fake key event).
    `serial` is the refused request's sequence number (16 bits, as the protocol has it)."""

    def __init__(self, message: str, serial: int):
        super().__init__(message)
        self.serial = serial


def open_drivable(name: str, opener=open_display) -> xdisplay.Display:
    """Open a display the daemon can drive (it has REQUIRED_EXTENSIONS); DisplayUnavailable says why not.
    `opener` opens the connection (the event loop's bounds its wait: watchdog.open_answering)."""
    try:
        conn = opener(name)
    except CONNECTION_ERRORS as exc:
        raise cannot_open(name, exc) from None
    return drivable(conn, name)


def cannot_open(name: str, exc: BaseException) -> DisplayUnavailable:
    return DisplayUnavailable(f"cannot open display {name}: {exc}")


def drivable(conn: xdisplay.Display, name: str) -> xdisplay.Display:
    """The connection, if its display has REQUIRED_EXTENSIONS; else it is closed and DisplayUnavailable says why."""
    if missing := missing_extensions(conn):
        conn.close()
        raise DisplayUnavailable(f"display {name} lacks the {missing[0]} extension: {REQUIRED_EXTENSIONS[missing[0]]}")
    return conn


class Guard:
    """XConnection.guard's context manager. A class, not a generator function: every action enters it several
    times, and a generator-based one costs about five times as much to enter and leave. It keeps no state of a
    use, so one serves every use, nested ones too."""

    __slots__ = ("connection",)

    def __init__(self, connection: "XConnection"):
        self.connection = connection

    def __enter__(self) -> xdisplay.Display:
        return self.connection.display

    def __exit__(self, kind, exc, traceback) -> None:
        if kind is not None and issubclass(kind, CONNECTION_ERRORS):
            self.connection.drop()
            raise DisplayUnavailable(f"display {self.connection.name} went away: {exc}") from None


class XConnection:
    """Opens the display lazily, drops it on connection errors and reopens it on next use: with `opener` where
    it must (see open_drivable), or waiting in the event loop with `opener_async` (open())."""

    def __init__(self, name: str, opener=open_display, opener_async=None):
        self.name = name
        self._opener = opener
        self._opener_async = opener_async
        self._display: xdisplay.Display | None = None
        self._screen = None  # the screen as the last connection had it (a resize updates it)
        self.on_connect = []  # callbacks(display) run after every (re)connect
        self._errors: list[tuple[int, str]] = []  # (serial, what) of protocol errors reported since the last check
        self._synced_serial = -1  # python-xlib's next request serial at the last round trip
        self._guard = Guard(self)

    @property
    def display(self) -> xdisplay.Display:
        if self._display is None:
            self._connect()
        return self._display

    @property
    def is_open(self) -> bool:
        return self._display is not None

    async def open(self) -> None:
        """Open the display now, waiting for its server in the event loop (`opener_async`)."""
        try:
            conn = await self._opener_async(self.name)
        except CONNECTION_ERRORS as exc:
            raise cannot_open(self.name, exc) from None
        self._adopt(drivable(conn, self.name))

    def _connect(self) -> None:
        self._adopt(open_drivable(self.name, self._opener))

    def _adopt(self, conn: xdisplay.Display) -> None:
        self._screen = conn.screen()
        conn.set_error_handler(self._note_error)
        self._errors.clear()
        self._display = conn
        with self.guard():  # a server that stops answering now is a lost connection like any other
            for callback in self.on_connect:
                callback(conn)
        log.info("connected to display %s", self.name)

    def _note_error(self, err, request) -> None:
        # Requests without a reply (all of XTest's) fail asynchronously: the error is read with some
        # later reply, so it is kept until raise_errors(), check_errors() or sync() asks.
        log.warning("X error: %s", err)
        what = f"{type(err).__name__} for request {err.major_opcode}.{err.minor_opcode} (value {err.resource_id})"
        self._errors.append((err.sequence_number, what))

    @property
    def next_serial(self) -> int:
        """The sequence number the next request will have."""
        return self.display.display.request_serial

    def raise_errors(self) -> None:
        """Raise XRequestFailed for the first refusal the server has reported so far (no round trip)."""
        if self._errors:
            (serial, what), self._errors[:] = self._errors[0], []
            raise XRequestFailed(f"the X server refused a request: {what}", serial)

    def sync(self) -> None:
        """Round trip, so the server has handled everything sent (a screenshot then shows it), then raise_errors().
        Nothing sent since the last round trip (sleep, the clipboard, a screenshot that synced first): none."""
        with self.guard() as display:
            if display.display.request_serial != self._synced_serial:
                display.sync()
                self._synced_serial = display.display.request_serial
                fakeinput.mark_reported(display)
        self.raise_errors()

    def check_errors(self) -> None:
        """Raise XRequestFailed if the server refused anything sent so far: a round trip (sync) if a request it
        may refuse was sent since the last one; none after XTest events it cannot refuse (fakeinput.py)."""
        with self.guard() as display:
            if fakeinput.unreported(display):
                self.sync()
        self.raise_errors()

    def guard(self) -> "Guard":
        """Turn connection loss inside the block into DisplayUnavailable and forget the dead connection."""
        return self._guard

    @property
    def screen_size(self) -> tuple[int, int]:
        """The screen's size; while the connection is lost, as it last was (what runs next reopens it)."""
        screen = self._screen or self.display.screen()
        return screen.width_in_pixels, screen.height_in_pixels

    def is_alive(self) -> bool:
        """One round trip; reconnects if the server came back."""
        try:
            with self.guard() as conn:
                conn.get_input_focus()
            return True
        except DisplayUnavailable:
            return False

    def drop(self) -> None:
        if self._display is not None:
            close_quietly(self._display)
            self._display = None

    def close(self) -> None:
        """Close for good, after a round trip: the server has then handled every release sent before.
        (A bare close after a flush lost a button release in some runs.)"""
        if self._display is not None:
            try:
                self._display.sync()
            except Exception:  # the server is gone, and the pressed state with it
                pass
        self.drop()
