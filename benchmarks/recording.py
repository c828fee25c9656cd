"""Recordings beside `ffmpeg -f x11grab -c:v libx264 -preset ultrafast` at the same frame rate: CPU and MB per
minute while most of the 1080p screen changes every frame and while it is still, clicks while recording,
and the time from an X drawing to the video frame that shows it.

CPU is the daemon's or ffmpeg's process over the same window (streams.cpu_s); a recording's size is its
downloaded MP4, ffmpeg's its output file, both per minute of video after the first frame.
"""

import io
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

import av
import httpx

from .measure import SCREEN, SPOT, cell, summary, timed
from .streams import COLOURS, ChangingScreen, Patch, cpu_s

FRAMERATE = 10  # Kernel's default for /recording/start here; ffmpeg is given the same
MB = 1024 * 1024
# Clicks spread over a second or two, so they fall between and during the frames' encodes alike.
CLICK_PAUSE_S = 0.02


def ffmpeg_command(display: str, path: str) -> list[str]:
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "x11grab", "-framerate", str(FRAMERATE),
            "-video_size", f"{SCREEN[0]}x{SCREEN[1]}", "-i", f"{display}+0,0",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path]


class Recorder:
    """One way of recording for `seconds`: CPU in cores over the window and the file's MB per minute."""

    def __init__(self, bench):
        self.bench = bench
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{bench.stage.daemon.port}", timeout=60)

    def xhands(self, seconds: float, name: str) -> dict:
        pid = self.bench.stage.daemon.process.pid
        assert self.http.post("/recording/start", json={"id": name, "framerate": FRAMERATE}).status_code == 201
        time.sleep(0.5)  # past the first frame
        start, cpu = time.monotonic(), cpu_s(pid)
        time.sleep(seconds)
        cores = (cpu_s(pid) - cpu) / (time.monotonic() - start)
        assert self.http.post("/recording/stop", json={"id": name}).status_code == 200
        video = self.http.get("/recording/download", params={"id": name}).content
        self.http.post("/recording/delete", json={"id": name})
        return {"cores": round(cores, 4), **growth(video)}

    def ffmpeg(self, seconds: float) -> dict:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "out.mp4"
            process = subprocess.Popen(ffmpeg_command(self.bench.stage.display, str(path)), env=self.bench.stage.env,
                                       stdin=subprocess.PIPE)
            try:
                time.sleep(0.5)
                start, cpu = time.monotonic(), cpu_s(process.pid)
                time.sleep(seconds)
                cores = (cpu_s(process.pid) - cpu) / (time.monotonic() - start)
            finally:
                process.communicate(b"q", timeout=30)  # ends the file properly
            return {"cores": round(cores, 4), **growth(path.read_bytes())}


def growth(mp4: bytes) -> dict:
    """The first frame's size, and MB per minute of video after it (the first keyframe of a still screen
    would otherwise dominate a short recording's size), from the packets' sizes and times."""
    container = av.open(io.BytesIO(mp4))
    packets = [(float(packet.pts * packet.time_base), packet.size) for packet in container.demux(video=0) if packet.size]
    (start, first), rest = packets[0], packets[1:]
    span = (container.duration / av.time_base) - start
    return {"first_kb": round(first / 1024), "mb_per_min": round(sum(size for _, size in rest) / MB / (span / 60), 3),
            "frames": len(packets), "seconds": round(span, 2)}


def recording(bench) -> None:
    raw = bench.raw["recording"] = {"framerate": FRAMERATE}
    seconds = bench.n(10, 4)
    recorder = Recorder(bench)
    bench.focus_textarea()
    changing = ChangingScreen(bench.stage.display)
    try:
        recorder.xhands(2, "warm-up")  # the encoder's first load
        ours, ref = recorder.xhands(seconds, "changing"), recorder.ffmpeg(seconds)
        raw["changing"], raw["ffmpeg_changing"] = ours, ref
        bench.row(f"recording, 1080p changing every frame, {FRAMERATE} fps (ffmpeg x11grab libx264 ultrafast): CPU, MB/min",
                  f"{ours['cores']:.2f} cores, {ours['mb_per_min']:.1f} MB/min, {ours['frames'] / ours['seconds']:.1f} fps",
                  f"{ref['cores']:.2f} cores, {ref['mb_per_min']:.1f} MB/min, {ref['frames'] / ref['seconds']:.1f} fps",
                  vs=f"{ref['cores'] / ours['cores']:.1f}x (CPU)" if ours["cores"] else "",
                  target="≤ ½ of ffmpeg's CPU", met=ours["cores"] <= ref["cores"] / 2)
        clicks_while_recording(bench, raw, recorder)
    finally:
        changing.close()
    bench.stage.chromium.cdp.evaluate("ta.blur(); true")  # its caret would blink
    time.sleep(1.0)
    ours, ref = recorder.xhands(seconds, "still"), recorder.ffmpeg(seconds)
    raw["still"], raw["ffmpeg_still"] = ours, ref
    bench.row(f"recording, still screen, {FRAMERATE} fps: CPU in % of a core, MB/min after the first frame",
              f"{ours['cores'] * 100:.2f} %, {ours['mb_per_min']:.3f} MB/min ({ours['frames']} frames; the first {ours['first_kb']} KB)",
              f"{ref['cores'] * 100:.1f} %, {ref['mb_per_min']:.3f} MB/min ({ref['frames']} frames: it captures and encodes regardless)",
              target="≤ 1 % of a core, ≤ 1 MB/min", met=ours["cores"] <= 0.01 and ours["mb_per_min"] <= 1)
    latency(bench, raw, recorder)


def clicks_while_recording(bench, raw, recorder: Recorder) -> None:
    """Clicks timed in rounds with and without a recording running (the screen changes in both), a little
    apart, so that they sample the whole of a frame interval."""
    body = f'{{"x": {SPOT[0]}, "y": {SPOT[1]}}}'.encode()

    def click(_):
        bench.client.post("/computer/click_mouse", body)

    clicks = {"not recording": [], "recording": []}
    for round_number in range(bench.n(4, 2)):
        clicks["not recording"] += timed(click, bench.n(50, 25), pause_s=CLICK_PAUSE_S)
        name = f"clicks-{round_number}"
        assert recorder.http.post("/recording/start", json={"id": name, "framerate": FRAMERATE}).status_code == 201
        time.sleep(1.0)  # past the first keyframe
        clicks["recording"] += timed(click, bench.n(50, 25), pause_s=CLICK_PAUSE_S)
        recorder.http.post("/recording/stop", json={"id": name})
        recorder.http.post("/recording/delete", json={"id": name})
    result = raw["clicks"] = {name: summary(samples) for name, samples in clicks.items()}
    ours, without = result["recording"]["p50_ms"], result["not recording"]["p50_ms"]
    bench.row("click over HTTP while recording the changing screen; beside it without a recording",
              f"{cell(result['recording'])}; without: {cell(result['not recording'])}",
              vs=f"{ours / without:.2f}x without", target="p50 within 10 % of without", met=ours <= without * 1.1)


def latency(bench, raw, recorder: Recorder) -> None:
    """A patch changes colour on a still screen while a recording runs; in the video, the first frame showing
    each colour is at the time it was captured: how long after the drawing (X synced) was that?"""
    patch = Patch(bench.stage.display)
    samples = bench.n(20, 6)
    drawn = []
    try:
        assert recorder.http.post("/recording/start", json={"id": "latency", "framerate": FRAMERATE}).status_code == 201
        time.sleep(0.5)
        for index in range(samples):
            colour = COLOURS[index % len(COLOURS)]
            patch.fill(colour)
            drawn.append((colour, time.time()))
            time.sleep(0.3)
        recorder.http.post("/recording/stop", json={"id": "latency"})
        response = recorder.http.get("/recording/download", params={"id": "latency"})
        recorder.http.post("/recording/delete", json={"id": "latency"})
    finally:
        patch.close()
    started = datetime.fromisoformat(response.headers["X-Recording-Started-At"].replace("Z", "+00:00")).timestamp()
    frames = [(started + frame.time, frame.to_image()) for frame in av.open(io.BytesIO(response.content)).decode(video=0)]
    found, missed = [], 0
    for (colour, at), following in zip(drawn, [*(moment for _, moment in drawn[1:]), float("inf")]):
        shown = next((moment for moment, image in frames if at - 0.005 <= moment < following
                      and all(abs(a - b) <= 40 for a, b in zip(image.getpixel(patch.centre), colour))), None)
        if shown is None:
            missed += 1
        else:
            found.append(max(0.0, shown - at) * 1000)
    result = raw["latency"] = {**summary(found), "missed": missed}
    interval_ms = 1000 / FRAMERATE
    bench.row(f"recording: an X drawing until the video frame showing it (frame interval {interval_ms:.0f} ms)",
              cell(result) + (f", {missed} of {samples} not shown" if missed else ""),
              target=f"≤ 1 frame interval ({interval_ms:.0f} ms)",
              met=bool(found) and result["p99_ms"] <= interval_ms and not missed)
