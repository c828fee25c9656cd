"""OpenAI's computer-use tool at /agents/openai/computer: every action against a real daemon, checked by what an
X application receives (the recorder), and the computer_call_output it answers."""

import base64
import io
import time

import openai
import pytest
from PIL import Image
from Xlib import XK

from xhands.daemon.dialects.agents import notches
from tests.daemons import DaemonOnOwnDisplay
from tests.fake_models import FakeModel, computer_call, openai_answer, openai_response
from tests.recorder import Recorder

COMPUTER = "/agents/openai/computer"


def keysym(name: str) -> int:
    return XK.string_to_keysym(name)


def call(client, *actions, params=None, **item) -> dict:
    body = {"type": "computer_call", "id": "cu_1", "call_id": "call_1", "status": "completed", **item}
    if len(actions) == 1:
        body["action"] = actions[0]
    else:
        body["actions"] = list(actions)
    response = client.post(COMPUTER, json=body, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def screenshot_size(output: dict, call_id: str = "call_1") -> tuple[int, int]:
    assert output["type"] == "computer_call_output" and output["call_id"] == call_id
    assert output["output"]["type"] == "computer_screenshot"
    prefix, data = output["output"]["image_url"].split(",", 1)
    assert prefix == "data:image/png;base64"
    return Image.open(io.BytesIO(base64.b64decode(data))).size


def presses_at(recorder: Recorder, count: int) -> list[tuple[int, int, int]]:
    events = recorder.wait_for(lambda evs: sum(e.kind == "button_release" for e in evs) >= count)
    return [(e.button, e.x, e.y) for e in events if e.kind == "button_press"]


@pytest.mark.parametrize("button, x_button", [("left", 1), ("right", 3), ("wheel", 2), ("back", 8), ("forward", 9)])
def test_click_presses_its_button_and_answers_the_screenshot(client, recorder, button, x_button):
    output = call(client, {"type": "click", "button": button, "x": 100, "y": 120})
    assert presses_at(recorder, 1) == [(x_button, 100, 120)]
    assert screenshot_size(output) == (1280, 800) and output["acknowledged_safety_checks"] == []


def test_click_holds_its_keys_and_double_click_clicks_twice(client, recorder):
    call(client, {"type": "click", "button": "left", "x": 10, "y": 20, "keys": ["SHIFT"]},
         {"type": "double_click", "x": 30, "y": 40})
    assert presses_at(recorder, 3) == [(1, 10, 20), (1, 30, 40), (1, 30, 40)]
    assert recorder.presses() == [keysym("Shift_L")]


def test_move_and_drag_follow_the_path(client, recorder):
    call(client, {"type": "move", "x": 300, "y": 200},
         {"type": "drag", "path": [{"x": 500, "y": 500}, {"x": 510, "y": 520}, {"x": 530, "y": 540}]})
    assert presses_at(recorder, 1) == [(1, 500, 500)]
    motions = [(x, y) for x, y, _ in recorder.motions()]
    assert (300, 200) in motions and (510, 520) in motions
    assert [(e.button, e.x, e.y) for e in recorder.of_kind("button_release")] == [(1, 530, 540)]


def test_scroll_pixels_become_notches(client, recorder):
    call(client, {"type": "scroll", "x": 400, "y": 300, "scroll_x": 0, "scroll_y": 300},
         {"type": "scroll", "x": 400, "y": 300, "scroll_x": -40, "scroll_y": 0})
    assert presses_at(recorder, 4) == [(5, 400, 300)] * 3 + [(6, 400, 300)]
    assert [notches(pixels) for pixels in (0, 1, -49, 150, -260)] == [0, 1, -1, 2, -3]


def test_keypress_matches_names_case_insensitively_and_presses_them_together(client, recorder):
    call(client, {"type": "keypress", "keys": ["CTRL", "L"]}, {"type": "keypress", "keys": ["ENTER"]},
         {"type": "keypress", "keys": ["ArrowLeft"]}, {"type": "keypress", "keys": ["cmd"]})
    recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 5)
    assert recorder.presses() == [keysym(name) for name in ("Control_L", "l", "Return", "Left", "Super_L")]
    assert recorder.releases()[:2] == [keysym("l"), keysym("Control_L")]


def test_type_types_any_unicode_exactly(client, recorder):
    call(client, {"type": "type", "text": "héllo wörld 日本語"})
    recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 15)
    assert recorder.typed_text() == "héllo wörld 日本語"


def test_wait_and_screenshot_and_safety_checks_acknowledged(client):
    started = time.monotonic()
    checks = [{"id": "cu_sc_1", "code": "malicious_instructions", "message": "check"}]
    output = call(client, {"type": "wait"}, pending_safety_checks=checks)
    assert time.monotonic() - started >= 1.0
    assert output["acknowledged_safety_checks"] == checks and screenshot_size(output) == (1280, 800)
    assert screenshot_size(call(client, {"type": "screenshot"})) == (1280, 800)


@pytest.mark.parametrize("body", [
    {"call_id": "c", "action": {"type": "click", "x": 1280, "y": 1}},
    {"call_id": "c", "action": {"type": "keypress", "keys": ["CTRL", "NoSuchKey"]}},
    {"call_id": "c", "action": {"type": "fly"}},
    {"call_id": "c"},
    {"call_id": "c", "actions": [{"type": "click", "x": 5, "y": 5}, {"type": "keypress", "keys": []}]},
])
def test_a_bad_call_is_a_400_and_nothing_runs(client, recorder, body):
    response = client.post(COMPUTER, json=body)
    assert response.status_code == 400 and response.json()["code"] == "bad_request", response.text
    recorder.sync()
    assert recorder.of_kind("button_press", "key_press") == []


def test_a_scaled_model_space_is_scaled_back():
    with DaemonOnOwnDisplay("1920x1080x24") as own, Recorder(display_name=own.display) as recorder:
        tool = own.client.get("/agents/openai/tool", params={"scale": "1366x768"}).json()
        assert tool == {"type": "computer_use_preview", "display_width": 1366, "display_height": 768,
                        "environment": "linux"}
        output = call(own.client, {"type": "click", "button": "left", "x": 512, "y": 384}, params={"scale": "1366x768"})
        [(button, x, y)] = presses_at(recorder, 1)
        assert button == 1 and abs(x - 720) <= 1 and abs(y - 540) <= 1
        assert screenshot_size(output) == (1366, 768)


def test_the_ga_tool_and_the_sdks_own_dumps_through_the_official_sdk(client, recorder):
    """The GA tool declares no size; the SDK's computer_call items, dumped with their nulls, go as they are."""
    tool = client.get("/agents/openai/tool", params={"version": "computer"}).json()
    assert tool == {"type": "computer"}
    batched = openai_response(2, {"type": "computer_call", "id": "cu_2", "call_id": "call_2", "status": "completed",
                                  "pending_safety_checks": [], "actions": [
                                      {"type": "click", "button": "left", "x": 100, "y": 120},
                                      {"type": "keypress", "keys": ["CTRL", "A"]}]})
    script = [computer_call(1, {"type": "click", "button": "wheel", "x": 50, "y": 60}), batched, openai_answer(3, "Done.")]
    with FakeModel(script) as fake:
        model = openai.OpenAI(base_url=f"{fake.url}/v1", api_key="test")
        reply = model.responses.create(model="fake", tools=[tool], input="Click")
        while calls := [item for item in reply.output if item.type == "computer_call"]:
            dumps = [call.model_dump() for call in calls]
            assert any(value is None for dump in dumps for value in dump.values())  # the nulls it writes
            outputs = [client.post(COMPUTER, params={"version": "computer"}, json=dump).json() for dump in dumps]
            reply = model.responses.create(model="fake", tools=[tool], input=outputs, previous_response_id=reply.id)
    assert reply.output_text == "Done."
    for number, (_, _, body) in enumerate(fake.requests[1:], start=1):
        [output] = body["input"]
        assert screenshot_size(output, f"call_{number}") == (1280, 800)
    assert presses_at(recorder, 2) == [(2, 50, 60), (1, 100, 120)]
    assert recorder.presses() == [keysym("Control_L"), keysym("a")]


def test_safety_checks_refused_on_request_name_the_checks_and_run_nothing(client, recorder):
    checks = [{"id": "cu_sc_1", "code": "malicious_instructions", "message": "The page asks for secrets."},
              {"id": "cu_sc_2", "code": "sensitive_domain", "message": None}]
    body = {"type": "computer_call", "call_id": "call_1", "action": {"type": "click", "button": "left", "x": 5, "y": 5},
            "pending_safety_checks": checks}
    response = client.post(COMPUTER, params={"safety_checks": "refuse"}, json=body)
    assert response.status_code == 409 and response.json()["code"] == "pending_safety_checks"
    said = response.json()["message"]
    assert "cu_sc_1 (malicious_instructions): The page asks for secrets." in said and "cu_sc_2 (sensitive_domain)" in said
    assert [detail["target"] for detail in response.json()["details"]] == ["cu_sc_1", "cu_sc_2"]
    recorder.sync()
    assert recorder.of_kind("button_press") == []
    without = client.post(COMPUTER, params={"safety_checks": "refuse"}, json={**body, "pending_safety_checks": []})
    assert without.status_code == 200
    assert client.post(COMPUTER, params={"safety_checks": "ignore"}, json=body).status_code == 400
    assert client.post(COMPUTER, params={"version": "computer_2030"}, json=body).status_code == 400
