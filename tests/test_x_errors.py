"""A request the X server refuses fails the action with a clear error instead of a log line."""

import os

import pytest
from Xlib import X
from Xlib.ext import xtest

from xhands.input import Desktop, XRequestFailed


def test_a_refused_xtest_request_raises_at_the_next_check(xvfb):
    desktop = Desktop(os.environ["DISPLAY"])
    try:
        with desktop.guarded():
            xtest.fake_input(desktop.connection.display, X.KeyPress, 1)  # below the server's first keycode: BadValue
            with pytest.raises(XRequestFailed, match="BadValue"):
                desktop.check_errors()
            desktop.check_errors()  # reported once, then the connection goes on
            desktop.pointer.move(3, 4)
            desktop.check_errors()
            assert desktop.pointer.position() == (3, 4)
    finally:
        desktop.close()


def test_a_refused_request_is_blamed_on_the_action_that_sent_it():
    from xhands.daemon.worker import action_of

    assert action_of(105, [100, 104, 110]) == 1
    assert action_of(100, [100, 104, 110]) == 0
    assert action_of(200, [100, 104, 110]) == 2
    assert action_of(3, [65530, 65534, 2]) == 2  # sequence numbers wrap at 16 bits
    assert action_of(65535, [65530, 65534, 2]) == 1


def test_a_capture_that_fails_for_a_bug_says_so_and_is_not_retried(xvfb):
    """Only mss's own failure (a connection to a display that went away) is retried and reported as the display
    being unavailable; any other error is a bug, raised as it is."""
    from xhands.input.capture import ScreenGrabber

    grabber = ScreenGrabber(os.environ["DISPLAY"])
    try:
        assert grabber.grab(0, 0, 4, 4).width == 4
        with pytest.raises(TypeError):
            grabber.grab(0, 0, None, 4)
    finally:
        grabber.close()
