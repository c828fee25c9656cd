"""The DevTools client and the browser starter without a real browser: which targets are tabs, the command that
makes Chromium fill a screen, and a browser that is unreachable, silent or goes away making calls fail at once
or within their bound, never hang. (Real Chromium: tests/chromium/test_lightcone_browser.py.)"""

import argparse
import asyncio
import os
import time

import pytest
from aiohttp import web
from tzafon import APIStatusError, Lightcone

from tests.daemons import start_daemon
from tests.ports import free_port
from xhands.daemon.browser import tabs as tabs_module
from xhands.daemon.browser.cdp import CdpError
from xhands.daemon.browser.chromium import chromium_command
from xhands.daemon.browser.tabs import Browser, NavigationTimeout, tab_list
from xhands.daemon.ops.serve import devtools_url


def test_tabs_are_pages_but_the_browsers_own_and_the_main_one_is_marked():
    targets = [
        {"id": "A", "type": "page", "url": "https://a.test/", "title": "A"},
        {"id": "B", "type": "page", "url": "chrome://newtab/", "title": "New Tab"},
        {"id": "C", "type": "page", "url": "devtools://devtools/inspector.html", "title": "DevTools"},
        {"id": "D", "type": "service_worker", "url": "https://a.test/sw.js"},
        {"id": "E", "type": "page", "url": "about:blank", "title": ""},
    ]
    assert tab_list(targets, "E") == [{"id": "A", "url": "https://a.test/", "title": "A", "is_main": False},
                                      {"id": "E", "url": "about:blank", "title": "", "is_main": True}]


@pytest.mark.parametrize("as_root", [True, False])
def test_chromium_fills_the_screen_from_its_top_left_at_scale_1(as_root):
    command = chromium_command("/usr/bin/chromium", "/tmp/profile", 1024, 768, as_root)
    for flag in ("--window-position=0,0", "--window-size=1024,768", "--force-device-scale-factor=1", "--kiosk",
                 "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--user-data-dir=/tmp/profile",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        assert flag in command
    assert ("--no-sandbox" in command) == as_root


async def devtools(on_socket):
    """A DevTools endpoint with one page whose socket `on_socket(ws)` serves; its URL and runner."""
    async def targets(request):
        port = request.url.port
        return web.json_response([{"id": "P", "type": "page", "url": "about:blank", "title": "",
                                   "webSocketDebuggerUrl": f"ws://127.0.0.1:{port}/devtools/page/P"}])

    async def socket(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await on_socket(ws)
        return ws

    app = web.Application()
    app.router.add_get("/json/list", targets)
    app.router.add_get("/devtools/page/P", socket)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}", runner


def test_a_silent_browser_fails_the_call_within_its_bound(monkeypatch):
    monkeypatch.setattr(tabs_module, "CONTEXT_TIMEOUT_S", 0.5)

    async def answers_page_enable_only(ws):
        async for message in ws:
            if message.json()["method"] == "Page.enable":
                await ws.send_json({"id": message.json()["id"], "result": {}})

    async def scenario():
        url, runner = await devtools(answers_page_enable_only)
        browser = Browser(url)
        started = time.monotonic()
        with pytest.raises(CdpError, match="did not answer Runtime.evaluate within 0.5 s"):
            await browser.context(await browser.main())
        await browser.close()
        await runner.cleanup()
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 5


def test_a_browser_that_goes_away_fails_the_waiting_call_at_once():
    async def closes_on_evaluate(ws):
        async for message in ws:
            if message.json()["method"] == "Page.enable":
                await ws.send_json({"id": message.json()["id"], "result": {}})
            else:
                await ws.close()

    async def scenario():
        url, runner = await devtools(closes_on_evaluate)
        browser = Browser(url)
        with pytest.raises(CdpError, match="closed its DevTools connection"):
            await browser.html()
        await browser.close()
        await runner.cleanup()

    asyncio.run(scenario())


def test_a_daemon_whose_browser_is_unreachable_says_so(xvfb):
    port = free_port()  # nothing listens there
    daemon = start_daemon("--cdp", f"http://127.0.0.1:{port}", display=os.environ["DISPLAY"])
    try:
        computers = Lightcone(api_key="unused", base_url=daemon.url, max_retries=0).computers
        with pytest.raises(APIStatusError) as error:
            computers.html("local")
        assert error.value.status_code == 502 and error.value.response.headers["x-should-retry"] == "false"
        assert f"cannot reach the browser's DevTools at http://127.0.0.1:{port}" in error.value.body["error_message"]
        clicked = computers.click("local", x=5, y=5)  # input still works; the page context is left out
        assert clicked.status == "success" and clicked.page_context is None
    finally:
        daemon.stop()


def test_a_browser_computer_without_a_browser_to_start_is_refused_before_anything_starts(xvfb, tmp_path):
    daemon = start_daemon("--max-computers", "1", "--browser", str(tmp_path / "no-such-chromium"),
                          display=os.environ["DISPLAY"])
    try:
        client = Lightcone(api_key="unused", base_url=daemon.url, max_retries=0)
        with pytest.raises(APIStatusError) as error:
            client.computers.create(kind="browser")
        assert error.value.status_code == 400 and "--browser" in error.value.body["error_message"]
        assert [computer.id for computer in client.computers.list()] == ["local"]
    finally:
        daemon.stop()


@pytest.mark.parametrize("given, taken", [("http://127.0.0.1:9222", "http://127.0.0.1:9222"),
                                          ("http://127.0.0.1:9222/", "http://127.0.0.1:9222"),
                                          ("ws://127.0.0.1:9222", None), ("127.0.0.1:9222", None),
                                          ("http://127.0.0.1:9222/json/list", None)])
def test_cdp_takes_a_devtools_endpoint_url(given, taken):
    if taken is None:
        with pytest.raises(argparse.ArgumentTypeError, match="--remote-debugging-port"):
            devtools_url(given)
    else:
        assert devtools_url(given) == taken


def test_a_load_that_never_ends_fails_the_navigation_at_its_timeout():
    async def never_loads(ws):
        async for message in ws:
            call = message.json()
            result = {"frameId": "F", "loaderId": "L"} if call["method"] == "Page.navigate" else {}
            await ws.send_json({"id": call["id"], "result": result})

    async def scenario():
        url, runner = await devtools(never_loads)
        browser = Browser(url)
        with pytest.raises(NavigationTimeout, match="did not finish loading within 0.3 s"):
            await browser.navigate("http://example.test/", timeout=0.3)
        await browser.close()
        await runner.cleanup()

    asyncio.run(scenario())
