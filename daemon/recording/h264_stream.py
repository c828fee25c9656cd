"""Lightcone's desktop screencast: GET /computers/{id}/screencast as Server-Sent Events of H.264.

Lightcone streams desktop sessions as `event: h264` whose data's `nalu_data` is one frame's NAL units in
Annex-B, base64, as a WebCodecs VideoDecoder takes them, beside the `cursor_position` and `cursor_update`
events and the heartbeat of the JPEG screencast (streams/screencast.py). Each viewer has an encoder of its
own, on a thread of its own, so its stream starts with a keyframe carrying the SPS and PPS whenever it
joins; frames come only when the screen changed, as for every viewer of streams/frames.py. A viewer that
reads slowly skips frames: the next one encoded refers to the last one sent, so its picture stays whole.
`?format=jpeg` keeps the JPEG frames of Lightcone's browser sessions.
"""

import asyncio
import base64
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from aiohttp import web

from ..errors import ApiError
from ..http.handling import computer_of
from ..streams import screencast
from ..streams.frames import FrameSource, as_taken
from ..streams.sse import HEARTBEAT, HEARTBEAT_S, event_bytes, gone, open_stream, wait_or_gone
from .priority import lower_priority

if TYPE_CHECKING:
    from .encoder import AnnexB

log = logging.getLogger(__name__)
PATH = "/computers/{id}/screencast"


class H264Wire:
    """One viewer's encoder and the events its frames become; encode() runs on the viewer's own thread."""

    def __init__(self, fps: int):
        self.fps = fps
        self.encoder: "AnnexB | None" = None
        self.started = time.monotonic()

    def encode(self, frame, taken_at: float, screen: tuple[int, int]) -> bytes:
        keyframe = self.encoder is None or self.encoder.size != (frame.width, frame.height)
        if keyframe:  # the first frame, or the screen was resized: a new encoder of the new size
            from .encoder import AnnexB  # on the viewer's thread: loading PyAV takes a while, and memory

            self.encoder = AnnexB(frame.width, frame.height, self.fps)
        pts_ms = round((time.monotonic() - self.started) * 1000)
        width, height = screen
        return b"".join(event_bytes({"nalu_data": base64.b64encode(data).decode(), "keyframe": key,
                                     "timestamp": taken_at, "viewport": {"width": width, "height": height}}, "h264")
                        for data, key in self.encoder.encode(frame, None, pts_ms, keyframe))


async def h264(request: web.Request) -> web.StreamResponse:
    viewer = screencast.viewer_for(request, cursor_drawn=False, wrap=as_taken)
    viewer.raw = True
    wire = H264Wire(viewer.fps)
    source: FrameSource = computer_of(request).frames
    response = await open_stream(request)
    thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xhands-h264", initializer=lower_priority)
    loop = asyncio.get_running_loop()
    source.join(viewer)
    allowed_at = 0.0
    try:
        while True:
            if not await wait_or_gone(request, viewer.ready, HEARTBEAT_S):
                if gone(request):
                    break
                await response.write(HEARTBEAT)
                continue
            await asyncio.sleep(max(0.0, allowed_at - loop.time()))
            viewer.ready.clear()
            chunk = screencast.cursor_chunk(viewer)
            if viewer.frame is not None:
                ((frame, _), taken_at, screen), viewer.frame = viewer.frame, None
                chunk += await loop.run_in_executor(thread, wire.encode, frame, taken_at, screen)
            if chunk:
                await response.write(chunk)
            allowed_at = screencast.next_send(allowed_at, loop.time(), 1.0 / viewer.fps)
    except ConnectionResetError:  # the viewer left while we wrote to it
        pass
    except Exception:  # the encoder failed: this stream ends, the daemon and the other viewers go on
        log.exception("H.264 screencast ended")
    finally:
        source.leave(viewer)
        thread.shutdown(wait=False)
    return response


async def lightcone_screencast(request: web.Request) -> web.StreamResponse:
    kind = request.query.get("format", "h264")
    if kind not in FORMATS:
        raise ApiError(400, f"format must be h264 or jpeg, not {kind!r}")
    return await FORMATS[kind](request)


FORMATS = {"h264": h264, "jpeg": screencast.screencast}


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, lightcone_screencast)
