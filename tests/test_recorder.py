"""Sanity checks for tests/recorder.py, driven by a real external tool (xdotool)."""

import subprocess

import pytest
from Xlib import X, XK

from tests import needs
from tests.keysyms import keysym_to_text
from tests.recorder import Recorder
from tests.x_events import Event


@pytest.fixture(autouse=True)
def xdotool_installed(xvfb):
    needs.program("xdotool", "xdotool")

SHIFTS = {XK.XK_Shift_L, XK.XK_Shift_R}


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)


@pytest.fixture
def rec():
    with Recorder() as r:
        r.clear()
        yield r


def test_keys_resolve_with_shift(rec):
    xdotool("key", "--window", "0", "a", "shift+b", "Return")
    rec.wait_for(lambda evs: XK.XK_Return in [e.keysym for e in evs if e.kind == "key_release"],
                 what="Return released")
    assert [k for k in rec.presses() if k not in SHIFTS] == [XK.XK_a, XK.XK_B, XK.XK_Return]
    assert rec.typed_text() == "aB\n"
    keys = rec.of_kind("key_press", "key_release")
    assert not any(e.synthetic or e.stale for e in keys)
    b = next(e for e in keys if e.keysym == XK.XK_B)
    assert b.state & X.ShiftMask and b.server_ms > 0


def test_pointer_motion_and_click(rec):
    xdotool("mousemove", "100", "100", "click", "3")
    rec.wait_for(lambda evs: any(e.kind == "button_release" for e in evs), what="a button release")
    assert rec.buttons() == [3]
    assert rec.buttons("button_release") == [3]
    press = rec.of_kind("button_press")[0]
    assert (press.x, press.y) == (100, 100)
    assert (100, 100) in [(x, y) for x, y, _ in rec.motions()]


def test_rebound_keycodes_resolve_at_receipt(rec):
    # None of these is on Xvfb's default keymap, so xdotool rebinds a spare
    # keycode for each one in turn: the recorder must follow the MappingNotify.
    xdotool("type", "--delay", "20", "é€жλ")
    rec.wait_for(lambda evs: len([e for e in evs if e.kind == "key_release"]) >= 4,
                 what="four key releases")
    rec.wait_idle(quiet=0.1)
    assert rec.typed_text() == "é€жλ", rec.dump()
    assert rec.of_kind("mapping"), rec.dump()


def test_window_geometry_colour_and_wait_for_dump():
    with Recorder(x=10, y=20, width=50, height=40, colour=0xAA5500) as r:
        assert r.pixel(15, 25) == 0xAA5500
        with r.locked():
            geo = r.window.get_geometry()
        assert (geo.width, geo.height) == (50, 40)
        with pytest.raises(AssertionError, match="never"):
            r.wait_for(lambda evs: False, timeout=0.05, what="never")


def test_keysym_to_text():
    assert keysym_to_text(XK.XK_Shift_L) == ""
    assert keysym_to_text(XK.XK_KP_Enter) == "\n"
    assert keysym_to_text(XK.XK_Tab) == "\t"
    assert keysym_to_text(0x1000000 + 0x1F600) == "\U0001F600"
    assert keysym_to_text(0x6C1) == "а"  # Cyrillic_a
    assert keysym_to_text(0x7E1) == "α"  # Greek_alpha
    assert keysym_to_text(0x1B1) == "ą"  # aogonek
    assert keysym_to_text(0x20AC) == "€"
    assert isinstance(Event("focus_in", None, None, None, None, None, 0, 0, 0.0), Event)
