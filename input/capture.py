"""Screen capture through mss (XShm): grabbing the screen's pixels; encoding is encode.py's.

Grabbing costs about 1 ms; encoding is the expensive part, which is why it
lives apart, as pure functions the daemon runs off its event loop.
"""

from dataclasses import dataclass

import mss
from mss.exception import ScreenShotError

from .display import DisplayUnavailable


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
