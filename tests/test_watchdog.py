"""The watchdog on python-xlib connections, against an Xvfb of the test's own stopped with SIGSTOP: a watched
round trip fails instead of waiting for ever, an open gives up, and the open given up is taken over once the
server answers again."""

import asyncio
import random
import signal
import threading

import pytest

from xhands.daemon.ops.xvfb import Xvfb
from xhands.input import watchdog
from xhands.input.display import DisplayUnavailable

LIMIT_S = 1.0


@pytest.fixture
def stoppable(monkeypatch):
    monkeypatch.setattr(watchdog, "ANSWER_LIMIT_S", LIMIT_S)
    server = Xvfb("320x240x24", display=f":{random.randint(400, 900)}")
    server.start()
    yield server
    server.process.send_signal(signal.SIGCONT)
    watchdog.abandon_opening(server.display)
    server.stop()


def returns(call, within_s: float = LIMIT_S + 5.0):
    """What call() returns or raises, from a thread: a call that waits for ever on the server fails the test."""
    outcome = []

    def run():
        try:
            outcome.append(call())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(within_s)
    assert outcome, "still waiting on the stopped server"
    return outcome[0]


def test_a_watched_round_trip_to_a_stopped_server_is_cut_off(stoppable):
    conn = watchdog.open_answering(stoppable.display)
    assert conn.screen().root.get_geometry().width == 320
    stoppable.process.send_signal(signal.SIGSTOP)
    failure = returns(lambda: conn.screen().root.get_geometry())
    assert isinstance(failure, ConnectionError) and "did not answer for 1 s" in str(failure), repr(failure)


def test_an_open_given_up_is_taken_over_once_the_server_answers(stoppable):
    stoppable.process.send_signal(signal.SIGSTOP)
    assert isinstance(returns(lambda: watchdog.open_answering(stoppable.display)), DisplayUnavailable)
    assert isinstance(returns(lambda: watchdog.open_answering(stoppable.display)), DisplayUnavailable)  # still out
    stoppable.process.send_signal(signal.SIGCONT)
    conn = returns(lambda: asyncio.run(watchdog.open_answering_async(stoppable.display)))  # waits the limit for it
    assert conn.screen().root.get_geometry().width == 320
    conn.close()
