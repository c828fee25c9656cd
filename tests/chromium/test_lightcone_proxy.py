"""Lightcone's change-proxy through the tzafon SDK on both kinds of browser computer: the page's traffic then goes
through a small HTTP proxy this test runs (which alone can answer for a name no DNS knows), the open tabs come
back at their URLs on screen (an X click reaches the reopened page), and without a proxy_url it goes directly
again."""

import http.server
import threading
import time

import httpx
import pytest
from tzafon import BadRequestError

from tests.chromium.test_lightcone_browser import BUTTON, CLICKED, clicked_page, computer_id, computers, html, served, url_of  # noqa: F401

NOWHERE = "http://only-the-proxy-knows.invalid/page"  # .invalid never resolves: only a proxy can answer it
# The Lightcone test page's button, fixed at the same place, served by the proxy.
PROXIED_PAGE = b"""<!doctype html><html><head><title>through the proxy</title></head><body style="margin:0">
<p id="said">served by the proxy</p>
<button style="position:fixed; left:200px; top:150px; width:240px; height:120px"
 onclick="document.getElementById('said').textContent = 'clicked at ' + event.clientX + ',' + event.clientY">press</button>
</body></html>"""


class Proxy(http.server.ThreadingHTTPServer):
    """An HTTP proxy that answers every GET itself, with PROXIED_PAGE, and notes the request lines it was sent."""

    def __init__(self):
        self.seen: list[str] = []
        self.delay_s = 0.0  # before each answer
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        threading.Thread(target=self.serve_forever, name="test-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.seen.append(self.requestline)
        time.sleep(self.server.delay_s)
        body = PROXIED_PAGE if self.path == NOWHERE else b"not here"
        self.send_response(200 if self.path == NOWHERE else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def proxy():
    server = Proxy()
    yield server
    server.shutdown()
    server.server_close()


def test_change_proxy_sends_the_pages_traffic_through_it_until_changed_back(computers, computer_id, page_server, proxy):
    first, second = url_of(page_server, "first"), url_of(page_server, "second")
    computers.navigate(computer_id, url=first)
    computers.tabs.create(computer_id, url=second)  # the main tab now
    with pytest.raises(BadRequestError, match="ERR_NAME_NOT_RESOLVED"):  # directly, nothing answers for that name
        computers.navigate(computer_id, url=NOWHERE)
    computers.navigate(computer_id, url=second)
    before = computers.tabs.list(computer_id).result["tabs"]
    assert {(tab["url"], tab["is_main"]) for tab in before} >= {(first, False), (second, True)}

    changed = computers.change_proxy(computer_id, proxy_url=proxy.url)
    assert changed.status == "success", changed.error_message
    after = changed.result["tabs"]
    assert [(tab["url"], tab["is_main"]) for tab in after] == [(tab["url"], tab["is_main"]) for tab in before]
    assert not {tab["id"] for tab in after} & {tab["id"] for tab in before}  # reopened, in the proxy's context
    assert changed.executed_tab_id == next(tab["id"] for tab in after if tab["is_main"])

    loaded = computers.navigate(computer_id, url=NOWHERE)
    assert loaded.status == "success" and loaded.page_context.title == "through the proxy"
    assert f"GET {NOWHERE} HTTP/1.1" in proxy.seen
    assert "served by the proxy" in html(computers, computer_id)
    computers.click(computer_id, x=BUTTON[0], y=BUTTON[1])  # through X: the reopened window is the one on screen
    assert f"{CLICKED}{BUTTON[0]},{BUTTON[1]}" in clicked_page(computers, computer_id)

    direct = computers.execute(computer_id, action={"type": "change_proxy"})  # the action, no proxy_url: directly again
    assert direct.status == "success"
    asked = len(proxy.seen)
    with pytest.raises(BadRequestError, match="ERR_NAME_NOT_RESOLVED"):
        computers.navigate(computer_id, url=NOWHERE)
    assert len(proxy.seen) == asked
    assert computers.navigate(computer_id, url=first).page_context.url == first


def test_change_proxy_answers_once_the_main_tab_has_loaded_again(computers, computer_id, proxy):
    """However slowly the proxy serves the reopened main tab, it has loaded and drawn when change-proxy answers: an
    X click right after reaches the page (Chromium drops input while it holds a new page's first paint)."""
    computers.change_proxy(computer_id, proxy_url=proxy.url)
    computers.navigate(computer_id, url=NOWHERE)
    proxy.delay_s = 1.0
    try:
        changed = computers.change_proxy(computer_id, proxy_url=proxy.url)
        assert changed.status == "success", changed.error_message
        assert (changed.page_context.url, changed.page_context.title) == (NOWHERE, "through the proxy")
        computers.click(computer_id, x=BUTTON[0], y=BUTTON[1])
        assert f"{CLICKED}{BUTTON[0]},{BUTTON[1]}" in clicked_page(computers, computer_id)
    finally:
        computers.change_proxy(computer_id)  # directly again


def test_a_proxy_url_chromium_cannot_use_is_a_400_and_changes_nothing(served, computers, computer_id, page_server):
    computers.navigate(computer_id, url=url_of(page_server, "kept"))
    tabs = computers.tabs.list(computer_id).result["tabs"]
    for proxy_url in ("ftp://proxy.example:21", "http://user:secret@proxy.example:3128"):
        refused = httpx.post(f"{served.url}/computers/{computer_id}/change-proxy", json={"proxy_url": proxy_url})
        assert refused.status_code == 400 and refused.headers["x-should-retry"] == "false"
        assert refused.json()["status"] == "error" and "proxy_url" in refused.json()["error_message"]
    assert computers.tabs.list(computer_id).result["tabs"] == tabs
