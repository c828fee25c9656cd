"""The corners of the action semantics, checked against what a real X client received."""


from Xlib import X, XK

from tests.conftest import action, batch
from tests.daemons import DaemonOnOwnDisplay
from tests.keysyms import keysym_name


def key_events(recorder, count: int):
    recorder.wait_for(lambda evs: len([e for e in evs if e.kind == "key_release"]) >= count)
    recorder.wait_idle(quiet=0.2)
    return [(e.kind, keysym_name(e.keysym)) for e in recorder.snapshot() if e.kind.startswith("key")]


def test_null_action_object_is_a_400_naming_it_and_nothing_runs(client, recorder):
    for nulled in ({"type": "click_mouse", "click_mouse": None}, {"type": "screenshot", "screenshot": None}):
        response = client.post("/computer/batch", json={"actions": [action("click_mouse", x=5, y=5), nulled]})
        assert response.status_code == 400, response.text
        assert response.json()["details"][0]["target"] == f"actions[1].{nulled['type']}"
    recorder.wait_idle(quiet=0.3)
    assert recorder.buttons() == []


def test_openapi_does_not_offer_null_action_objects(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ComputerAction"]["properties"]
    for name, field in schema.items():
        if name != "type":
            assert "anyOf" not in field and "default" not in field, (name, field)


def test_press_key_with_duration_presses_all_together_and_releases_in_reverse(client, recorder):
    batch(client, action("press_key", keys=["a", "ctrl+b"], duration=300))
    events = recorder.wait_for(lambda evs: len([e for e in evs if e.kind == "key_release"]) >= 3)
    keys = [(e.kind, keysym_name(e.keysym)) for e in events if e.kind.startswith("key")]
    assert keys == [("key_press", "a"), ("key_press", "Control_L"), ("key_press", "b"),
                    ("key_release", "b"), ("key_release", "Control_L"), ("key_release", "a")]
    presses = [e for e in events if e.kind == "key_press"]
    releases = [e for e in events if e.kind == "key_release"]
    # Held for the duration, by the X server's clock (a loaded machine may wake the daemon late, not 200 ms late).
    assert 290 <= releases[0].server_ms - presses[-1].server_ms < 500


def test_without_duration_keys_are_tapped_one_after_another(client, recorder):
    batch(client, action("press_key", keys=["a", "b"]))
    assert key_events(recorder, 2) == [("key_press", "a"), ("key_release", "a"), ("key_press", "b"), ("key_release", "b")]


def test_hold_keys_stay_held_through_combos_that_name_them(client, recorder):
    batch(client, action("press_key", keys=["ctrl+a", "c"], hold_keys=["ctrl"]))
    assert key_events(recorder, 3) == [
        ("key_press", "Control_L"), ("key_press", "a"), ("key_release", "a"),
        ("key_press", "c"), ("key_release", "c"), ("key_release", "Control_L"),
    ]
    c_press = next(e for e in recorder.of_kind("key_press") if e.keysym == XK.XK_c)
    assert c_press.state & X.ControlMask, "c arrived without Control"


def test_crlf_is_one_line_break_and_a_lone_cr_one_return(client, recorder):
    batch(client, action("type_text", text="a\r\nb\rc\n"))
    recorder.wait_for(lambda evs: len([e for e in evs if e.kind == "key_release"]) >= 6)
    recorder.wait_idle(quiet=0.2)
    assert [keysym_name(k) for k in recorder.presses()] == ["a", "Return", "b", "Return", "c", "Return"]


def test_numeric_and_unicode_key_names(client, recorder):
    batch(client, action("press_key", keys=["U00E9", "U+00E9", "0x61", "U+20AC"]))
    recorder.wait_for(lambda evs: len([e for e in evs if e.kind == "key_release"]) >= 4)
    assert [keysym_name(k) for k in recorder.presses()] == ["eacute", "eacute", "a", "U20AC"]


def test_unknown_key_suggests_the_closest_names(client):
    response = client.post("/computer/press_key", json={"keys": ["ctrl+Retrun"]})
    assert response.status_code == 400
    assert "did you mean Return" in response.json()["message"]


def test_down_and_up_ignore_num_clicks(client, recorder):
    batch(client, action("click_mouse", x=30, y=30, click_type="down", num_clicks=3))
    batch(client, action("click_mouse", x=30, y=30, click_type="up", num_clicks=3))
    batch(client, action("click_mouse", x=30, y=30, click_type="up"))  # nothing is down: no release reaches clients
    recorder.wait_idle(quiet=0.3)
    assert recorder.buttons("button_press") == [1]
    assert recorder.buttons("button_release") == [1]


def test_first_screenshot_after_the_display_came_back_succeeds(xvfb):
    with DaemonOnOwnDisplay() as own:
        assert own.client.post("/computer/screenshot").status_code == 200  # capture has its connection
        own.xvfb.stop()
        own.restart_display()
        response = own.client.post("/computer/screenshot")
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG"), response.text
