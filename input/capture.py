"""Screen capture through mss (XShm), and PNG encoding.

Grabbing costs about 1 ms; encoding is the expensive part, so it is a separate
pure function the daemon runs off its event loop. fpng encodes a 1080p frame
in about 5 ms where Pillow's PNG writer needs 40+ ms (../shared/notes/screenshots.md).
"""

from dataclasses import dataclass

import fpng
import mss
from PIL import Image


@dataclass(frozen=True)
class Frame:
    bgra: bytes
    width: int
    height: int


class ScreenGrabber:
    def __init__(self, display_name: str):
        self.display_name = display_name
        self._mss = None

    def grab(self, left: int, top: int, width: int, height: int) -> Frame:
        if self._mss is None:
            self._mss = mss.mss(display=self.display_name)
        try:
            shot = self._mss.grab({"left": left, "top": top, "width": width, "height": height})
        except Exception:
            self.close()  # the display may have gone; start afresh next time
            raise
        return Frame(bytes(shot.bgra), shot.width, shot.height)

    def close(self) -> None:
        if self._mss is not None:
            try:
                self._mss.close()
            finally:
                self._mss = None


def to_rgb(frame: Frame) -> Image.Image:
    return Image.frombuffer("RGB", (frame.width, frame.height), frame.bgra, "raw", "BGRX", 0, 1)


def encode_png(frame: Frame) -> bytes:
    image = to_rgb(frame)
    return fpng.from_bytes(image.tobytes(), image.width, image.height, 3)
