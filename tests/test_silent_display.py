"""An X server that is alive but does not answer (stopped with SIGSTOP): an action waiting on it is a 503 within
the watchdog's limit, the daemon keeps serving meanwhile, and once the server answers again the next action
works and nothing the daemon pressed stays down."""

import signal
import time
from contextlib import contextmanager

import pytest
from tzafon import Lightcone

from tests.daemons import DaemonOnOwnDisplay, post_in_background
from tests.recorder import Recorder
from tests.xstate import keymap_rows, nothing_pressed
from xhands.input.watchdog import ANSWER_LIMIT_S, CHECK_EVERY_S

# An action that waits on the silent server answers within the limit, the watchdog's tick and a margin for a
# loaded machine: the client's timeout is the bound.
CUT_OFF_S = ANSWER_LIMIT_S + CHECK_EVERY_S + 3.0


@contextmanager
def stopped(own: DaemonOnOwnDisplay):
    own.xvfb.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        own.xvfb.process.send_signal(signal.SIGCONT)


def assert_unavailable(response) -> None:
    """A 503 that says the server does not answer ("did not answer for 5 s", "is not answering"), not that it left."""
    assert response.status_code == 503 and response.json()["code"] == "display_unavailable", response.text
    assert "answer" in response.json()["message"], response.text


def holding(own: DaemonOnOwnDisplay):
    """Hold F24 (on a keycode lent to it: Xvfb's map has no key for it) and the left button across requests;
    Lightcone's own view of the computer."""
    lightcone = Lightcone(api_key="unused", base_url=own.daemon.url, max_retries=0).computers
    lightcone.key_down("local", key="F24")
    assert own.client.post("/computer/click_mouse", json={"x": 20, "y": 30, "click_type": "down"}).is_success
    return lightcone


@pytest.mark.parametrize("route, body", [
    ("get_mouse_position", {}),
    ("type", {"text": "é"}),  # no key for it on Xvfb's map: a keycode is lent for it, after a round trip
], ids=["mouse-position", "non-ascii"])
def test_a_round_trip_to_a_stopped_server_is_a_503_and_the_next_action_works(route, body):
    """The input connection is cut off: once the server answers, the next action reconnects, and what the lost
    connection held down (keys, buttons, the keycode lent to F24) is let go of."""
    with DaemonOnOwnDisplay() as own:
        rows = keymap_rows(own.display)
        lightcone = holding(own)
        with stopped(own):
            assert_unavailable(own.client.post(f"/computer/{route}", json=body, timeout=CUT_OFF_S))
            health = own.client.get("/health", timeout=3)  # the probe's own limit is 1 s
            assert health.status_code == 503, health.text
        response = own.client.post(f"/computer/{route}", json=body, timeout=CUT_OFF_S)
        assert response.status_code == 200, response.text
        assert nothing_pressed(own.display)
        assert lightcone.retrieve_status("local").held == {"keys": [], "buttons": []}
        assert own.client.post("/computer/type", json={"text": "é"}).status_code == 200
        assert keymap_rows(own.display) == rows  # F24's loan given back, and é's after its typing
        assert own.client.get("/health").status_code == 200


def test_a_screen_capture_from_a_stopped_server_is_a_503_and_the_next_one_works():
    """Nothing to send since the last round trip, the screenshot waits on the capture's own connection alone
    (mss's): it gives up on it; the input connection is untouched, and what it holds stays held."""
    with DaemonOnOwnDisplay() as own:
        lightcone = holding(own)
        with stopped(own):
            assert_unavailable(own.client.post("/computer/screenshot", json={}, timeout=CUT_OFF_S))
            assert own.client.get("/health", timeout=3).status_code == 503
        assert own.client.post("/computer/screenshot", json={}, timeout=CUT_OFF_S).content.startswith(b"\x89PNG")
        assert lightcone.retrieve_status("local").held == {"keys": ["F24"], "buttons": ["left"]}
        lightcone.key_up("local", key="F24")
        assert own.client.post("/computer/click_mouse", json={"x": 20, "y": 30, "click_type": "up"}).is_success
        assert nothing_pressed(own.display)


def test_requests_that_came_while_the_server_was_silent_are_all_answered():
    """The cut-off action holds the event loop; what arrived meanwhile waits in the queue, and each action then
    waits (in the event loop) at most the limit for the server to answer a new connection: all get their 503."""
    with DaemonOnOwnDisplay() as own:
        assert own.client.post("/computer/move_mouse", json={"x": 5, "y": 5}).is_success  # connected
        with stopped(own):
            sent = [post_in_background(own.daemon.url + "/computer/get_mouse_position", {}, timeout=3 * CUT_OFF_S)
                    for _ in range(3)]
            for thread, _ in sent:
                thread.join()
            for _, outcome in sent:
                assert_unavailable(outcome[0])
        assert own.client.post("/computer/get_mouse_position").json() == {"x": 5, "y": 5}


def test_an_instant_move_asks_the_stopped_server_nothing():
    """A move only sends: it answers while the server is stopped, and the server makes it once it runs again."""
    with DaemonOnOwnDisplay() as own:
        assert own.client.post("/computer/move_mouse", json={"x": 5, "y": 5}).is_success
        with stopped(own):
            instant = {"x": 40, "y": 50, "smooth": False}  # a smooth one asks where the pointer starts
            assert own.client.post("/computer/move_mouse", json=instant, timeout=3).status_code == 200
        assert own.client.post("/computer/get_mouse_position").json() == {"x": 40, "y": 50}


def test_clicks_a_stopped_server_reads_at_once_are_still_stamped_apart():
    """A server that reads a triple click's requests all at once (stopped meanwhile, as on a starved machine)
    stamps each press at least a millisecond after the one before: Chromium counts a press stamped in the same
    millisecond as the last one as that one again, not as a further click."""
    with DaemonOnOwnDisplay() as own, Recorder(display_name=own.display) as recorder:
        assert own.client.post("/computer/click_mouse", json={"x": 30, "y": 30}).is_success  # connected
        recorder.wait_for(lambda events: any(e.kind == "button_release" for e in events))
        recorder.clear()
        with stopped(own):
            triple = {"x": 30, "y": 30, "num_clicks": 3}
            assert own.client.post("/computer/click_mouse", json=triple, timeout=3).status_code == 200
            time.sleep(0.1)  # the server reads them once it runs again, whatever the daemon's gaps were
        recorder.wait_for(lambda events: sum(e.kind == "button_release" for e in events) == 3)
        stamps = [e.server_ms for e in recorder.of_kind("button_press")]
        assert len(stamps) == 3 and stamps[0] < stamps[1] < stamps[2], stamps
