"""Bad input is a 400 in the Error shape and runs nothing; runtime failures name the failing action."""

import json

import httpx
import pytest

from tests.conftest import action
from tests.daemons import start_daemon

CLICK = action("click_mouse", x=10, y=10)


def assert_error(response, status, code, target=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["message"]
    if target is not None:
        assert target in [detail.get("target") for detail in body["details"]], body


BAD_BATCHES = [
    ([CLICK, action("click_mouse", x=99999, y=10)], "actions[1].click_mouse.x"),
    ([CLICK, action("click_mouse", x=-1, y=10)], "actions[1].click_mouse.x"),
    ([CLICK, action("move_mouse", x=10, y=5000)], "actions[1].move_mouse.y"),
    ([CLICK, action("press_key", keys=["NoSuchKey"])], "actions[1].press_key.keys[0]"),
    ([CLICK, action("press_key", keys=["Ctrl+"])], "actions[1].press_key.keys[0]"),
    ([CLICK, action("press_key", keys=["a"], hold_keys=["Hyperspace"])], "actions[1].press_key.hold_keys[0]"),
    ([CLICK, action("drag_mouse", path=[])], "actions[1].drag_mouse.path"),
    ([CLICK, action("drag_mouse", path=[[1, 1], [2, 99999]])], "actions[1].drag_mouse.path[1][1]"),
    ([CLICK, {"type": "screenshot"}, CLICK], "actions[1]"),
    ([CLICK, {"type": "get_mouse_position"}, CLICK], "actions[1]"),
    ([CLICK, action("scroll", x=5, y=5)], "actions[1].scroll"),
    ([CLICK, {"type": "click_mouse", "move_mouse": {"x": 1, "y": 1}}], "actions[1]"),
    ([CLICK, {"type": "teleport"}], "actions[1].type"),
    ([CLICK, action("click_mouse", x="10", y=10)], "actions[1].click_mouse.x"),
    ([CLICK, action("click_mouse", x=True, y=10)], "actions[1].click_mouse.x"),
    ([CLICK, action("click_mouse", x=10, y=10, extra=1)], "actions[1].click_mouse.extra"),
    ([CLICK, action("move_mouse", x=10, y=10, smooth=1)], "actions[1].move_mouse.smooth"),
    ([CLICK, action("sleep", duration_ms=-5)], "actions[1].sleep.duration_ms"),
    ([CLICK, action("click_mouse", x=10, y=2**40)], "actions[1].click_mouse.y"),
    ([CLICK] * 101, "actions"),
    *[([CLICK, action("screenshot", settle_ms=bad)], "actions[1].screenshot.settle_ms") for bad in (-1, 2001, "x")],
]


@pytest.mark.parametrize("actions, target", BAD_BATCHES)
def test_bad_batches_run_nothing(client, recorder, actions, target):
    assert_error(client.post("/computer/batch", json={"actions": actions}), 400, "bad_request", target)
    assert_error(client.post("/browsers/any-id/computer/batch", json={"actions": actions}), 400, "bad_request", target)
    recorder.wait_idle(quiet=0.2)
    assert not [e for e in recorder.snapshot() if e.kind.startswith(("button", "key"))]


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b'{"actions": []}', b'{"actions": "x"}', b"\xff\xfe", b'{"actions":[{"type":"type_text","type_text":{"text":"\\ud800"}}]}'],
)
def test_malformed_bodies(client, body):
    assert_error(client.post("/computer/batch", content=body), 400, "bad_request")


def test_single_route_errors_name_the_field(client):
    assert_error(client.post("/computer/click_mouse", json={"x": 1}), 400, "bad_request", "y")
    assert_error(client.post("/computer/scroll", json={"x": 1, "y": 1, "delta_y": 0}), 400, "bad_request")
    assert_error(client.post("/computer/type", json={"text": 5}), 400, "bad_request", "text")


def test_unknown_route_and_big_body_use_the_error_shape(client):
    assert_error(client.post("/computer/nope"), 404, "not_found")
    assert_error(client.get("/computer/batch"), 405, "method_not_allowed")
    huge = b'{"actions":[{"type":"type_text","type_text":{"text":"' + b"a" * (2 * 1024 * 1024) + b'"}}]}'
    assert_error(client.post("/computer/batch", content=huge), 413, "payload_too_large")


def test_runtime_failure_stops_the_batch_and_names_the_action(xvfb, recorder):
    """With no clipboard helper on PATH, write_clipboard fails at run time; later actions never run."""
    daemon = start_daemon(env={"PATH": "/nonexistent"})
    try:
        actions = [CLICK, action("write_clipboard", text="x"), action("click_mouse", x=20, y=20)]
        response = httpx.post(f"{daemon.url}/computer/batch", json={"actions": actions}, timeout=10)
        assert_error(response, 500, "internal_error", "actions[1]")
        assert response.json()["inner_error"]["code"] == "clipboard_failed"
        recorder.wait_idle(quiet=0.3)
        assert recorder.buttons() == [1]
    finally:
        daemon.stop()


def test_routes_exist_under_both_prefixes(client):
    for prefix in ("/computer", "/browsers/abc/computer"):
        assert client.post(f"{prefix}/get_mouse_position").status_code == 200


def test_health_and_metrics(client, xvfb):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["screen"] == {"width": xvfb.width, "height": xvfb.height}
    metrics = client.get("/metrics").text
    assert "xhands_requests_total" in metrics and "xhands_display_up 1.0" in metrics


def test_a_null_body_means_no_parameters(client):
    """The TypeScript SDK sends `null` for captureScreenshot(id, null)."""
    for prefix in ("/computer", "/browsers/abc/computer"):
        response = client.post(f"{prefix}/screenshot", content=b"null", headers={"Content-Type": "application/json"})
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG"), response.text
    assert client.post("/computer/get_mouse_position", content=b" null\n").status_code == 200
    assert_error(client.post("/computer/click_mouse", content=b"null"), 400, "bad_request", "x")
    assert_error(client.post("/computer/batch", content=b"null"), 400, "bad_request", "actions")


@pytest.fixture(scope="module")
def limited(xvfb):
    """A daemon whose configurable limits are not the defaults."""
    daemon = start_daemon("--max-text", "500", "--max-path", "7", "--max-body", "4096")
    with httpx.Client(base_url=daemon.url, timeout=10) as http:
        yield http
    daemon.stop()


def test_limits_say_their_unit_and_the_flag_that_raises_them(client, limited):
    response = client.post("/computer/type", json={"text": "a" * 100_001})
    assert_error(response, 400, "bad_request", "text")
    said = "text has 100,001 characters, more than the limit of 100,000 (raise it with --max-text)"
    assert response.json()["details"][0]["message"] == said and response.json()["message"].endswith(said)
    response = limited.post("/computer/batch", json={"actions": [action("write_clipboard", text="é" * 501)]})
    assert_error(response, 400, "bad_request", "actions[0].write_clipboard.text")
    assert "text has 501 characters, more than the limit of 500 (raise it with --max-text)" in response.json()["message"]
    response = limited.post("/computer/drag_mouse", json={"path": [[1, 1]] * 8})
    assert_error(response, 400, "bad_request", "path")
    assert "path has 8 points, more than the limit of 7 (raise it with --max-path)" in response.json()["message"]
    response = limited.post("/computer/type", json={"text": "b" * 5000})
    assert_error(response, 413, "payload_too_large")
    assert response.json()["message"] == "request body is larger than the limit of 4,096 bytes (raise it with --max-body)"


OPERATIONS = ["batch", "click_mouse", "move_mouse", "type", "press_key", "scroll", "drag_mouse", "cursor",
              "screenshot", "get_mouse_position", "clipboard/read", "clipboard/write"]
NEED_A_BODY = {"batch", "click_mouse", "move_mouse", "type", "press_key", "scroll", "drag_mouse", "cursor", "clipboard/write"}


def test_openapi_documents_every_route(limited):
    document = limited.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for op in OPERATIONS:
        plain, browser = paths[f"/computer/{op}"]["post"], paths[f"/browsers/{{id}}/computer/{op}"]["post"]
        [browser_id] = browser["parameters"]
        assert (browser_id["name"], browser_id["in"], browser_id["required"]) == ("id", "path", True)
        for operation in (plain, browser):
            body = operation.get("requestBody")
            assert bool(body and body["required"]) == (op in NEED_A_BODY), (op, body)
    assert {"/health", "/metrics", "/openapi.json", "/view"} <= {path for path, methods in paths.items() if "get" in methods}
    # Twelve POST routes and PATCH display under each prefix, plus /health, /metrics, /openapi.json and /view, the two
    # event streams (/computer/events, /computers/{id}/events), the three screencasts (those two and the MJPEG), and
    # the seven recording routes under / and under /computers/{id}, and the four of Kernel's SDK's replays.
    assert len({operation["operationId"] for methods in paths.values() for operation in methods.values()}) == \
        2 * 13 + 4 + 2 + 3 + 2 * 7 + 4


def test_openapi_states_every_limit_with_the_configured_values(limited):
    document = limited.get("/openapi.json").json()
    schemas = document["components"]["schemas"]

    def field(model, name):
        schema = schemas[model]["properties"][name]
        return next((branch for branch in schema.get("anyOf", []) if branch.get("type") != "null"), schema)

    assert field("TypeTextRequest", "text")["maxLength"] == 500  # --max-text 500
    assert field("WriteClipboardRequest", "text")["maxLength"] == 500
    assert field("DragMouseRequest", "path")["maxItems"] == 7  # --max-path 7
    assert field("BatchRequest", "actions")["maxItems"] == 100
    assert field("ClickMouseRequest", "num_clicks")["maximum"] == 100
    assert field("PressKeyRequest", "keys")["maxItems"] == 100
    for model in ("ClickMouseRequest", "MoveMouseRequest", "PressKeyRequest", "ScrollRequest", "DragMouseRequest"):
        assert field(model, "hold_keys")["maxItems"] == 16
    for model, name in [("TypeTextRequest", "delay"), ("DragMouseRequest", "delay"), ("DragMouseRequest", "step_delay_ms"),
                        ("PressKeyRequest", "duration"), ("SleepAction", "duration_ms"), ("MoveMouseRequest", "duration_ms"),
                        ("DragMouseRequest", "duration_ms"), ("ScrollRequest", "delta_x"), ("ScrollRequest", "delta_y")]:
        assert "maximum" in field(model, name), (model, name)
    assert "x-xhands-limit" not in json.dumps(document)
