"""Generated and mutated requests from /openapi.json to every route, one test per route family, plus the MCP
tool's arguments, a hypothesis-driven client on Lightcone's WebSocket and hand-picked bad bodies: no 5xx, every answer in the
documented shape (the dialect's own error shape), the daemon alive, nothing left pressed, keymap unchanged.

Each family is bounded by its number of examples (XHANDS_FUZZ_SCALE multiplies them), so that it ends well
inside the test timeout on a slow, loaded machine, and one slow family cannot fail the others."""

import asyncio
import json
import os
from collections.abc import Callable

import aiohttp
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import action
from tests.daemons import DaemonOnOwnDisplay
from tests.test_hostile import mcp_post, mcp_session, sse_result
from tests.xstate import keymap_rows, nothing_pressed

SCALE = float(os.environ.get("XHANDS_FUZZ_SCALE", "1"))
# Besides: no 5xx at all, on any route.
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
MCP_ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def fuzzed():
    """A daemon on a display of its own, so random input cannot disturb other tests."""
    with DaemonOnOwnDisplay("800x600x24", "--max-text", "64", "--max-path", "16", "--batch-timeout", "20") as own:
        client = httpx.Client(base_url=own.daemon.url, timeout=30)
        yield own.daemon, own.display, client
        client.close()


@pytest.fixture(scope="module")
def schema(fuzzed):
    _, _, client = fuzzed
    return schemathesis.openapi.from_dict(client.get("/openapi.json").json())


def capped(value, cap: float):
    """`value` no further from 0 than `cap`, if it is a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > cap:
        return type(value)(cap if value > 0 else -cap)
    return value


# Generated values reach real X actions: these keep each one short without making it invalid.
KERNEL_CAPS = {"duration": 20, "delay": 5, "step_delay_ms": 5, "steps_per_segment": 3, "num_clicks": 3,
               "delta_x": 5, "delta_y": 5}
LIGHTCONE_CAPS = {"ms": 20, "settle_ms": 50, "dx": 500, "dy": 500, "scroll_x": 500, "scroll_y": 500}
ANTHROPIC_CAPS = {"duration": 0.05, "scroll_amount": 5}  # seconds, notches
OPENAI_CAPS = {"scroll_x": 500, "scroll_y": 500}  # pixels
MAX_LIST = 5  # a long batch of valid actions takes long and finds nothing a short one does not


def tame_kernel(value, key=None):
    """Kernel's bodies: short waits, quick smooth moves; click_type down becomes click so nothing stays held."""
    if isinstance(value, list):
        return [tame_kernel(item) for item in value]
    if not isinstance(value, dict):
        return value
    tamed = {k: capped(tame_kernel(v, k), KERNEL_CAPS[k]) if k in KERNEL_CAPS else tame_kernel(v, k)
             for k, v in value.items()}
    if isinstance(tamed.get("duration_ms"), int) and not isinstance(tamed["duration_ms"], bool):
        short = key == "sleep" or "hidden" in tamed  # sleep's duration_ms may be small
        tamed["duration_ms"] = min(tamed["duration_ms"], 20 if short else 50)
    if "x" in tamed and "y" in tamed and "duration_ms" not in tamed and tamed.get("smooth", True) is not False:
        tamed["duration_ms"] = 50
    if tamed.get("click_type") == "down":
        tamed["click_type"] = "click"
    return tamed


def tamer(caps: dict, replace: Callable[[dict], dict] = lambda value: value):
    """A tame function for a dialect: numbers named in `caps` capped, lists shortened, `replace` on each object."""
    def tame(value):
        if isinstance(value, list):
            return [tame(item) for item in value[:MAX_LIST]]
        if not isinstance(value, dict):
            return value
        return replace({k: capped(tame(v), caps[k]) if k in caps else tame(v) for k, v in value.items()})

    return tame


# OpenAI's wait always waits a second: as a screenshot it checks the same plumbing in no time.
tame_openai = tamer(OPENAI_CAPS, lambda value: {**value, "type": "screenshot"} if value.get("type") == "wait" else value)


def send(client: httpx.Client, case, tame) -> httpx.Response:
    """The case as an HTTP request; a stream's answer is read only when it is an error (else it would never end)."""
    headers = dict(case.headers or {})
    if case.path == "/mcp":
        headers.update(MCP_ACCEPT)
    if isinstance(case.body, NotSet):
        content = None
    elif isinstance(case.body, (bytes, str)):
        content = case.body
    else:
        content = json.dumps(tame(case.body))
    if content is not None:
        headers.setdefault("Content-Type", "application/json")
    try:
        request = client.build_request(case.method, case.formatted_path, params=case.query, headers=headers,
                                       content=content)
        response = client.send(request, stream=True)
    except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError, ValueError):
        assume(False)  # no HTTP client could send it (a header value no header may have)
    try:
        if response.status_code >= 400 or not response.headers.get("content-type", "").startswith(
                ("text/event-stream", "multipart/")):
            response.read()
    finally:
        response.close()
    return response


def fuzz(client: httpx.Client, schema, family: Callable[[str], bool], examples: int, tame, methods=("post",)) -> int:
    """Every operation of the family, `examples` generated and mutated cases each; the number of requests sent."""
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not family(operation.path) or operation.method.lower() not in methods:
            continue
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | operation.as_strategy(
            generation_mode=GenerationMode.NEGATIVE)

        @settings(max_examples=max(1, round(examples * SCALE)), deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        @given(strategy)
        def run(case):
            nonlocal sent
            response = send(client, case, tame)
            assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:300])
            if response.is_stream_consumed or response.status_code >= 400:
                case.validate_response(response, checks=CHECKS)
            sent += 1

        run()
    return sent


def assert_unharmed(fuzzed, keymap_before) -> None:
    daemon, display_name, client = fuzzed
    assert client.get("/health").status_code == 200 and daemon.process.poll() is None
    assert nothing_pressed(display_name)
    assert keymap_rows(display_name) == keymap_before


STREAMS = ("events", "screencast", "screencast.mjpeg")


def kernel_route(path: str) -> bool:
    return path.startswith("/computer/") and not path.endswith(STREAMS)


FAMILIES = {  # family: (which paths, examples per operation, tame, methods)
    "kernel": (kernel_route, 12, tame_kernel, ("post", "patch")),
    # The same handlers as "kernel": mostly to vary the id.
    "kernel_browser_form": (lambda path: path.startswith("/browsers/"), 4, tame_kernel, ("post", "patch")),
    "lightcone": (lambda path: path.startswith("/computers") and "/recording/" not in path
                  and not path.endswith(STREAMS), 5, tamer(LIGHTCONE_CAPS), ("post", "get", "delete")),
    # Kernel's recordings and replays: few, as each recording started encodes the screen until stopped.
    "recording": (lambda path: "/recording/" in path or "/replays" in path, 3, lambda value: value,
                  ("post", "get")),
    "anthropic": (lambda path: path.startswith("/agents/anthropic/"), 25, tamer(ANTHROPIC_CAPS), ("post", "get")),
    "openai": (lambda path: path.startswith("/agents/openai/"), 25, tame_openai, ("post", "get")),
    "mcp": (lambda path: path == "/mcp", 20, lambda value: value, ("post", "get", "delete")),
    "streams_and_reads": (lambda path: path.endswith(STREAMS)
                          or path in ("/health", "/metrics", "/openapi.json", "/view"), 10, lambda value: value, ("get",)),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_generated_and_mutated_requests(fuzzed, schema, family):
    _, display_name, client = fuzzed
    before = keymap_rows(display_name)
    paths, examples, tame, methods = FAMILIES[family]
    sent = fuzz(client, schema, paths, examples, tame, methods)
    assert sent >= examples * SCALE
    client.delete("/computers/local")  # Lightcone's key-down and mouse-down hold on purpose, until this
    assert_unharmed(fuzzed, before)


def test_mcp_tool_calls(fuzzed, schema):
    """computer_action called with the batch body's generated and mutated cases as its arguments: a tool result
    (a tool error for bad arguments, never an internal one) or a JSON-RPC error, never a 5xx."""
    _, display_name, client = fuzzed
    before = keymap_rows(display_name)
    session = mcp_session(client)
    operation = schema["/computer/batch"]["POST"]
    calls = 0

    @settings(max_examples=max(1, round(25 * SCALE)), deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    @given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
           | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def call(case):
        nonlocal calls
        assume(not isinstance(case.body, bytes))  # arguments are JSON: raw bytes are the HTTP families' business
        arguments = None if isinstance(case.body, NotSet) else tame_kernel(case.body)
        if isinstance(arguments, dict):
            arguments = {"session_id": "fuzz", **arguments}
        calls += 1
        response = mcp_post(client, {"jsonrpc": "2.0", "id": calls, "method": "tools/call",
                                     "params": {"name": "computer_action", "arguments": arguments}}, session)
        assert response.status_code == 200, response.text[:300]
        answer = sse_result(response)
        if "error" in answer:  # arguments that are no object: the SDK's own refusal
            assert isinstance(answer["error"]["message"], str), answer
        elif answer["result"]["isError"]:  # Kernel's error texts: "... [code: bad_request]", never an internal one
            said = " ".join(block.get("text", "") for block in answer["result"]["content"])
            assert "internal_error" not in said, answer

    call()
    assert_unharmed(fuzzed, before)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10, 2000) | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=8)
LIGHTCONE_TYPES = ["click", "double_click", "right_click", "move", "drag", "hotkey", "keypress", "key_down", "key_up",
                   "mouse_down", "mouse_up", "scroll", "type", "wait", "screenshot", "navigate", "teleport"]
LIGHTCONE_FIELDS = {
    "x": st.integers(-5, 900) | st.floats(-5, 900) | JSON_VALUES, "y": st.integers(-5, 700) | JSON_VALUES,
    "x1": st.integers(0, 799), "y1": st.integers(0, 599), "x2": st.integers(0, 799) | st.text(), "y2": st.integers(0, 599),
    "dx": st.integers(-500, 500) | st.booleans(), "dy": st.floats(-500, 500) | st.text(max_size=3),
    "button": st.sampled_from(["left", "right", "middle", "wheel", ""]) | JSON_VALUES,
    "key": st.sampled_from(["a", "Shift", "Control", "NoSuchKey", "", "+"]) | JSON_VALUES,
    "keys": st.lists(st.sampled_from(["a", "Control", "Enter", "ArrowLeft", "nope"]), max_size=4) | JSON_VALUES,
    "text": st.text(max_size=10) | JSON_VALUES, "ms": st.integers(-5, 20) | st.text(max_size=2),
    "settle_ms": st.integers(-5, 50), "base64": st.booleans() | JSON_VALUES, "request_id": st.text(max_size=8) | JSON_VALUES,
}
LIGHTCONE_ACTION = st.builds(lambda kind, fields: {"type": kind, **fields},
                             st.sampled_from(LIGHTCONE_TYPES) | JSON_VALUES,
                             st.fixed_dictionaries({}, optional=LIGHTCONE_FIELDS))
KERNEL_ACTION = st.sampled_from([
    action("click_mouse", x=5, y=5), action("press_key", keys=["a"]), action("type_text", text="b"),
    action("sleep", duration_ms=1), {"type": "get_mouse_position"}, {"type": "screenshot"},
    action("click_mouse", x="5", y=5), action("press_key", keys=["Control+" * 150 + "a"]),
    action("drag_mouse", path=[[1, 1], [2, 2]], smooth=False, step_delay_ms=0)]) | st.builds(
    lambda kind, params: {"type": kind, kind: params}, st.sampled_from(["click_mouse", "scroll", "sleep"]), JSON_VALUES)
MESSAGES = st.one_of(
    st.builds(lambda one, rid: {"action": one, "request_id": rid}, LIGHTCONE_ACTION, st.text(max_size=6) | JSON_VALUES),
    st.builds(lambda many: {"actions": many}, st.lists(LIGHTCONE_ACTION, max_size=3) | JSON_VALUES),
    st.builds(lambda many: {"actions": many}, st.lists(KERNEL_ACTION, min_size=1, max_size=3)),
    JSON_VALUES,
).map(json.dumps) | st.text(max_size=40) | st.integers(1, 5000).map(lambda depth: '{"action":' + "[" * depth + "]" * depth + "}")


def test_websocket_messages(fuzzed):
    """A hypothesis-driven client on Lightcone's WebSocket: every message, however bad, gets one ActionResult,
    the socket stays open, and a valid message after all of them still runs."""
    daemon, display_name, client = fuzzed
    before = keymap_rows(display_name)
    async def connect():
        session = aiohttp.ClientSession()
        return session, await session.ws_connect(daemon.url + "/computers/local/ws")

    loop = asyncio.new_event_loop()
    session, socket = loop.run_until_complete(connect())
    try:
        @settings(max_examples=max(1, round(200 * SCALE)), deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        @given(MESSAGES)
        def one(text):
            loop.run_until_complete(socket.send_str(text))
            answer = loop.run_until_complete(socket.receive_json(timeout=20))
            assert answer["status"] in ("success", "error") and isinstance(answer["request_id"], str), answer
            assert (answer["status"] == "error") == isinstance(answer["error_message"], str), answer
            assert not socket.closed

        one()
        loop.run_until_complete(socket.send_str(json.dumps({"request_id": "last", "action": {"type": "move", "x": 7, "y": 8}})))
        last = loop.run_until_complete(socket.receive_json(timeout=20))
        assert (last["status"], last["request_id"]) == ("success", "last"), last
    finally:
        loop.run_until_complete(socket.close())
        loop.run_until_complete(session.close())
        loop.close()
    client.delete("/computers/local")
    assert_unharmed(fuzzed, before)


NESTED = b'{"actions":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
HAND_PICKED = [
    ("batch", b'{"actions":[{"type":"click_mouse","click_mouse":{"x":"10","y":10}}]}'),
    ("batch", b'{"actions":[{"type":"click_mouse","click_mouse":{"x":1e400,"y":10}}]}'),
    ("batch", b'{"actions":[{"type":"click_mouse","click_mouse":{"x":NaN,"y":10}}]}'),
    ("batch", b'{"actions":[{"type":"click_mouse","click_mouse":{"x":123456789012345678901234567890,"y":1}}]}'),
    ("batch", b'{"actions":[{"type":"sleep","sleep":{"duration_ms":-1}}]}'),
    ("batch", b'{"actions":[{"type":"press_key","press_key":{"keys":["a"],"duration":-5}}]}'),
    ("batch", b'{"actions":[{"type":"self_destruct"}]}'),
    ("batch", json.dumps({"actions": [action("sleep", duration_ms=0)] * 101}).encode()),
    ("batch", json.dumps({"actions": [action("press_key", keys=["Ctrl+"])]}).encode()),
    ("batch", json.dumps({"actions": [action("press_key", keys=["++"])]}).encode()),
    ("batch", json.dumps({"actions": [action("press_key", keys=[""])]}).encode()),
    ("batch", b"\xc3\x28\xa0\xa1"),
    ("batch", b'{"actions":[{"type":"type_text","type_text":{"text":"\xff\xfe"}}]}'),
    ("batch", NESTED),
    ("batch", b'{"actions":[' + b'{"type":"sleep","sleep":{"duration_ms":0}},' * 5 + b"]"),
    ("batch", b"null"),
    ("batch", b"{}" * 1000),
    ("type", b'{"text": "' + b"a" * (10 * 1024 * 1024) + b'"}'),
    ("click_mouse", b'{"x": true, "y": false}'),
    ("scroll", b'{"x": 1, "y": 1, "delta_x": 0, "delta_y": 0}'),
    ("drag_mouse", b'{"path": [[1, 1]]}'),
    ("drag_mouse", b'{"path": [[1, 1], [2]]}'),
    ("screenshot", b'{"region": {"x": 0, "y": 0, "width": 0, "height": 10}}'),
    ("screenshot", b'{"region": {"x": 700, "y": 0, "width": 200, "height": 10}}'),
    ("cursor", b'{"hidden": "yes"}'),
    ("clipboard/write", b'{"text": null}'),
]


@pytest.mark.parametrize("route, body", HAND_PICKED, ids=[f"{i}-{r}" for i, (r, _) in enumerate(HAND_PICKED)])
def test_hand_picked_bad_requests(fuzzed, route, body):
    daemon, display_name, client = fuzzed
    response = client.post(f"/computer/{route}", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text[:300]
    error = response.json()
    assert isinstance(error["code"], str) and isinstance(error["message"], str), error
    for detail in error.get("details", []):
        assert isinstance(detail["code"], str) and isinstance(detail["message"], str)
    assert daemon.process.poll() is None
    assert nothing_pressed(display_name)
