"""H.264 through PyAV, the libav bindings whose wheels carry libx264: no ffmpeg process, no system package.

Frames come as the screencast grabs them (B, G, R, X rows) with the cursor's picture when it is drawn in; each
becomes a yuv420p picture (what every browser's decoder plays) stamped with its time in ms, so the video has
a variable frame rate: a still screen adds no frame at all. x264 runs at its fastest preset on one thread,
tuned for no latency (no B-frames, no look-ahead: a frame's packet comes out as soon as it went in), and
forced keyframes are IDR frames with their SPS/PPS in front, which a new viewer can start from. libav
releases the GIL while it converts and encodes, so the event loop goes on meanwhile, and the encoders' threads
run at a lower priority than the daemon's others (priority.py): on a busy machine the actions get the CPU first.

PyAV and numpy take ~30 MB once loaded: this module is imported by the threads that encode, when a recording
or an H.264 stream starts, never at start-up.
"""

from fractions import Fraction

import av
import numpy as np

from xhands.input.capture import CursorImage, Frame

TIME_BASE = Fraction(1, 1000)  # a frame's pts is its time in ms
OPTIONS = {"preset": "ultrafast", "tune": "zerolatency", "crf": "28", "threads": "1", "forced-idr": "1"}
KEYFRAME_EVERY_S = 10  # at most this long between keyframes while the screen changes: where a seek starts decoding


def even(size: int) -> int:
    """yuv420p halves both dimensions: x264 takes even sizes only (the odd last row or column is left out)."""
    return max(2, size - size % 2)


def picture(frame: Frame, cursor: CursorImage | None, size: tuple[int, int]) -> av.VideoFrame:
    """The frame (with the cursor blended in) as the yuv420p picture of `size` the encoder takes (a screen
    resized since the encoder began is scaled to the size it began with). One copy of the frame, into
    libav's buffer, where the cursor is blended in place; the conversion runs without the GIL."""
    bgra = av.VideoFrame(frame.width, frame.height, "bgra")
    plane = bgra.planes[0]
    pixels = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)[:, :frame.width * 4]
    if plane.line_size == frame.width * 4:
        plane.update(frame.bgra)
    else:  # rows padded
        pixels[:] = np.frombuffer(frame.bgra, np.uint8).reshape(frame.height, frame.width * 4)
    if cursor is not None:
        blend_cursor(pixels.reshape(frame.height, frame.width, 4), cursor)
    return bgra.reformat(width=even(size[0]), height=even(size[1]), format="yuv420p")


def blend_cursor(pixels: np.ndarray, cursor: CursorImage) -> None:
    """Draw the cursor (premultiplied B, G, R, A) over B, G, R, X pixels, in place, where it is on screen."""
    sprite = np.frombuffer(cursor.argb, np.uint8).reshape(cursor.height, cursor.width, 4)
    top, left = max(cursor.y, 0), max(cursor.x, 0)
    bottom, right = min(cursor.y + cursor.height, pixels.shape[0]), min(cursor.x + cursor.width, pixels.shape[1])
    if top >= bottom or left >= right:
        return
    sprite = sprite[top - cursor.y:bottom - cursor.y, left - cursor.x:right - cursor.x].astype(np.uint16)
    under = pixels[top:bottom, left:right, :3]
    alpha = sprite[:, :, 3:4]
    under[:] = (sprite[:, :, :3] + under * (255 - alpha) // 255).clip(0, 255)


def configure(codec: av.VideoCodecContext, width: int, height: int, framerate: int) -> None:
    codec.width, codec.height = even(width), even(height)
    codec.pix_fmt = "yuv420p"
    codec.time_base = TIME_BASE
    codec.framerate = Fraction(framerate)
    codec.gop_size = framerate * KEYFRAME_EVERY_S
    codec.options = dict(OPTIONS)


class AnnexB:
    """An encoder with no container: each frame's NAL units as one Annex-B blob, as WebCodecs decodes them."""

    def __init__(self, width: int, height: int, framerate: int):
        self.codec = av.CodecContext.create("libx264", "w")
        configure(self.codec, width, height, framerate)
        self.size = (width, height)
        self.last_pts = -1

    def encode(self, frame: Frame, cursor: CursorImage | None, pts_ms: int, keyframe: bool) -> list[tuple[bytes, bool]]:
        """(Annex-B bytes, is a keyframe) of each packet the frame gave."""
        image = picture(frame, cursor, self.size)
        image.pts = self.last_pts = max(pts_ms, self.last_pts + 1)
        image.time_base = TIME_BASE
        if keyframe:
            image.pict_type = av.video.frame.PictureType.I
        return [(bytes(packet), packet.is_keyframe) for packet in self.codec.encode(image)]


class Mp4Writer:
    """An MP4 file with faststart (its index at the front: a browser seeks it without a remux) and chapters."""

    def __init__(self, path: str, width: int, height: int, framerate: int):
        self.container = av.open(path, "w", format="mp4", options={"movflags": "+faststart"})
        self.stream = self.container.add_stream("libx264", rate=framerate)
        configure(self.stream.codec_context, width, height, framerate)
        self.stream.time_base = TIME_BASE
        self.size = (width, height)
        self.bytes = 0  # encoded so far: what the file will weigh, less its index
        self.frames = 0
        self.last_pts = -1

    def write(self, frame: Frame, cursor: CursorImage | None, pts_ms: int) -> None:
        image = picture(frame, cursor, self.size)
        image.pts = self.last_pts = max(pts_ms, self.last_pts + 1)
        image.time_base = TIME_BASE
        self._mux(self.stream.encode(image))
        self.frames += 1

    def _mux(self, packets) -> None:
        for packet in packets:
            self.bytes += packet.size
            self.container.mux(packet)

    def close(self, chapters: list[tuple[int, int, str]]) -> None:
        """Flush the encoder, write the chapters (start and end in ms, title) and the index."""
        try:
            self._mux(self.stream.encode(None))
            self.container.set_chapters([
                {"id": number, "start": start, "end": end, "time_base": TIME_BASE, "metadata": {"title": name}}
                for number, (start, end, name) in enumerate(chapters, 1)])
        finally:
            self.container.close()
