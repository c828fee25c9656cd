"""Mouse buttons as a page sees them: where clicks land, double clicks, the other buttons, split down/up."""

import random

import pytest

from tests.conftest import action, batch

PARA = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike"


def click(client, point, **params):
    batch(client, action("click_mouse", x=point[0], y=point[1], **params))


def test_click_lands_on_the_element_at_x_y(page, client):
    rng = random.Random(4)
    for cell in rng.sample(range(12), 6):
        element = f"cell-{cell}"
        point = page.at(element, rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9))
        page.clear()
        click(client, point)
        page.wait_for("window.__events.some(e => e.type === 'click')")
        downs, ups, clicks = (page.events(kind) for kind in ("mousedown", "mouseup", "click"))
        assert len(downs) == len(ups) == len(clicks) == 1
        assert clicks[0]["target"] == element
        assert (clicks[0]["x"], clicks[0]["y"]) == page.to_client(*point)
        assert (clicks[0]["sx"], clicks[0]["sy"]) == point
        assert clicks[0]["button"] == 0 and clicks[0]["detail"] == 1


def test_double_click_is_a_dblclick_and_selects_a_word(page, client):
    start = PARA.index("charlie")
    click(client, page.char_at("para", start + 3), num_clicks=2)
    page.wait_for("window.__events.some(e => e.type === 'dblclick')")
    assert page.settle("getSelection().toString()").strip() == "charlie"
    assert [e["detail"] for e in page.events("click")] == [1, 2]
    assert [e["detail"] for e in page.events("dblclick")] == [2]


def test_right_click_opens_contextmenu(page, client):
    point = page.at("cell-5")
    click(client, point, button="right")
    page.wait_for("window.__events.some(e => e.type === 'contextmenu')")
    [menu] = page.events("contextmenu")
    assert menu["target"] == "cell-5" and menu["button"] == 2
    assert (menu["sx"], menu["sy"]) == point
    assert [e["button"] for e in page.events("mousedown", "mouseup")] == [2, 2]
    assert page.events("click") == []


def test_middle_click_is_an_auxclick_with_button_1(page, client):
    click(client, page.at("cell-2"), button="middle")
    page.wait_for("window.__events.some(e => e.type === 'auxclick')")
    events = [(e["type"], e["button"], e["target"]) for e in page.events("mousedown", "mouseup", "auxclick", "click")]
    assert events == [("mousedown", 1, "cell-2"), ("mouseup", 1, "cell-2"), ("auxclick", 1, "cell-2")]


def test_back_and_forward_buttons_navigate_history(page, client):
    click(client, page.at("link-a"))
    page.wait_for("location.hash === '#a'")
    click(client, page.at("link-b"))
    page.wait_for("window.__events.some(e => e.type === 'hashchange' && e.target === '#b')")
    page.clear()

    point = page.at("cell-6")
    click(client, point, button="back")
    page.wait_for("location.hash === '#a'")
    click(client, point, button="forward")
    page.wait_for("location.hash === '#b'")

    ups = [(e["button"], e["target"]) for e in page.events("mouseup")]
    assert ups == [(3, "cell-6"), (4, "cell-6")]
    assert [e["target"] for e in page.events("hashchange")] == ["#a", "#b"]


@pytest.mark.parametrize("button, dom_button", [("left", 0), ("right", 2)])
def test_down_then_up_as_separate_actions_make_one_click(page, client, button, dom_button):
    x, y = page.at("cell-9", 0.3, 0.6)
    batch(client,
          action("click_mouse", x=x, y=y, button=button, click_type="down"),
          action("sleep", duration_ms=50),
          action("click_mouse", x=x, y=y, button=button, click_type="up"))
    final = "click" if button == "left" else "auxclick"  # the last event (contextmenu comes with the press)
    page.wait_for(f"window.__events.some(e => e.type === {final!r})")
    events = [(e["type"], e["button"], e["target"]) for e in page.events("mousedown", "mouseup", "click", "auxclick")]
    expected = [("mousedown", dom_button, "cell-9"), ("mouseup", dom_button, "cell-9")]
    expected.append(("click", 0, "cell-9") if button == "left" else ("auxclick", 2, "cell-9"))
    assert events == expected
