"""Screenshots, cursor and clipboard, checked against real pixels and a real xclip."""

import base64
import io
import os
import subprocess

from PIL import Image

from tests.conftest import action, batch
from tests.recorder import Recorder

ORANGE = (0xE0, 0x70, 0x20)


def png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.convert("RGB")


def test_screenshot_shows_a_window_of_known_colour_at_its_place(client, xvfb):
    with Recorder(x=200, y=150, width=300, height=100, colour=0xE07020):
        response = client.post("/computer/screenshot")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        image = png(response.content)
    assert image.size == (xvfb.width, xvfb.height)
    assert image.getpixel((200, 150)) == ORANGE
    assert image.getpixel((499, 249)) == ORANGE
    assert image.getpixel((350, 200)) == ORANGE
    assert image.getpixel((199, 150)) != ORANGE
    assert image.getpixel((500, 249)) != ORANGE


def test_screenshot_region_crop_and_batch_result(client, xvfb):
    with Recorder(x=200, y=150, width=300, height=100, colour=0xE07020):
        region = {"x": 180, "y": 140, "width": 60, "height": 30}
        [result] = batch(client, action("screenshot", region=region))["results"]
    assert result["mime_type"] == "image/png"
    image = png(base64.b64decode(result["data"]))
    assert image.size == (60, 30)
    assert image.getpixel((20, 10)) == ORANGE  # screen (200, 150)
    assert image.getpixel((19, 10)) != ORANGE
    assert image.getpixel((25, 9)) != ORANGE


def screen_around_pointer(client) -> Image.Image:
    """The 64x64 pixels right of and below the pointer at (300, 300), with the cursor drawn in where shown."""
    region = {"x": 290, "y": 290, "width": 64, "height": 64}
    return png(client.post("/computer/screenshot", json={"region": region, "include_cursor": True}).content)


def test_cursor_hide_and_show(client):
    """Xvfb draws no cursor into its framebuffer, so the picture with include_cursor is where the
    server's cursor image (XFixes) shows: there while shown, gone while hidden."""
    client.post("/computer/move_mouse", json={"x": 300, "y": 300, "smooth": False})
    bare = png(client.post("/computer/screenshot", json={"region": {"x": 290, "y": 290, "width": 64, "height": 64}}).content)
    assert client.post("/computer/cursor", json={"hidden": True}).json() == {"ok": True}
    assert screen_around_pointer(client).tobytes() == bare.tobytes()
    assert client.post("/computer/cursor", json={"hidden": False}).json() == {"ok": True}
    assert screen_around_pointer(client).tobytes() != bare.tobytes()
    batch(client, action("set_cursor", hidden=True))
    assert screen_around_pointer(client).tobytes() == bare.tobytes()
    batch(client, action("set_cursor", hidden=False))
    assert screen_around_pointer(client).tobytes() != bare.tobytes()


def xclip(*args, text=None):
    return subprocess.run(["xclip", "-selection", "clipboard", *args], input=text, capture_output=text is None,
                          env=os.environ, timeout=5, check=True, **({} if text is None else {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}))


def test_clipboard_written_by_daemon_is_read_by_xclip(client):
    text = "clip ✓ 日本語 😀\nline 2"
    assert client.post("/computer/clipboard/write", json={"text": text}).status_code == 200
    assert xclip("-o").stdout.decode() == text


def test_clipboard_written_by_xclip_is_read_by_daemon(client):
    text = "from xclip — ñ"
    xclip("-i", text=text.encode())
    assert client.post("/computer/clipboard/read").json() == {"text": text}
    assert batch(client, action("write_clipboard", text="batch"), {"type": "read_clipboard"})["results"] == [{}, {"text": "batch"}]
