"""Tzafon Lightcone's computers API: the official `tzafon` SDK pointed at a daemon, every X11-level method checked
by what an X application receives (the recorder), and the ActionResults it answers."""

import base64
import io

import httpx
import pytest
from PIL import Image
from tzafon import BadRequestError, ConflictError, Lightcone, NotFoundError, PermissionDeniedError
from tzafon.types import (ActionClick, ActionDrag, ActionKeyDown, ActionKeyUp, ActionPointAndType, ActionScroll,
                          ActionWait)
from Xlib import XK

from xhands.daemon.actions import Image as CoreImage
from xhands.daemon.dialects.image_store import ImageStore
from tests.daemons import start_daemon
from tests.sse_reader import SseReader
from tests.test_events import answered, of_request
from tests.test_settle import FINAL, answer_the_key_late

ID = "local"


def keysym(name: str) -> int:
    return XK.string_to_keysym(name)


@pytest.fixture
def computers(daemon):
    return Lightcone(api_key="unused", base_url=daemon.url, max_retries=0).computers


def ok(result):
    assert result.status == "success" and result.error_message is None, result
    assert result.request_id and result.timestamp.endswith("Z")
    return result


def presses_at(recorder, count: int) -> list[tuple[int, int, int]]:
    events = recorder.wait_for(lambda evs: sum(e.kind == "button_release" for e in evs) >= count)
    return [(e.button, e.x, e.y) for e in events if e.kind == "button_press"]


def test_click_right_click_and_double_click_round_float_coordinates(computers, recorder):
    ok(computers.click(ID, x=100.4, y=120.6))
    ok(computers.right_click(ID, x=200, y=210))
    ok(computers.double_click(ID, x=300.5, y=310))
    assert presses_at(recorder, 4) == [(1, 100, 121), (3, 200, 210), (1, 300, 310), (1, 300, 310)]
    first, second = [e for e in recorder.of_kind("button_press")][2:]
    assert second.server_ms - first.server_ms < 200  # inside any double-click interval


def test_drag_presses_at_the_start_moves_between_and_releases_at_the_end(computers, recorder):
    ok(computers.drag(ID, x1=100, y1=100, x2=300, y2=200))
    assert presses_at(recorder, 1) == [(1, 100, 100)]
    between = [(x, y) for x, y, _ in recorder.motions() if 100 < x < 300]
    assert len(between) >= 3
    assert [(e.button, e.x, e.y) for e in recorder.of_kind("button_release")] == [(1, 300, 200)]


def test_mouse_down_and_up_make_a_drag_across_requests(computers, recorder):
    ok(computers.mouse_down(ID, x=50, y=60))
    ok(computers.mouse_up(ID, x=150, y=160))
    assert presses_at(recorder, 1) == [(1, 50, 60)]
    assert [(e.button, e.x, e.y) for e in recorder.of_kind("button_release")] == [(1, 150, 160)]


def test_hotkey_presses_dom_names_in_order_and_releases_in_reverse(computers, recorder):
    ok(computers.hotkey(ID, keys=["Control", "Shift", "ArrowLeft"]))
    ok(computers.hotkey(ID, keys=["enter"]))
    recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 4)
    assert recorder.presses() == [keysym(name) for name in ("Control_L", "Shift_L", "Left", "Return")]
    assert recorder.releases()[:3] == [keysym(name) for name in ("Left", "Shift_L", "Control_L")]


def test_key_names_are_checked(computers):
    with pytest.raises(BadRequestError) as error:
        computers.key_up(ID, key="NoSuchKey")
    assert error.value.body["status"] == "error" and "NoSuchKey" in error.value.body["error_message"]


def test_scroll_pixels_become_notches_in_their_direction(computers, recorder):
    ok(computers.scroll(ID, x=400, y=300, dx=0, dy=300))
    ok(computers.scroll(ID, x=400, y=300, dx=-40, dy=0))
    ok(computers.scroll(ID, x=400, y=300, dx=0, dy=-1))
    assert presses_at(recorder, 5) == [(5, 400, 300)] * 3 + [(6, 400, 300), (4, 400, 300)]


def test_type_types_any_unicode_exactly(computers, recorder):
    ok(computers.type(ID, text="héllo wörld 日本語"))
    recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 15)
    assert recorder.typed_text() == "héllo wörld 日本語"


def decoded(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


def test_screenshot_as_a_data_url(computers):
    result = ok(computers.screenshot(ID, base64=True)).result
    prefix, data = result["screenshot_url"].split(",", 1)
    assert prefix == "data:image/png;base64"
    assert decoded(base64.b64decode(data)) == (result["width"], result["height"]) == (1280, 800)


def test_screenshot_as_a_served_url(computers, daemon):
    result = ok(computers.screenshot(ID)).result
    assert result["screenshot_url"].startswith(daemon.url + "/computers/")
    response = httpx.get(result["screenshot_url"])
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert decoded(response.content) == (result["width"], result["height"]) == (1280, 800)
    assert httpx.get(result["screenshot_url"] + "x").status_code == 404


def test_a_screenshot_with_settle_ms_shows_what_the_input_drew_late(computers, recorder):
    recorder.clear()
    answering = answer_the_key_late(recorder)
    ok(computers.hotkey(ID, keys=["a"]))
    result = ok(computers.execute(ID, action={"type": "screenshot", "base64": True, "settle_ms": 100})).result
    answering.join(5)
    picture = Image.open(io.BytesIO(base64.b64decode(result["screenshot_url"].split(",", 1)[1]))).convert("RGB")
    red, green, blue = picture.getpixel((20, 20))
    assert red << 16 | green << 8 | blue == FINAL


def test_the_image_store_evicts_the_oldest_by_count_and_by_bytes():
    store = ImageStore(max_images=2, max_bytes=10)
    first, second, third = (store.add(CoreImage("image/png", b"1234")) for _ in range(3))
    assert store.get(first) is None and store.get(second) and store.get(third)
    store.add(CoreImage("image/png", b"12345678"))
    assert store.get(second) is None and store.get(third) is None


def test_execute_and_batch(computers, recorder):
    ok(computers.execute(ID, action={"type": "click", "x": 10, "y": 20}))
    reply = computers.batch(ID, actions=[
        {"type": "click", "x": 30, "y": 40}, {"type": "wait", "ms": 10}, {"type": "type", "text": "ok"},
        {"type": "screenshot", "base64": True}])
    assert reply["status"] == "success" and [one["status"] for one in reply["results"]] == ["success"] * 4
    assert reply["results"][3]["result"]["screenshot_url"].startswith("data:image/png;base64,")
    assert presses_at(recorder, 2) == [(1, 10, 20), (1, 30, 40)]


def test_a_bad_batch_runs_nothing(computers, recorder):
    with pytest.raises(BadRequestError) as error:
        computers.batch(ID, actions=[{"type": "click", "x": 5, "y": 5}, {"type": "click", "x": 5}])
    assert error.value.body == {**error.value.body, "status": "error", "error_message": "click needs y"}
    recorder.sync()
    assert recorder.of_kind("button_press") == []


@pytest.mark.parametrize("call", [
    lambda c: c.navigate(ID, url="https://example.com"),
    lambda c: c.html(ID),
    lambda c: c.tabs.list(ID),
    lambda c: c.tabs.create(ID, url="https://example.com"),
    lambda c: c.tabs.switch("tab", id=ID),
    lambda c: c.tabs.delete("tab", id=ID),
    lambda c: c.execute(ID, action={"type": "go_to_url", "url": "https://example.com"}),
    lambda c: c.execute(ID, action={"type": "new_tab"}),
    lambda c: c.batch(ID, actions=[{"type": "click", "x": 5, "y": 5}, {"type": "list_tabs"}]),
    lambda c: c.change_proxy(ID, proxy_url="http://proxy.example:3128"),
    lambda c: c.batch(ID, actions=[{"type": "click", "x": 5, "y": 5},
                                   {"type": "change_proxy", "proxy_url": "http://proxy.example:3128"}]),
])
def test_browser_calls_without_a_browser_say_how_to_have_one(computers, call, recorder):
    with pytest.raises(ConflictError) as error:  # 409, which the SDK would retry but for x-should-retry
        call(computers)
    assert error.value.response.headers["x-should-retry"] == "false"
    assert error.value.body["status"] == "error" and "--cdp" in error.value.body["error_message"]
    assert '"kind": "browser"' in error.value.body["error_message"]
    recorder.sync()
    assert recorder.of_kind("button_press") == []  # a batch with a browser action runs nothing


@pytest.mark.parametrize("call", [
    lambda c: c.debug(ID, command="ls"),
    lambda c: c.execute(ID, action={"type": "debug", "debug": {"command": "ls"}}),
    lambda c: c.exec.sync(ID, command="ls"),
])
def test_shell_commands_say_exec_is_off_and_how_to_turn_it_on(computers, call):
    with pytest.raises(PermissionDeniedError) as error:
        call(computers)
    assert error.value.status_code == 403 and error.value.response.headers["x-should-retry"] == "false"
    assert "--allow-exec" in error.value.body["error_message"]
    assert "browser tab" not in error.value.body["error_message"]


def test_exec_answers_one_ndjson_error_line_as_its_contract_says(computers):
    [line] = list(computers.exec.create(ID, command="ls"))  # the SDK raises for any status but 2xx
    assert line.type == "error" and line.code == "exec_disabled"
    assert "--allow-exec" in line.message and "browser tab" not in line.message


def test_the_one_computer_and_the_session_wrapper(daemon, recorder):
    client = Lightcone(api_key="unused", base_url=daemon.url, max_retries=0)
    [listed] = client.computers.list()
    assert listed.kind == "desktop" and listed.status == "running"
    assert client.computers.retrieve_status(listed.id).status == "running"
    assert client.computers.keepalive(listed.id)["status"] == "running"
    with client.computer.create(kind="desktop") as computer:
        assert computer.retrieve().id == listed.id and computer.retrieve().created_at == listed.created_at
        computer.mouse_down(70, 80)  # left down when the session ends: terminating releases it
        computer.wait(0.01)
        assert computer.get_screenshot_url(computer.screenshot(base64=True)).startswith("data:image/png")
    recorder.wait_for(lambda evs: any(e.kind == "button_release" for e in evs))
    assert [(e.button, e.x, e.y) for e in recorder.of_kind("button_release")] == [(1, 70, 80)]


def test_northstar_actions_as_tzafons_example_loop_passes_them_to_batch(computers, recorder):
    """examples/_cua.py hands the model's actions to batch() as their model_dump(): Northstar's shapes."""
    model_actions = [
        ActionClick(type="click", button="wheel", x=100, y=110),
        ActionKeyDown(type="key_down", keys=["shift"]),
        ActionClick(type="click", button="left", x=120, y=130),
        ActionKeyUp(type="key_up", keys=["shift"]),
        ActionDrag(type="drag", path=[{"x": 200, "y": 200}, {"x": 260, "y": 220}, {"x": 300, "y": 240}]),
        ActionScroll(type="scroll", x=400, y=300, scroll_x=0, scroll_y=200),
        ActionWait(type="wait"),
        ActionPointAndType(type="point_and_type", x=50, y=60, text="hi"),
    ]
    dumps = [action.model_dump() for action in model_actions]
    dumps[6].update({"ms": None, "base64": None, "keys": None})  # nulls, as a dump of a wider type writes them
    reply = computers.batch(ID, actions=dumps)
    assert [one["status"] for one in reply["results"]] == ["success"] * len(dumps)
    events = recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 3)
    presses = [(e.button, e.x, e.y) for e in events if e.kind == "button_press"]
    assert presses == [(2, 100, 110), (1, 120, 130), (1, 200, 200), (5, 400, 300), (5, 400, 300), (1, 50, 60)]
    shifted = next(e for e in events if e.kind == "button_press" and e.button == 1)
    assert shifted.state & 1  # Shift was down during the click between key_down and key_up
    assert (260, 220) in [(x, y) for x, y, _ in recorder.motions()]
    assert [(e.x, e.y) for e in recorder.of_kind("button_release") if e.button == 1][1] == (300, 240)
    assert recorder.typed_text() == "hi"


def test_action_results_and_their_events_carry_the_same_request_id(computers, daemon):
    with SseReader.open(daemon.url + f"/computers/{ID}/events") as events:
        clicked = ok(computers.click(ID, x=10, y=10)).request_id
        assert ok(computers.execute(ID, action={"type": "click", "x": 20, "y": 20, "request_id": "my-req-1"})).request_id == "my-req-1"
        reply = computers.batch(ID, actions=[{"type": "click", "x": 30, "y": 30, "request_id": "mine-a"},
                                             {"type": "wait", "ms": 1}], extra_body={"request_id": "my-batch"})
        assert reply["request_id"] == "my-batch"
        assert [one["request_id"] for one in reply["results"]] == ["mine-a", "my-batch"]
        seen = events.wait_for(answered("my-batch", 1))
    for request_id, action_type in ((clicked, "click_mouse"), ("my-req-1", "click_mouse"), ("mine-a", "click_mouse"),
                                    ("my-batch", "sleep")):
        assert [(e.name, e.data["type"]) for e in of_request(request_id)(seen)] == [
            ("action_request", action_type), ("action_response", action_type)], request_id


def test_the_computer_its_times_its_list_filter_and_unknown_ids(computers, daemon):
    [listed] = computers.list()
    assert computers.list(type="live") == [listed] and computers.list(type="persistent") == []
    before = computers.retrieve(ID)
    assert before.expires_at == before.idle_expires_at == "9999-12-31T23:59:59Z"  # it never expires
    ok(computers.click(ID, x=5, y=5))
    after = computers.retrieve(ID)
    assert after.last_activity_at > before.last_activity_at >= before.created_at  # RFC 3339 UTC sorts as time
    computers.keepalive(ID)
    assert computers.retrieve(ID).last_activity_at > after.last_activity_at
    for call in (lambda: computers.retrieve("no-such-computer"), lambda: computers.click("no-such", x=5, y=5),
                 lambda: computers.keepalive("other")):
        with pytest.raises(NotFoundError) as error:
            call()
        assert error.value.body["status"] == "error" and "GET /computers lists" in error.value.body["error_message"]


def test_set_viewport_in_execute_and_batch_is_the_viewport_call(computers):
    """On Xvfb the screen cannot be resized: the same 409 as POST /viewport, after the actions before it ran."""
    with pytest.raises(ConflictError) as error:
        computers.execute(ID, action={"type": "set_viewport", "width": 800, "height": 600})
    assert "--xserver xvnc" in error.value.body["error_message"]
    assert error.value.response.headers["x-should-retry"] == "false"
    with pytest.raises(BadRequestError):
        computers.batch(ID, actions=[{"type": "set_viewport", "width": 800, "height": 600, "scale_factor": 2}])


def test_screenshot_after_answers_the_screen_with_the_action(computers, recorder):
    result = ok(computers.execute(ID, action={"type": "click", "x": 40, "y": 50, "screenshot_after": True,
                                              "base64": True})).result
    assert decoded(base64.b64decode(result["screenshot_url"].split(",", 1)[1])) == (1280, 800)
    assert presses_at(recorder, 1) == [(1, 40, 50)]
    reply = computers.batch(ID, actions=[{"type": "wait", "ms": 1, "screenshot_after": True}, {"type": "wait", "ms": 1}])
    assert httpx.get(reply["results"][0]["result"]["screenshot_url"]).headers["content-type"] == "image/png"
    assert "screenshot_url" not in reply["results"][1]["result"]


def test_the_dom_names_of_keys_without_a_keysym_name(computers, recorder):
    for name in ("ContextMenu", "NumLock", "NumLock", "AltGraph"):  # NumLock twice: it toggles
        ok(computers.hotkey(ID, keys=[name]))
    recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 4)
    assert recorder.presses() == [keysym(name) for name in ("Menu", "Num_Lock", "Num_Lock", "ISO_Level3_Shift")]


def test_public_url_is_the_base_of_the_urls_handed_out(xvfb):
    """Behind a proxy or tunnel, a hosted model fetches screenshot_url from where --public-url says."""
    base = "https://hands.example.test/desk"
    with start_daemon("--public-url", base + "/") as own:
        computers = Lightcone(api_key="unused", base_url=own.url, max_retries=0).computers
        url = ok(computers.screenshot(ID)).result["screenshot_url"]
        assert url.startswith(base + "/computers/local/screenshots/")
        assert httpx.get(own.url + url.removeprefix(base)).headers["content-type"] == "image/png"
        assert computers.retrieve(ID).endpoints["api"] == base + "/computers/local"
