"""The replay page, GET /view?recording=ID, in a headless Chromium: it plays the recording (fetched with the
token in a header, never in a URL) beside its timeline; clicking an entry seeks there and highlights it."""

import time

from tests.chromium.browser import Chromium
from tests.chromium.conftest import Page
from tests.chromium.test_view import WINDOW, key
from tests.daemons import DaemonOnOwnDisplay
from tests.test_screencast import BLUE, RED, Painter

TOKEN = "replay-test-0d9c7e21"
ITEMS = "[...document.querySelectorAll('#timeline li')]"


def test_the_replay_page_plays_the_recording_and_seeks_to_a_clicked_action(executable):  # noqa: F811
    with DaemonOnOwnDisplay("1280x720x24", "--token", TOKEN) as own:
        client = own.client
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        painter = Painter(100, 100, 300, 200, display_name=own.display)
        try:
            assert client.post("/recording/start", json={"id": "replayed"}).status_code == 201
            painter.fill(RED)
            time.sleep(0.5)
            assert client.post("/computer/click_mouse", json={"x": 600, "y": 400}).status_code == 200
            time.sleep(0.5)
            painter.fill(BLUE)
            assert client.post("/recording/mark", json={"id": "replayed", "name": "blue now"}).status_code == 201
            time.sleep(0.8)
            assert client.post("/recording/stop", json={"id": "replayed"}).status_code == 200
        finally:
            painter.close()
        offsets = {entry["name"]: entry["offset_ms"]
                   for entry in client.get("/recording/timeline", params={"id": "replayed"}).json()["timeline"]}

        url = f"{own.daemon.url}/view?recording=replayed"
        browser = Chromium(executable, url, "", 0, 0, *WINDOW, extra_args=("--headless=new", "--autoplay-policy=no-user-gesture-required"))
        try:
            browser.cdp.call("Network.enable")
            page = Page(browser, url)
            page.wait_for("!document.getElementById('login').hidden")
            page.js("document.getElementById('token').focus()")
            page.cdp.call("Input.insertText", text=TOKEN)
            key(page, "Enter", "Enter", 13, "\r")
            duration = page.wait_for("document.getElementById('video').duration", timeout=10)
            assert duration > 0
            names = page.js(f"{ITEMS}.map(item => item.children[1].textContent)")
            assert names == ["click_mouse", "blue now"], names

            page.js(f"{ITEMS}[1].click()")  # the mark: the video seeks there and plays on
            page.wait_for(f"{ITEMS}[1].classList.contains('current')", timeout=5)
            at = page.js("document.getElementById('video').currentTime")
            assert offsets["blue now"] / 1000 - 0.05 <= at <= duration, (at, offsets)
            page.js(f"{ITEMS}[0].click()")
            page.wait_for(f"{ITEMS}[0].classList.contains('current') && !{ITEMS}[1].classList.contains('current')",
                          timeout=5)
            # Playing on from the click, the mark becomes the current entry when the video reaches it.
            page.wait_for(f"{ITEMS}[1].classList.contains('current')", timeout=10)

            urls = [event["params"]["request"]["url"] for event in page.cdp.events
                    if event["method"] == "Network.requestWillBeSent"]
            assert not any(TOKEN in url for url in urls)
        finally:
            browser.stop()


def test_a_computers_replay_page_plays_that_computers_recording(executable):  # noqa: F811
    with DaemonOnOwnDisplay("640x480x24", "--max-computers", "1") as own:
        client = own.client
        created = client.post("/computers", json={"kind": "desktop", "display": {"width": 320, "height": 240}})
        computer = created.json()["id"]
        started = client.post(f"/browsers/{computer}/replays", json={"framerate": 5}).json()
        assert started["replay_view_url"].endswith(f"&computer={computer}")
        replay_id = started["replay_id"]
        assert client.post(f"/computers/{computer}/recording/mark",
                           json={"id": replay_id, "name": "on the computer"}).status_code == 201
        time.sleep(0.5)
        assert client.post(f"/browsers/{computer}/replays/{replay_id}/stop").status_code == 200

        url = started["replay_view_url"]
        browser = Chromium(executable, url, "", 0, 0, *WINDOW, extra_args=("--headless=new",))
        try:
            page = Page(browser, url)
            assert page.wait_for("document.getElementById('video').duration", timeout=10) > 0
            assert page.js("document.getElementById('video').videoWidth") == 320  # the computer's screen, not local's
            assert page.js(f"{ITEMS}.map(item => item.children[1].textContent)") == ["on the computer"]
        finally:
            browser.stop()
