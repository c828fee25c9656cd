"""Cursor visibility through XFixes.

XFixes hides the cursor per client and counts nested hides, so the state is
kept here and each request changes it at most once; the server shows the
cursor again by itself when this connection closes.
"""


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
