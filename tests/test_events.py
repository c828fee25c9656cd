"""The event stream of actions, GET /computer/events and /computers/{id}/events: every route's actions against a
real daemon on the test display, read as a viewer reads them."""

import asyncio
import json
import signal
import socket
import uuid

import aiohttp
import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from tzafon import Lightcone

from xhands.daemon import models as m
from xhands.daemon.streams.events import ActionEvents, summary
from tests.conftest import action
from tests.daemons import post_in_background, start_daemon
from tests.sse_reader import SseReader, hang_up
from tests.test_mcp import TOOL

SECRET = "hunter2 is my password"


def rid() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def of_request(request_id: str):
    """The events of one request, as (event name, index, type) and their data."""
    return lambda events: [event for event in events if event.data.get("request_id") == request_id]


def answered(request_id: str, count: int):
    """A predicate: `count` actions of the request have their response."""
    return lambda events: sum(event.name == "action_response" for event in of_request(request_id)(events)) >= count


def outline(events) -> list[tuple]:
    return [(event.name, event.data["index"], event.data["type"], event.data.get("status")) for event in events]


@pytest.fixture
def events(daemon):
    with SseReader.open(daemon.url + "/computer/events") as stream:
        yield stream


def post(client, path: str, body: dict, request_id: str, status: int = 200) -> httpx.Response:
    response = client.post(path, json=body, headers={"X-Request-Id": request_id})
    assert response.status_code == status, response.text
    return response


# The summary of an action's parameters


def test_the_summary_shows_lengths_of_text_and_the_ends_of_a_path():
    context = {"screen": (640, 480)}
    typed = m.TypeTextRequest.model_validate({"text": SECRET, "delay": 5}, context=context)
    assert summary(typed) == {"text_length": len(SECRET), "delay": 5, "smooth": False, "typo_chance": 0.0}
    assert summary(m.WriteClipboardRequest.model_validate({"text": SECRET})) == {"text_length": len(SECRET)}
    drag = m.DragMouseRequest.model_validate({"path": [(1, 2), (3, 4), (5, 6)]}, context=context)
    shown = summary(drag)
    assert (shown["from"], shown["to"], shown["path_points"]) == ([1, 2], [5, 6], 3) and "path" not in shown
    click = m.ClickMouseRequest.model_validate({"x": 7, "y": 8, "button": "right", "hold_keys": ["shift"]}, context=context)
    assert summary(click) == {"x": 7, "y": 8, "button": "right", "click_type": "click", "hold_keys": ["shift"],
                              "num_clicks": 1, "smooth": False}
    shot = m.ScreenshotRequest.model_validate({"scale_to": {"width": 100}}, context=context)
    assert summary(shot) == {"format": "png", "scale_to": {"width": 100, "keep_aspect": True}, "include_cursor": False}


def test_the_ring_says_how_many_events_a_late_reader_missed():
    ring = ActionEvents(size=3)
    for number in range(5):
        ring.publish("action_request", {"n": number})
    missed, kept = ring.since(0)
    assert missed == 2 and [event.id for event in kept] == [3, 4, 5]
    assert ring.since(3)[0] == 0 and [event.id for event in ring.since(3)[1]] == [4, 5]
    assert ring.since(5) == (0, [])


# Every route's actions


def test_a_kernel_action_and_batch_are_queued_and_answered_with_their_parameters(client, events):
    single, batch = rid(), rid()
    post(client, "/computer/click_mouse", {"x": 11, "y": 12, "button": "middle"}, single)
    post(client, "/computer/batch", {"actions": [action("move_mouse", x=30, y=40, smooth=False),
                                                  action("type_text", text=SECRET),
                                                  action("press_key", keys=["Ctrl+a"])]}, batch)
    seen = events.wait_for(answered(batch, 3))
    mine = of_request(single)(seen)
    assert outline(mine) == [("action_request", 0, "click_mouse", None), ("action_response", 0, "click_mouse", "ok")]
    request, response = mine
    assert request.data["params"]["x"] == 11 and request.data["params"]["button"] == "middle"
    assert response.data["params"] == request.data["params"] and response.data["error"] is None
    assert response.data["duration_ms"] >= 0 and response.data["timestamp"].endswith("Z")
    theirs = of_request(batch)(seen)
    assert outline(theirs) == [
        ("action_request", 0, "move_mouse", None), ("action_request", 1, "type_text", None),
        ("action_request", 2, "press_key", None), ("action_response", 0, "move_mouse", "ok"),
        ("action_response", 1, "type_text", "ok"), ("action_response", 2, "press_key", "ok")]
    assert theirs[0].data["params"]["x"] == 30 and theirs[2].data["params"]["keys"] == ["Ctrl+a"]
    assert theirs[1].data["params"]["text_length"] == len(SECRET)
    assert len({event.data["batch"] for event in theirs}) == 1 and theirs[0].data["batch"] != mine[0].data["batch"]
    ids = [event.id for event in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert not any(SECRET in line or "hunter2" in line for line in events.raw)


def test_a_failing_batch_shows_the_error_then_the_actions_not_run(daemon, events):
    """Lightcone's key-down fails while running for a key the keyboard map lacks; the click after it never runs."""
    request_id = rid()
    response = httpx.post(f"{daemon.url}/computers/local/batch", headers={"X-Request-Id": request_id}, json={
        "actions": [{"type": "click", "x": 5, "y": 6}, {"type": "key_down", "key": "Cyrillic_ya"},
                    {"type": "click", "x": 7, "y": 8}]})
    assert response.status_code == 400 and "Cyrillic_ya" in response.json()["error_message"]
    responses = [event for event in of_request(request_id)(events.wait_for(answered(request_id, 3)))
                 if event.name == "action_response"]
    assert [(event.data["type"], event.data["status"]) for event in responses] == [
        ("click_mouse", "ok"), ("key_down", "error"), ("click_mouse", "not_run")]
    assert "Cyrillic_ya" in responses[1].data["error"] and responses[2].data["error"] == "action 1 failed before it"
    assert responses[2].data["duration_ms"] is None and responses[2].data["params"] == {
        "x": 7, "y": 8, "button": "left", "click_type": "click", "num_clicks": 1, "smooth": False}


def test_resizing_and_releasing_everything_are_actions_on_the_stream(daemon, events):
    """Kernel's PATCH .../display, Lightcone's viewport and its DELETE of the computer run through the worker as the
    core's actions. (The test display is an Xvfb, which cannot resize: the resize runs and fails.)"""
    patch, viewport, delete = rid(), rid(), rid()
    response = httpx.patch(f"{daemon.url}/computer/display", json={"width": 800, "height": 600},
                           headers={"X-Request-Id": patch})
    assert response.status_code == 409, response.text
    response = httpx.post(f"{daemon.url}/computers/local/viewport", json={"width": 640, "height": 480},
                          headers={"X-Request-Id": viewport})
    assert response.status_code == 409, response.text
    assert httpx.delete(f"{daemon.url}/computers/local", headers={"X-Request-Id": delete}).status_code == 200
    seen = events.wait_for(answered(delete, 1))
    for request_id, size in ((patch, {"width": 800, "height": 600}), (viewport, {"width": 640, "height": 480})):
        resized = of_request(request_id)(seen)
        assert outline(resized) == [("action_request", 0, "resize_screen", None),
                                    ("action_response", 0, "resize_screen", "error")]
        assert resized[0].data["params"] == size and "--xserver xvnc" in resized[1].data["error"]
    assert outline(of_request(delete)(seen)) == [("action_request", 0, "release_everything", None),
                                                 ("action_response", 0, "release_everything", "ok")]


def test_a_client_that_leaves_mid_batch_leaves_the_rest_not_run(daemon, events):
    request_id = rid()
    body = json.dumps({"actions": [action("sleep", duration_ms=1000), action("click_mouse", x=5, y=5)]}).encode()
    with socket.create_connection(("127.0.0.1", daemon.port)) as leaving:  # a client we can hang up on
        leaving.sendall(b"POST /computer/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        b"X-Request-Id: " + request_id.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        events.wait_for(lambda seen: len(of_request(request_id)(seen)) >= 2)  # queued: the sleep is under way
    responses = [event for event in of_request(request_id)(events.wait_for(answered(request_id, 2)))
                 if event.name == "action_response"]
    assert [(event.data["status"], event.data["error"]) for event in responses] == [
        ("ok", None), ("not_run", "the client left")]


def test_an_action_refused_by_a_full_queue_is_not_run(xvfb):
    daemon = start_daemon("--max-queue", "1")
    try:
        with SseReader.open(daemon.url + "/computer/events") as stream:
            running, waiting, refused = rid(), rid(), rid()
            sleep = {"actions": [action("sleep", duration_ms=1000)]}
            post_in_background(f"{daemon.url}/computer/batch", sleep, headers={"X-Request-Id": running})
            stream.wait_for(lambda seen: of_request(running)(seen))
            post_in_background(f"{daemon.url}/computer/batch", sleep, headers={"X-Request-Id": waiting})
            stream.wait_for(lambda seen: of_request(waiting)(seen))
            response = httpx.post(f"{daemon.url}/computer/batch", json=sleep, headers={"X-Request-Id": refused})
            assert response.status_code == 429
            seen = of_request(refused)(stream.wait_for(answered(refused, 1)))
        assert [(event.name, event.data["status"] if event.name == "action_response" else None) for event in seen] == [
            ("action_request", None), ("action_response", "not_run")]
        assert seen[1].data["error"] == response.json()["message"]
    finally:
        daemon.stop()


def test_lightcone_routes_and_its_sdk_reading_the_stream(daemon):
    """The official SDK reads the stream at /computers/{id}/events; its REST routes' actions show up in it."""
    computers = Lightcone(api_key="unused", base_url=daemon.url, max_retries=0).computers
    with computers.with_streaming_response.retrieve_events("local") as response:
        stream = SseReader(response.iter_lines(), lambda: hang_up(response.http_response))
        request_id = rid()
        computers.click("local", x=100.4, y=50, extra_headers={"X-Request-Id": request_id})
        computers.type("local", text=SECRET, extra_headers={"X-Request-Id": request_id})
        seen = of_request(request_id)(stream.wait_for(answered(request_id, 2)))
        stream.close()
    assert outline(seen) == [("action_request", 0, "click_mouse", None), ("action_response", 0, "click_mouse", "ok"),
                             ("action_request", 0, "type_text", None), ("action_response", 0, "type_text", "ok")]
    assert (seen[0].data["params"]["x"], seen[0].data["params"]["y"]) == (100, 50)
    assert seen[2].data["params"] == {"text_length": len(SECRET), "delay": 0, "smooth": False, "typo_chance": 0.0}
    assert not any(SECRET in line for line in stream.raw)


def test_lightcone_websocket_messages_are_events_of_the_upgrade_request(daemon, events):
    request_id = rid()

    async def exchange():
        async with aiohttp.ClientSession() as session, session.ws_connect(
                daemon.url + "/computers/local/ws", headers={"X-Request-Id": request_id}) as socket:
            await socket.send_json({"action": {"type": "right_click", "x": 20, "y": 21}})
            await socket.send_json({"actions": [{"type": "scroll", "x": 3, "y": 4, "dy": 250}]})
            return [await socket.receive_json(timeout=10) for _ in range(2)]

    assert [answer["status"] for answer in asyncio.run(exchange())] == ["success", "success"]
    seen = of_request(request_id)(events.wait_for(answered(request_id, 2)))
    assert outline(seen) == [("action_request", 0, "click_mouse", None), ("action_response", 0, "click_mouse", "ok"),
                             ("action_request", 0, "scroll", None), ("action_response", 0, "scroll", "ok")]
    assert seen[0].data["params"]["button"] == "right" and seen[2].data["params"]["delta_y"] == 2
    assert seen[0].data["batch"] != seen[2].data["batch"]  # one per message


def test_mcp_tool_calls_are_events_of_the_request_that_called_the_tool(daemon, events):
    tool_calls = []  # the id each POST that called the tool was sent with

    async def name_it(request) -> None:
        request.headers["X-Request-Id"] = rid()
        if b'"tools/call"' in request.content:
            tool_calls.append(request.headers["X-Request-Id"])

    async def called():
        http = create_mcp_http_client()
        http.event_hooks = {"request": [name_it], "response": []}
        async with Client(streamable_http_client(f"{daemon.url}/mcp", http_client=http)) as mcp:
            return await mcp.call_tool(TOOL, {"session_id": "any", "actions": [action("click_mouse", x=9, y=10),
                                                          action("write_clipboard", text=SECRET)]})

    result = asyncio.run(called())
    assert not result.is_error
    seen = events.wait_for(lambda seen: sum(event.name == "action_response" and event.data["type"] == "write_clipboard"
                                            for event in seen) >= 1)
    [clipboard] = [event for event in seen if event.name == "action_response" and event.data["type"] == "write_clipboard"]
    batch = [event for event in seen if event.data["batch"] == clipboard.data["batch"]]
    assert outline(batch) == [("action_request", 0, "click_mouse", None), ("action_request", 1, "write_clipboard", None),
                              ("action_response", 0, "click_mouse", "ok"), ("action_response", 1, "write_clipboard", "ok")]
    assert tool_calls == [batch[0].data["request_id"]] and clipboard.data["params"] == {"text_length": len(SECRET)}
    assert not any(SECRET in line for line in events.raw)


def test_an_agent_route_shows_the_core_actions_it_became(client, events):
    request_id = rid()
    post(client, "/agents/anthropic/computer", {"action": "left_click", "coordinate": [15, 16]}, request_id)
    seen = of_request(request_id)(events.wait_for(answered(request_id, 2)))
    assert [(event.data["type"], event.data["status"]) for event in seen if event.name == "action_response"] == [
        ("click_mouse", "ok"), ("screenshot", "ok")]
    assert seen[-1].data["params"]["settle_ms"] == 100  # the answer shows the screen once the click's drawing is


# Viewers


def test_two_viewers_get_the_same_events(client, daemon, events):
    with SseReader.open(daemon.url + "/computers/local/events") as second:
        request_id = rid()
        post(client, "/computer/get_mouse_position", {}, request_id)
        first_seen = of_request(request_id)(events.wait_for(answered(request_id, 1)))
        second_seen = of_request(request_id)(second.wait_for(answered(request_id, 1)))
    assert [(event.id, event.name, event.data) for event in first_seen] == [
        (event.id, event.name, event.data) for event in second_seen]


@pytest.mark.parametrize("resume", ["header", "query"])
def test_a_viewer_resumes_after_the_last_event_id_it_had(client, daemon, events, resume):
    request_id = rid()
    post(client, "/computer/batch", {"actions": [action("move_mouse", x=x, y=x, smooth=False) for x in (1, 2, 3)]},
         request_id)
    seen = of_request(request_id)(events.wait_for(answered(request_id, 3)))
    had = seen[2].id  # the last request: the three responses come after it
    given = {"headers": {"Last-Event-ID": str(had)}} if resume == "header" else {"params": {"last_event_id": had}}
    with SseReader.open(daemon.url + "/computer/events", **given) as resumed:
        after = resumed.wait_for(answered(request_id, 3))
    assert [(event.id, event.data) for event in after[:3]] == [(event.id, event.data) for event in seen[3:]]
    assert after[0].id == had + 1


def test_a_viewer_that_fell_behind_the_ring_is_told_how_many_it_missed(client, daemon, events):
    first = rid()
    post(client, "/computer/get_mouse_position", {}, first)
    had = of_request(first)(events.wait_for(answered(first, 1)))[-1].id
    filler = rid()
    for _ in range(6):  # 1,200 events: more than the ring keeps
        post(client, "/computer/batch", {"actions": [action("sleep", duration_ms=0)] * 100}, filler)
    newest = events.wait_for(answered(filler, 600))[-1].id
    with SseReader.open(daemon.url + "/computer/events", headers={"Last-Event-ID": str(had)}) as behind:
        seen = behind.wait_for(lambda seen: seen and seen[-1].id == newest)
    gap, kept = seen[0], seen[1:]
    assert gap.name == "gap" and gap.id is None
    assert gap.data["missed"] == kept[0].id - had - 1 > 0
    assert [event.id for event in kept] == list(range(kept[0].id, newest + 1)) and len(kept) == 1000


@pytest.mark.parametrize("given", ["abc", "-1", "1.5", "²"])
def test_a_bad_last_event_id_is_a_400_in_the_error_shape(client, given):
    response = client.get("/computer/events", headers={"Last-Event-ID": given.encode()})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request" and "Last-Event-ID" in response.json()["message"]
    assert client.get("/computers/local/events", params={"last_event_id": given}).status_code == 400


def test_health_answers_while_a_viewer_is_connected(client, events):
    assert client.get("/health").json()["status"] == "ok"


def test_at_shutdown_viewers_hear_the_aborted_actions_then_the_stream_ends_promptly(xvfb):
    daemon = start_daemon()
    try:
        with SseReader.open(daemon.url + "/computer/events") as stream:
            running, waiting = rid(), rid()
            post_in_background(f"{daemon.url}/computer/batch", {"actions": [
                action("sleep", duration_ms=5000), action("click_mouse", x=5, y=5)]}, headers={"X-Request-Id": running})
            stream.wait_for(lambda seen: len(of_request(running)(seen)) == 2)
            post_in_background(f"{daemon.url}/computer/batch", {"actions": [action("click_mouse", x=6, y=6)]},
                               headers={"X-Request-Id": waiting})
            stream.wait_for(lambda seen: len(of_request(waiting)(seen)) == 1)
            daemon.process.send_signal(signal.SIGTERM)
            daemon.process.wait(timeout=2)  # the requirement: out within 2 s with a viewer connected
            stream.wait_ended()
        said = "the daemon is shutting down; the action was aborted and everything released"
        responses = [event for event in stream.events if event.name == "action_response"]
        assert [(event.data["request_id"], event.data["type"], event.data["status"], event.data["error"])
                for event in responses] == [(running, "sleep", "error", said), (running, "click_mouse", "not_run", said),
                                            (waiting, "click_mouse", "not_run", said)]
    finally:
        daemon.stop()


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/computer/events", "/computers/{id}/events"):
        assert "text/event-stream" in paths[path]["get"]["responses"]["200"]["content"]


def test_the_readme_shows_the_events_a_batch_sends(client, events):
    """The README's example, sent again: the same events, but for their ids, numbers and times."""
    from tests.test_readme_examples import block

    shown = SseReader(iter(block("events").splitlines() + [""]))
    shown.wait_ended()
    request_id = shown.events[0].data["request_id"] + "." + rid()
    post(client, "/computer/batch", {"actions": [action("click_mouse", x=400, y=300),
                                                  action("type_text", text="hello world")]}, request_id)
    sent = of_request(request_id)(events.wait_for(answered(request_id, 2)))
    varying = {"request_id", "batch", "timestamp", "duration_ms"}

    def fixed(event):
        return event.name, {key: value for key, value in event.data.items() if key not in varying}, sorted(event.data)

    assert [fixed(event) for event in sent] == [fixed(event) for event in shown.events]
    assert [event.id - sent[0].id for event in sent] == [event.id - shown.events[0].id for event in shown.events]
