"""Recordings: a computer's screen into MP4 files, with the actions that ran as chapters, each under an id of
its own among that computer's recordings (two computers may each have a "default").

A recording is a viewer of the screencast's frames (streams/frames.py), so it costs nothing while the screen
is still and shares each capture with the live viewers. Its frames go to a thread of its own, which converts
and encodes them (libav does so without the GIL); the event loop only hands them over. The thread holds
one frame waiting at most: a recorder that falls behind drops frames, never slows an action. At the end the
last picture is written once more at the stop time, so the video lasts as long as the recording did.

A recording ends when stopped, at its maxDurationInSeconds or maxFileSizeInMB, when the recordings together
reach the daemon's disk budget, when its computer ends (the recording goes with it: nothing can reach it any
more), or at shutdown; the file is then finished (encoder flushed, chapters and
index written) on its thread while downloads are answered 202.
"""

import asyncio
import contextlib
import functools
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..computers import LOCAL
from ..errors import ApiError
from ..ops import metrics
from ..streams.frames import Viewer, as_taken
from ..streams.screencast import next_send
from ..timestamps import rfc3339
from . import timeline
from .priority import lower_priority

if TYPE_CHECKING:
    from .encoder import Mp4Writer

log = logging.getLogger(__name__)

MB = 1024 * 1024
MAX_RUNNING = 4  # recordings at once: each has an encoder thread, and two cores encode only so many frames
FIRST_FRAME_WAIT_S = 3.0  # a recording stopped before its first frame waits this long for it: a video has one
DEFAULT_ID = "default"  # Kernel's id when a request names none
DEFAULT_FRAMERATE = 10
DEFAULT_MAX_FILE_MB = 500


def default_directory() -> Path:
    """A private directory (mode 0700) for this daemon's recordings, under the user's state directory."""
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "xhands"
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Path(tempfile.mkdtemp(prefix="recordings-", dir=state))


@dataclass(frozen=True)
class Limits:
    framerate: int
    max_duration_s: int | None
    max_bytes: int


def mp4_writer(path: str, width: int, height: int, framerate: int) -> "Mp4Writer":
    from .encoder import Mp4Writer  # on the encoder's thread: loading PyAV takes a while, and memory

    return Mp4Writer(path, width, height, framerate)


class EncoderThread:
    """The recording's encoder on a thread of its own, fed one frame at a time; a frame that arrives while
    the last one waits replaces it (counted as dropped)."""

    def __init__(self, make_writer, name: str):
        self._make_writer = make_writer  # called on the thread: opening x264 takes a while, off the event loop
        self.writer: "Mp4Writer | None" = None
        self.dropped = 0
        self.error: BaseException | None = None
        self._pending = None
        self._last = None
        self._end: tuple[int | None, list] | None = None  # (pts of the closing repeat, chapters) once stopping
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.finished = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def offer(self, frame, cursor, pts_ms: int) -> None:
        with self._wake:
            if self._pending is not None:
                self.dropped += 1
                metrics.RECORDING_FRAMES_DROPPED.inc()
            self._pending = (frame, cursor, pts_ms)
            self._wake.notify()

    def finish(self, closing_pts_ms: int | None, chapters: list, force: bool) -> None:
        """Encode what waits (unless forced), the last picture again at closing_pts_ms, then close the file."""
        with self._wake:
            if force:
                self._pending = None
            self._end = (None if force else closing_pts_ms, chapters)
            self._wake.notify()

    @property
    def bytes(self) -> int:
        return self.writer.bytes if self.writer else 0

    @property
    def frames(self) -> int:
        return self.writer.frames if self.writer else 0

    def _run(self) -> None:
        lower_priority()
        try:
            self.writer = self._make_writer()
            while True:
                with self._wake:
                    while self._pending is None and self._end is None:
                        self._wake.wait()
                    job, self._pending = self._pending, None
                    end = self._end if job is None else None
                if job is not None:
                    self._write(*job)
                    continue
                closing_pts, chapters = end
                if closing_pts is not None and self._last is not None and closing_pts > self.writer.last_pts:
                    self._write(*self._last, closing_pts)
                self.writer.close(chapters)
                return
        except BaseException as exc:  # the recording ends as failed; the daemon goes on
            log.exception("recording %s failed", self._thread.name)
            self.error = exc
            with contextlib.suppress(Exception):
                if self.writer:
                    self.writer.container.close()
        finally:
            self.finished.set()

    def _write(self, frame, cursor, pts_ms: int) -> None:
        self.writer.write(frame, cursor, pts_ms)
        metrics.RECORDING_FRAMES.inc()
        self._last = (frame, cursor)


class Recording:
    def __init__(self, recording_id: str, path: Path, limits: Limits, owner: "Recordings", computer):
        self.id = recording_id
        self.computer_id = computer.id
        self.path = path
        self.limits = limits
        self.owner = owner  # told of each frame handed over, to hold the limits
        self.source = computer.frames  # the recorded computer's
        self.events = computer.worker.events  # its worker's ActionEvents
        self.started_at = time.time()
        self.finished_at: float | None = None
        self.state = "recording"  # then "finishing", then "finished" (or "failed")
        self.stop_reason: str | None = None
        self.marks: list[tuple[str, float]] = []
        self.collector = timeline.Collector()
        width, height = self.source.desktop.screen_size
        self.encoder = EncoderThread(functools.partial(mp4_writer, str(path), width, height, limits.framerate),
                                     f"xhands-record-{recording_id}")
        self.viewer = Viewer(fps=limits.framerate, quality=0, wrap=as_taken, cursor_drawn=True, raw=True)
        self._feed: asyncio.Task | None = None
        self.first_frame = asyncio.Event()  # handed to the encoder
        self._deadline: asyncio.TimerHandle | None = None
        self.done = asyncio.Event()  # the file is finished (or failed)

    @property
    def is_recording(self) -> bool:
        return self.state == "recording"

    @property
    def size(self) -> int:
        """Bytes on disk: the file once finished, the encoded bytes so far while it records."""
        if self.state in ("finished", "failed"):
            return self.path.stat().st_size if self.path.exists() else 0
        return self.encoder.bytes

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.encoder.start()
        self.events.listeners.append(self.collector)
        self.source.join(self.viewer)
        self._feed = loop.create_task(self._run(), name=f"xhands-record-{self.id}")
        if self.limits.max_duration_s is not None:
            self._deadline = loop.call_later(self.limits.max_duration_s, self.owner.end, self, "maxDurationInSeconds")

    def offset_ms(self, moment: float) -> int:
        return timeline.offset_ms(moment, self.started_at)

    def mark(self, name: str) -> int:
        now = time.time()
        self.marks.append((name, now))
        return self.offset_ms(now)

    def timeline(self) -> list[dict]:
        end = self.finished_at or time.time()
        return timeline.entries(list(self.collector.batches.values()), self.marks, self.started_at, end)

    async def _run(self) -> None:
        """Hand the newest frame to the encoder thread, at most `framerate` times a second."""
        loop = asyncio.get_running_loop()
        allowed_at = 0.0
        interval = 1.0 / self.limits.framerate
        while True:
            await self.viewer.ready.wait()
            await asyncio.sleep(max(0.0, allowed_at - loop.time()))
            self.viewer.ready.clear()
            if self.viewer.frame is not None:
                (frame, cursor), taken_at, _ = self.viewer.frame
                self.viewer.frame = None
                self.encoder.offer(frame, cursor, self.offset_ms(taken_at) if self.first_frame.is_set() else 0)
                self.first_frame.set()  # the video starts with the first frame
                self.owner.check(self)
            allowed_at = next_send(allowed_at, loop.time(), interval)

    async def stop(self, force: bool = False, reason: str = "stopped") -> None:
        """Stop taking frames and finish the file on the encoder's thread; returns once it is finished."""
        if self.state != "recording":
            return await self.done.wait()
        if not force:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.first_frame.wait(), FIRST_FRAME_WAIT_S)
        if self.state != "recording":  # stopped by another meanwhile
            return await self.done.wait()
        self.state = "finishing"
        self.owner.count_running()
        self.stop_reason = reason
        self.finished_at = time.time()
        if self._deadline:
            self._deadline.cancel()
        self.source.leave(self.viewer)
        self._feed.cancel()
        await asyncio.gather(self._feed, return_exceptions=True)
        self.events.listeners.remove(self.collector)
        duration_ms = self.offset_ms(self.finished_at)
        closing_pts = max(0, duration_ms - round(1000 / self.limits.framerate))
        self.encoder.finish(closing_pts, timeline.chapters(self.timeline(), duration_ms), force)
        await asyncio.get_running_loop().run_in_executor(None, self.encoder.finished.wait)
        self.state = "failed" if self.encoder.error else "finished"
        log.info("recording %s %s (%s): %d frames, %d dropped, %d bytes", self.id, self.state, reason,
                 self.encoder.frames, self.encoder.dropped, self.size)
        self.done.set()

    def info(self) -> dict:
        """Kernel's RecorderInfo."""
        return {"id": self.id, "isRecording": self.is_recording, "started_at": rfc3339(self.started_at),
                "finished_at": rfc3339(self.finished_at)}


class Recordings:
    """The daemon's recordings, each computer's by id, their directory and the disk budget they share. The
    daemon's own display's files are at the top of the directory, another computer's in a folder of its id."""

    def __init__(self, directory: Path | None, budget_bytes: int, keep: bool):
        self.given_directory = directory
        self._directory: Path | None = None  # made with the first recording
        self.budget_bytes = budget_bytes
        self.keep = keep
        self.by_computer: dict[str, dict[str, Recording]] = {}
        self._stopping: set[asyncio.Task] = set()

    @property
    def directory(self) -> Path:
        if self._directory is None:
            if self.given_directory:
                self.given_directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._directory = self.given_directory or default_directory()
        return self._directory

    def all(self) -> list[Recording]:
        return [recording for mine in self.by_computer.values() for recording in mine.values()]

    def of(self, computer) -> dict[str, Recording]:
        """A computer's recordings by id."""
        return self.by_computer.get(computer.id, {})

    def used(self) -> int:
        return sum(recording.size for recording in self.all())

    def start(self, recording_id: str, limits: Limits, computer) -> Recording:
        """Record `computer` (computer.py's: its frames and its worker's events)."""
        current = self.of(computer).get(recording_id)
        if current is not None:
            if current.is_recording:
                raise ApiError(409, f"recording {recording_id!r} is already in progress")
            raise ApiError(409, f"recording {recording_id!r} exists already; download it, then delete it to reuse its id")
        if sum(recording.is_recording for recording in self.all()) >= MAX_RUNNING:
            raise ApiError(429, f"{MAX_RUNNING} recordings are running already, the most at once; stop one first")
        if self.used() >= self.budget_bytes:
            raise ApiError(507, f"the recordings take {self.used() / MB:.1f} MB, the whole budget of "
                           f"{self.budget_bytes / MB:.0f} MB (--max-recordings-mb); delete some first",
                           code="insufficient_storage")
        folder = self.directory if computer.id == LOCAL else self.directory / computer.id
        folder.mkdir(exist_ok=True, mode=0o700)
        recording = Recording(recording_id, folder / f"{recording_id}.mp4", limits, self, computer)
        recording.start()
        if computer.id not in self.by_computer:
            self.by_computer[computer.id] = {}
            computer.on_close.append(functools.partial(self.forget, computer))
        self.by_computer[computer.id][recording_id] = recording
        self.count_running()
        log.info("recording %s of computer %s started at %d fps", recording_id, computer.id, limits.framerate)
        return recording

    def count_running(self) -> None:
        metrics.RECORDINGS_RUNNING.set(sum(recording.is_recording for recording in self.all()))

    def get(self, computer, recording_id: str) -> Recording:
        recording = self.of(computer).get(recording_id)
        if recording is None:
            raise ApiError(404, f"no recording {recording_id!r}: /recording/list names those there are")
        return recording

    def check(self, recording: Recording) -> None:
        """After each frame: a recording past its size ends, and all of them once they fill the disk budget."""
        if recording.encoder.error is not None:
            self.end(recording, "failed")
        elif recording.encoder.bytes >= recording.limits.max_bytes:
            self.end(recording, "maxFileSizeInMB")
        elif self.used() >= self.budget_bytes:
            for each in self.all():
                self.end(each, "max-recordings-mb")

    def end(self, recording: Recording, reason: str) -> None:
        """A limit ends the recording: it is finished in the background."""
        if recording.is_recording:
            log.info("recording %s reached %s", recording.id, reason)
            task = asyncio.get_running_loop().create_task(recording.stop(reason=reason))
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

    def delete(self, computer, recording_id: str) -> None:
        recording = self.get(computer, recording_id)
        if recording.is_recording:
            raise ApiError(400, f"recording {recording_id!r} is in progress: stop it first")
        if recording.state == "finishing":
            raise ApiError(409, f"recording {recording_id!r} is being finished; retry in a second",
                           headers={"Retry-After": "1"})
        del self.by_computer[computer.id][recording_id]
        self._remove(recording)

    def _remove(self, recording: Recording) -> None:
        recording.path.unlink(missing_ok=True)
        if recording.path.parent != self._directory:  # another computer's folder, once empty
            with contextlib.suppress(OSError):
                recording.path.parent.rmdir()

    async def forget(self, computer) -> None:
        """Its computer ended: its recordings end too, and go (their files stay with --keep-recordings)."""
        mine = self.by_computer.pop(computer.id, {})
        await asyncio.gather(*(recording.stop(force=not self.keep, reason="computer ended")
                               for recording in mine.values()), return_exceptions=True)
        self.count_running()
        if not self.keep:
            for recording in mine.values():
                self._remove(recording)

    async def close(self) -> None:
        """At shutdown: finish every recording; remove the files unless kept (--keep-recordings)."""
        # Files that are to go are closed at once; kept ones are finished with what waits for the encoder.
        await asyncio.gather(*(recording.stop(force=not self.keep, reason="shutdown") for recording in self.all()),
                             *self._stopping, return_exceptions=True)
        if self._directory is None:
            return
        if self.keep:
            log.info("recordings kept in %s", self._directory)
            return
        for recording in self.all():
            self._remove(recording)
        if not self.given_directory:  # made here, for this daemon alone
            shutil.rmtree(self._directory, ignore_errors=True)
