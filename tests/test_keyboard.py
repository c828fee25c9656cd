"""Keyboard actions, checked against the keysyms a real X client received."""

import os

import pytest
from Xlib import XK

from tests.conftest import action, batch
from tests.daemons import start_daemon
from tests.xstate import keymap_rows, nothing_pressed
from tests.keysyms import keysym_name, keysym_to_text

TEXT = 'héllo wörld — ñ 日本語 😀 ∑ "quotes" <tags> \n tabs\t'


def names(recorder, kind):
    return [keysym_name(e.keysym) for e in recorder.of_kind(kind)]


@pytest.mark.parametrize("delay", [0, 3])
def test_type_text_unicode_arrives_exactly_and_keymap_is_restored(client, recorder, delay):
    before = keymap_rows()
    response = client.post("/computer/type", json={"text": TEXT, "delay": delay})
    assert response.status_code == 200, response.text
    recorder.wait_for(lambda events: len([e for e in events if e.kind == "key_release"]) >= len(TEXT))
    recorder.wait_idle()
    assert recorder.typed_text() == TEXT
    assert keymap_rows() == before


def test_long_text_with_many_missing_keysyms_is_exact(client, recorder):
    text = "".join(chr(0x0400 + i) for i in range(60)) + "".join(chr(0x4E00 + i) for i in range(40))
    before = keymap_rows()
    batch(client, action("type_text", text=text))
    recorder.wait_for(lambda events: len([e for e in events if e.kind == "key_release"]) >= len(text))
    recorder.wait_idle()
    assert recorder.typed_text() == text
    assert keymap_rows() == before


def test_combo_goes_down_in_order_and_up_in_reverse(client, recorder):
    batch(client, action("press_key", keys=["Ctrl+Shift+Tab"]))
    recorder.wait_for(lambda events: len([e for e in events if e.kind == "key_release"]) >= 3)
    # With Shift down, X clients read the Tab key as ISO_Left_Tab: that is the Tab keycode in column 1.
    assert names(recorder, "key_press") == ["Control_L", "Shift_L", "ISO_Left_Tab"]
    pressed = [e.keycode for e in recorder.of_kind("key_press")]
    assert [e.keycode for e in recorder.of_kind("key_release")] == pressed[::-1]


@pytest.mark.parametrize(
    "key, expected",
    [("Return", "Return"), ("F5", "F5"), ("KP_Enter", "KP_Enter"), ("XF86Back", "XF86_Back"), ("Cyrillic_ya", "Cyrillic_ya"),
     ("ctrl", "Control_L"), ("Esc", "Escape"), ("PgUp", "Prior"), ("A", "A"), ("-", "minus")],
)
def test_keysym_names_and_aliases(client, recorder, key, expected):
    batch(client, action("press_key", keys=[key]))
    recorder.wait_for(lambda events: any(e.kind == "key_release" and e.keysym not in (XK.XK_Shift_L,) for e in events))
    assert expected in names(recorder, "key_press")


def test_hold_keys_wrap_the_keys_and_are_released(client, recorder):
    batch(client, action("press_key", keys=["a", "b"], hold_keys=["shift", "ctrl"]))
    recorder.wait_for(lambda events: len([e for e in events if e.kind == "key_release"]) >= 4)
    assert names(recorder, "key_press") == ["Shift_L", "Control_L", "A", "B"]
    assert names(recorder, "key_release")[-2:] == ["Control_L", "Shift_L"]


def test_duration_holds_the_key(client, recorder):
    batch(client, action("press_key", keys=["x"], duration=300))
    events = recorder.wait_for(lambda events: any(e.kind == "key_release" for e in events))
    press = next(e for e in events if e.kind == "key_press")
    release = next(e for e in events if e.kind == "key_release")
    assert release.server_ms - press.server_ms >= 290


def test_hold_keys_released_after_an_error(xvfb, recorder):
    """A request that times out while keys are held still releases them (real error path, not validation)."""
    before = keymap_rows()
    daemon = start_daemon("--batch-timeout", "0.3")
    try:
        import httpx

        response = httpx.post(
            f"{daemon.url}/computer/batch",
            json={"actions": [action("press_key", keys=["Cyrillic_ya"], hold_keys=["shift"], duration=2000)]},
            timeout=10,
        )
        assert response.status_code == 500
        assert response.json()["details"][0]["target"] == "actions[0]"
        recorder.wait_for(lambda events: len([e for e in events if e.kind == "key_release"]) >= 2)
        pressed = [e.keycode for e in recorder.snapshot() if e.kind == "key_press"]
        released = [e.keycode for e in recorder.snapshot() if e.kind == "key_release"]
        assert sorted(pressed) == sorted(released)
        assert nothing_pressed()
        assert keymap_rows() == before, "the spare keycode lent to Cyrillic_ya is still bound"
    finally:
        daemon.stop()


def test_smooth_typing_with_typos_ends_with_exactly_the_text(client, recorder):
    text = "Hello there. Typing like a person, with a slip or two."
    batch(client, action("type_text", text=text, smooth=True, typo_chance=0.1))
    typed: list[str] = []
    for event in recorder.wait_idle(quiet=0.5):
        if event.kind == "key_press" and keysym_name(event.keysym) == "BackSpace":
            typed.pop()
        elif event.kind == "key_press" and keysym_to_text(event.keysym):
            typed.append(keysym_to_text(event.keysym))
    assert "".join(typed) == text
    presses = recorder.of_kind("key_press")
    assert presses[-1].server_ms - presses[0].server_ms > 40 * len(text) * 0.5, "smooth typing is not instant"


def test_releasing_keys_an_action_never_got_to_press_is_harmless(xvfb):
    """An action cut short while binding a spare keycode releases what it holds and nothing else."""
    from xhands.input import Desktop, parse_combo

    desktop = Desktop(os.environ["DISPLAY"])
    try:
        keyboard = desktop.keyboard
        shift, ya = parse_combo("Shift+Cyrillic_ya")  # Cyrillic_ya is not in the keymap, so not typeable yet
        keyboard.keysym_down(shift)
        desktop.flush()
        keyboard.let_go([shift, ya])
        desktop.flush()
        assert not keyboard.presses and nothing_pressed()
    finally:
        desktop.close()
