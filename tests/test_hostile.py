"""Hostile bodies to every route family: deep nesting, bad UTF-8, non-objects, strings and booleans as numbers,
more keys or actions than the core allows. Each is answered in its dialect's own error shape, never 5xx, and
nothing reaches the X server (the recorder sees no press)."""

import asyncio
import json

import aiohttp
import httpx
import pytest

from tests.conftest import action

NESTED = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
BROKEN = [
    NESTED,
    b"\xc3\x28\xa0\xa1",  # not UTF-8
    b'{"text": "\xff\xfe"}',
    b"[]",
    b'"a string"',
    b"17",
    b"{not json",
    b'{"x": 1}{"x": 2}',
    b'{"x": NaN, "y": 1}',
]
LIGHTCONE_ROUTES = ["click", "double-click", "right-click", "drag", "hotkey", "key-down", "key-up", "mouse-down",
                    "mouse-up", "scroll", "type", "screenshot", "execute", "batch", "viewport"]
JSON = {"Content-Type": "application/json"}


def post(client: httpx.Client, path: str, body) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, content=content, headers=JSON)


def kernel_error(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert isinstance(body["code"], str) and isinstance(body["message"], str), body
    return body["message"]


def lightcone_error(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert body["status"] == "error" and isinstance(body["error_message"], str), body
    return body["error_message"]


def anthropic_error(response: httpx.Response, status: int = 200) -> str:
    """The model's mistakes answer 200 (for the loop to hand back), the daemon's own refusals their status."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert body["is_error"] is True and body["content"][0]["type"] == "text", body
    return body["content"][0]["text"]


def nothing_ran(recorder) -> None:
    recorder.sync()
    assert recorder.of_kind("button_press", "key_press", "motion") == []


@pytest.mark.parametrize("route", LIGHTCONE_ROUTES)
def test_lightcone_routes_answer_broken_bodies_with_an_error_result(client, recorder, route):
    for body in BROKEN:
        lightcone_error(post(client, f"/computers/local/{route}", body))
    nothing_ran(recorder)


@pytest.mark.parametrize("route, body, said", [
    ("click", {"x": "1", "y": 5}, "x: Input should be a valid number"),
    ("click", {"x": True, "y": 5}, "x: Input should be a valid number"),
    ("drag", {"x1": 1, "y1": 1, "x2": "9", "y2": 9}, "x2: Input should be a valid number"),
    ("scroll", {"x": 1, "y": 1, "dy": False}, "dy: Input should be a valid number"),
    ("type", {"text": 5}, "text: Input should be a valid string"),
    ("hotkey", {"keys": "Control+a"}, "keys: Input should be a valid array"),
    ("hotkey", {"keys": ["a"] * 1000}, "keys: List should have at most 100 items"),
    ("hotkey", {"keys": ["Control", "a" + "++" * 200]}, "at most 100 keys"),
    ("type", {"text": "a" * 100_001}, "more than the limit of 100,000"),
    ("execute", {"action": {"type": "click", "x": 1, "y": "2"}}, "action.y: Input should be a valid number"),
    ("execute", {"action": "click"}, "action: Input should be an object"),
    ("batch", {"actions": [{"type": "wait", "ms": 0}] * 101}, "actions: List should have at most 100 items"),
    ("batch", {"actions": []}, "actions: List should have at least 1 item"),
    ("batch", {"actions": [{"type": "click", "x": 1, "y": 1}, {"type": "wait", "ms": "5"}]}, "actions[1].ms"),
    ("viewport", {"width": "800", "height": 600}, "width: Input should be a valid integer"),
])
def test_lightcone_takes_no_strings_or_booleans_as_numbers_and_keeps_the_cores_limits(client, recorder, route, body, said):
    assert said in lightcone_error(post(client, f"/computers/local/{route}", body))
    nothing_ran(recorder)


TOO_BIG = b'{"text": "' + b"a" * (2 * 1024 * 1024) + b'"}'


@pytest.mark.parametrize("path, error", [
    ("/computers/local/type", lambda response: lightcone_error(response, 413)),
    ("/agents/anthropic/computer", lambda response: anthropic_error(response, 413)),
    ("/agents/openai/computer", lambda response: kernel_error(response, 413)),
    ("/computer/type", lambda response: kernel_error(response, 413)),
])
def test_a_body_past_the_limit_is_a_413_in_the_dialects_shape(client, path, error):
    assert "--max-body" in error(post(client, path, TOO_BIG))


async def ws_exchange(url: str, messages: list) -> list:
    """Each message in turn, its answer read before the next is sent; the socket must still be open at the end."""
    answers = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url + "/computers/local/ws") as socket:
        for message in messages:
            if isinstance(message, bytes):
                await socket.send_bytes(message)
            else:
                await socket.send_str(message if isinstance(message, str) else json.dumps(message))
            answers.append(await socket.receive_json(timeout=10))
        assert not socket.closed
    return answers


WS_BAD = [
    '{"action":' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"actions":[{"type":"click_mouse","click_mouse":' + "[" * 50_000 + "]" * 50_000 + "}]}",
    '{"action": {"type": "type", "text": "\\ud800"}}',  # a lone surrogate: no character to type
    "garbage",
    "{not json",
    "[1, 2]",
    "null",
    b"\x00\xff binary",
    {"request_id": "r", "action": {"type": "click", "x": "1", "y": 1}},
    {"request_id": "r", "action": {"type": "click", "x": True, "y": 1}},
    {"request_id": 5, "action": {"type": "click", "x": 1, "y": 1}},
    {"action": "click"},
    {"actions": "click"},
    {"actions": [{"type": "wait", "ms": 0}] * 101},
    {"actions": [action("sleep", duration_ms=0)] * 101},
    {"actions": [{"type": "hotkey", "keys": ["a"] * 1000}]},
    {"actions": [action("press_key", keys=["a+" * 150 + "b"])]},
    {"actions": [action("click_mouse", x="1", y=1)]},
]


def test_a_bad_websocket_message_gets_an_error_result_and_the_socket_goes_on(daemon, recorder):
    valid = {"request_id": "after", "action": {"type": "click", "x": 5, "y": 6}}
    answers = asyncio.run(ws_exchange(daemon.url, WS_BAD))
    for sent, answer in zip(WS_BAD, answers):
        assert answer["status"] == "error" and isinstance(answer["error_message"], str), (sent, answer)
    nothing_ran(recorder)
    [after] = asyncio.run(ws_exchange(daemon.url, [valid]))
    assert after["status"] == "success" and after["request_id"] == "after"
    recorder.wait_for(lambda evs: any(e.kind == "button_release" for e in evs))


@pytest.mark.parametrize("body", [*BROKEN, {"action": "left_click", "coordinate": ["1", 2]},
                                  {"action": "left_click", "coordinate": [True, 2]},
                                  {"action": "key", "text": " ".join(["a"] * 101)},
                                  {"action": "key", "text": "+".join(["a"] * 101)},
                                  {"action": "type", "text": "a" * 100_001}])
def test_anthropic_answers_hostile_bodies_as_tool_errors(client, recorder, body):
    anthropic_error(post(client, "/agents/anthropic/computer", body))
    nothing_ran(recorder)


@pytest.mark.parametrize("body", [*BROKEN, {"call_id": "c", "action": {"type": "click", "x": "1", "y": 1}},
                                  {"call_id": "c", "action": {"type": "click", "x": True, "y": 1}},
                                  {"call_id": "c", "actions": [{"type": "wait"}] * 101},
                                  {"call_id": "c", "action": {"type": "keypress", "keys": ["a"] * 101}},
                                  {"call_id": "c", "action": {"type": "drag", "path": [{"x": 1, "y": 1}] * 1001}},
                                  {"call_id": "c", "action": {"type": "type", "text": "a" * 100_001}}])
def test_openai_answers_hostile_bodies_with_a_400(client, recorder, body):
    kernel_error(post(client, "/agents/openai/computer", body))
    nothing_ran(recorder)


@pytest.mark.parametrize("body", [*BROKEN, action("press_key", keys=["a"] * 101)["press_key"],
                                  {"keys": ["+".join(["a"] * 101)]}, {"keys": ["a" + "++" * 2000]}])
def test_kernel_routes_answer_hostile_bodies_with_a_400(client, recorder, body):
    kernel_error(post(client, "/computer/press_key", body))
    nothing_ran(recorder)


@pytest.mark.parametrize("body, status", [
    (NESTED, 400), (b"\xc3\x28", 400), (b"[]", 400), ({"width": "800", "height": 600}, 400),
    ({"width": True, "height": 600}, 400), ({"width": 0, "height": 600}, 400),
    ({"width": 2**40, "height": 2**40}, 409),  # this display cannot resize: refused before any size is checked
])
def test_patch_display_answers_hostile_bodies_with_a_4xx(client, body, status):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    kernel_error(client.patch("/computer/display", content=content, headers=JSON), status)


@pytest.mark.parametrize("path", [
    "/computer/screencast?fps=abc", "/computer/screencast?fps=1e400", "/computer/screencast?scale=nan",
    "/computer/screencast?quality=-1", "/computers/local/screencast?max_width=1", "/computer/screencast.mjpeg?fps=0",
    "/computer/screencast?scale=" + "9" * 5000, "/computer/events?last_event_id=-1",
    "/computers/local/events?last_event_id=%C2%B2", "/agents/anthropic/tool?scale=0x0", "/agents/openai/tool?scale=axb",
    "/agents/anthropic/tool?version=" + "\u00e9" * 10,
])
def test_stream_and_tool_parameters_answer_a_400(client, path):
    kernel_error(client.get(path))


def mcp_post(client: httpx.Client, body, session: str | None = None) -> httpx.Response:
    headers = {**JSON, "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18",
               **({"Mcp-Session-Id": session} if session else {})}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/mcp", content=content, headers=headers)


def mcp_session(client: httpx.Client) -> str:
    response = mcp_post(client, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}})
    assert response.status_code == 200, response.text
    session = response.headers["mcp-session-id"]
    assert mcp_post(client, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session).status_code == 202
    return session


def sse_result(response: httpx.Response) -> dict:
    """The JSON-RPC message of a one-event SSE answer (or of a JSON one)."""
    if response.headers["content-type"].startswith("application/json"):
        return response.json()
    [data] = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
    return json.loads(data)


def test_mcp_answers_hostile_bodies_without_a_5xx(client):
    for body in BROKEN:
        response = mcp_post(client, body)
        assert 400 <= response.status_code < 500, (body[:40], response.status_code, response.text[:300])


@pytest.mark.parametrize("arguments", [
    {"session_id": "s", "actions": json.loads("[" * 150 + "]" * 150)},
    {"session_id": "s", "actions": [action("click_mouse", x="1", y=1)]},
    {"session_id": "s", "actions": [action("click_mouse", x=True, y=1)]},
    {"session_id": "s", "actions": [action("sleep", duration_ms=0)] * 101},
    {"session_id": "s", "actions": [action("press_key", keys=["+".join(["a"] * 101)])]},
    {"session_id": "s", "actions": [action("type_text", text="a" * 100_001)]},
])
def test_mcp_tool_answers_hostile_arguments_with_a_tool_error(client, recorder, arguments):
    session = mcp_session(client)
    answer = sse_result(mcp_post(client, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                          "params": {"name": "computer_action", "arguments": arguments}}, session))
    assert answer["result"]["isError"] is True, answer
    assert answer["result"]["structuredContent"]["code"] == "bad_request", answer
    nothing_ran(recorder)


def test_a_websocket_message_past_the_body_limit_closes_the_socket_as_too_big(daemon):
    async def send_too_much():
        async with aiohttp.ClientSession() as session, session.ws_connect(daemon.url + "/computers/local/ws") as socket:
            await socket.send_str(json.dumps({"action": {"type": "type", "text": "a" * (2 * 1024 * 1024)}}))
            message = await socket.receive(timeout=10)
            return message.type, socket.close_code

    assert asyncio.run(send_too_much()) == (aiohttp.WSMsgType.CLOSE, aiohttp.WSCloseCode.MESSAGE_TOO_BIG)
