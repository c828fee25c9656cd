"""Wheel notches as a page sees them: direction, a steady amount per notch, sideways, and the scroller under x,y."""

from tests.conftest import action, batch

POSITIONS = ("[scrollX, scrollY]"
             ".concat(['scroll-a', 'scroll-b'].flatMap(id => [document.getElementById(id).scrollLeft,"
             " document.getElementById(id).scrollTop]))")


def scroll(page, client, point, delta_x=0, delta_y=0) -> dict:
    """Scroll at a screen point and wait for the (animated) scroll to come to rest; returns what moved."""
    before = page.js(POSITIONS)
    page.clear()
    batch(client, action("scroll", x=point[0], y=point[1], delta_x=delta_x, delta_y=delta_y))
    after = page.settle(POSITIONS, quiet=0.35)
    names = ("page.x", "page.y", "a.x", "a.y", "b.x", "b.y")
    moved = {name: end - start for name, start, end in zip(names, before, after) if end != start}
    wheels = page.events("wheel")
    moved["wheel"] = (sum(e["dx"] for e in wheels), sum(e["dy"] for e in wheels))
    moved["wheel_targets"] = {e["target"] for e in wheels}
    return moved


def empty_spot(page):
    """A screen point over the page itself, clear of every element."""
    x, y = page.at("grid", 0.5, 1.0)
    return x, y + 120


def test_vertical_notches_move_the_page_in_their_direction_by_a_steady_amount(page, client):
    spot = empty_spot(page)
    one = scroll(page, client, spot, delta_y=1)
    notch = one.get("page.y", 0)
    assert notch > 0, f"one notch down did not scroll the page down: {one}"
    assert one == {"page.y": notch, "wheel": (0, notch), "wheel_targets": {"BODY"}}

    for delta in (3, -2, 4, -5):
        moved = scroll(page, client, spot, delta_y=delta)
        assert moved == {"page.y": delta * notch, "wheel": (0, delta * notch), "wheel_targets": {"BODY"}}, delta
    assert page.js("scrollY") == notch * (1 + 3 - 2 + 4 - 5)


def test_horizontal_notches_scroll_sideways(page, client):
    spot = page.at("scroll-a", 0.5, 0.4)
    right = scroll(page, client, spot, delta_x=2)
    notch = right.get("a.x", 0) / 2
    assert notch > 0, f"two notches right did not scroll right: {right}"
    assert right == {"a.x": 2 * notch, "wheel": (2 * notch, 0), "wheel_targets": {"DIV"}}
    left = scroll(page, client, spot, delta_x=-1)
    assert left == {"a.x": -notch, "wheel": (-notch, 0), "wheel_targets": {"DIV"}}
    # The same distance per notch as vertically.
    down = scroll(page, client, spot, delta_y=1)
    assert down == {"a.y": notch, "wheel": (0, notch), "wheel_targets": {"DIV"}}


def test_scroll_lands_on_the_scroller_under_the_pointer(page, client):
    a, b = page.at("scroll-a"), page.at("scroll-b")
    moved = scroll(page, client, b, delta_y=2)
    assert set(moved) == {"b.y", "wheel", "wheel_targets"} and moved["b.y"] > 0
    moved = scroll(page, client, a, delta_y=3, delta_x=1)
    assert set(moved) == {"a.x", "a.y", "wheel", "wheel_targets"} and moved["a.y"] > 0 and moved["a.x"] > 0
    moved = scroll(page, client, empty_spot(page), delta_y=1)
    assert set(moved) == {"page.y", "wheel", "wheel_targets"} and moved["page.y"] > 0
