"""Lightcone's action channel, GET /computers/{id}/ws: messages answered one ActionResult each, in order, their
effects checked by what an X application receives (the recorder)."""

import asyncio
import signal
import time

import aiohttp
import pytest

from tests.daemons import start_daemon
from tests.sse_reader import SseReader

PATH = "/computers/local/ws"


async def exchange(url: str, messages: list, headers: dict | None = None) -> list[dict]:
    """Send every message at once, then read as many answers."""
    async with aiohttp.ClientSession() as session, session.ws_connect(url + PATH, headers=headers) as socket:
        for message in messages:
            await (socket.send_str(message) if isinstance(message, str) else socket.send_json(message))
        return [await socket.receive_json(timeout=10) for _ in messages]


def kernel(kind: str, **params) -> dict:
    return {"type": kind, kind: params}


def test_messages_are_answered_in_order_and_run_in_order(daemon, recorder):
    answers = asyncio.run(exchange(daemon.url, [
        {"request_id": "one", "action": {"type": "click", "x": 10.4, "y": 20}},
        {"action": {"type": "key_down", "key": "Shift"}, "request_id": "two"},
        {"request_id": "three", "actions": [{"type": "type", "text": "a"}, {"type": "wait", "ms": 5}]},
        {"request_id": "four", "actions": [kernel("click_mouse", x=30, y=40), kernel("get_mouse_position")]},
        {"request_id": "five", "action": {"type": "key_up", "key": "Shift"}},
        {"request_id": "six", "action": {"type": "screenshot", "base64": True}},
    ]))
    assert [(one["request_id"], one["status"], one["error_message"]) for one in answers] == [
        (name, "success", None) for name in ("one", "two", "three", "four", "five", "six")]
    assert [one["status"] for one in answers[2]["results"]] == ["success", "success"]
    assert answers[3]["results"][1]["result"] == {"x": 30, "y": 40}
    assert answers[5]["result"]["screenshot_url"].startswith("data:image/png;base64,")
    recorder.wait_for(lambda evs: sum(e.kind == "button_release" for e in evs) >= 2
                      and sum(e.kind == "key_release" for e in evs) >= 2)
    assert [(e.button, e.x, e.y) for e in recorder.of_kind("button_press")] == [(1, 10, 20), (1, 30, 40)]
    assert recorder.typed_text() == "A"  # typed while key_down held Shift, before key_up let it go


@pytest.mark.parametrize("bad, said", [
    ("not json", "not a JSON object"),
    ({"request_id": "r1", "nothing": 1}, 'each message is {"action"'),
    ({"request_id": "r2", "action": {"type": "click", "x": 1}}, "click needs y"),
    ({"request_id": "r3", "action": {"type": "navigate", "url": "https://example.com"}}, "has no browser: start the daemon with --cdp"),
    ({"request_id": "r4", "actions": [kernel("click_mouse", x=1)]}, "invalid request"),
])
def test_a_bad_message_gets_an_error_result_and_the_socket_stays_open(daemon, recorder, bad, said):
    error, after = asyncio.run(exchange(daemon.url, [bad, {"request_id": "after", "action": {"type": "click", "x": 5, "y": 6}}]))
    assert error["status"] == "error" and said in error["error_message"], error
    assert error["request_id"] == (bad["request_id"] if isinstance(bad, dict) else error["request_id"])
    assert after["status"] == "success" and after["request_id"] == "after"
    recorder.wait_for(lambda evs: any(e.kind == "button_release" for e in evs))
    assert [(e.button, e.x, e.y) for e in recorder.of_kind("button_press")] == [(1, 5, 6)]


def test_the_upgrade_needs_the_token(xvfb):
    with start_daemon("--token", "secret") as daemon:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            asyncio.run(exchange(daemon.url, [{"action": {"type": "wait", "ms": 1}}]))
        assert refused.value.status == 401
        [answer] = asyncio.run(exchange(daemon.url, [{"action": {"type": "wait", "ms": 1}}], {"Authorization": "Bearer secret"}))
        assert answer["status"] == "success"


def test_sigterm_answers_the_running_message_and_closes_the_socket_at_once(xvfb):
    daemon = start_daemon()

    async def during_a_long_wait(events: SseReader) -> tuple[float, dict, aiohttp.WSMsgType]:
        async with aiohttp.ClientSession() as session, session.ws_connect(daemon.url + PATH) as socket:
            await socket.send_json({"request_id": "long", "action": {"type": "wait", "ms": 5000}})
            # The daemon has taken the message (a fixed pause may not be long enough on a loaded machine).
            await asyncio.to_thread(events.wait_for, lambda seen: any(
                e.name == "action_request" and e.data.get("request_id") == "long" for e in seen))
            daemon.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            answer = await socket.receive_json(timeout=5)
            return signalled, answer, (await socket.receive(timeout=5)).type

    try:
        with SseReader.open(daemon.url + "/computer/events") as events:
            signalled, answer, then = asyncio.run(during_a_long_wait(events))
        daemon.process.wait(timeout=5)
        assert time.monotonic() - signalled < 2.5
        assert answer["status"] == "error" and "shutting down" in answer["error_message"], answer
        assert then in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    finally:
        daemon.stop()
