"""The official Kernel Python SDK, pointed at the daemon, runs every computer operation it has."""

import pytest
from kernel import Kernel

from tests.conftest import action
from tests.keysyms import keysym_name


AROUND_POINTER = {"x": 390, "y": 390, "width": 48, "height": 48}


@pytest.fixture
def computer(daemon):
    return Kernel(base_url=daemon.url, api_key="unused").browsers.computer


def test_every_sdk_computer_operation(computer, recorder):
    session = "any-browser-id"
    computer.move_mouse(session, x=300, y=300, smooth=False)
    computer.click_mouse(session, x=310, y=320, button="right", num_clicks=1)
    computer.drag_mouse(session, path=[[100, 100], [200, 200]], smooth=False, steps_per_segment=2, step_delay_ms=1)
    computer.scroll(session, x=400, y=400, delta_y=2)
    computer.type_text(session, text="kernel ✓")
    computer.press_key(session, keys=["Ctrl+a", "Return"])
    computer.set_cursor_visibility(session, hidden=True)
    hidden = computer.capture_screenshot(session, region=AROUND_POINTER, extra_body={"include_cursor": True}).read()
    computer.set_cursor_visibility(session, hidden=False)
    shown = computer.capture_screenshot(session, region=AROUND_POINTER, extra_body={"include_cursor": True}).read()
    computer.write_clipboard(session, text="sdk clipboard")
    assert computer.read_clipboard(session).text == "sdk clipboard"
    position = computer.get_mouse_position(session)
    assert (position.x, position.y) == (400, 400)
    png = computer.capture_screenshot(session, region={"x": 0, "y": 0, "width": 64, "height": 48}).read()
    assert png.startswith(b"\x89PNG")
    computer.batch(session, actions=[action("click_mouse", x=5, y=5), action("sleep", duration_ms=1)])

    recorder.wait_idle()
    assert 3 in recorder.buttons() and recorder.buttons().count(5) == 2
    assert "kernel ✓" in recorder.typed_text()
    drag = [(e.kind, e.button, e.x, e.y) for e in recorder.of_kind("button_press", "button_release") if e.button == 1][:2]
    assert drag == [("button_press", 1, 100, 100), ("button_release", 1, 200, 200)]
    keys = [keysym_name(e.keysym) for e in recorder.of_kind("key_press")]
    assert keys[-3:] == ["Control_L", "a", "Return"]
    assert hidden != shown, "the cursor is drawn into the picture only while shown"
