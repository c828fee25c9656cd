"""drag_mouse as a page sees it: a pointer-events drag follows the path, and HTML5 drag and drop drops."""

import pytest

from tests.conftest import action, batch


def centre(page, element_id):
    box = page.rect(element_id)
    return box["left"] + box["width"] / 2, box["top"] + box["height"] / 2


@pytest.mark.parametrize("smooth", [True, False], ids=["smooth", "straight"])
def test_drag_moves_a_pointer_events_element_along_the_path_to_the_target(page, client, smooth):
    start = page.at("drag")
    goal = page.at("drag-goal")
    via = (start[0] + 40, goal[1] + 150)  # a detour: the path, not just its end, is followed
    params = {"path": [list(start), list(via), list(goal)], "smooth": smooth}
    if not smooth:
        params.update(steps_per_segment=12, step_delay_ms=10)
    batch(client, action("drag_mouse", **params))
    page.wait_for("window.__events.some(e => e.type === 'pointerup')")

    assert centre(page, "drag") == centre(page, "drag-goal")
    downs, ups = page.events("pointerdown"), page.events("pointerup")
    assert [(e["target"], e["sx"], e["sy"]) for e in downs] == [("drag", *start)]
    assert [(e["target"], e["sx"], e["sy"]) for e in ups] == [("drag", *goal)]
    # The element travelled through the detour, below both ends, on the way.
    samples = page.js("window.__moves")
    lowest = max(y for _, _, y in samples)
    assert lowest >= page.to_client(*via)[1] - 2, "the drag cut the corner instead of following the path"
    assert len(samples) >= 10


def test_html5_drag_and_drop_target_receives_drop(page, client):
    start = page.at("dnd-src")
    goal = page.at("dnd-target")
    batch(client, action("drag_mouse", path=[list(start), [start[0] + 20, start[1] + 5], list(goal)],
                         duration_ms=600))
    page.wait_for("window.__events.some(e => e.type === 'dragend')")
    assert page.js("window.__dropped") == "xhands-dnd"
    kinds = [e["type"] for e in page.events("dragstart", "drop", "dragend")]
    assert kinds == ["dragstart", "drop", "dragend"]
    [drop] = page.events("drop")
    assert drop["target"] == "dnd-target"
    assert (drop["sx"], drop["sy"]) == goal
