"""The live screen: GET /computer/screencast (and Lightcone's /computers/{id}/screencast?format=jpeg) as
Server-Sent Events, and GET /computer/screencast.mjpeg as multipart/x-mixed-replace JPEGs for an <img>, ffplay or VLC.

SSE follows Lightcone's browser sessions: unnamed events whose data is
`{"image_data": <base64 JPEG>, "metadata": {"timestamp": <epoch s>, "viewport": {"width", "height"}}}`
(the viewport is the screen's size in pixels, the picture may be smaller), `event: cursor_position` with
`{"x", "y"}` when the pointer moved, `event: cursor_update` with the cursor's picture when its shape changed,
and a heartbeat comment on a quiet stream. The MJPEG frames have the pointer drawn in.
"""

import asyncio
import base64

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import from_validation
from ..http.handling import computer_of
from .frames import Viewer, sprite_png
from .sse import HEARTBEAT, HEARTBEAT_S, event_bytes, gone, open_stream, wait_or_gone

BOUNDARY = "xhandsframe"
REPEAT_S = 0.1  # how long after a part the screen counts as still, and the part is sent again for browsers


class ScreencastQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")  # an <img> URL often carries a cache-busting parameter

    fps: int = Field(30, ge=1, le=60, description="frames a second at most; frames come only when the screen changed")
    quality: int = Field(70, ge=1, le=100, description="JPEG quality")
    max_width: int | None = Field(None, ge=16, description="scale the frames down to at most this many pixels wide")
    scale: float = Field(1.0, gt=0, le=1, description="scale the frames by this factor (at most 1)")


def viewer_for(request: web.Request, cursor_drawn: bool, wrap) -> Viewer:
    try:
        query = ScreencastQuery.model_validate(dict(request.query))
    except ValidationError as exc:
        raise from_validation(exc) from None
    return Viewer(**query.model_dump(), wrap=wrap, cursor_drawn=cursor_drawn)


def sse_frame(jpeg: bytes, taken_at: float, screen: tuple[int, int]) -> bytes:
    """A frame as an SSE event (made once per frame on the frames thread, whatever the number of viewers)."""
    width, height = screen
    return event_bytes({"image_data": base64.b64encode(jpeg).decode(),
                        "metadata": {"timestamp": taken_at, "viewport": {"width": width, "height": height}}})


def mjpeg_part(jpeg: bytes, taken_at: float, screen: tuple[int, int]) -> bytes:
    """A frame as a multipart part, with its length, which players such as ffmpeg read exactly."""
    return f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n"


def sse_chunk(viewer: Viewer) -> bytes:
    """What the viewer has not been sent yet, oldest kind first: the cursor's shape, its position, the frame."""
    chunk = cursor_chunk(viewer)
    if viewer.frame is not None:
        chunk += viewer.frame
        viewer.frame = None
    return chunk


def cursor_chunk(viewer: Viewer) -> bytes:
    """The cursor's news the viewer has not been sent yet: its shape, then its position."""
    chunk = b""
    if viewer.sprite is not None:
        sprite, viewer.sprite = viewer.sprite, None
        hotspot_x, hotspot_y = sprite.hotspot
        chunk += event_bytes({"image_data": sprite_png(sprite), "width": sprite.image.width,
                              "height": sprite.image.height, "hotspot": {"x": hotspot_x, "y": hotspot_y}},
                             "cursor_update")
    if viewer.pointer is not None:
        (x, y), viewer.pointer = viewer.pointer, None
        chunk += event_bytes({"x": x, "y": y}, "cursor_position")
    return chunk


class SseWire:
    idle_after_s = HEARTBEAT_S
    chunk = staticmethod(sse_chunk)

    def idle(self) -> bytes:
        return HEARTBEAT


class MjpegWire:
    """A browser shows a part in an <img> only once the next part's headers have come, so when the screen goes
    still the last part is sent once more after REPEAT_S: the browser then shows the last frame, and a player
    shows it twice."""

    def __init__(self):
        self.last = b""
        self.idle_after_s = HEARTBEAT_S

    def chunk(self, viewer: Viewer) -> bytes:
        if viewer.frame is None:
            return b""
        (self.last, viewer.frame), self.idle_after_s = (viewer.frame, None), REPEAT_S
        return self.last

    def idle(self) -> bytes:
        """The last part again, once."""
        (part, self.last), self.idle_after_s = (self.last, b""), HEARTBEAT_S
        return part


def next_send(allowed_at: float, now: float, interval: float) -> float:
    """When a viewer may next be sent something: one interval after the last allowed time, so frames arriving
    a little late or early at its own rate all pass, yet never sooner than half an interval from now, so a
    faster source is thinned to the viewer's rate."""
    return max(allowed_at + interval, now + interval / 2)


async def watch(request: web.Request, viewer: Viewer, response: web.StreamResponse, wire) -> web.StreamResponse:
    """Send the viewer what it is due, at most `fps` times a second, until it leaves or the daemon stops."""
    source = computer_of(request).frames
    source.join(viewer)
    loop = asyncio.get_running_loop()
    allowed_at = 0.0
    try:
        while True:
            if not await wait_or_gone(request, viewer.ready, wire.idle_after_s):
                if gone(request):
                    break
                if idle := wire.idle():
                    await response.write(idle)
                continue
            # A viewer slower than the fastest one skips frames here: what arrives meanwhile replaces its slot.
            await asyncio.sleep(max(0.0, allowed_at - loop.time()))
            viewer.ready.clear()
            if chunk := wire.chunk(viewer):
                await response.write(chunk)
            allowed_at = next_send(allowed_at, loop.time(), 1.0 / viewer.fps)
    except ConnectionResetError:  # the viewer left while we wrote to it
        pass
    finally:
        source.leave(viewer)
    return response


async def screencast(request: web.Request) -> web.StreamResponse:
    viewer = viewer_for(request, cursor_drawn=False, wrap=sse_frame)
    response = await open_stream(request)
    return await watch(request, viewer, response, SseWire())


async def screencast_mjpeg(request: web.Request) -> web.StreamResponse:
    viewer = viewer_for(request, cursor_drawn=True, wrap=mjpeg_part)
    response = await open_stream(request, f"multipart/x-mixed-replace; boundary={BOUNDARY}")
    return await watch(request, viewer, response, MjpegWire())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/computer/screencast", screencast)  # Lightcone's /computers/{id}/screencast: recording/h264_stream.py
    app.router.add_get("/computer/screencast.mjpeg", screencast_mjpeg)
