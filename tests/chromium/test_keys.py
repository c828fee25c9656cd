"""Keys as a page sees them: shortcuts, the clipboard both ways, focus order, held modifiers, named keys."""

import time

from tests.conftest import action, batch

PARA = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike"


def click(client, point, **params):
    batch(client, action("click_mouse", x=point[0], y=point[1], **params))


def focus(page, client, element_id):
    click(client, page.at(element_id))
    page.wait_for(f"document.activeElement.id === {element_id!r}")


def read_clipboard_until(client, expected, timeout=5.0):
    """The daemon's clipboard text, once it is what the page copied (Chromium takes the selection asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        text = batch(client, {"type": "read_clipboard"})["results"][0]["text"]
        if text == expected or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_ctrl_a_selects_all(page, client):
    focus(page, client, "in1")
    batch(client, action("type_text", text="select every word"))
    page.wait_for("document.getElementById('in1').value === 'select every word'")
    batch(client, action("press_key", keys=["Ctrl+a"]))
    page.wait_for("document.getElementById('in1').selectionStart === 0 && "
                  "document.getElementById('in1').selectionEnd === 'select every word'.length")
    # Ctrl+a is a shortcut, not text: nothing was typed.
    assert page.js("document.getElementById('in1').value") == "select every word"
    keys = [(e["key"], e["ctrl"]) for e in page.events("keydown")][-2:]
    assert keys == [("Control", True), ("a", True)]


def test_copy_from_the_page_reaches_the_daemons_clipboard(page, client):
    text = "copied — Ünïcödé 日本語 😀 ok"
    focus(page, client, "ta")
    batch(client, action("type_text", text=text))
    page.wait_for(f"document.getElementById('ta').value === {text!r}")
    batch(client, action("press_key", keys=["Ctrl+a"]), action("press_key", keys=["Ctrl+c"]))
    page.wait_for("window.__events.some(e => e.type === 'copy')")
    assert read_clipboard_until(client, text) == text


def test_daemons_clipboard_pastes_into_the_page(page, client):
    text = "pasted ✓ Ελληνικά\nsecond line\twith tab 🚀"
    batch(client, action("write_clipboard", text=text))
    focus(page, client, "ta")
    batch(client, action("press_key", keys=["Ctrl+v"]))
    page.wait_for("window.__events.some(e => e.type === 'paste')")
    assert page.settle("document.getElementById('ta').value") == text


def test_shift_tab_moves_focus_backwards(page, client):
    focus(page, client, "in3")
    batch(client, action("press_key", keys=["Shift+Tab"]))
    page.wait_for("document.activeElement.id === 'in2'")
    batch(client, action("press_key", keys=["Shift+Tab"]))
    page.wait_for("document.activeElement.id === 'in1'")
    batch(client, action("press_key", keys=["Tab"]))
    page.wait_for("document.activeElement.id === 'in2'")
    tabs = [(e["key"], e["shift"], e["target"]) for e in page.events("keydown") if e["key"] == "Tab"]
    assert tabs == [("Tab", True, "in3"), ("Tab", True, "in2"), ("Tab", False, "in1")]


def test_shift_held_through_a_click_extends_the_selection(page, client):
    start, end = PARA.index("bravo"), PARA.index("delta") + len("delta")
    # A click just left of a character's middle puts the caret before it.
    click(client, page.char_at("para", start, 0.25))
    page.wait_for("getSelection().isCollapsed && getSelection().anchorOffset === %d" % start)
    click(client, page.char_at("para", end, 0.25), hold_keys=["Shift"])
    page.wait_for("!getSelection().isCollapsed")
    assert page.settle("getSelection().toString()") == PARA[start:end] == "bravo charlie delta"
    clicks = page.events("click")
    assert [c["shift"] for c in clicks] == [False, True]
    # Shift was held around the click only.
    assert [(e["type"], e["key"]) for e in page.events("keydown", "keyup")] == [("keydown", "Shift"), ("keyup", "Shift")]


def test_function_keys_and_return_arrive_as_keyboard_event_keys(page, client):
    focus(page, client, "in1")
    names = [f"F{n}" for n in range(1, 13)]
    batch(client, action("press_key", keys=[*names, "Return", "KP_Enter", "Escape", "BackSpace"]))
    page.wait_for("window.__events.filter(e => e.type === 'keyup').length >= 16")
    downs = [e["key"] for e in page.events("keydown")]
    assert downs == [*names, "Enter", "Enter", "Escape", "Backspace"]
    assert [e["key"] for e in page.events("keyup")] == downs
    assert page.js("document.hasFocus() && document.activeElement.id") == "in1"


def test_keys_missing_from_the_keymap_arrive_and_the_keymap_is_restored(page, client):
    from tests.xstate import keymap_rows

    before = keymap_rows()
    focus(page, client, "in1")
    # Each press_key rebinds a spare keycode for é, я and 日 and gives it back at the end; ten times
    # over, a late reader would see a keycode already given back.
    for _ in range(10):
        page.js("document.getElementById('in1').value = ''")
        batch(client, action("press_key", keys=["eacute", "Cyrillic_ya", "日", "a"]))
        assert page.settle("document.getElementById('in1').value", quiet=0.15) == "éя日a"
    assert keymap_rows() == before
