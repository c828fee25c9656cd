"""One bookkeeping of what is held down (input/pressed.py): the pure rules, and at the X server that nothing
outlives its scope, an action's presses its action, those held across requests their up or DELETE."""

import time

import httpx
from Xlib import XK
from Xlib import display as xdisplay

from tests.conftest import action
from tests.daemons import start_daemon
from tests.xstate import down, keymap_rows
from xhands.input.pressed import Presses, Scope

ACTION, ACROSS = Scope.ACTION, Scope.ACROSS_REQUESTS


def test_holds_within_an_action_nest():
    presses = Presses()
    assert presses.hold(50, ACTION) is True  # pressed now
    assert presses.hold(50, ACTION) is False  # a combo naming a key hold_keys holds: not pressed again
    assert presses.drop(50, ACTION) is False  # ... nor released by the combo
    assert presses.drop(50, ACTION) is True
    assert not presses


def test_a_code_is_held_across_requests_once():
    presses = Presses()
    assert presses.hold(50, ACROSS) is True
    assert presses.hold(50, ACROSS) is False
    assert presses.drop(50, ACROSS) is True  # one up lets go, however often it was held


def test_ending_an_action_keeps_what_is_held_across_requests():
    presses = Presses()
    presses.hold(50, ACROSS)
    presses.hold(50, ACTION)  # the action presses the held key again: neither pressed nor released by it
    presses.hold(37, ACTION)
    presses.hold(62, ACTION)
    assert presses.drop_scope(ACTION) == [62, 37]  # newest first
    assert presses.held(ACROSS) == [50] and not presses.has(ACTION)
    assert presses.drop_scope(ACROSS) == [50] and not presses


def test_dropping_what_is_not_held_changes_nothing():
    presses = Presses()
    presses.hold(50, ACROSS)
    assert presses.drop(50, ACTION) is False  # an action's release does not end a hold across requests
    assert presses.drop(37, ACTION) is False
    assert presses.held(ACROSS) == [50]


def keycode(name: str) -> int:
    conn = xdisplay.Display()
    try:
        return conn.keysym_to_keycode(XK.string_to_keysym(name))
    finally:
        conn.close()


def until_down(keys: set[int], buttons: set[int], timeout: float = 5.0) -> None:
    """Wait until the server has exactly these keys and buttons down (the daemon's last flush may still travel)."""
    deadline = time.monotonic() + timeout
    while (now := down()) != (keys, buttons):
        assert time.monotonic() < deadline, f"down: {now}, expected {(keys, buttons)}"
        time.sleep(0.02)


def test_nothing_outlives_its_scope(xvfb):
    """Held across requests: Shift and the left button. Actions that fail or are cut short while holding keys,
    a button and a lent keycode leave exactly those down, and DELETE lets go of them."""
    before = keymap_rows()
    shift = keycode("Shift_L")
    with start_daemon("--batch-timeout", "0.5") as daemon, httpx.Client(base_url=daemon.url, timeout=10) as http:
        http.post("/computers/local/key-down", json={"key": "Shift"}).raise_for_status()
        http.post("/computers/local/mouse-down", json={"x": 10, "y": 10}).raise_for_status()
        until_down({shift}, {1})
        cut_short = [  # each runs past the batch timeout while it holds what it pressed
            action("press_key", keys=["Cyrillic_ya", "a"], hold_keys=["ctrl", "shift"], duration=3000),
            action("drag_mouse", path=[[20, 20], [200, 200]], button="middle", hold_keys=["alt"], duration_ms=3000),
        ]
        for one in cut_short:
            assert http.post("/computer/batch", json={"actions": [one]}).status_code == 500
            until_down({shift}, {1})
        # Ending well: the action's presses and its lent keycode go, what is held across requests stays.
        typed = [action("type_text", text="ж"), action("click_mouse", x=30, y=30, hold_keys=["ctrl"])]
        assert http.post("/computer/batch", json={"actions": typed}).status_code == 200
        until_down({shift}, {1})
        assert http.get("/computers/local").json()["held"] == {"keys": ["Shift_L"], "buttons": ["left"]}
        http.delete("/computers/local").raise_for_status()
        until_down(set(), set())
    assert keymap_rows() == before
