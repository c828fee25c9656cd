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
def test_a_refused_request_fails_the_action_that_sent_it_though_moves_skip_the_round_trip(xvfb, monkeypatch):
    """Instant moves and clicks send only XTest events the server cannot refuse, so a request ends without a
    round trip after them; a request it may refuse still gets one, and its refusal fails the action that sent
    it, not the ones around it."""
    import asyncio

    from xhands.daemon import models as m
    from xhands.daemon.models import SingleAction
    from xhands.daemon.errors import ApiError
    from xhands.daemon.registry import RUNNERS
    from xhands.daemon.worker import Worker

    async def refused_key(desktop, params):  # a key below the server's first keycode: BadValue, reported later
        xtest.fake_input(desktop.connection.display, X.KeyPress, 1)
        return {}

    monkeypatch.setitem(RUNNERS, "sleep", refused_key)
    move = SingleAction("move_mouse", m.MoveMouseRequest(x=5, y=6, smooth=False))
    click = SingleAction("click_mouse", m.ClickMouseRequest(x=7, y=8))
    refusal = SingleAction("sleep", m.SleepAction(duration_ms=0))

    async def scenario():
        desktop = Desktop(os.environ["DISPLAY"])
        worker = Worker(desktop, max_queue=4, batch_timeout_s=10)
        worker.start()
        try:
            await worker.run_actions([move, click])  # warm: the pointer's buttons are read once
            syncs_before = desktop.connection._synced_serial
            await worker.run_actions([move, click, move])
            skipped = desktop.connection._synced_serial == syncs_before
            with pytest.raises(ApiError) as failed:
                await worker.run_actions([move, refusal, click])
            await worker.run_actions([move])  # the connection goes on
            return skipped, failed.value, desktop.pointer.position()
        finally:
            await worker.stop()
            desktop.close()

    skipped, error, position = asyncio.run(scenario())
    assert skipped, "moves and clicks made a round trip"
    assert error.inner["code"] == "x_request_failed" and error.inner["target"] == "actions[1]", error.body()
    assert "BadValue" in error.message
    assert position == (5, 6)
