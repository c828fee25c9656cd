"""The MCP tool computer_action at /mcp, driven by the official MCP SDK's client over streamable HTTP
against a real daemon on the test display; what X applications receive is checked with the recorder."""

import asyncio
import base64
import io
import json
import time

import anyio
import httpx
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.shared._httpx_utils import create_mcp_http_client
from PIL import Image
from Xlib import XK

from xhands.daemon.registry import ACTIONS
from tests.conftest import action
from tests.daemons import start_daemon, until_queued

TOOL = "computer_action"
SEARCH_EXAMPLE = {  # Kernel's "Search from the page" example, as given
    "session_id": "browser_abc123",
    "actions": [
        {"type": "click_mouse", "click_mouse": {"x": 420, "y": 300}},
        {"type": "type_text", "type_text": {"text": "kernel browsers"}},
        {"type": "press_key", "press_key": {"keys": ["Return"]}},
        {"type": "sleep", "sleep": {"duration_ms": 1000}},
        {"type": "screenshot"},
    ],
}
CLIPBOARD_EXAMPLE = {  # Kernel's clipboard example, as given
    "session_id": "browser_2vDb5kRmZ4nP8xQ1cA7",
    "actions": [
        {"type": "write_clipboard", "write_clipboard": {"text": "https://kernel.sh/docs"}},
        {"type": "press_key", "press_key": {"keys": ["Ctrl+l"]}},
        {"type": "press_key", "press_key": {"keys": ["Ctrl+v"]}},
        {"type": "press_key", "press_key": {"keys": ["Return"]}},
        {"type": "screenshot"},
    ],
}


def mcp_client(url: str, token: str | None = None) -> Client:
    """The SDK's client on the daemon's /mcp, with a bearer token if given."""
    if token is None:
        return Client(f"{url}/mcp")
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    return Client(streamable_http_client(f"{url}/mcp", http_client=http))


async def call_async(url: str, *actions: dict, token: str | None = None):
    async with mcp_client(url, token) as mcp:
        return await mcp.call_tool(TOOL, {"session_id": "browser_test", "actions": list(actions)})


def call(url: str, *actions: dict, **kwargs):
    return asyncio.run(call_async(url, *actions, **kwargs))


def texts(result) -> list[str]:
    return [block.text for block in result.content if block.type == "text"]


def image_of(result) -> Image.Image:
    [block] = [block for block in result.content if block.type == "image"]
    return Image.open(io.BytesIO(base64.b64decode(block.data)))


def keysym(name: str) -> int:
    return XK.string_to_keysym(name)


def test_the_tool_is_listed_with_a_schema_from_the_request_models(daemon):
    async def listed():
        async with Client(f"{daemon.url}/mcp") as mcp:
            return (await mcp.list_tools()).tools

    [tool] = asyncio.run(listed())
    assert tool.name == TOOL
    assert "screenshot" in tool.description and "sleep" in tool.description
    annotations = tool.annotations  # Kernel's
    assert tool.title is None and annotations.title == "Control browser (mouse, keyboard, screenshot)"
    assert (annotations.read_only_hint, annotations.destructive_hint, annotations.idempotent_hint,
            annotations.open_world_hint) == (False, True, False, True)
    schema = tool.input_schema
    assert set(schema["required"]) == {"session_id", "actions"}
    assert {schema["properties"][name]["type"] for name in ("project", "project_id")} == {"string"}
    assert schema["properties"]["actions"]["maxItems"] == 100
    action_schema = schema["$defs"]["ComputerAction"]
    assert action_schema["properties"]["type"]["enum"] == list(ACTIONS)
    openapi = httpx.get(f"{daemon.url}/openapi.json").text.replace("#/components/schemas/", "#/$defs/")
    openapi_schemas = json.loads(openapi)["components"]["schemas"]
    for name, spec in ACTIONS.items():  # the same models as the HTTP API's, but coordinates are numbers, as Kernel's
        ours = schema["$defs"][spec.params.__name__]
        if name in ("click_mouse", "move_mouse", "scroll", "drag_mouse"):
            assert '"type": "number"' in json.dumps(ours), name
        else:
            assert ours == openapi_schemas[spec.params.__name__], name
    for example in (SEARCH_EXAMPLE, CLIPBOARD_EXAMPLE):
        jsonschema.validate(example, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"session_id": "s", "actions": [{"type": "jump", "jump": {}}]}, schema)


def test_every_action_type_reaches_x_as_it_says(daemon, recorder):
    url = daemon.url
    result = call(url, action("click_mouse", x=100, y=120, button="right"),
                  action("move_mouse", x=300, y=200, smooth=False),
                  action("type_text", text="hi"),
                  action("press_key", keys=["Return"]),
                  action("scroll", x=400, y=300, delta_y=2),
                  action("drag_mouse", path=[[500, 500], [520, 540]], smooth=False, steps_per_segment=2, step_delay_ms=0),
                  action("set_cursor", hidden=False),
                  action("sleep", duration_ms=10))
    assert not result.is_error and texts(result) == ["Executed 8 action(s) successfully"]
    events = recorder.wait_for(lambda evs: sum(e.kind == "button_release" for e in evs) >= 4)
    presses = [(e.button, e.x, e.y) for e in events if e.kind == "button_press"]
    assert presses == [(3, 100, 120), (5, 400, 300), (5, 400, 300), (1, 500, 500)]
    assert [(e.button, e.x, e.y) for e in events if e.kind == "button_release"][-1] == (1, 520, 540)
    assert (300, 200) in [(e.x, e.y) for e in events if e.kind == "motion"]
    assert recorder.presses() == [keysym("h"), keysym("i"), keysym("Return")]

    result = call(url, action("get_mouse_position"))
    assert texts(result) == ['{\n  "x": 520,\n  "y": 540\n}']  # JSON.stringify(position, null, 2)
    assert result.structured_content == {"x": 520, "y": 540}
    result = call(url, action("move_mouse", x=10, y=20, smooth=False), action("get_mouse_position"))
    assert texts(result) == ["Executed 1 action(s).", '{\n  "x": 10,\n  "y": 20\n}']


def test_sleep_waits(daemon):
    started = time.monotonic()
    call(daemon.url, action("sleep", duration_ms=400))
    assert time.monotonic() - started >= 0.4


def test_screenshot_ends_with_viewport_and_image(daemon):
    result = call(daemon.url, action("move_mouse", x=5, y=5, smooth=False), {"type": "screenshot"})
    assert [block.type for block in result.content] == ["text", "text", "image"]
    assert texts(result) == ["Executed 1 action(s), then captured screenshot.",  # the screenshot not counted
                             "Viewport: 1280x800. Use these dimensions as the coordinate space for click, scroll, and move actions."]
    assert result.content[-1].mime_type == "image/png" and image_of(result).size == (1280, 800)

    result = call(daemon.url, {"type": "screenshot"})
    assert [block.type for block in result.content] == ["text", "image"]  # no summary of no actions

    result = call(daemon.url, action("screenshot", format="jpeg", scale_to={"width": 640}))
    assert result.content[-1].mime_type == "image/jpeg" and image_of(result).size == (640, 400)
    assert "scaled to 640x400" in texts(result)[0] and "by 2 (x) and 2 (y)" in texts(result)[0]

    result = call(daemon.url, action("screenshot", region={"x": 100, "y": 50, "width": 200, "height": 100}))
    assert image_of(result).size == (200, 100) and "at (100, 50)" in texts(result)[0]


def test_clipboard_example_round_trips(daemon, recorder):
    result = asyncio.run(_call_arguments(daemon.url, CLIPBOARD_EXAMPLE))
    assert not result.is_error and texts(result)[0] == "Executed 4 action(s), then captured screenshot."
    recorder.wait_for(lambda evs: sum(e.kind == "key_release" for e in evs) >= 5)
    assert recorder.presses() == [keysym(name) for name in ("Control_L", "l", "Control_L", "v", "Return")]
    result = call(daemon.url, {"type": "read_clipboard"})
    assert result.structured_content == {"text": "https://kernel.sh/docs"}
    assert texts(result) == ['{\n  "text": "https://kernel.sh/docs"\n}']


async def _call_arguments(url: str, arguments: dict):
    async with Client(f"{url}/mcp") as mcp:
        return await mcp.call_tool(TOOL, arguments)


@pytest.mark.parametrize("bad, code, target", [
    ({"type": "jump", "jump": {}}, "bad_request", "actions[1].type"),
    (action("press_key", keys=["NoSuchKey"]), "bad_request", "actions[1].press_key.keys[0]"),
    (action("click_mouse", x=10, y=5000), "bad_request", "actions[1].click_mouse.y"),
])
def test_errors_are_tool_errors_and_nothing_runs(daemon, recorder, bad, code, target):
    result = call(daemon.url, action("click_mouse", x=10, y=10), bad)
    assert result.is_error
    [said] = texts(result)  # as Kernel's tool words what the API answered: status, message, code
    assert said.startswith(f"Error in computer_action (actions): 400 invalid request: {target}")
    assert said.endswith(f"[code: {code}]")
    assert result.structured_content["details"][0]["target"] == target
    recorder.sync()  # the answer came after the batch was refused: what ran would be on the server by now
    assert recorder.of_kind("button_press", "key_press") == []


def test_arguments_are_checked_like_the_http_body(daemon):
    result = asyncio.run(_call_arguments(daemon.url, {"actions": [action("sleep", duration_ms=1)]}))
    assert result.is_error and "session_id" in texts(result)[0]
    result = asyncio.run(_call_arguments(daemon.url, {"session_id": "s", "actions": [action("sleep", duration_ms="1")]}))
    assert result.is_error and "actions[0].sleep.duration_ms" in texts(result)[0]
    result = call(daemon.url, {"type": "screenshot"}, action("sleep", duration_ms=1))
    assert result.is_error and texts(result) == ["Error: screenshot must be the last action in the sequence."]


def test_kernels_arguments_project_and_numbers(daemon, recorder):
    arguments = {"session_id": "s", "project": "proj_1", "project_id": "proj_1",
                 "actions": [action("click_mouse", x=100.4, y=119.6), action("scroll", x=10.2, y=20.7, delta_y=1.0),
                             action("drag_mouse", path=[[200.5, 200.2], [230.9, 240.1]], smooth=False)]}
    result = asyncio.run(_call_arguments(daemon.url, arguments))
    assert not result.is_error, texts(result)
    events = recorder.wait_for(lambda evs: sum(e.kind == "button_release" for e in evs) >= 3)
    assert [(e.button, e.x, e.y) for e in events if e.kind == "button_press"] == [(1, 100, 120), (5, 10, 21), (1, 200, 200)]
    assert [(e.x, e.y) for e in events if e.kind == "button_release"][-1] == (231, 240)


def test_an_unknown_tool_is_a_tool_error(daemon):
    async def unknown():
        async with Client(f"{daemon.url}/mcp") as mcp:
            return await mcp.call_tool("computer_actions", {})

    result = asyncio.run(unknown())
    assert result.is_error and texts(result) == ["MCP error -32602: Tool computer_actions not found"]


def test_token_is_required_on_mcp():
    token_daemon = start_daemon("--token", "s3cret")
    try:
        refused = httpx.post(f"{token_daemon.url}/mcp", json={})
        assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
        statuses = []

        async def with_a_wrong_token():
            async def note(response):
                statuses.append(response.status_code)

            http = create_mcp_http_client(headers={"Authorization": "Bearer wrong"})
            http.event_hooks["response"].append(note)
            async with Client(streamable_http_client(f"{token_daemon.url}/mcp", http_client=http)) as mcp:
                await mcp.call_tool(TOOL, {"session_id": "s", "actions": [action("sleep", duration_ms=1)]})

        # The SDK says only that the server answered with an error; what it answered is the 401.
        with pytest.RaisesGroup(pytest.RaisesExc(MCPError, match="error response"), flatten_subgroups=True):
            asyncio.run(with_a_wrong_token())
        assert statuses and set(statuses) == {401}
        result = call(token_daemon.url, action("get_mouse_position"), token="s3cret")
        assert not result.is_error and set(result.structured_content) == {"x", "y"}
    finally:
        token_daemon.stop()


def test_a_full_queue_is_a_tool_error_that_says_to_retry():
    small = start_daemon("--max-queue", "1")
    try:
        async def crowd():
            # The session is opened first: the daemon's first one loads the SDK, which takes a while.
            async with httpx.AsyncClient(base_url=small.url) as http, mcp_client(small.url) as mcp:
                sleep = {"actions": [action("sleep", duration_ms=2000)]}
                running = asyncio.ensure_future(http.post("/computer/batch", json=sleep))
                queued = asyncio.ensure_future(http.post("/computer/batch", json=sleep))
                await asyncio.to_thread(until_queued, small.url, 1)  # one runs, the other waits: the queue is full
                result = await mcp.call_tool(TOOL, {"session_id": "s", "actions": [action("sleep", duration_ms=1)]})
                await asyncio.gather(running, queued)
                return result

        result = asyncio.run(crowd())
        assert result.is_error
        [said] = texts(result)
        assert said.startswith("Error in computer_action (actions): 429 the action queue is full")
        assert "[code: too_many_requests]" in said and said.endswith("(retry the call after 1 s)")
    finally:
        small.stop()


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # the 2026 per-request wire, and the 2025 session wire
def test_a_client_leaving_stops_the_batch_after_the_current_action(daemon, recorder, mode):
    call(daemon.url, action("move_mouse", x=100, y=100, smooth=False))
    recorder.wait_for(lambda evs: (100, 100) in [(e.x, e.y) for e in evs if e.kind == "motion"])

    async def leave_mid_batch():
        async with Client(f"{daemon.url}/mcp", mode=mode) as mcp:
            running = asyncio.ensure_future(mcp.call_tool(TOOL, {"session_id": "s", "actions": [
                action("move_mouse", x=700, y=500, duration_ms=800), action("click_mouse", x=50, y=50)]}))
            await asyncio.to_thread(recorder.wait_for, lambda evs: any(  # the move has begun
                e.kind == "motion" and (e.x, e.y) != (100, 100) for e in evs))
            running.cancel()

    try:
        asyncio.run(leave_mid_batch())
    except* anyio.BrokenResourceError:
        # The SDK client's own race as it leaves: on the session wire its DELETE ends the session, the server
        # answers the abandoned call ("Session terminated before the request completed"), and on a loaded machine
        # that answer can reach the client's POST task after the client closed the stream it would deliver it to.
        pass
    # The worker takes requests in order: this one runs once the batch has stopped.
    assert not call(daemon.url, action("sleep", duration_ms=1)).is_error
    motions = [(e.x, e.y) for e in recorder.of_kind("motion")]
    assert motions[-1] == (700, 500), "the move in progress was finished"
    assert recorder.of_kind("button_press") == [], "the next action was not run"


def test_mcp_sessions_and_http_clients_interleave_batch_by_batch_in_each_clients_order(daemon, recorder):
    """8 MCP sessions and 8 HTTP clients at once, 3 batches of 3 clicks each: every batch runs whole, and
    each client's batches run in the order it sent them."""
    clients, batches, clicks = 16, 3, 3

    def batch_of(client: int, number: int) -> list[dict]:
        return [action("click_mouse", x=20 + client * 70, y=20 + (number * clicks + i) * 40) for i in range(clicks)]

    async def over_mcp(client: int):
        async with Client(f"{daemon.url}/mcp") as mcp:
            for number in range(batches):
                result = await mcp.call_tool(TOOL, {"session_id": "s", "actions": batch_of(client, number)})
                assert not result.is_error, texts(result)

    async def over_http(client: int, http: httpx.AsyncClient):
        for number in range(batches):
            response = await http.post("/computer/batch", json={"actions": batch_of(client, number)})
            assert response.status_code == 200, response.text

    async def everyone():
        async with httpx.AsyncClient(base_url=daemon.url, timeout=30) as http:
            await asyncio.gather(*(over_mcp(c) if c % 2 else over_http(c, http) for c in range(clients)))

    asyncio.run(everyone())
    total = clients * batches * clicks
    events = recorder.wait_for(lambda evs: sum(e.kind == "button_release" for e in evs) >= total, timeout=20)
    points = [(e.x, e.y) for e in events if e.kind == "button_press"]
    assert len(points) == total
    seen_batches: dict[int, list[int]] = {}
    for start in range(0, total, clicks):
        run = points[start:start + clicks]
        client = (run[0][0] - 20) // 70
        number = (run[0][1] - 20) // 40 // clicks
        assert run == [(x, y) for x, y in ((a["click_mouse"]["x"], a["click_mouse"]["y"]) for a in batch_of(client, number))]
        seen_batches.setdefault(client, []).append(number)
    assert seen_batches == {client: list(range(batches)) for client in range(clients)}
