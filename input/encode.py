"""Encoding frames to PNG, JPEG or WebP, scaled down and with the cursor drawn in: pure functions, no X.

Encoders are the fastest well-kept ones measured on this machine: fpng for PNG
(about 5 ms for 1080p where Pillow's writer needs 40+ ms, all of it in row
filtering), simplejpeg for JPEG (reads mss's BGRX directly), and Pillow's
libwebp binding at method 0 for WebP. Downscaling is an area average
(Pillow's BOX filter), on machines with 4+ cores split into horizontal bands
resized on separate threads (Pillow releases the GIL while it resamples).
"""

import os
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from .capture import CursorImage, Frame

FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
DEFAULT_QUALITY = {"jpeg": 85, "webp": 80}
# Below this many destination pixels a downscale is not worth splitting across threads.
PARALLEL_RESIZE_MIN_PIXELS = 200_000
_resize_pool: ThreadPoolExecutor | None = None


def fit_size(width: int, height: int, max_width: int | None, max_height: int | None) -> tuple[int, int]:
    """The largest size within max_width x max_height with the frame's aspect ratio; never larger than the frame."""
    factor = 1.0
    if max_width is not None:
        factor = min(factor, max_width / width)
    if max_height is not None:
        factor = min(factor, max_height / height)
    if factor >= 1.0:
        return width, height
    return max(1, round(width * factor)), max(1, round(height * factor))


def to_rgb(frame: Frame) -> Image.Image:
    return Image.frombuffer("RGB", (frame.width, frame.height), frame.bgra, "raw", "BGRX", 0, 1)


def _bgrx_image(frame: Frame) -> Image.Image:
    """The frame as a Pillow image without copying: mode RGBX over the B, G, R, X bytes.

    Resizing and cursor blending do not care which channel is which, so the
    pipeline stays in BGRX until the encoder (simplejpeg reads BGRX itself).
    """
    return Image.frombuffer("RGBX", (frame.width, frame.height), frame.bgra, "raw", "RGBX", 0, 1)


def draw_cursor(image: Image.Image, cursor: CursorImage, origin: tuple[int, int] = (0, 0)) -> Image.Image:
    """Blend the cursor into a BGRX image whose top-left is `origin` on the screen; returns the (new) image."""
    # XFixes gives premultiplied B, G, R, A bytes: read them as 'RGBa' so the channels stay in BGR order.
    sprite = Image.frombuffer("RGBa", (cursor.width, cursor.height), cursor.argb, "raw", "RGBa", 0, 1).convert("RGBA")
    if image.readonly:
        image = image.copy()
    image.paste(sprite.convert("RGBX"), (cursor.x - origin[0], cursor.y - origin[1]), sprite)
    return image


def _pool() -> ThreadPoolExecutor:
    global _resize_pool
    if _resize_pool is None:
        # Half the cores at most: the X server, the application and the event loop need the rest (on 2 cores
        # banding measured slower than one thread, with Chromium and the daemon busy on the other core).
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        _resize_pool = ThreadPoolExecutor(max_workers=max(1, min(4, cores // 2)), thread_name_prefix="xhands-resize")
    return _resize_pool


def downscale(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Area-average downscale; large images are resized in horizontal bands in parallel.

    Each band is resampled from the whole source with `box`, so the filter sees
    the rows beyond the band's edges and the bands join without seams.
    """
    if size == image.size:
        return image
    width, height = size
    bands = min(_pool()._max_workers, height // 64)
    if bands < 2 or width * height < PARALLEL_RESIZE_MIN_PIXELS:
        return image.resize(size, Image.Resampling.BOX)
    scale_y = image.height / height
    edges = [round(height * index / bands) for index in range(bands + 1)]

    def band(index: int) -> Image.Image:
        top, bottom = edges[index], edges[index + 1]
        return image.resize((width, bottom - top), Image.Resampling.BOX, box=(0, top * scale_y, image.width, bottom * scale_y))

    result = Image.new(image.mode, size)
    for index, part in enumerate(_pool().map(band, range(bands))):
        result.paste(part, (0, edges[index]))
    return result


def encode_png(frame: Frame) -> bytes:
    return encode(frame, "png")


def encode(
    frame: Frame,
    fmt: str = "png",
    quality: int | None = None,
    size: tuple[int, int] | None = None,
    cursor: CursorImage | None = None,
    origin: tuple[int, int] = (0, 0),
) -> bytes:
    """Encode a frame as png, jpeg or webp, optionally with the cursor drawn in and scaled down to `size`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}")
    quality = quality or DEFAULT_QUALITY.get(fmt)
    size = size or (frame.width, frame.height)
    if cursor is not None or size != (frame.width, frame.height):
        image = _bgrx_image(frame)
        if cursor is not None:
            image = draw_cursor(image, cursor, origin)
        image = downscale(image, size)
        frame = Frame(image.tobytes(), image.width, image.height)
    if fmt == "jpeg":
        return _jpeg_bgrx(frame, quality)  # simplejpeg reads BGRX as it is: no conversion at all
    rgb = to_rgb(frame)
    if fmt == "png":
        import fpng

        return fpng.from_bytes(rgb.tobytes(), rgb.width, rgb.height, 3)
    return _webp(rgb, quality)


def _jpeg_bgrx(frame: Frame, quality: int) -> bytes:
    import numpy as np
    import simplejpeg

    pixels = np.frombuffer(frame.bgra, np.uint8).reshape(frame.height, frame.width, 4)
    return simplejpeg.encode_jpeg(pixels, quality=quality, colorspace="BGRX", colorsubsampling="420")


def _webp(image: Image.Image, quality: int) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=0)
    return out.getvalue()
