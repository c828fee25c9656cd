"""Typing waits for an application that reports its progress (as Chromium does), however slow it is."""

import time

from Xlib import X, Xatom

from tests.conftest import action, batch
from tests.recorder import Recorder
from tests.x_events import format_events


class SlowReportingRecorder(Recorder):
    """A recorder that, like Chromium, sets _NET_WM_USER_TIME to the time of each key press it handles,
    and takes `lag` seconds per press: a busy application with a growing backlog."""

    def __init__(self, lag: float):
        self.lag = lag
        self._atom = None
        super().__init__()
        with self._xlock:
            self._report(X.CurrentTime)
            self.display.sync()

    def _report(self, server_ms: int) -> None:
        if self._atom is None:
            self._atom = self.display.intern_atom("_NET_WM_USER_TIME")
        self.window.change_property(self._atom, Xatom.CARDINAL, 32, [server_ms])
        self.display.flush()

    def _handle(self, ev):
        super()._handle(ev)
        if ev.type & 0x7F == X.KeyPress:
            time.sleep(self.lag)
            self._report(ev.time)


def test_typing_into_a_slow_reporting_application_is_exact(client, xvfb):
    # 100 characters missing from the keymap: six rebinds of the spare keycodes, each of which would
    # turn the application's backlog of presses into the next group's characters if it came too early.
    text = "".join(chr(0x0410 + i) for i in range(60)) + "".join(chr(0x4E00 + i) for i in range(40))
    with SlowReportingRecorder(lag=0.004) as recorder:
        batch(client, action("type_text", text=text))
        events = recorder.wait_for(lambda evs: len([e for e in evs if e.kind == "key_release"]) >= len(text),
                                   timeout=30)
        recorder.wait_idle()
        assert recorder.typed_text() == text, format_events(events)
        assert not [e for e in events if e.stale]
