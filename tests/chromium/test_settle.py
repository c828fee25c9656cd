"""A screenshot with settle_ms shows what the input before it drew: Chromium draws typed characters a while
after reading the keys, and a screenshot taken right after the type request's 200 often shows an empty field.
On a loaded machine (the suite's own load, or more) it still must: the quiet time counts only while Chromium's
processes could run."""

import statistics
import time

import numpy as np

from tests.chromium.test_screen import png

TEXT = "The quick brown fox jumps over the lazy dog, then 0123456789 and !?;: again xyz"[:78]
RUNS = 20


def field_picture(client, region: dict, **params) -> tuple[np.ndarray, float]:
    """The field's pixels, and how long the screenshot request took."""
    start = time.monotonic()
    response = client.post("/computer/screenshot", json={"region": region, **params})
    took = time.monotonic() - start
    assert response.status_code == 200, response.text
    return png(response.content), took


def typed_then_shot(page, client, region: dict, **params) -> tuple[np.ndarray, float]:
    """Empty the field, type TEXT, and screenshot it at once (as an agent would) with params."""
    page.js("document.getElementById('ta').value = ''; true")
    time.sleep(0.3)  # the emptied field is on screen (a frame Chromium draws after the page's rAFs), the screen at rest
    assert client.post("/computer/type", json={"text": TEXT}).status_code == 200
    return field_picture(client, region, **params)


def drawn_in_the_end(page, client, region: dict) -> np.ndarray:
    """The field once Chromium has certainly drawn the whole text: the reference picture."""
    page.wait_for(f"document.getElementById('ta').value.length === {len(TEXT)}")
    page.js("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))")
    time.sleep(0.3)
    return field_picture(client, region)[0]


def test_screenshot_with_settle_shows_all_the_typed_text(page, client):
    x, y = page.at("ta")
    assert client.post("/computer/click_mouse", json={"x": x, "y": y}).status_code == 200
    page.wait_for("document.activeElement.id === 'ta'")
    page.js("document.getElementById('ta').style.caretColor = 'transparent'; true")  # no blinking in the pictures
    box = page.rect("ta")
    region = {"x": round(box["left"]), "y": round(box["top"]), "width": round(box["width"]), "height": round(box["height"])}

    shown, settled, plain, plain_shown, missed = 0, [], [], 0, []
    for _ in range(RUNS):
        picture, took = typed_then_shot(page, client, region, settle_ms=100)
        settled.append(took)
        if np.array_equal(picture, drawn_in_the_end(page, client, region)):
            shown += 1
        else:
            missed.append(f"{took * 1000:.0f} ms")
        picture, took = typed_then_shot(page, client, region)
        plain.append(took)
        plain_shown += np.array_equal(picture, drawn_in_the_end(page, client, region))
    cost_ms = 1000 * (statistics.median(settled) - statistics.median(plain))
    print(f"all {len(TEXT)} characters shown: {shown}/{RUNS} with settle_ms 100, {plain_shown}/{RUNS} without; "
          f"median screenshot {1000 * statistics.median(settled):.0f} ms vs {1000 * statistics.median(plain):.0f} ms "
          f"plain (settle costs {cost_ms:.0f} ms); the screenshots that missed some took {', '.join(missed) or '-'}")
    assert shown == RUNS
