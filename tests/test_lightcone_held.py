"""Lightcone's key-down and mouse-down with the official `tzafon` SDK: the key or button stays down across requests,
whatever other actions run meanwhile, until its up, DELETE /computers/{id}, the hold's idle limit or SIGTERM."""

import time

import httpx
import pytest
from Xlib import XK
from tzafon import ConflictError, Lightcone

from tests.daemons import post_in_background, sigterm_during, start_daemon
from tests.sse_reader import SseReader
from tests.xstate import keymap_rows, nothing_pressed

ID = "local"
SHIFT, A, B, F24 = (XK.string_to_keysym(name) for name in ("Shift_L", "A", "B", "F24"))  # capitals: Shift is down


def computers_of(daemon):
    return Lightcone(api_key="unused", base_url=daemon.url, max_retries=0).computers


@pytest.fixture
def computers(daemon):
    return computers_of(daemon)


def held(computers) -> dict:
    return computers.retrieve_status(ID).held


def key_events(recorder) -> list[tuple[str, int]]:
    return [(e.kind, e.keysym) for e in recorder.of_kind("key_press", "key_release")]


def until_released(display_name=None, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not nothing_pressed(display_name):
        assert time.monotonic() < deadline, "still pressed"
        time.sleep(0.05)


def test_a_key_held_across_three_requests_then_released(computers, daemon, recorder):
    computers.key_down(ID, key="Shift")
    computers.type(ID, text="a")
    computers.click(ID, x=20, y=20)
    httpx.post(f"{daemon.url}/computer/press_key", json={"keys": ["shift+b"]}).raise_for_status()  # Kernel's too
    assert held(computers) == {"keys": ["Shift_L"], "buttons": []}
    recorder.sync()
    assert not nothing_pressed()
    computers.key_up(ID, key="shift")
    recorder.wait_for(lambda evs: (("key_release", SHIFT) in [(e.kind, e.keysym) for e in evs]))
    assert key_events(recorder) == [("key_press", SHIFT), ("key_press", A), ("key_release", A),
                                    ("key_press", B), ("key_release", B), ("key_release", SHIFT)]
    assert held(computers) == {"keys": [], "buttons": []} and nothing_pressed()


def test_a_button_held_by_mouse_down_outlives_other_actions_and_a_failed_one(computers, recorder):
    computers.mouse_down(ID, x=40, y=50)
    computers.key_down(ID, key="Control")
    computers.hotkey(ID, keys=["a"])
    with pytest.raises(ConflictError):  # the action fails (Xvfb's screen cannot be resized); what is held stays held
        computers.execute(ID, action={"type": "set_viewport", "width": 800, "height": 600})
    assert held(computers) == {"keys": ["Control_L"], "buttons": ["left"]}
    computers.mouse_up(ID, x=60, y=70)
    computers.key_up(ID, key="Control")
    recorder.wait_for(lambda evs: any(e.kind == "button_release" for e in evs))
    assert [(e.button, e.x, e.y) for e in recorder.of_kind("button_press", "button_release")] == [(1, 40, 50), (1, 60, 70)]
    until_released()


def test_delete_releases_what_is_held(computers, recorder):
    computers.key_down(ID, key="Shift")
    computers.mouse_down(ID, x=30, y=30)
    computers.delete(ID)
    until_released()
    assert held(computers) == {"keys": [], "buttons": []}


def test_the_idle_limit_releases_what_is_held_and_says_so(xvfb):
    with start_daemon("--hold-timeout", "0.5") as daemon:
        computers = computers_of(daemon)
        computers.key_down(ID, key="Alt")
        computers.mouse_down(ID, x=10, y=10)
        started = time.monotonic()
        until_released()
        assert 0.4 < time.monotonic() - started < 3
        assert "without an action (--hold-timeout)" in daemon.log()
        assert held(computers) == {"keys": [], "buttons": []}


def test_sigterm_releases_what_is_held(xvfb):
    daemon = start_daemon()
    try:
        computers = computers_of(daemon)
        computers.key_down(ID, key="Shift")
        computers.mouse_down(ID, x=10, y=10)
        sleeping = {"actions": [{"type": "sleep", "sleep": {"duration_ms": 5000}}]}
        with SseReader.open(f"{daemon.url}/computer/events") as events:
            thread, outcome = post_in_background(f"{daemon.url}/computer/batch", sleeping)
            events.wait_for(lambda seen: any(event.data["type"] == "sleep" for event in seen))  # the worker has it
        assert not nothing_pressed()
        sigterm_during(daemon, thread, outcome)
        until_released()
    finally:
        daemon.stop()


def test_a_key_the_keyboard_map_lacks_is_held_on_a_lent_keycode_until_its_up(computers, recorder):
    """F24 has no key on Xvfb's map: a spare keycode is lent to it, kept through other actions (typing lends
    and gives back others), and given back once the key is up."""
    before = keymap_rows()
    computers.key_down(ID, key="f24")
    computers.type(ID, text="中a")
    assert held(computers) == {"keys": ["F24"], "buttons": []}
    computers.key_up(ID, key="F24")
    recorder.wait_for(lambda evs: ("key_release", F24) in [(e.kind, e.keysym) for e in evs])
    f24 = [kind for kind, keysym in key_events(recorder) if keysym == F24]
    # Held long (a loaded machine), the server's autorepeat adds release-press pairs, as for a key a person holds.
    assert f24[0] == "key_press" and f24[-1] == "key_release" and f24.count("key_press") == f24.count("key_release")
    assert recorder.typed_text().endswith("中a") and nothing_pressed()
    assert keymap_rows() == before
