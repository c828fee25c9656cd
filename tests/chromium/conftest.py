"""Fixtures for the end-to-end suite: a local page server, one real Chromium window, and the page it shows.

The browser is started once for this package (and stopped before the rest of
the suite runs, so it never competes with the other tests' windows for
focus). Each test gets the page freshly loaded, a known screen-to-page offset,
keyboard focus on the window, and an empty event log.

Environment:
  XHANDS_CHROMIUM=/path        the browser to run (default: chromium, chromium-browser, google-chrome on PATH)
  XHANDS_REQUIRE_ALL=1         no browser is an error, not a skip (.ci/run sets it; tests/needs.py)
  XHANDS_SCREENSHOTS=<folder>  save the screen as each test left it, to look at
"""

import functools
import http.server
import os
import threading
import time
from pathlib import Path

import pytest

from tests import needs
from tests.chromium.browser import Chromium, find_chromium
from tests.conftest import action, batch

HERE = Path(__file__).parent
# The --app window covers the whole 1280x800 test screen; Chromium draws its own title strip on top.
WINDOW = (0, 0, 1280, 800)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except ConnectionError:
            pass  # the browser dropped a load it no longer wanted (a navigation replaced it)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@pytest.fixture(scope="package")
def page_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(HERE)))
    thread = threading.Thread(target=server.serve_forever, name="page-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="package")
def executable() -> str:
    """The Chromium the browser suite runs."""
    path = find_chromium()
    if path is None:
        needs.missing("Chromium is not installed: the browser suite needs Debian's `chromium` "
                      "(`make test` installs it; or set XHANDS_CHROMIUM=/path/to/chrome)")
    return path


@pytest.fixture(scope="package")
def browser(xvfb, page_server, executable):
    instance = Chromium(executable, f"{page_server}/page.html", os.environ["DISPLAY"], *WINDOW)
    yield instance
    instance.stop()


class Page:
    """The test page in the browser, observed through DevTools, placed on screen by a measured offset."""

    def __init__(self, browser: Chromium, url: str):
        self.browser = browser
        self.cdp = browser.cdp
        self.url = url
        self.offset = (0, 0)  # screen = client + offset
        self._loads = 0

    def load(self) -> None:
        self._loads += 1
        self.cdp.call("Page.navigate", url=f"{self.url}?load={self._loads}")
        self.wait_for("window.__ready === true && location.search === '?load=%d'" % self._loads)
        # Input that arrives before the new document's first frames is routed nowhere; wait for two frames.
        self.js("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))")

    def js(self, expression: str, timeout: float = 30):
        return self.cdp.evaluate(expression, timeout=timeout)

    def wait_for(self, expression: str, timeout: float = 10.0, interval: float = 0.02):
        """Poll a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.js(expression)
            except Exception:  # a navigation may tear the context down between polls
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for: {expression}")
            time.sleep(interval)

    def settle(self, expression: str, quiet: float = 0.3, timeout: float = 10.0, done=None):
        """Poll until the expression's value stops changing for `quiet` seconds, or `done(value)` holds.

        With `done` the value must then also hold still for a short while, so that nothing more arrives.
        """
        deadline = time.monotonic() + timeout
        value = self.js(expression)
        since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.03)
            current = self.js(expression)
            if current != value:
                value, since = current, time.monotonic()
                continue
            still = time.monotonic() - since
            if still >= quiet or (done is not None and done(value) and still >= min(quiet, 0.2)):
                return value
        raise AssertionError(f"{expression} kept changing for {timeout} s (last {value!r})")

    def events(self, *types: str) -> list[dict]:
        wanted = list(types)
        return self.js(f"window.__events.filter(e => {wanted!r}.length === 0 || {wanted!r}.includes(e.type))")

    def clear(self) -> None:
        self.js("window.__events.length = 0; window.__moves.length = 0; true")

    def rect(self, element_id: str) -> dict:
        """The element's box in screen coordinates."""
        box = self.js(f"window.__rect({element_id!r})")
        return {**box, "left": box["left"] + self.offset[0], "top": box["top"] + self.offset[1]}

    def at(self, element_id: str, fx: float = 0.5, fy: float = 0.5) -> tuple[int, int]:
        """A screen point inside the element, at fractions (fx, fy) of its box."""
        box = self.rect(element_id)
        return round(box["left"] + fx * box["width"]), round(box["top"] + fy * box["height"])

    def char_at(self, element_id: str, index: int, fx: float = 0.5) -> tuple[int, int]:
        """A screen point on character `index` of the element's text, at fraction fx of its width."""
        box = self.js(f"window.__charRect({element_id!r}, {index})")
        return (round(box["left"] + fx * box["width"] + self.offset[0]),
                round(box["top"] + 0.5 * box["height"] + self.offset[1]))

    def to_client(self, x: int, y: int) -> tuple[int, int]:
        return x - self.offset[0], y - self.offset[1]


def calibrate(page: Page, client) -> tuple[int, int]:
    """Move the real pointer to a known screen point and read where the page saw it."""
    for attempt in range(5):
        x, y = 700 + attempt, 700
        batch(client, action("move_mouse", x=x + 1, y=y + 1, smooth=False), action("move_mouse", x=x, y=y, smooth=False))
        try:
            seen = page.wait_for(f"window.__lastMove && window.__lastMove.sx === {x} && "
                                 f"window.__lastMove.sy === {y} && window.__lastMove", timeout=2)
        except AssertionError:
            continue
        return x - seen["x"], y - seen["y"]
    raise AssertionError("the page never saw the pointer move: is the Chromium window on this display?")


def keep_screenshot(name: str, png: bytes) -> None:
    """Leave a screenshot where a person can look at it, when XHANDS_SCREENSHOTS names a folder."""
    folder = os.environ.get("XHANDS_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        Path(folder, f"{name}.png").write_bytes(png)


@pytest.fixture
def page(request, browser, page_server, client):
    """The test page freshly loaded, with keyboard focus on the window and an empty event log.

    With XHANDS_SCREENSHOTS=<folder>, the screen as each test left it is saved there (through the daemon).
    """
    page = Page(browser, f"{page_server}/page.html")
    page.load()
    page.offset = calibrate(page, client)
    # A user's click on an empty spot gives the window the keyboard focus (there is no window manager).
    x, y = page.at("grid", 0.5, 1.0)
    batch(client, action("click_mouse", x=x, y=y + 80))
    page.wait_for("document.hasFocus() && window.__events.some(e => e.type === 'click')")
    page.clear()
    yield page
    batch(client, action("set_cursor", hidden=False))
    if os.environ.get("XHANDS_SCREENSHOTS"):
        keep_screenshot(request.node.name, client.post("/computer/screenshot").content)
