"""Eyes and cursor: the daemon's screenshot shows the page where it is, and a hidden cursor still works."""

import base64
import io
import time

import numpy as np
from PIL import Image

from tests.conftest import action, batch

BOX_RGB = (18, 196, 122)  # #box in page.html


def png(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB"))


def test_screenshot_shows_the_page_box_in_its_colour_at_its_place(page, client, xvfb):
    box = page.rect("box")
    left, top = round(box["left"]), round(box["top"])
    right, bottom = left + round(box["width"]), top + round(box["height"])

    def box_seen() -> tuple:
        response = client.post("/computer/screenshot")
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        pixels = png(response.content)
        assert pixels.shape == (xvfb.height, xvfb.width, 3)
        ys, xs = np.nonzero(np.all(pixels == BOX_RGB, axis=2))
        return (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1, len(xs)) if len(xs) else None

    # Exactly the box's pixels have the box's colour: same place, same size. The freshly loaded page reaches
    # the X server a while after its own frames (long after them on a loaded machine): wait for it to be shown.
    expected = (left, top, right, bottom, (right - left) * (bottom - top))
    deadline = time.monotonic() + 10
    while (seen := box_seen()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen == expected

    # A region through a batch: the box's corner and what lies just outside it.
    region = {"x": left - 10, "y": top - 10, "width": 40, "height": 30}
    [result] = batch(client, action("screenshot", region=region))["results"]
    crop = png(base64.b64decode(result["data"]))
    assert crop.shape == (30, 40, 3)
    assert tuple(crop[10, 10]) == BOX_RGB and tuple(crop[29, 39]) == BOX_RGB
    assert tuple(crop[9, 10]) != BOX_RGB and tuple(crop[10, 9]) != BOX_RGB


def test_text_typed_into_the_page_is_on_the_screenshot(page, client):
    x, y = page.at("in1")
    batch(client, action("click_mouse", x=x, y=y))
    page.wait_for("document.activeElement.id === 'in1'")
    box = page.rect("in1")
    region = {"x": round(box["left"]) + 3, "y": round(box["top"]) + 3,
              "width": round(box["width"]) - 6, "height": round(box["height"]) - 6}
    before = png(client.post("/computer/screenshot", json={"region": region}).content)
    batch(client, action("type_text", text="Ωmega 日本 😀"))
    page.wait_for("document.getElementById('in1').value === 'Ωmega 日本 😀'")
    # The page's frames come before Chromium puts them on the X server (long before on a loaded machine):
    # settle_ms waits for the drawing that answers the typing.
    after = png(client.post("/computer/screenshot", json={"region": region, "settle_ms": 100}).content)
    dark = np.all(after < 100, axis=2)
    assert dark.sum() > 50, "no glyphs were drawn in the input"
    assert not np.array_equal(before, after)


def test_hidden_cursor_page_keeps_receiving_events(page, client):
    assert client.post("/computer/cursor", json={"hidden": True}).json() == {"ok": True}
    point = page.at("cell-7", 0.25, 0.75)
    batch(client, action("move_mouse", x=point[0], y=point[1], duration_ms=200),
          action("click_mouse", x=point[0], y=point[1]),
          action("scroll", x=point[0], y=point[1], delta_y=1))
    page.wait_for("window.__events.some(e => e.type === 'wheel')")
    [clicked] = page.events("click")
    assert clicked["target"] == "cell-7" and (clicked["sx"], clicked["sy"]) == point
    assert page.js("window.__moves.length") > 5
    assert page.settle("scrollY") > 0
    # Showing it again changes nothing for the page either.
    batch(client, action("set_cursor", hidden=False))
    page.clear()
    point = page.at("cell-3")  # the page has scrolled
    batch(client, action("click_mouse", x=point[0], y=point[1]))
    page.wait_for("window.__events.some(e => e.type === 'click')")
    assert page.events("click")[0]["target"] == "cell-3"
