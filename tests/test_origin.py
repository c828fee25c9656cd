"""Who may call (daemon/origin.py): the refusal rules as pure functions, and the daemon's answers over HTTP with
the headers a browser sends. tests/chromium/test_origin.py tries the same from a real browser's page."""

import asyncio

import aiohttp
import httpx
import pytest
from multidict import CIMultiDict

from tests.daemons import start_daemon
from xhands.daemon.origin import allowed_origin, origin_of, refusal

OWN = "http://127.0.0.1:10001"
ELSEWHERE = "http://localhost:8000"


def refused(method="POST", allowed=frozenset(), has_body=True, **headers):
    error = refusal(method, CIMultiDict({name.replace("_", "-"): value for name, value in headers.items()}), OWN,
                    allowed, has_body)
    return error and error.status


def test_origins_are_compared_as_browsers_write_them():
    assert origin_of("HTTP://LocalHost:3000/") == "http://localhost:3000"
    assert origin_of("https://example.com:443") == "https://example.com"
    assert origin_of("http://[::1]:8000") == "http://[::1]:8000"
    assert origin_of("null") is None and origin_of("") is None and origin_of("file:///x") is None
    assert allowed_origin("http://localhost:3000/") == "http://localhost:3000"
    for bad in ("localhost:3000", "http://localhost:3000/app", "http://a/?b", "http://user@a", "null"):
        with pytest.raises(ValueError):
            allowed_origin(bad)


def test_another_origin_is_refused_and_the_own_or_an_admitted_one_is_not():
    assert refused(Origin=ELSEWHERE, Content_Type="application/json") == 403
    assert refused(Origin="null", Content_Type="application/json") == 403
    assert refused(Origin="http://localhost:10001", Content_Type="application/json") == 403  # another host name
    assert refused(Origin=OWN, Content_Type="application/json") is None
    assert refused(Origin=ELSEWHERE, Content_Type="application/json", allowed=frozenset({ELSEWHERE})) is None


def test_without_an_origin_another_site_may_only_show_what_a_get_answers():
    for site in ("cross-site", "same-site"):
        assert refused(Sec_Fetch_Site=site, Content_Type="application/json") == 403
        assert refused("GET", Sec_Fetch_Site=site, Sec_Fetch_Mode="websocket", has_body=False) == 403
        shown = {"Sec_Fetch_Mode": "no-cors", "Sec_Fetch_Dest": "image"}
        assert refused("GET", Sec_Fetch_Site=site, has_body=False, **shown) is None
    assert refused(Sec_Fetch_Site="same-origin", Content_Type="application/json") is None
    assert refused("GET", Sec_Fetch_Site="none", Sec_Fetch_Mode="navigate", has_body=False) is None


def test_a_browser_body_a_page_may_send_anywhere_is_refused():
    for kind in ("text/plain", "text/plain;charset=UTF-8", "Application/X-WWW-Form-Urlencoded",
                 "multipart/form-data; boundary=x"):
        assert refused(Origin=OWN, Content_Type=kind) == 415
        assert refused(Sec_Fetch_Mode="no-cors", Content_Type=kind) == 415
        assert refused(Content_Type=kind) is None  # curl -d: no browser header
    assert refused(Origin=OWN) == 415  # a body with no type at all
    assert refused(Origin=OWN, has_body=False) is None
    assert refused(Origin=OWN, Content_Type="application/json") is None


@pytest.fixture(scope="module")
def guarded(xvfb):
    daemon = start_daemon("--allow-origin", "HTTP://LOCALHOST:8000/")
    yield daemon
    daemon.stop()


def test_refusals_come_in_each_dialect_s_shape_and_run_nothing(guarded):
    foreign = {"Origin": "http://evil.example", "Content-Type": "application/json"}
    post = lambda path, body: httpx.post(f"{guarded.url}{path}", json=body, headers=foreign)  # noqa: E731
    before = httpx.post(f"{guarded.url}/computer/get_mouse_position").json()
    target = {"x": before["x"] // 2 + 3, "y": before["y"] // 2 + 3}

    kernel = post("/browsers/b/computer/move_mouse", target)
    assert (kernel.status_code, kernel.json()["code"]) == (403, "forbidden")
    lightcone = post("/computers/local/execute", {"action": {"type": "move", **target}})
    assert (lightcone.status_code, lightcone.json()["status"]) == (403, "error")
    assert "another site" in lightcone.json()["error_message"]
    anthropic = post("/agents/anthropic/computer", {"action": "mouse_move", "coordinate": [target["x"], target["y"]]})
    assert (anthropic.status_code, anthropic.json()["is_error"]) == (403, True)
    mcp = post("/mcp", {"jsonrpc": "2.0", "id": 1, "method": "initialize"})
    assert mcp.status_code == 403 and mcp.json()["id"] is None and mcp.json()["error"]["code"] == -32000
    form = httpx.post(f"{guarded.url}/computer/move_mouse", content=b'{"x": 1, "y": 1}',
                      headers={"Origin": guarded.url, "Content-Type": "application/x-www-form-urlencoded"})
    assert (form.status_code, form.json()["code"]) == (415, "unsupported_media_type")
    assert httpx.post(f"{guarded.url}/computer/get_mouse_position").json() == before


def test_an_admitted_origin_gets_cors_answers_and_others_none(guarded):
    url = f"{guarded.url}/computer/get_mouse_position"
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    preflight = httpx.options(url, headers={"Origin": ELSEWHERE, **asked})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ELSEWHERE
    assert preflight.headers["access-control-allow-headers"] == "content-type"
    answer = httpx.post(url, headers={"Origin": ELSEWHERE})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == ELSEWHERE

    refused_preflight = httpx.options(url, headers={"Origin": "http://evil.example", **asked})
    assert refused_preflight.status_code == 403 and "access-control-allow-origin" not in refused_preflight.headers
    assert "access-control-allow-origin" not in httpx.post(url).headers


def test_the_token_admits_any_origin_and_its_preflight_is_answered(xvfb):
    daemon = start_daemon("--token", "origin-test-token")
    try:
        url = f"{daemon.url}/computer/get_mouse_position"
        asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
        preflight = httpx.options(url, headers={"Origin": "http://evil.example", **asked})
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "http://evil.example"
        assert httpx.post(url, headers={"Origin": "http://evil.example"}).status_code == 403
        held = httpx.post(url, headers={"Origin": "http://evil.example", "Authorization": "Bearer origin-test-token",
                                        "Content-Type": "text/plain"})
        assert held.status_code == 200 and held.headers["access-control-allow-origin"] == "http://evil.example"
    finally:
        daemon.stop()


def test_the_websocket_upgrade_checks_the_origin(guarded):
    async def connect(origin: str) -> int:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(f"{guarded.url}/computers/local/ws", headers={"Origin": origin}) as socket:
                    await socket.send_json({"action": {"type": "wait", "ms": 1}})
                    return (await socket.receive_json(timeout=10))["status"]
            except aiohttp.WSServerHandshakeError as refused:
                return refused.status

    assert asyncio.run(connect("http://evil.example")) == 403
    assert asyncio.run(connect(guarded.url)) == "success"
    assert asyncio.run(connect(ELSEWHERE)) == "success"
