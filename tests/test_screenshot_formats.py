"""Screenshot extensions: jpeg/webp, quality, scale_to and include_cursor, checked on real pixels."""

import base64
import io

import pytest
from PIL import Image, ImageChops

from tests.conftest import action, batch
from tests.recorder import Recorder

ORANGE = (0xE0, 0x70, 0x20)
WINDOW = dict(x=200, y=150, width=300, height=100, colour=0xE07020)


def decode(data: bytes, fmt: str) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == fmt
    return image.convert("RGB")


def near(pixel, colour, tolerance):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def shot(client, **params):
    response = client.post("/computer/screenshot", json=params)
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize(
    "fmt, mime, pil_format, tolerance",
    [("png", "image/png", "PNG", 0), ("jpeg", "image/jpeg", "JPEG", 12), ("webp", "image/webp", "WEBP", 12)],
)
def test_each_format_shows_the_window_at_full_size(client, xvfb, fmt, mime, pil_format, tolerance):
    with Recorder(**WINDOW):
        response = shot(client, format=fmt)
    assert response.headers["content-type"] == mime
    image = decode(response.content, pil_format)
    assert image.size == (xvfb.width, xvfb.height)
    assert near(image.getpixel((350, 200)), ORANGE, tolerance)
    assert near(image.getpixel((210, 160)), ORANGE, tolerance)
    assert not near(image.getpixel((150, 200)), ORANGE, 40)


def test_jpeg_quality_changes_the_encoding(client):
    with Recorder(**WINDOW):
        low = shot(client, format="jpeg", quality=5).content
        high = shot(client, format="jpeg", quality=95).content
    assert len(low) < len(high)


@pytest.mark.parametrize("fmt, pil_format, tolerance", [("png", "PNG", 0), ("jpeg", "JPEG", 14), ("webp", "WEBP", 14)])
def test_scale_to_fits_the_box_and_keeps_aspect(client, xvfb, fmt, pil_format, tolerance):
    # pytest-xvfb's screen is 1280x800; fitting it in 640x640 halves it.
    with Recorder(**WINDOW):
        image = decode(shot(client, format=fmt, scale_to={"width": 640, "height": 640}).content, pil_format)
    assert image.size == (xvfb.width // 2, xvfb.height // 2)
    # The window (200,150)-(500,250) is now (100,75)-(250,125): inside it orange, clearly outside not.
    assert near(image.getpixel((175, 100)), ORANGE, tolerance)
    assert near(image.getpixel((102, 77)), ORANGE, tolerance)
    assert near(image.getpixel((247, 122)), ORANGE, tolerance)
    assert not near(image.getpixel((95, 100)), ORANGE, 40)
    assert not near(image.getpixel((175, 130)), ORANGE, 40)


def test_scale_to_one_side_and_never_enlarging(client, xvfb):
    image = decode(shot(client, scale_to={"width": 320}).content, "PNG")
    assert image.size == (320, round(xvfb.height * 320 / xvfb.width))
    image = decode(shot(client, scale_to={"height": 100}).content, "PNG")
    assert image.size == (round(xvfb.width * 100 / xvfb.height), 100)
    image = decode(shot(client, scale_to={"width": 5000, "height": 5000}).content, "PNG")
    assert image.size == (xvfb.width, xvfb.height)


def test_region_then_scale_and_batch_result_mime_type(client):
    with Recorder(**WINDOW):
        region = {"x": 100, "y": 100, "width": 400, "height": 200}
        [result] = batch(client, action("screenshot", region=region, format="jpeg", scale_to={"width": 200}))["results"]
    assert result["mime_type"] == "image/jpeg"
    image = decode(base64.b64decode(result["data"]), "JPEG")
    assert image.size == (200, 100)
    # Screen (300, 200) is region (200, 100), scaled by 1/2: (100, 50).
    assert near(image.getpixel((100, 50)), ORANGE, 14)
    assert not near(image.getpixel((20, 20)), ORANGE, 40)


def test_include_cursor_draws_the_pointer_image_only_where_the_pointer_is(client, xvfb):
    with Recorder(**WINDOW):
        assert client.post("/computer/move_mouse", json={"x": 350, "y": 200, "smooth": False}).status_code == 200
        plain = decode(shot(client, region={"x": 300, "y": 170, "width": 100, "height": 60}).content, "PNG")
        with_cursor = decode(
            shot(client, region={"x": 300, "y": 170, "width": 100, "height": 60}, include_cursor=True).content, "PNG"
        )
    assert [colour for _, colour in plain.getcolors()] == [ORANGE]  # the plain capture has no cursor
    changed = ImageChops.difference(plain, with_cursor).getbbox()
    assert changed is not None, "no cursor was drawn"
    left, top, right, bottom = changed
    # The cursor is drawn around the hot spot, at region (50, 30).
    assert left <= 50 < right and top <= 30 < bottom
    assert right - left <= 64 and bottom - top <= 64


def test_hidden_cursor_is_not_drawn(client):
    with Recorder(**WINDOW):
        client.post("/computer/move_mouse", json={"x": 350, "y": 200, "smooth": False})
        assert client.post("/computer/cursor", json={"hidden": True}).status_code == 200
        try:
            image = decode(
                shot(client, region={"x": 300, "y": 170, "width": 100, "height": 60}, include_cursor=True).content, "PNG"
            )
        finally:
            client.post("/computer/cursor", json={"hidden": False})
    assert [colour for _, colour in image.getcolors()] == [ORANGE]


@pytest.mark.parametrize(
    "params, target",
    [
        ({"format": "gif"}, "format"),
        ({"format": "png", "quality": 80}, None),
        ({"format": "jpeg", "quality": 0}, "quality"),
        ({"format": "jpeg", "quality": 101}, "quality"),
        ({"format": "jpeg", "quality": "80"}, "quality"),
        ({"scale_to": {}}, "scale_to"),
        ({"scale_to": {"width": 0}}, "scale_to.width"),
        ({"scale_to": {"width": 640.0}}, "scale_to.width"),
        ({"scale_to": {"width": 640, "depth": 3}}, "scale_to.depth"),
        ({"include_cursor": 1}, "include_cursor"),
    ],
)
def test_bad_screenshot_options_are_400(client, params, target):
    response = client.post("/computer/screenshot", json=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "bad_request"
    response = client.post("/computer/batch", json={"actions": [action("screenshot", **params)]})
    assert response.status_code == 400, response.text
    if target:
        assert f"actions[0].screenshot.{target}" in [d.get("target") for d in response.json()["details"]]


def test_openapi_documents_the_screenshot_options(client):
    document = client.get("/openapi.json").json()
    schema = document["components"]["schemas"]["ScreenshotRequest"]
    assert {"region", "format", "quality", "scale_to", "include_cursor"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    content = document["paths"]["/computer/screenshot"]["post"]["responses"]["200"]["content"]
    assert {"image/png", "image/jpeg", "image/webp"} <= set(content)


def test_banded_downscale_is_seamless(monkeypatch):
    """On machines with 4+ cores the downscale runs in bands; they must join exactly."""
    from concurrent.futures import ThreadPoolExecutor

    import xhands.input.encode as capture

    source = Image.effect_noise((1920, 1080), 80).convert("RGBX")
    monkeypatch.setattr(capture, "_resize_pool", ThreadPoolExecutor(max_workers=3))
    try:
        for size in [(1280, 720), (1024, 576), (640, 360)]:
            banded = capture.downscale(source, size)
            assert banded.size == size
            assert ImageChops.difference(banded, source.resize(size, Image.Resampling.BOX)).getbbox() is None
    finally:
        capture._resize_pool.shutdown()


def test_fit_size():
    from xhands.input.encode import fit_size

    assert fit_size(1920, 1080, 1280, 800) == (1280, 720)
    assert fit_size(1920, 1080, 1024, 768) == (1024, 576)
    assert fit_size(1920, 1080, None, 540) == (960, 540)
    assert fit_size(1920, 1080, 4000, None) == (1920, 1080)
    assert fit_size(10, 1000, 1, 1) == (1, 1)
