"""The computer-use models' actions as a page sees them: Anthropic's triple_click selects a paragraph, key combos
of both reach the page as combos, and their drags and scrolls move what they should."""

import json

import pytest

ANTHROPIC, OPENAI = "/agents/anthropic/computer", "/agents/openai/computer"


def anthropic(client, **tool_input) -> None:
    answer = client.post(ANTHROPIC, json=tool_input).json()
    assert answer["is_error"] is False, answer


def openai(client, *actions) -> None:
    response = client.post(OPENAI, json={"type": "computer_call", "call_id": "call_1", "actions": list(actions)})
    assert response.status_code == 200, response.text


def centre(page, element_id):
    box = page.rect(element_id)
    return box["left"] + box["width"] / 2, box["top"] + box["height"] / 2


def test_triple_click_selects_the_paragraph(page, client):
    paragraph = page.js("document.getElementById('para').textContent").strip()
    anthropic(client, action="triple_click", coordinate=list(page.char_at("para", 8)))
    # Until Chromium has handled the third click: after the second, a word is selected already.
    page.wait_for(f"window.getSelection().toString().trim() === {json.dumps(paragraph)}")


@pytest.mark.parametrize("dialect", ["anthropic", "openai"])
def test_select_all_then_type_replaces_a_fields_text(page, client, dialect):
    x, y = page.at("in1")
    if dialect == "anthropic":
        anthropic(client, action="left_click", coordinate=[x, y])
        anthropic(client, action="type", text="old text")
        anthropic(client, action="key", text="ctrl+a")
        anthropic(client, action="type", text="new")
    else:
        openai(client, {"type": "click", "button": "left", "x": x, "y": y}, {"type": "type", "text": "old text"},
               {"type": "keypress", "keys": ["CTRL", "A"]}, {"type": "type", "text": "new"})
    page.wait_for("document.getElementById('in1').value === 'new'")
    combo = [e for e in page.events("keydown") if e["key"] == "a" and e.get("ctrl")]
    assert combo, "ctrl+a reached the page as a combo"


@pytest.mark.parametrize("dialect", ["anthropic", "openai"])
def test_drag_moves_the_element_to_the_target(page, client, dialect):
    start, goal = page.at("drag"), page.at("drag-goal")
    if dialect == "anthropic":
        anthropic(client, action="left_click_drag", start_coordinate=list(start), coordinate=list(goal))
    else:
        openai(client, {"type": "drag", "path": [{"x": start[0], "y": start[1]}, {"x": goal[0], "y": goal[1]}]})
    page.wait_for("window.__events.some(e => e.type === 'pointerup')")
    assert centre(page, "drag") == centre(page, "drag-goal")


def test_scrolls_of_both_turn_the_wheel_by_what_they_say(page, client):
    x, y = page.at("grid", 0.5, 1.0)
    spot = (x, y + 120)  # over the page itself, clear of every element
    anthropic(client, action="scroll", coordinate=list(spot), scroll_direction="down", scroll_amount=1)
    notch = page.settle("scrollY", quiet=0.35)
    assert notch > 0
    anthropic(client, action="scroll", coordinate=list(spot), scroll_direction="down", scroll_amount=2)
    assert page.settle("scrollY", quiet=0.35) == 3 * notch
    openai(client, {"type": "scroll", "x": spot[0], "y": spot[1], "scroll_x": 0, "scroll_y": -200})  # two notches
    assert page.settle("scrollY", quiet=0.35) == notch
