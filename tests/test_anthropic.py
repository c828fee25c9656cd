"""Anthropic's computer tool at /agents/anthropic/...: every action against a real daemon, checked by what an
X application receives (the recorder), and the model's coordinate space on a screen it is scaled to."""

import base64
import io
import time

import anthropic
import pytest
from PIL import Image
from Xlib import XK

from tests.daemons import DaemonOnOwnDisplay
from tests.fake_models import FakeModel, anthropic_message, toolset_use
from tests.recorder import Recorder

COMPUTER = "/agents/anthropic/computer"


def keysym(name: str) -> int:
    return XK.string_to_keysym(name)


def computer(client, **tool_input) -> dict:
    response = client.post(COMPUTER, json=tool_input)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["is_error"] is False, answer
    return answer


def image_size(answer: dict) -> tuple[int, int]:
    [block] = answer["content"]
    assert block["type"] == "image" and block["source"]["type"] == "base64"
    assert block["source"]["media_type"] == "image/png"
    return Image.open(io.BytesIO(base64.b64decode(block["source"]["data"]))).size


def error_text(client, **tool_input) -> str:
    response = client.post(COMPUTER, json=tool_input)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["is_error"] is True and answer["content"][0]["type"] == "text", answer
    return answer["content"][0]["text"]


def presses_at(recorder: Recorder, count: int) -> list[tuple[int, int, int]]:
    events = recorder.wait_for(lambda evs: sum(e.kind == "button_release" for e in evs) >= count)
    return [(e.button, e.x, e.y) for e in events if e.kind == "button_press"]


def test_tool_definition_names_the_screen_as_the_model_sees_it(client):
    tool = client.get("/agents/anthropic/tool").json()
    assert tool["type"] == "computer_20251124" and tool["name"] == "computer" and tool["enable_zoom"] is True
    assert (tool["display_width_px"], tool["display_height_px"]) == (1280, 800)  # WXGA itself: not scaled
    assert isinstance(tool["display_number"], int)
    older = client.get("/agents/anthropic/tool", params={"version": "computer_20250124", "scale": "1024x640"}).json()
    assert older == {"type": "computer_20250124", "name": "computer", "display_width_px": 1024,
                     "display_height_px": 640, "display_number": tool["display_number"]}
    assert client.get("/agents/anthropic/tool", params={"version": "computer_1999"}).status_code == 400


@pytest.mark.parametrize("action, buttons", [
    ("left_click", [1]), ("right_click", [3]), ("middle_click", [2]),
    ("double_click", [1, 1]), ("triple_click", [1, 1, 1]),
])
def test_clicks_press_their_button_at_the_coordinate_and_answer_a_screenshot(client, recorder, action, buttons):
    answer = computer(client, action=action, coordinate=[100, 120])
    assert presses_at(recorder, len(buttons)) == [(button, 100, 120) for button in buttons]
    assert image_size(answer) == (1280, 800)


def test_a_click_with_a_modifier_holds_it_around_the_click(client, recorder):
    computer(client, action="left_click", coordinate=[50, 60], text="shift")
    computer(client, action="left_click", coordinate=[70, 80], key="ctrl")  # as some versions name it
    recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 2)
    kinds = [(e.kind, e.keysym or e.button) for e in recorder.of_kind("key_press", "key_release", "button_press")]
    assert kinds == [("key_press", keysym("Shift_L")), ("button_press", 1), ("key_release", keysym("Shift_L")),
                     ("key_press", keysym("Control_L")), ("button_press", 1), ("key_release", keysym("Control_L"))]


def test_a_click_without_a_coordinate_clicks_where_the_pointer_is(client, recorder):
    computer(client, action="mouse_move", coordinate=[300, 200])
    assert (300, 200) in [(x, y) for x, y, _ in recorder.motions()]
    computer(client, action="right_click")
    assert presses_at(recorder, 1) == [(3, 300, 200)]


def test_drag_goes_from_start_to_coordinate_with_the_left_button(client, recorder):
    computer(client, action="left_click_drag", start_coordinate=[500, 500], coordinate=[520, 540])
    assert presses_at(recorder, 1) == [(1, 500, 500)]
    assert [(e.button, e.x, e.y) for e in recorder.of_kind("button_release")] == [(1, 520, 540)]
    assert len([m for m in recorder.motions() if m[:2] != (500, 500)]) >= 2, "a page sees the drag move"


def test_a_drag_with_a_modifier_holds_it_throughout(client, recorder):
    computer(client, action="left_click_drag", start_coordinate=[300, 300], coordinate=[340, 320], text="shift")
    events = recorder.wait_for(lambda evs: any(e.kind == "key_release" for e in evs))
    kinds = [(e.kind, e.keysym or e.button) for e in recorder.of_kind("key_press", "key_release", "button_press", "button_release")]
    assert kinds == [("key_press", keysym("Shift_L")), ("button_press", 1), ("button_release", 1),
                     ("key_release", keysym("Shift_L"))]
    moved = [e for e in events if e.kind == "motion" and (e.x, e.y) != (300, 300)]
    assert moved and all(e.state & 1 for e in moved)  # Shift down during every step


def test_a_drag_without_a_start_starts_where_the_pointer_is(client, recorder):
    computer(client, action="mouse_move", coordinate=[200, 210])
    computer(client, action="left_click_drag", coordinate=[260, 230])  # as computer_20241022 sends it
    assert presses_at(recorder, 1) == [(1, 200, 210)]
    assert [(e.button, e.x, e.y) for e in recorder.of_kind("button_release")] == [(1, 260, 230)]


def test_mouse_down_and_up_are_separate_actions(client, recorder):
    computer(client, action="left_mouse_down", coordinate=[10, 20])
    recorder.wait_for(lambda evs: any(e.kind == "button_press" for e in evs))
    assert recorder.of_kind("button_release") == []
    computer(client, action="mouse_move", coordinate=[40, 50])
    computer(client, action="left_mouse_up")
    assert presses_at(recorder, 1) == [(1, 10, 20)]
    assert [(e.button, e.x, e.y) for e in recorder.of_kind("button_release")] == [(1, 40, 50)]


def test_scroll_turns_the_wheel_by_the_amount_in_the_direction(client, recorder):
    computer(client, action="scroll", coordinate=[400, 300], scroll_direction="down", scroll_amount=2)
    computer(client, action="scroll", coordinate=[400, 300], scroll_direction="left", scroll_amount=1, text="ctrl")
    assert presses_at(recorder, 3) == [(5, 400, 300), (5, 400, 300), (6, 400, 300)]
    assert recorder.presses() == [keysym("Control_L")]


def test_scroll_of_nothing_only_looks(client, recorder):
    answer = computer(client, action="scroll", coordinate=[400, 300], scroll_direction="down", scroll_amount=0)
    assert image_size(answer) == (1280, 800)
    recorder.sync()
    assert recorder.of_kind("button_press") == []


def test_type_types_any_unicode_exactly(client, recorder):
    computer(client, action="type", text="héllo wörld 日本語")
    recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 15)
    assert recorder.typed_text() == "héllo wörld 日本語"


def test_key_takes_xdotool_syntax(client, recorder):
    computer(client, action="key", text="ctrl+shift+t")
    computer(client, action="key", text="Return super")
    recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 5)
    # The recorder resolves keysyms with the modifiers down, as an application does: shift+t reads as T.
    assert recorder.presses() == [keysym(name) for name in ("Control_L", "Shift_L", "T", "Return", "Super_L")]
    assert recorder.releases()[:3] == [keysym(name) for name in ("T", "Shift_L", "Control_L")]


def test_hold_key_holds_for_the_duration(client, recorder):
    computer(client, action="hold_key", text="shift", duration=0.3)
    events = recorder.wait_for(lambda evs: any(e.kind == "key_release" for e in evs))
    [down] = [e for e in events if e.kind == "key_press"]
    [up] = [e for e in events if e.kind == "key_release"]
    assert down.keysym == keysym("Shift_L") and up.t - down.t >= 0.28


def test_wait_waits_then_looks(client):
    started = time.monotonic()
    answer = computer(client, action="wait", duration=0.4)
    assert time.monotonic() - started >= 0.4 and image_size(answer) == (1280, 800)


def test_cursor_position_and_zoom(client, recorder):
    computer(client, action="mouse_move", coordinate=[321, 123])
    answer = computer(client, action="cursor_position")
    assert answer["content"] == [{"type": "text", "text": "X=321,Y=123"}]
    assert image_size(computer(client, action="zoom", region=[100, 50, 300, 150])) == (200, 100)
    assert image_size(computer(client, action="screenshot")) == (1280, 800)


@pytest.mark.parametrize("tool_input, said", [
    ({"action": "left_click", "coordinate": [1280, 10]}, "x must be 0..1279 and y 0..799"),
    ({"action": "type"}, "type needs `text`"),
    ({"action": "key", "text": "ctrl+nosuchkey"}, "nosuchkey"),
    ({"action": "scroll", "coordinate": [5, 5], "scroll_amount": 1}, "scroll needs `scroll_direction`"),
    ({"action": "fly", "coordinate": [5, 5]}, "action"),
    ({"action": "zoom", "region": [300, 50, 100, 150]}, "x0 < x1"),
])
def test_mistakes_are_tool_errors_and_nothing_runs(client, recorder, tool_input, said):
    assert said in error_text(client, **tool_input)
    recorder.sync()
    assert recorder.of_kind("button_press", "key_press") == []


def test_on_a_larger_screen_the_model_space_is_scaled_back_exactly():
    with DaemonOnOwnDisplay("1920x1080x24") as own, Recorder(display_name=own.display) as recorder:
        tool = own.client.get("/agents/anthropic/tool").json()
        assert (tool["display_width_px"], tool["display_height_px"]) == (1366, 768)
        answer = computer(own.client, action="left_click", coordinate=[512, 384])
        [(button, x, y)] = presses_at(recorder, 1)
        assert button == 1 and abs(x - 720) <= 1 and abs(y - 540) <= 1
        assert image_size(answer) == (1366, 768)
        assert computer(own.client, action="cursor_position")["content"][0]["text"] == "X=512,Y=384"
        assert "x must be 0..1365 and y 0..767" in error_text(own.client, action="mouse_move", coordinate=[1366, 0])
        unscaled = own.client.post(COMPUTER, params={"scale": "none"}, json={"action": "screenshot"}).json()
        assert image_size(unscaled) == (1920, 1080)


def test_the_computer_toolset_through_the_official_sdk(client, recorder):
    """Each action its own tool; the SDK's blocks are forwarded whole and their answers are the tool_results."""
    tool = client.get("/agents/anthropic/tool", params={"version": "computer_toolset_20260801"}).json()
    assert tool == {"type": "computer_toolset_20260801"}
    script = [toolset_use(1, "screenshot"), toolset_use(2, "left_click", coordinate=[100, 120]),
              toolset_use(3, "key", text="a", repeat=3), toolset_use(4, "zoom", region=[0, 0, 640, 400]),
              toolset_use(5, "scroll", coordinate=[10, 10], scroll_direction="down", scroll_amount=1),
              toolset_use(6, "cursor_position"), anthropic_message(7, {"type": "text", "text": "Done."})]
    with FakeModel(script) as fake:
        model = anthropic.Anthropic(base_url=fake.url, api_key="test")
        messages = [{"role": "user", "content": "Click, type, look"}]
        while True:
            reply = model.beta.messages.create(model="fake", max_tokens=100, tools=[tool], messages=messages)
            calls = [block for block in reply.content if block.type == "tool_use"]
            if not calls:
                break
            messages.append({"role": "assistant", "content": reply.content})
            messages.append({"role": "user", "content": [client.post(COMPUTER, json=block.model_dump()).json()
                                                         for block in calls]})
    assert fake.requests[0][2]["tools"] == [tool]
    results = [body["messages"][-1]["content"][0] for _, _, body in fake.requests[1:]]
    assert [(result["type"], result["tool_use_id"], result["is_error"]) for result in results] == [
        ("tool_result", f"toolu_{number}", False) for number in range(1, 7)]
    sizes = [image_size(result) for result in results[:5]]
    assert sizes == [(1280, 800)] * 3 + [(640, 400), (1280, 800)]
    assert results[5]["content"] == [{"type": "text", "text": "X=10,Y=10"}]
    recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 3)
    assert presses_at(recorder, 2) == [(1, 100, 120), (5, 10, 10)]
    assert recorder.presses() == [keysym("a")] * 3


def test_a_block_of_an_unknown_tool_is_a_tool_error(client):
    block = {"type": "tool_use", "id": "toolu_9", "name": "fly", "toolset_name": "computer", "input": {}}
    answer = client.post(COMPUTER, json=block).json()
    assert answer["type"] == "tool_result" and answer["tool_use_id"] == "toolu_9" and answer["is_error"] is True
    assert "computer toolset" in answer["content"][0]["text"]
    old_tool = {"type": "tool_use", "id": "toolu_8", "name": "computer", "input": {"action": "cursor_position"}}
    assert client.post(COMPUTER, json=old_tool).json()["content"][0]["text"].startswith("X=")
