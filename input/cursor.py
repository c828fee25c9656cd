"""The cursor through XFixes: its picture, and hiding it.

XFixes hides the cursor per client and counts nested hides, so the state is
kept here and each request changes it at most once; the server shows the
cursor again by itself when this connection closes.
"""

from array import array
from dataclasses import dataclass

from .capture import CursorImage


@dataclass(frozen=True)
class CursorSprite:
    image: CursorImage  # its pixels, and where they are on the screen now
    hotspot: tuple[int, int]  # the pixel of the sprite that points


def read_cursor(display) -> CursorSprite:
    """The cursor's current picture, where it is and its hotspot (one XFixes round trip)."""
    reply = display.xfixes_get_cursor_image(None)
    argb = array("I", reply.cursor_image).tobytes()  # native order is little-endian on every X host we run on
    image = CursorImage(reply.x - reply.xhot, reply.y - reply.yhot, reply.width, reply.height, argb)
    return CursorSprite(image, (reply.xhot, reply.yhot))


class Cursor:
    def __init__(self, display):
        self.display = display
        self.hidden = False

    def set_hidden(self, hidden: bool) -> None:
        if hidden == self.hidden:
            return
        root = self.display.screen().root
        if hidden:
            root.xfixes_hide_cursor()
        else:
            root.xfixes_show_cursor()
        self.display.sync()
        self.hidden = hidden

    def image(self):
        """The cursor picture and where it is on the screen (one XFixes round trip); None while hidden."""
        return None if self.hidden else read_cursor(self.display).image
