"""Thousands of generated and mutated requests from /openapi.json, plus hand-picked bad ones:
no 5xx, every error in the Error shape, the daemon alive, nothing left pressed, keymap unchanged."""

import json
import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from tests.conftest import action
from tests.daemons import DaemonOnOwnDisplay
from tests.xstate import keymap_rows, nothing_pressed

EXAMPLES = int(os.environ.get("XHANDS_FUZZ_EXAMPLES", "250"))
# Generated values reach real X actions; these caps keep each one short without making it invalid.
CAPS = {"duration": 20, "delay": 5, "step_delay_ms": 5, "steps_per_segment": 3, "num_clicks": 3, "sleep_ms": 20}


@pytest.fixture(scope="module")
def fuzzed():
    """A daemon on a display of its own, so random input cannot disturb other tests."""
    with DaemonOnOwnDisplay("800x600x24", "--max-text", "64", "--max-path", "16", "--batch-timeout", "20") as own:
        yield own.daemon, own.display


def tame(value, key=None):
    """Shorten long waits and make smooth moves quick; turn click_type down into click so nothing stays held."""
    if isinstance(value, list):
        return [tame(item) for item in value]
    if not isinstance(value, dict):
        return value
    tamed = {k: tame(v, k) for k, v in value.items()}
    for name in ("duration", "delay", "step_delay_ms", "steps_per_segment", "num_clicks"):
        if isinstance(tamed.get(name), int) and not isinstance(tamed[name], bool) and tamed[name] > CAPS[name]:
            tamed[name] = CAPS[name]
    if isinstance(tamed.get("duration_ms"), int) and not isinstance(tamed["duration_ms"], bool):
        if key == "sleep" or "hidden" in tamed:  # sleep's duration_ms may be small
            tamed["duration_ms"] = min(tamed["duration_ms"], CAPS["sleep_ms"])
        else:
            tamed["duration_ms"] = min(tamed["duration_ms"], 50)
    if "x" in tamed and "y" in tamed and "duration_ms" not in tamed and tamed.get("smooth", True) is not False:
        tamed["duration_ms"] = 50
    if tamed.get("click_type") == "down":
        tamed["click_type"] = "click"
    for name in ("delta_x", "delta_y"):
        if isinstance(tamed.get(name), int) and not isinstance(tamed[name], bool) and abs(tamed[name]) > 5:
            tamed[name] = 5 if tamed[name] > 0 else -5
    return tamed


def assert_sound(response: httpx.Response):
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["code"], str) and isinstance(body["message"], str), body
        for detail in body.get("details", []):
            assert isinstance(detail["code"], str) and isinstance(detail["message"], str)


def send(client: httpx.Client, path: str, body) -> httpx.Response:
    if isinstance(body, NotSet):
        return client.post(path)
    if isinstance(body, (bytes, str)):
        return client.post(path, content=body, headers={"Content-Type": "application/json"})
    return client.post(path, content=json.dumps(tame(body)), headers={"Content-Type": "application/json"})


def test_generated_and_mutated_requests(fuzzed):
    daemon, display_name = fuzzed
    before = keymap_rows(display_name)
    client = httpx.Client(base_url=daemon.url, timeout=30)
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "POST":
            continue
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | operation.as_strategy(
            generation_mode=GenerationMode.NEGATIVE
        )

        # The /browsers/{id}/computer/... forms run the same handlers: fewer examples, mostly to vary the id.
        # Recordings: fewer too, as each started one encodes the screen until stopped (4 at most at once).
        examples = EXAMPLES // 5 if operation.path.startswith(("/browsers/", "/computers/")) or \
            "/recording/" in operation.path else EXAMPLES

        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(strategy)
        def run(case):
            nonlocal sent
            assert_sound(send(client, case.formatted_path, case.body))
            sent += 1

        run()
    assert sent >= 2000
    assert client.get("/health").status_code == 200 and daemon.process.poll() is None
    assert nothing_pressed(display_name)
    assert keymap_rows(display_name) == before


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
    daemon, display_name = fuzzed
    response = httpx.post(f"{daemon.url}/computer/{route}", content=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert 400 <= response.status_code < 500
    assert_sound(response)
    assert daemon.process.poll() is None
    assert nothing_pressed(display_name)
