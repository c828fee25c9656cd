"""The screencast's one source of frames: captured when the screen changed, encoded and wrapped for the wire once
per kind that someone watches (size, quality, cursor, wire form), and handed as bytes to every viewer of that kind.

The X server says when the screen changed (input/damage.py), so an idle screen costs no capture and no
encoding. While anyone watches, one task captures at most `fps` times a second (the fastest viewer's), grabs
encodes and wraps on a thread of its own (off the event loop and off the worker), and puts each frame in the slot
of each viewer; a viewer keeps only the newest, so a slow one skips frames and never holds up the others.
The pointer is looked up on each tick; viewers that draw it themselves get its moves, and the frames of
those who asked for it drawn in (MJPEG) are made again when it moves.
"""

import asyncio
import base64
import io
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from xhands.input import Desktop, DisplayUnavailable, encode_image
from xhands.input.capture import ScreenGrabber
from xhands.input.cursor import CursorSprite
from xhands.input.display import CONNECTION_ERRORS

from ..ops import metrics

log = logging.getLogger(__name__)
RETRY_S = 1.0  # how long to wait for a display that has gone before looking again
# The X server does not say when the pointer moves, so it is asked: each tick while it moves, and this often
# once it has been still for POINTER_STILL_S, so that the first move of a still pointer shows within this.
POINTER_IDLE_S = 0.2
POINTER_STILL_S = 1.0
# A frame's wire form (an SSE event, an MJPEG part) from its JPEG, the time it was taken and the screen's size.
Wrap = Callable[[object, float, tuple[int, int]], object]


def as_taken(picture, taken_at: float, screen: tuple[int, int]) -> tuple:
    """A raw viewer's frame (an H.264 encoder's): the grab and the cursor's picture as they are, its time, the
    screen's size."""
    return picture, taken_at, screen


@dataclass(frozen=True)
class Variant:
    """One kind of frame: it is encoded and wrapped once per frame, whatever the number of its viewers."""

    width: int
    height: int
    quality: int
    cursor: bool  # drawn into the picture
    wrap: Wrap
    raw: bool = False  # the grab itself and the cursor's picture, for a viewer that encodes on a thread of its own


@dataclass(eq=False)  # each viewer is itself: hashed by identity
class Viewer:
    fps: int
    quality: int
    wrap: Wrap
    max_width: int | None = None
    scale: float = 1.0
    cursor_drawn: bool = False  # MJPEG has no side channel for the pointer: it is drawn into the frames
    raw: bool = False  # H.264 encoders take the grab at full size (and the cursor's picture when it is drawn in)
    frame: object | None = None  # the newest frame not sent yet, in its wire form (raw: as_taken's)
    pointer: tuple[int, int] | None = None  # newest pointer position not sent yet
    sprite: CursorSprite | None = None  # newest cursor shape not sent yet
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def variant(self, screen: tuple[int, int]) -> Variant:
        width, height = screen
        if self.raw:
            return Variant(width, height, 0, self.cursor_drawn, self.wrap, raw=True)
        factor = min(self.scale, self.max_width / width if self.max_width else 1.0)
        if factor < 1.0:
            width, height = max(1, round(width * factor)), max(1, round(height * factor))
        return Variant(width, height, self.quality, self.cursor_drawn, self.wrap)


def sprite_png(sprite: CursorSprite) -> str:
    """The cursor's picture as base64 PNG with its alpha (XFixes gives premultiplied B, G, R, A bytes)."""
    image = sprite.image
    picture = Image.frombuffer("RGBa", (image.width, image.height), image.argb, "raw", "BGRa", 0, 1).convert("RGBA")
    out = io.BytesIO()
    picture.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


class FrameSource:
    def __init__(self, desktop: Desktop):
        self.desktop = desktop
        self.viewers: list[Viewer] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        # One thread grabs and encodes: mss's connection stays on the thread that opened it.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xhands-frames")
        self._grabber = ScreenGrabber(desktop.display_name)

    def join(self, viewer: Viewer) -> None:
        self.viewers.append(viewer)
        metrics.SCREENCAST_VIEWERS.set(len(self.viewers))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="xhands-frames")

    def leave(self, viewer: Viewer) -> None:
        self.viewers.remove(viewer)
        metrics.SCREENCAST_VIEWERS.set(len(self.viewers))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._thread.submit(self._grabber.close)
        self._thread.shutdown(wait=True)

    async def _run(self) -> None:
        paused = False
        while self.viewers:
            try:
                watcher = self.desktop.screen_watcher()
                paused = False
                await self._watch(watcher)
            except DisplayUnavailable as exc:
                if not paused:
                    log.warning("screencast paused until the display is back: %s", exc)
                paused = True
                await asyncio.sleep(RETRY_S)
            except CONNECTION_ERRORS:  # the display went while we asked it something: a new watcher is made
                await asyncio.sleep(RETRY_S)
            except Exception:  # never leave viewers waiting on a source that died
                log.exception("screencast failed; starting again")
                await asyncio.sleep(RETRY_S)

    async def _watch(self, watcher) -> None:
        """Frames for as long as there are viewers and the display stays."""
        watcher.listen(self._wake.set)
        seen_changes, seen_shapes, pointer = None, None, None
        served: set[Viewer] = set()  # those who have had their first frame; who joined since gets one at once
        last_frame_at = pointer_moved_at = 0.0
        try:
            while self.viewers and watcher.alive:
                self._wake.clear()  # before looking: a change while this round captures wakes the next at once
                fresh = [viewer for viewer in self.viewers if viewer not in served]
                served = set(self.viewers)
                reshaped = watcher.cursor_shapes != seen_shapes
                if reshaped or fresh:
                    seen_shapes = watcher.cursor_shapes
                    self._tell(self.viewers if reshaped else fresh, sprite=watcher.cursor_sprite())
                position = watcher.pointer()
                moved = position != pointer
                if moved or fresh:
                    pointer = position
                    self._tell(self.viewers if moved else fresh, pointer=pointer)
                wanted = fresh + [viewer for viewer in self.viewers if viewer.cursor_drawn and moved]
                interval = 1.0 / max((viewer.fps for viewer in self.viewers), default=1)
                if moved:
                    pointer_moved_at = time.monotonic()
                if wanted or watcher.changes != seen_changes:
                    due = last_frame_at + interval
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    # On schedule while the screen keeps changing (a late wake-up does not push the next frame
                    # back); after a pause, from now.
                    last_frame_at = due if time.monotonic() - due < interval else time.monotonic()
                    if watcher.changes != seen_changes:  # (also if it changed while we waited): everyone's due
                        seen_changes = watcher.changes  # what changes while we capture makes the next frame
                        wanted = self.viewers
                    await self._frame(set(wanted), watcher)
                # Woken by a change or a new viewer; else look at the pointer again after a tick: a frame's while
                # it moves, POINTER_IDLE_S once it has been still for a second (an idle screen costs nothing).
                still = time.monotonic() - pointer_moved_at > POINTER_STILL_S
                try:
                    await asyncio.wait_for(self._wake.wait(), max(interval, POINTER_IDLE_S) if still else interval)
                except TimeoutError:
                    pass
        finally:
            watcher.unlisten(self._wake.set)

    async def _frame(self, viewers: set[Viewer], watcher) -> None:
        screen = self.desktop.screen_size
        kinds: dict[Variant, list[Viewer]] = {}
        for viewer in viewers:
            kinds.setdefault(viewer.variant(screen), []).append(viewer)
        sprite = watcher.cursor_sprite() if any(kind.cursor for kind in kinds) else None
        frames = await asyncio.get_running_loop().run_in_executor(
            self._thread, self._capture, screen, list(kinds), sprite)
        metrics.SCREENCAST_CAPTURES.inc()
        metrics.SCREENCAST_ENCODES.inc(sum(not kind.raw for kind in frames))
        for kind, frame in frames.items():
            for viewer in kinds[kind]:
                viewer.frame = frame
                viewer.ready.set()

    def _capture(self, screen: tuple[int, int], kinds: list[Variant], sprite: CursorSprite | None) -> dict:
        """On the frames thread: one grab, then per kind one JPEG in its wire form (a raw kind gets the grab and
        the cursor's picture as they are)."""
        taken_at = time.time()
        frame = self._grabber.grab(0, 0, *screen)
        cursor = sprite.image if sprite else None
        return {kind: kind.wrap((frame, cursor if kind.cursor else None) if kind.raw else
                                encode_image(frame, "jpeg", kind.quality, (kind.width, kind.height),
                                             cursor if kind.cursor else None), taken_at, screen)
                for kind in kinds}

    @staticmethod
    def _tell(viewers: list[Viewer], **news) -> None:
        """Give the viewers that draw the pointer themselves its new position or shape."""
        for viewer in viewers:
            if not viewer.cursor_drawn:
                for name, value in news.items():
                    setattr(viewer, name, value)
                viewer.ready.set()
