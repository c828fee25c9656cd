"""A page on another origin, in a real (headless) Chromium, tries every way a page can send the daemon a request
without CORS: no-cors fetches of text/plain and form bodies to every dialect's routes, a beacon, a form posted
into a hidden frame, a WebSocket, and a frame of /view. On the daemon's display an X client records every input
event: nothing may reach it, nor the pointer or the clipboard. Then the same requests, sent as `curl -d` sends
them, do act, so that the recorder would have seen the attack. A page of an origin admitted with --allow-origin,
and one that holds the token, can call.
"""

import contextlib
import json

import pytest

from tests.chromium.browser import Chromium
from tests.chromium.conftest import Page
from tests.daemons import DaemonOnOwnDisplay
from tests.page_server import PageServer
from tests.recorder import Recorder

TOKEN = "origin-test-9c2d41"
TYPED = "PWNED"
# What each dialect's routes are sent: every one would type, move, click or write the clipboard.
KERNEL = [
    ("type", {"text": TYPED}),
    ("batch", {"actions": [{"type": "type_text", "type_text": {"text": TYPED}}]}),
    ("move_mouse", {"x": 11, "y": 12, "smooth": False}),
    ("click_mouse", {"x": 13, "y": 14}),
    ("clipboard/write", {"text": TYPED}),
]
ATTEMPTS = [
    *((f"{prefix}/{path}", body) for prefix in ("/computer", "/browsers/x/computer") for path, body in KERNEL),
    ("/computers/local/type", {"text": TYPED}),
    ("/computers/local/execute", {"action": {"type": "type", "text": TYPED}}),
    ("/computers/local/batch", {"actions": [{"type": "click", "x": 15, "y": 16}]}),
    ("/computers/local/click", {"x": 17, "y": 18}),
    ("/agents/anthropic/computer", {"action": "type", "text": TYPED}),
    ("/agents/openai/computer", {"call_id": "c1", "action": {"type": "type", "text": TYPED}}),
]
MCP_CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "computer_action", "arguments": {"session_id": "s", "actions": [
                {"type": "type_text", "type_text": {"text": TYPED}}]}}}
SAFELISTED = ("text/plain", "application/x-www-form-urlencoded")

NO_CORS_FETCHES = """(async (base, attempts, types) => {
  const sent = [];
  for (const [path, body] of attempts) for (const type of types)
    sent.push(fetch(base + path, {method: "POST", mode: "no-cors", headers: {"Content-Type": type},
                                  body: JSON.stringify(body)}));
  sent.push(fetch(base + "/computer/type", {method: "POST", mode: "no-cors",  // a body with no type at all
                                            body: new TextEncoder().encode(JSON.stringify({text: "%s"}))}));
  return (await Promise.allSettled(sent)).length;
})""" % TYPED

BEACONS = """((base, attempts) => attempts.map(([path, body]) =>
  navigator.sendBeacon(base + path, new Blob([JSON.stringify(body)], {type: "text/plain"}))))"""

# A text/plain form posts `name=value`: this name and value make {"text":"PWNED="}, which is valid JSON.
FORM_INTO_FRAME = """(url => new Promise(done => {
  const frame = document.createElement("iframe");
  frame.name = "sink"; frame.hidden = true; document.body.append(frame);
  frame.onload = () => done(true);
  const form = document.createElement("form");
  form.method = "POST"; form.enctype = "text/plain"; form.action = url; form.target = "sink";
  const input = document.createElement("input");
  input.name = '{"text":"%s'; input.value = '"}';
  form.append(input); document.body.append(form); form.submit();
}))""" % TYPED

# "open" once the socket opened and the messages were sent (and answered, or not); "refused" if it never opened.
WEBSOCKET = """((url, messages) => new Promise(done => {
  const socket = new WebSocket(url);
  const answers = [];
  socket.onopen = () => messages.forEach(message => socket.send(JSON.stringify(message)));
  socket.onmessage = event => {
    answers.push(JSON.parse(event.data).status);
    if (answers.length === messages.length) { socket.close(); done(["open", answers]); }
  };
  socket.onclose = () => done(["refused", answers]);
}))"""
SOCKET_MESSAGES = [{"action": {"type": "type", "text": TYPED}},
                   {"actions": [{"type": "click_mouse", "click_mouse": {"x": 19, "y": 20}}]}]

VIEW_IN_FRAME = """(url => new Promise(done => {
  const frame = document.createElement("iframe");
  frame.src = url; frame.onload = () => done(true); document.body.append(frame);
}))"""

JSON_CALL = """((url, body, token) => fetch(url, {method: "POST", body: JSON.stringify(body), headers: {
  "Content-Type": "application/json", ...(token ? {Authorization: "Bearer " + token} : {})}})
  .then(response => response.json().then(answer => [response.status, answer]), error => ["failed", String(error)]))"""


@pytest.fixture(scope="module")
def elsewhere():
    """Another origin: an empty page; the test runs its script in it."""
    with PageServer({"/": ("text/html", b"<!doctype html><title>elsewhere</title><body>elsewhere</body>")}) as pages:
        yield pages.url


@contextlib.contextmanager
def page_elsewhere(executable: str, site: str, *daemon_args: str):
    """A daemon on its own display, and another origin's page in a headless Chromium that records its requests."""
    with DaemonOnOwnDisplay("640x480x24", *daemon_args) as own:
        browser = Chromium(executable, f"{site}/", "", 0, 0, 800, 600, extra_args=("--headless=new",))
        try:
            browser.cdp.call("Network.enable")
            page = Page(browser, f"{site}/")
            page.wait_for(f"location.origin === {json.dumps(site)} && document.readyState === 'complete'")
            yield own, page
        finally:
            browser.stop()


def statuses(page: Page, base: str) -> list[tuple[str, str, int]]:
    """(method, path, status) of every answer the browser got from the daemon, in order."""
    methods = {event["params"]["requestId"]: event["params"]["request"]["method"] for event in page.cdp.events
               if event["method"] == "Network.requestWillBeSent"}
    return [(methods.get(event["params"]["requestId"], "?"), event["params"]["response"]["url"].removeprefix(base),
             event["params"]["response"]["status"])
            for event in page.cdp.events
            if event["method"] == "Network.responseReceived" and event["params"]["response"]["url"].startswith(base)]


def wait_for_answers(page: Page, base: str, count: int, method: str = "POST") -> list[tuple[str, str, int]]:
    """The answers so far, once `count` of them were to `method` requests."""
    for _ in range(200):
        got = statuses(page, base)
        if sum(one[0] == method for one in got) >= count:
            return got
        page.js("new Promise(done => setTimeout(() => done(true), 100))")
    raise AssertionError(f"{count} answers to {method} expected from the daemon, got {statuses(page, base)}")


def x_state(own) -> tuple:
    return own.client.post("/computer/get_mouse_position").json(), own.client.post("/computer/clipboard/read").json()


def test_a_page_on_another_origin_runs_no_action(executable, elsewhere):
    with page_elsewhere(executable, elsewhere) as (own, page), Recorder(display_name=own.display) as recorder:
        base = own.daemon.url
        own.client.post("/computer/clipboard/write", json={"text": "untouched"}).raise_for_status()
        own.client.post("/computer/move_mouse", json={"x": 300, "y": 200, "smooth": False}).raise_for_status()
        before = x_state(own)
        recorder.wait_idle()
        recorder.clear()

        sent = page.js(f"{NO_CORS_FETCHES}({json.dumps(base)}, {json.dumps([*ATTEMPTS, ('/mcp', MCP_CALL)])}, "
                       f"{json.dumps(SAFELISTED)})")
        assert page.js(f"{BEACONS}({json.dumps(base)}, {json.dumps(ATTEMPTS)})") == [True] * len(ATTEMPTS)
        page.js(f"{FORM_INTO_FRAME}({json.dumps(base + '/computer/type')})")
        opened, answers = page.js(f"{WEBSOCKET}({json.dumps(base.replace('http', 'ws', 1) + '/computers/local/ws')}, "
                                  f"{json.dumps(SOCKET_MESSAGES)})")
        assert (opened, answers) == ("refused", [])
        page.js(f"{VIEW_IN_FRAME}({json.dumps(base + '/view')})")

        answered = wait_for_answers(page, base, sent + len(ATTEMPTS) + 1)  # the fetches, the beacons, the form
        acted = [answer for answer in answered if answer[0] == "POST" and answer[2] not in (403, 415)]
        assert not acted, f"answered as if run: {acted}"
        # The frame of /view: the page is sent, but the browser does not show it in another site's frame.
        assert ("GET", "/view", 200) in answered
        frames = page.cdp.call("Page.getFrameTree")["frameTree"].get("childFrames", [])
        assert not [frame for frame in frames if frame["frame"]["url"].startswith(base + "/view")], frames

        events = recorder.wait_idle(quiet=0.5)
        assert not events, f"the page's requests reached the display:\n{recorder.dump()}"
        assert x_state(own) == before

        # The same requests from curl (no browser headers) do act: the recorder would have seen the attack.
        for path, body in ATTEMPTS:
            answer = own.client.post(path, content=json.dumps(body), headers={"Content-Type": "text/plain"})
            assert answer.status_code == 200, (path, answer.text)
        typing = sum(TYPED in json.dumps(body) for path, body in ATTEMPTS if "clipboard" not in path)
        recorder.wait_for(lambda events: recorder.typed_text() == TYPED * typing, what=f"{TYPED} typed {typing} times")
        assert x_state(own) != before


def test_an_admitted_origin_and_a_token_holder_can_call(executable, elsewhere):
    move = {"actions": [{"type": "move_mouse", "move_mouse": {"x": 123, "y": 45, "smooth": False}}]}
    with page_elsewhere(executable, elsewhere, "--allow-origin", elsewhere) as (own, page):
        base = own.daemon.url
        status, answer = page.js(f"{JSON_CALL}({json.dumps(base + '/computer/batch')}, {json.dumps(move)}, null)")
        assert status == 200, answer
        assert own.client.post("/computer/get_mouse_position").json() == {"x": 123, "y": 45}
        opened, answers = page.js(f"{WEBSOCKET}({json.dumps(base.replace('http', 'ws', 1) + '/computers/local/ws')}, "
                                  f"{json.dumps(SOCKET_MESSAGES[1:])})")
        assert (opened, answers) == ("open", ["success"])
        assert own.client.post("/computer/get_mouse_position").json() == {"x": 19, "y": 20}
        # Admitted, its page still may not post a body it could send anywhere.
        page.js(f"{NO_CORS_FETCHES}({json.dumps(base)}, {json.dumps(ATTEMPTS[:1])}, {json.dumps(SAFELISTED)})")
        posts = [status for method, path, status in wait_for_answers(page, base, 4) if method == "POST"]
        assert posts[-3:] == [415] * 3, posts

    with page_elsewhere(executable, elsewhere, "--token", TOKEN) as (own, page):
        url = json.dumps(own.daemon.url + "/computer/batch")
        status, answer = page.js(f"{JSON_CALL}({url}, {json.dumps(move)}, null)")
        assert status == "failed" or status in (401, 403), answer
        status, answer = page.js(f"{JSON_CALL}({url}, {json.dumps(move)}, {json.dumps(TOKEN)})")
        assert status == 200, answer
        assert own.client.post("/computer/get_mouse_position", headers={"Authorization": f"Bearer {TOKEN}"}).json() \
            == {"x": 123, "y": 45}
