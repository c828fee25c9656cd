"""The live view page, GET /view, in a headless Chromium driven over DevTools.

A daemon on an Xvfb of its own streams its screen to the page; an X client on that display paints it and
records where the page's "take control" put the clicks and which keys it pressed. The page is smaller than
the screen, so every point goes through the scaling.
"""

import base64
import contextlib
import io
import re
import time

from PIL import Image

from tests.chromium.browser import Chromium
from tests.chromium.conftest import Page
from tests.daemons import DaemonOnOwnDisplay
from tests.keysyms import keysym_name
from tests.recorder import Recorder

SCREEN = (1280, 960)
WINDOW = (900, 700)  # the picture fits in it scaled down, to about half the screen
TOKEN = "view-test-6f1c0b2e"

# Before the page's own script: the time of each picture shown, in ms since the page began to load.
FRAME_TIMES = """
window.__frames = [];
document.addEventListener("load", event => {  // not on window: an element's load never reaches it
  if (event.target.id === "frame") __frames.push(performance.now());
}, true);
"""

# The colour of the picture's middle pixel, [r, g, b], read back through a canvas.
MIDDLE_PIXEL = """(() => {
  const frame = document.getElementById("frame");
  const canvas = new OffscreenCanvas(frame.naturalWidth, frame.naturalHeight);
  const context = canvas.getContext("2d");
  context.drawImage(frame, 0, 0);
  return [...context.getImageData(frame.naturalWidth >> 1, frame.naturalHeight >> 1, 1, 1).data.slice(0, 3)];
})()"""

# Resolves with the wall-clock time (epoch ms) at which the page first shows a picture whose middle is `rgb`.
COLOUR_SHOWN = """new Promise(done => {
  const near = pixel => pixel.every((value, i) => Math.abs(value - %s[i]) <= 24);  // JPEG is not exact
  const look = () => near(%s) && done(performance.timeOrigin + performance.now());
  document.getElementById("frame").addEventListener("load", look);
  look();
})"""


@contextlib.contextmanager
def view_page(executable: str, daemon_args: tuple[str, ...] = ()):
    """A daemon on its own display, and its /view page open in a headless Chromium that records every request."""
    with DaemonOnOwnDisplay(f"{SCREEN[0]}x{SCREEN[1]}x24", *daemon_args) as own:
        url = f"{own.daemon.url}/view"
        # Headless, it draws on no display: the daemon's display shows only what the test puts there.
        browser = Chromium(executable, url, "", 0, 0, *WINDOW, extra_args=("--headless=new",))
        try:
            for domain in ("Network", "Page"):  # Page: for the script added to new documents
                browser.cdp.call(f"{domain}.enable")
            browser.cdp.call("Page.addScriptToEvaluateOnNewDocument", source=FRAME_TIMES)
            page = Page(browser, url)
            browser.cdp.call("Page.navigate", url=url)  # again, now that the frames are timed
            page.wait_for("window.__frames && document.readyState === 'complete'")
            yield own, page
        finally:
            browser.stop()


def mouse(page: Page, kind: str, x: float, y: float, button: str = "left") -> None:
    page.cdp.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button=button, clickCount=1)


def click(page: Page, x: float, y: float, button: str = "left") -> None:
    mouse(page, "mouseMoved", x, y, "none")
    mouse(page, "mousePressed", x, y, button)
    mouse(page, "mouseReleased", x, y, button)


def key(page: Page, key: str, code: str, key_code: int, text: str = "", modifiers: int = 0) -> None:
    """One key tapped, as Chromium gets it from the keyboard (modifiers: 2 Ctrl, 8 Shift)."""
    for kind in ("keyDown", "keyUp"):
        page.cdp.call("Input.dispatchKeyEvent", type=kind, key=key, code=code, windowsVirtualKeyCode=key_code,
                      text=text if kind == "keyDown" else "", modifiers=modifiers)


def take_control(page: Page) -> None:
    box = page.js("document.getElementById('control').getBoundingClientRect().toJSON()")
    click(page, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.js("document.getElementById('control').checked")


def frame_box(page: Page) -> dict:
    return page.js("document.getElementById('frame').getBoundingClientRect().toJSON()")


def check_clicks_land(page: Page, recorder: Recorder) -> None:
    """Clicks at points of the picture land on the screen pixels under them, within a pixel of the picture."""
    box = frame_box(page)
    scale = SCREEN[0] / box["width"]
    assert scale > 1.3, box  # the picture is scaled down, else this checks no mapping
    for button, number, fx, fy in (("left", 1, 0.3, 0.7), ("right", 3, 0.85, 0.1), ("left", 1, 0.01, 0.99)):
        recorder.clear()
        # A mouse event's place is a whole CSS pixel: the screen point is the one under that pixel.
        x, y = round(box["x"] + fx * box["width"]), round(box["y"] + fy * box["height"])
        click(page, x, y, button)
        expected = ((x - box["x"]) * scale, (y - box["y"]) * scale)
        events = recorder.wait_for(lambda events: any(e.kind == "button_release" for e in events),
                                   what=f"the {button} click at {fx}, {fy} of the picture")
        press, release = (next(e for e in events if e.kind == kind) for kind in ("button_press", "button_release"))
        assert press.button == release.button == number
        for event in press, release:
            assert abs(event.x - expected[0]) <= scale and abs(event.y - expected[1]) <= scale, (event, expected)
        # The pointer the page draws over the picture has come there too (its hotspot is in its box).
        page.wait_for(f"(box => box.left <= {x} + 1 && {x} - 1 <= box.right && box.top <= {y} + 1 && "
                      f"{y} - 1 <= box.bottom)(document.getElementById('pointer').getBoundingClientRect())",
                      timeout=2)


def check_drag_and_wheel(page: Page, recorder: Recorder) -> None:
    box = frame_box(page)
    scale = SCREEN[0] / box["width"]

    def screen_point(fx, fy):
        x, y = round(box["x"] + fx * box["width"]), round(box["y"] + fy * box["height"])
        return (x, y), ((x - box["x"]) * scale, (y - box["y"]) * scale)

    def near(event, expected):
        return abs(event.x - expected[0]) <= scale and abs(event.y - expected[1]) <= scale

    recorder.clear()
    (start, start_screen), (end, end_screen) = screen_point(0.2, 0.2), screen_point(0.6, 0.5)
    mouse(page, "mousePressed", *start)
    for fx, fy in ((0.3, 0.3), (0.5, 0.4)):
        page.cdp.call("Input.dispatchMouseEvent", type="mouseMoved", x=box["x"] + fx * box["width"],
                      y=box["y"] + fy * box["height"], button="left", buttons=1)
    mouse(page, "mouseReleased", *end)
    events = recorder.wait_for(lambda events: any(e.kind == "button_release" for e in events), what="the drag")
    press, release = (next(e for e in events if e.kind == kind) for kind in ("button_press", "button_release"))
    assert near(press, start_screen) and near(release, end_screen), recorder.dump()
    assert [e for e in events if e.kind == "motion" and e.state & 0x100], "no move with the button down"

    recorder.clear()
    (x, y), wheel_screen = screen_point(0.4, 0.6)
    page.cdp.call("Input.dispatchMouseEvent", type="mouseWheel", x=x, y=y, deltaX=0, deltaY=200)  # two notches down
    events = recorder.wait_for(lambda events: recorder.buttons("button_release").count(5) == 2, what="the wheel")
    assert all(near(e, wheel_screen) for e in events if e.kind == "button_press"), recorder.dump()


def test_the_page_shows_the_screen_follows_it_and_controls_it(executable):
    with view_page(executable) as (own, page):
        # How soon is benchmarks/streams.py's to measure (an X drawing to the frame that shows it): on a loaded
        # machine it takes longer, and this test only waits, boundedly, for the picture and the change.
        first = page.wait_for("window.__frames[0]", timeout=5)
        assert page.js("document.getElementById('login').hidden")

        painted = time.time()
        with Recorder(display_name=own.display, colour=0x2E8B57) as recorder:
            shown_ms = page.js(COLOUR_SHOWN % ("[46, 139, 87]", MIDDLE_PIXEL), timeout=5)
            print(f"the first picture came {first:.0f} ms after the page began to load, "
                  f"a new colour {shown_ms / 1000 - painted:.3f} s after it was painted")

            take_control(page)
            check_clicks_land(page, recorder)
            check_drag_and_wheel(page, recorder)

            recorder.clear()
            key(page, "H", "KeyH", 72, "H", modifiers=8)
            key(page, "i", "KeyI", 73, "i")
            key(page, "Enter", "Enter", 13, "\r")
            key(page, "ArrowLeft", "ArrowLeft", 37, modifiers=8)
            key(page, "a", "KeyA", 65, modifiers=2)
            recorder.wait_for(lambda events: sum(e.kind == "key_release" for e in events) >= 8, what="the keys")
            pressed = [keysym_name(keysym) for keysym in recorder.presses()]
            assert pressed == ["Shift_L", "H", "i", "Return", "Shift_L", "Left", "Control_L", "a"], pressed

        log = page.wait_for("document.getElementById('log').textContent.includes('press key ctrl+a: ok') && "
                            "document.getElementById('log').textContent")
        # The page sends what waits in one batch: H and i are one action or two, as it happened.
        assert re.search(r"type text [12] characters?: ok", log) and "click mouse down right at" in log, log


def test_with_a_token_the_page_asks_for_it_once_and_never_puts_it_in_a_url(executable):
    with view_page(executable, ("--token", TOKEN)) as (own, page):
        page.wait_for("!document.getElementById('login').hidden")
        assert page.js("window.__frames.length") == 0

        for given in ("not-the-token", TOKEN):
            page.js("document.getElementById('token').select()")
            page.cdp.call("Input.insertText", text=given)
            key(page, "Enter", "Enter", 13, "\r")
            if given != TOKEN:
                page.wait_for("document.getElementById('login-message').textContent === 'That token was refused.'")
        page.wait_for("window.__frames.length > 0")
        with Recorder(display_name=own.display) as recorder:
            take_control(page)
            check_clicks_land(page, recorder)

        page.cdp.call("Page.reload")  # the token is kept for the tab: not asked again
        page.wait_for("window.__frames.length > 0")
        assert page.js("document.getElementById('login').hidden")

        urls = [event["params"]["request"]["url"] for event in page.cdp.events
                if event["method"] == "Network.requestWillBeSent"]
        assert {url.split("?")[0].removeprefix(own.daemon.url) for url in urls} >= {
            "/view", "/computer/screencast", "/computer/events", "/computer/batch"}
        assert not [url for url in urls if TOKEN in url]
        assert TOKEN not in own.daemon.log()


def shown_at(page: Page, x: int, y: int) -> tuple[int, int, int]:
    """The colour the page shows at (x, y), from a screenshot of it."""
    shot = page.cdp.call("Page.captureScreenshot", format="png")["data"]
    return Image.open(io.BytesIO(base64.b64decode(shot))).convert("RGB").getpixel((x, y))


def test_an_img_tag_plays_the_mjpeg_stream(executable, page_server):
    """GET /computer/screencast.mjpeg as the source of a plain <img> on another local site's page: it shows the
    screen, a still one too, and follows it."""
    with DaemonOnOwnDisplay(f"{SCREEN[0]}x{SCREEN[1]}x24") as own:
        url = f"{page_server}/page.html"
        browser = Chromium(executable, url, "", 0, 0, *WINDOW, extra_args=("--headless=new",))
        try:
            page = Page(browser, url)
            page.wait_for("window.__ready === true")  # the test page's own script has run
            source = f"{own.daemon.url}/computer/screencast.mjpeg?max_width=640"
            page.js(f"document.body.innerHTML = `<img id=frame src='{source}' style='position:fixed;left:0;top:0'>`")
            page.wait_for("document.getElementById('frame').naturalWidth === 640", timeout=5)
            for colour in ((46, 139, 87), (139, 46, 87)):
                with Recorder(display_name=own.display, colour=colour[0] << 16 | colour[1] << 8 | colour[2]):
                    deadline = time.monotonic() + 5
                    # Away from the middle: the pointer is drawn there.
                    while not all(abs(got - want) <= 24 for got, want in zip(shown_at(page, 100, 100), colour)):
                        assert time.monotonic() < deadline, f"{colour} never shown: {shown_at(page, 100, 100)}"
                        time.sleep(0.05)
        finally:
            browser.stop()
