"""The RECORD-based input observer notes what other clients tell the server, per client."""

import os
import time

from Xlib import X, Xatom
from Xlib import display as xdisplay

from xhands.input.observe import InputObserver, focused_window


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_notes_the_latest_user_time_of_each_client(xvfb):
    observer = InputObserver(os.environ["DISPLAY"])
    assert observer.resume() is True
    assert observer.resume() is False  # already recording
    app = xdisplay.Display()
    other = xdisplay.Display()
    try:
        window = app.screen().root.create_window(0, 0, 10, 10, 0, app.screen().root_depth)
        user_time = app.intern_atom("_NET_WM_USER_TIME")
        for stamp in [1, 2, 3, 5, 5, 5, 4]:  # an older time than the latest is not the latest
            window.change_property(user_time, Xatom.CARDINAL, 32, [stamp])
        window.change_property(app.intern_atom("WM_NAME"), Xatom.STRING, 8, b"not counted")
        app.sync()
        other_window = other.screen().root.create_window(0, 0, 10, 10, 0, other.screen().root_depth)
        other_window.change_property(other.intern_atom("_NET_WM_USER_TIME"), Xatom.CARDINAL, 32, [1])
        other.sync()
        client = observer.client_of(window.id)
        assert wait_for(lambda: observer.user_time_at.get(observer.client_of(other_window.id)) == (1, 1))
        assert observer.user_time_at[client] == (5, 3)  # time 5, set three times
        assert observer.reports(client) and observer.alive
        observer.pause()  # nothing is noted while paused
        window.change_property(user_time, Xatom.CARDINAL, 32, [99])
        app.sync()
        time.sleep(0.2)
        assert observer.user_time_at[client] == (5, 3)
        assert observer.resume() is True
        window.change_property(user_time, Xatom.CARDINAL, 32, [100])
        app.sync()
        assert wait_for(lambda: observer.user_time_at[client] == (100, 1))
    finally:
        observer.close()
        app.close()
        other.close()


def test_sees_key_presses_and_keymap_fetches(xvfb):
    from Xlib.ext import xtest

    observer = InputObserver(os.environ["DISPLAY"])
    app = xdisplay.Display()
    try:
        observer.resume()
        keycode = app.keysym_to_keycode(ord("a"))
        xtest.fake_input(app, X.KeyPress, keycode)
        xtest.fake_input(app, X.KeyRelease, keycode)
        app.sync()
        assert wait_for(lambda: observer.last_press[1] == 1)
        app.get_keyboard_mapping(keycode, 1)
        app.sync()
        client = observer.client_of(app.screen().root.create_window(0, 0, 1, 1, 0, app.screen().root_depth).id)
        assert wait_for(lambda: client in observer.fetched_since_change)
    finally:
        observer.close()
        app.close()


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
