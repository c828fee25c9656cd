"""The RECORD-based input observer counts what other clients tell the server, per client."""

import os
import time

from Xlib import X, Xatom
from Xlib import display as xdisplay

from input.observe import InputObserver, focused_window


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_counts_user_time_updates_of_each_client(xvfb):
    observer = InputObserver(os.environ["DISPLAY"])
    assert not observer.active
    assert observer.resume() is True
    assert observer.resume() is False  # already recording
    app = xdisplay.Display()
    other = xdisplay.Display()
    try:
        window = app.screen().root.create_window(0, 0, 10, 10, 0, app.screen().root_depth)
        user_time = app.intern_atom("_NET_WM_USER_TIME")
        for stamp in range(7):
            window.change_property(user_time, Xatom.CARDINAL, 32, [stamp])
        window.change_property(app.intern_atom("WM_NAME"), Xatom.STRING, 8, b"not counted")
        app.sync()
        other_window = other.screen().root.create_window(0, 0, 10, 10, 0, other.screen().root_depth)
        other_window.change_property(other.intern_atom("_NET_WM_USER_TIME"), Xatom.CARDINAL, 32, [1])
        other.sync()
        client = observer.client_of(window.id)
        assert wait_for(lambda: observer.presses_seen(client) == 7)
        assert wait_for(lambda: observer.presses_seen(observer.client_of(other_window.id)) == 1)
        assert observer.presses_seen(client) == 7
        assert observer.alive and observer.active
        observer.pause()  # nothing is counted while paused
        window.change_property(user_time, Xatom.CARDINAL, 32, [99])
        app.sync()
        time.sleep(0.2)
        assert observer.presses_seen(client) == 7
        assert observer.resume() is True
        window.change_property(user_time, Xatom.CARDINAL, 32, [100])
        app.sync()
        assert wait_for(lambda: observer.presses_seen(client) == 8)
    finally:
        observer.close()
        app.close()
        other.close()
    assert not observer.active


def test_focused_window_follows_focus_and_pointer_root(xvfb):
    conn = xdisplay.Display()
    try:
        root = conn.screen().root
        window = root.create_window(0, 0, 100, 100, 0, conn.screen().root_depth, override_redirect=True)
        window.map()
        conn.sync()
        window.set_input_focus(X.RevertToParent, X.CurrentTime)
        conn.sync()
        assert focused_window(conn) == window.id
        conn.set_input_focus(X.PointerRoot, X.RevertToPointerRoot, X.CurrentTime)
        conn.screen().root.warp_pointer(50, 50)
        conn.sync()
        assert focused_window(conn) == window.id  # the top-level under the pointer
    finally:
        conn.close()
