"""Resizing the screen through RandR: on a private Xvnc with the `tzafon` SDK's viewport call and Kernel's
PATCH .../display, after which size checks, screenshots, /health and clicks follow the new size at once;
on Xvfb, which cannot resize, a 409 that says how to get a display that can."""

import io
import subprocess
import sys

import httpx
import pytest
from PIL import Image
from tzafon import Lightcone

from xhands.daemon.client.testing import LocalServer
from tests.needs import program


@pytest.fixture(scope="module")
def on_xvnc():
    program("Xvnc", "tigervnc-standalone-server")
    with LocalServer(screen="1024x768x24", xserver="xvnc") as server:
        yield server


def screenshot_size(http: httpx.Client) -> tuple[int, int]:
    response = http.post("/computer/screenshot")
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content)).size


# The recorder runs in a process of its own: python-xlib keeps extension event codes in one table per process,
# and Xvnc numbers its extensions' events unlike the suite's Xvfb, so a second server in this process collides.
RECORD_ONE_CLICK = """
import sys
from tests.recorder import Recorder
with Recorder(sys.argv[1], width=int(sys.argv[2]), height=int(sys.argv[3])) as recorder:
    print("ready", flush=True)
    events = recorder.wait_for(lambda evs: any(e.kind == "button_release" for e in evs))
    print(*[(e.x, e.y) for e in events if e.kind == "button_press"])
"""


def click_lands(server: LocalServer, http: httpx.Client, x: int, y: int, size: tuple[int, int]) -> None:
    with subprocess.Popen([sys.executable, "-c", RECORD_ONE_CLICK, server.display, *map(str, size)],
                          stdout=subprocess.PIPE, text=True) as recorder:
        assert recorder.stdout.readline() == "ready\n"
        assert http.post("/computer/click_mouse", json={"x": x, "y": y}).status_code == 200
        assert recorder.communicate(timeout=10)[0].strip() == f"({x}, {y})"


def test_the_sdk_viewport_call_resizes_and_everything_follows(on_xvnc):
    computers = Lightcone(api_key="unused", base_url=on_xvnc.url, max_retries=0).computers
    with httpx.Client(base_url=on_xvnc.url, timeout=20) as http:
        assert http.post("/computer/click_mouse", json={"x": 1500, "y": 900}).status_code == 400  # off the screen
        result = computers.viewport("local", width=1600, height=1000, scale_factor=1)
        assert result.status == "success" and result.result == {"width": 1600, "height": 1000}
        assert http.get("/health").json()["screen"] == {"width": 1600, "height": 1000}
        assert screenshot_size(http) == (1600, 1000)
        shot = computers.screenshot("local", base64=True)
        assert (shot.result["width"], shot.result["height"]) == (1600, 1000)
        click_lands(on_xvnc, http, 1500, 900, (1600, 1000))


def test_kernel_patch_display_resizes_smaller_and_larger(on_xvnc):
    with httpx.Client(base_url=on_xvnc.url, timeout=20) as http:
        for prefix, size in (("/computer", (800, 600)), ("/browsers/any/computer", (1920, 1200))):
            response = http.patch(f"{prefix}/display", json={"width": size[0], "height": size[1]})
            assert response.status_code == 200 and response.json() == {"width": size[0], "height": size[1]}
            assert http.get("/health").json()["screen"] == {"width": size[0], "height": size[1]}
            assert screenshot_size(http) == size
        click_lands(on_xvnc, http, 1900, 1150, (1920, 1200))
        assert http.patch("/computer/display", json={"width": "800", "height": 600}).status_code == 400
        assert http.patch("/computer/display", json={"width": 40000, "height": 600}).status_code == 400


def test_a_server_that_cannot_resize_answers_409_naming_xvnc(daemon):
    with httpx.Client(base_url=daemon.url, timeout=20) as http:
        before = http.get("/health").json()["screen"]
        response = http.patch("/computer/display", json={"width": 800, "height": 600})
        assert response.status_code == 409 and "--xserver xvnc" in response.json()["message"]
        viewport = http.post("/computers/local/viewport", json={"width": 800, "height": 600})
        assert viewport.status_code == 409 and "--xserver xvnc" in viewport.json()["error_message"]
        assert http.get("/health").json()["screen"] == before


def test_the_resize_route_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/computer/display", "/browsers/{id}/computer/display"):
        operation = paths[path]["patch"]
        assert operation["requestBody"]["required"] is True and "409" in operation["responses"]
