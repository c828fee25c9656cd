"""Screen capture through mss (XShm): grabbing the screen's pixels; encoding is encode.py's.

Grabbing costs about 1 ms; encoding is the expensive part, which is why it
lives apart, as pure functions the daemon runs off its event loop.
"""

import asyncio
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

import mss
from mss.exception import ScreenShotError

from .display import DisplayUnavailable
from .watchdog import ANSWER_LIMIT_S


# How mss says a grab failed: ScreenShotError, or (its XCB backend, when the reply never comes because the
# connection's server went away) a bare assert in its reply helper.
MSS_FAILURES = (ScreenShotError, AssertionError)


@dataclass(frozen=True)
class Frame:
    bgra: bytes | bytearray  # rows of B, G, R, X bytes, no padding
    width: int
    height: int


@dataclass(frozen=True)
class CursorImage:
    """The pointer's picture as XFixes reports it: premultiplied ARGB32, top-left at (x, y) on the screen."""

    x: int
    y: int
    width: int
    height: int
    argb: bytes  # little-endian 32-bit pixels, i.e. B, G, R, A bytes


class ScreenGrabber:
    def __init__(self, display_name: str):
        self.display_name = display_name
        self._mss = None

    def grab(self, left: int, top: int, width: int, height: int) -> Frame:
        area = {"left": left, "top": top, "width": width, "height": height}
        try:
            return self._grab(area)
        except MSS_FAILURES:  # mss's connection may be one to a display that has since gone and come back
            self.close()
        try:
            return self._grab(area)
        except MSS_FAILURES as exc:  # anything else is a bug, and says so as one
            self.close()
            raise DisplayUnavailable(f"cannot capture display {self.display_name}: {exc}") from None

    def _grab(self, area: dict) -> Frame:
        if self._mss is None:
            self._mss = self._open()
        shot = self._mss.grab(area)
        return Frame(shot.raw, shot.width, shot.height)  # raw is already mss's own copy of the pixels

    def _open(self):
        try:
            return mss.MSS(display=self.display_name)
        except ScreenShotError:
            # Xvnc lists depth 24 twice with the root's visual under the second; mss's XCB backends search only
            # the first and refuse the screen. Its Xlib backend (plain XGetImage, no shared memory) does not.
            return mss.MSS(display=self.display_name, backend="xlib")

    def close(self) -> None:
        if self._mss is not None:
            try:
                self._mss.close()
            except Exception:  # a connection to a display that went away reports that on close
                pass
            self._mss = None


class OffLoopGrabber:
    """A ScreenGrabber for the event loop: each grab runs on a thread of its own, waited for at most ANSWER_LIMIT_S.

    mss waits for the X server in C, without a timeout, on a connection of its own (XCB's) that nothing here
    can cut off as watchdog.py cuts off python-xlib's. A grab the server does not answer keeps that thread
    (a daemon thread) until the server answers again; the next grab waits for it first, within its own limit.
    """

    def __init__(self, display_name: str):
        self.display_name = display_name
        self._grabber = ScreenGrabber(display_name)  # used only on the thread
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._out: asyncio.Future | None = None  # a grab given up on, still waiting for the server

    async def grab(self, left: int, top: int, width: int, height: int, then=None):
        """The frame, or what `then(frame)` makes of it: run on the same thread right after the grab, outside the
        limit (an encoding, in the one thread hop the grab costs anyway). Raises DisplayUnavailable if the display
        is gone or did not answer within ANSWER_LIMIT_S."""
        grabbed = threading.Event()
        try:
            async with asyncio.timeout(ANSWER_LIMIT_S):
                if self._out is not None:
                    await asyncio.wait([self._out])  # its outcome is nobody's now; the thread is free after it
                done: Future = Future()
                self._call(self._grab_into, done, grabbed, (left, top, width, height), then)
                self._out = asyncio.wrap_future(done)
                self._out.add_done_callback(lambda out: out.cancelled() or out.exception())  # one given up on
                return await asyncio.shield(self._out)
        except TimeoutError:
            if grabbed.is_set():  # the server answered in time; only `then` takes long
                return await self._out
            raise DisplayUnavailable(f"display {self.display_name} did not answer a screen capture within "
                                     f"{ANSWER_LIMIT_S:g} s") from None
        finally:
            if self._out is not None and self._out.done():
                self._out = None

    def _grab_into(self, done: Future, grabbed: threading.Event, area: tuple, then) -> None:
        try:
            frame = self._grabber.grab(*area)
            grabbed.set()
            done.set_result(then(frame) if then else frame)
        except BaseException as exc:  # the caller's to see
            done.set_exception(exc)

    def close(self) -> None:
        """Close the capture's connection (on its thread, after a grab still out: it is in use until then)."""
        if self._thread is not None:
            self._call(self._grabber.close)

    def _call(self, function, *args) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="xhands-capture", daemon=True)
            self._thread.start()
        self._calls.put((function, args))

    def _serve(self) -> None:
        while True:
            function, args = self._calls.get()
            function(*args)
