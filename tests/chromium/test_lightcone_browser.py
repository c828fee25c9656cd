"""Lightcone's browser calls through the official tzafon SDK, on both kinds of browser computer: the daemon's own
display with a Chromium named by --cdp (`local`), and a computer POST /computers {"kind": "browser"} started with
a Chromium of its own. Navigation, HTML, tabs and page_context are checked against the page itself; input is X11
(a click on a fixed-position button runs its handler), and Kernel's routes drive the same screen."""

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import httpx
import pytest
from tzafon import BadRequestError, Lightcone, NotFoundError

from tests import needs
from tests.chromium.browser import Chromium, find_chromium
from tests.daemons import start_daemon
from tests.fake_models import FakeModel, openai_answer, openai_response
from tests.ports import free_port
from xhands.daemon.ops.xvfb import Xvfb

SCREEN = (1024, 768)
BUTTON = (200 + 120, 150 + 60)  # the button's centre, CSS pixels = screen pixels
CLICKED = '<p id="said">clicked at '  # what the handler wrote (the page's source also holds "clicked at")


@pytest.fixture(scope="module")
def served(xvfb, page_server):
    """A daemon on an X server of its own where a Chromium (kiosk, at 0,0) listens for DevTools, named by --cdp;
    it may also start two computers."""
    executable = find_chromium()
    if executable is None:
        needs.missing("Chromium is not installed: the browser computers' tests need Debian's `chromium`")
    xserver = Xvfb(f"{SCREEN[0]}x{SCREEN[1]}x24", display=f":{random.randint(400, 900)}")
    display = xserver.start()
    # A kiosk window, as xhands starts its own: the tabs DevTools opens are in it, at the same place on screen.
    chromium = Chromium(executable, f"{page_server}/lightcone_page.html", display, 0, 0, *SCREEN, extra_args=("--kiosk",),
                        app=False)
    port = int((Path(chromium.profile) / "DevToolsActivePort").read_text().split()[0])
    daemon = start_daemon("--cdp", f"http://127.0.0.1:{port}", "--max-computers", "2", display=display)
    yield daemon
    daemon.stop()
    chromium.stop()
    xserver.stop()


@pytest.fixture(scope="module")
def computers(served):
    return Lightcone(api_key="unused", base_url=served.url, max_retries=0).computers


@pytest.fixture(scope="module", params=["local", "created"])
def computer_id(request, computers):
    if request.param == "local":
        yield "local"
        return
    created = computers.create(kind="browser", display={"width": SCREEN[0], "height": SCREEN[1]})
    assert created.kind == "browser"
    yield created.id
    computers.delete(created.id)


def url_of(page_server: str, query: str) -> str:
    return f"{page_server}/lightcone_page.html?{query}"


def html(computers, computer_id: str, **tab) -> str:
    return computers.html(computer_id, **tab).result["html_content"]


def clicked_page(computers, computer_id: str, timeout: float = 5.0) -> str:
    """The main tab's HTML once the button's handler has run (or the time is up)."""
    deadline = time.monotonic() + timeout
    while CLICKED not in (page := html(computers, computer_id)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return page


def test_navigate_waits_for_the_load_and_reports_the_page(computers, computer_id, page_server):
    url = url_of(page_server, "navigate")
    done = computers.navigate(computer_id, url=url)
    assert done.status == "success"
    context = done.page_context
    assert (context.url, context.title) == (url, "Lightcone page")
    assert (context.viewport_width, context.viewport_height) == (SCREEN[0] - 1, SCREEN[1] - 1)  # Chromium's last pixels
    assert (context.device_scale_factor, context.scroll_x, context.scroll_y) == (1, 0, 0)
    assert context.is_main_tab and done.executed_tab_id == context.tab_id


def test_html_holds_the_page(computers, computer_id, page_server):
    computers.navigate(computer_id, url=url_of(page_server, "html"))
    page = html(computers, computer_id)
    assert page.startswith("<!DOCTYPE html>") and "marker-7f3a" in page


def test_an_x_click_on_a_fixed_button_runs_its_handler(computers, computer_id, page_server):
    computers.navigate(computer_id, url=url_of(page_server, "click"))
    assert "not clicked" in html(computers, computer_id)
    clicked = computers.click(computer_id, x=BUTTON[0], y=BUTTON[1])
    assert clicked.page_context.title == "Lightcone page"
    assert f"{CLICKED}{BUTTON[0]},{BUTTON[1]}" in clicked_page(computers, computer_id)  # the screen pixel is the CSS pixel


def test_tabs_create_list_switch_and_delete(computers, computer_id, page_server):
    first = computers.navigate(computer_id, url=url_of(page_server, "first")).executed_tab_id
    created = computers.tabs.create(computer_id, url=url_of(page_server, "second"))
    second = created.executed_tab_id
    assert second != first and created.page_context.url == url_of(page_server, "second")
    assert created.page_context.is_main_tab
    # The new tab is in the same full-screen window, on screen: an X click lands in it.
    assert created.page_context.viewport_width == SCREEN[0] - 1
    computers.click(computer_id, x=BUTTON[0], y=BUTTON[1])
    assert CLICKED in clicked_page(computers, computer_id)
    tabs = computers.tabs.list(computer_id).result["tabs"]
    assert {(tab["id"], tab["url"], tab["is_main"]) for tab in tabs} == {
        (first, url_of(page_server, "first"), False), (second, url_of(page_server, "second"), True)}
    switched = computers.tabs.switch(first, id=computer_id)
    assert switched.page_context.tab_id == first and switched.page_context.is_main_tab
    assert "not clicked" in html(computers, computer_id)
    computers.click(computer_id, x=BUTTON[0], y=BUTTON[1])  # the switched-to tab is the one on screen
    assert CLICKED in clicked_page(computers, computer_id)
    assert "marker-7f3a" in html(computers, computer_id, tab_id=second)  # a tab by id, main or not
    computers.tabs.delete(second, id=computer_id)
    tabs = computers.tabs.list(computer_id).result["tabs"]
    assert [(tab["id"], tab["is_main"]) for tab in tabs] == [(first, True)]
    with pytest.raises(NotFoundError):
        computers.tabs.switch(second, id=computer_id)


def test_a_batch_mixes_browser_and_input_actions(computers, computer_id, page_server):
    url = url_of(page_server, "batch")
    done = computers.batch(computer_id, actions=[
        {"type": "go_to_url", "url": url}, {"type": "click", "x": BUTTON[0], "y": BUTTON[1]},
        {"type": "wait", "ms": 300}, {"type": "get_html_content"}, {"type": "list_tabs"}])
    results = done["results"]  # the SDK answers a batch as a plain dict
    assert [result["status"] for result in results] == ["success"] * 5
    assert all(result["page_context"]["url"] == url for result in results)
    assert "marker-7f3a" in results[3]["result"]["html_content"]  # the page's, read in the batch
    assert [tab["url"] for tab in results[4]["result"]["tabs"]] == [url]
    # The click reached the page, whose handler may run after the batch's wait on a loaded machine.
    assert f"{CLICKED}{BUTTON[0]},{BUTTON[1]}" in clicked_page(computers, computer_id)


def test_kernel_routes_drive_the_same_screen(served, computers, computer_id, page_server):
    computers.navigate(computer_id, url=url_of(page_server, "kernel"))
    prefix = "/computer" if computer_id == "local" else f"/browsers/{computer_id}/computer"
    httpx.post(f"{served.url}{prefix}/click_mouse", json={"x": BUTTON[0], "y": BUTTON[1]}, timeout=10).raise_for_status()
    assert f"{CLICKED}{BUTTON[0]},{BUTTON[1]}" in clicked_page(computers, computer_id)


def chromium_processes(x_display: str) -> dict[int, list[str]]:
    """The Chromium processes (browser, zygotes, renderers) on an X display: their command lines by pid."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                words = [word.decode(errors="replace") for word in cmdline.read().split(b"\0")]
            with open(f"/proc/{pid}/environ", "rb") as environ:
                on_display = f"DISPLAY={x_display}".encode() in environ.read().split(b"\0")
        except OSError:
            continue
        if on_display and "chrom" in os.path.basename(words[0]):
            found[int(pid)] = words
    return found


def profile_of(processes: dict[int, list[str]]) -> Path:
    [profile] = {word.split("=", 1)[1] for words in processes.values() for word in words
                 if word.startswith("--user-data-dir=")}
    return Path(profile)


def until_gone(pids: set[int], x_display: str, timeout: float = 10.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while (left := pids & set(chromium_processes(x_display))) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_deleting_a_browser_computer_stops_its_chromium(computers):
    created = computers.create(kind="browser", display={"width": 640, "height": 480})
    running = chromium_processes(created.x_display)
    profile = profile_of(running)
    assert running and profile.is_dir()
    computers.delete(created.id)
    assert not until_gone(set(running), created.x_display)
    assert not profile.exists()


def test_sigterm_stops_the_chromium_of_every_browser_computer(xvfb):
    daemon = start_daemon("--max-computers", "1")
    try:
        created = Lightcone(api_key="unused", base_url=daemon.url, max_retries=0).computers.create(kind="browser")
        running = chromium_processes(created.x_display)
        profile = profile_of(running)
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(timeout=10)
    finally:
        daemon.stop()
    assert not until_gone(set(running), created.x_display)
    assert not profile.exists()


def test_a_tzafon_style_agent_loop_runs_on_a_browser_computer(served, page_server):
    """examples/lightcone_agent.py against a fake model: its Lightcone actions land in the page."""
    click = {"type": "click", "x": BUTTON[0], "y": BUTTON[1], "button": "left"}
    script = [openai_response(1, {"type": "computer_call", "id": "cu_1", "call_id": "call_1", "action": click,
                                  "pending_safety_checks": [], "status": "completed"}),
              openai_answer(2, "Pressed.")]
    example = Path(__file__).parents[2] / "examples" / "lightcone_agent.py"
    with FakeModel(script) as fake:
        done = subprocess.run([sys.executable, str(example), "Press the button", url_of(page_server, "agent")],
                              capture_output=True, text=True, timeout=90,
                              env={**os.environ, "XHANDS_URL": served.url, "LIGHTCONE_BASE_URL": fake.url,
                                   "TZAFON_API_KEY": "test"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Pressed."
    first, second = (body for _, _, body in fake.requests)
    assert first["input"][0]["content"][1]["image_url"].startswith("data:image/png;base64,")
    [output] = second["input"]
    assert output["call_id"] == "call_1" and output["output"]["image_url"].startswith("data:image/png;base64,")


def test_each_step_of_a_batch_has_the_page_context_of_its_time(computers, computer_id, page_server):
    first, second = url_of(page_server, "step1"), url_of(page_server, "step2")
    results = computers.batch(computer_id, actions=[
        {"type": "go_to_url", "url": first}, {"type": "wait", "ms": 1},
        {"type": "go_to_url", "url": second}, {"type": "wait", "ms": 1, "include_context": False}])["results"]
    assert [result.get("page_context", {}).get("url") for result in results] == [first, first, second, None]
    assert len({result["executed_tab_id"] for result in results}) == 1


def test_browser_actions_over_the_websocket(served, computer_id, page_server):
    url = url_of(page_server, "socket")

    async def exchange() -> list[dict]:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"{served.url}/computers/{computer_id}/ws") as socket:
            for message in ({"request_id": "go", "action": {"type": "go_to_url", "url": url}},
                            {"actions": [{"type": "get_html_content"}, {"type": "list_tabs"}]}):
                await socket.send_json(message)
            return [await socket.receive_json(timeout=30) for _ in range(2)]

    went, read = asyncio.run(exchange())
    assert went["request_id"] == "go" and went["page_context"]["url"] == url
    assert "marker-7f3a" in read["results"][0]["result"]["html_content"]
    assert read["results"][1]["page_context"]["url"] == url


def test_an_input_action_naming_a_tab_brings_it_to_the_screen_first(computers, computer_id, page_server):
    first = computers.navigate(computer_id, url=url_of(page_server, "named1")).executed_tab_id
    second = computers.tabs.create(computer_id, url=url_of(page_server, "named2")).executed_tab_id
    clicked = computers.click(computer_id, x=BUTTON[0], y=BUTTON[1], tab_id=first)
    assert clicked.executed_tab_id == first and clicked.page_context.is_main_tab
    assert CLICKED in clicked_page(computers, computer_id)  # the main tab: the first, clicked
    assert "not clicked" in html(computers, computer_id, tab_id=second)
    computers.tabs.delete(second, id=computer_id)


def test_a_navigation_the_browser_refuses_is_a_400_that_says_why(computers, computer_id):
    with pytest.raises(BadRequestError) as error:
        computers.navigate(computer_id, url=f"http://127.0.0.1:{free_port()}/")  # nothing listens there
    assert "net::ERR_CONNECTION_REFUSED" in error.value.body["error_message"]
    assert error.value.response.headers["x-should-retry"] == "false"
