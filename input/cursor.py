"""Cursor visibility through XFixes.

XFixes hides the cursor per client and counts nested hides, so the state is
kept here and each request changes it at most once; the server shows the
cursor again by itself when this connection closes.
"""

from array import array


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
        from .capture import CursorImage

        if self.hidden:
            return None
        reply = self.display.xfixes_get_cursor_image(None)
        argb = array("I", reply.cursor_image).tobytes()  # native order is little-endian on every X host we run on
        return CursorImage(reply.x - reply.xhot, reply.y - reply.yhot, reply.width, reply.height, argb)
