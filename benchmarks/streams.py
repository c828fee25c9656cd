"""The screencast beside `ffmpeg -f x11grab` encoding MJPEG to a pipe: frames delivered and CPU while most of
the 1080p screen changes every frame (one viewer, eight, SSE), CPU on a still screen, the time from an X
drawing to the frame that shows it, and single actions and typing while a viewer watches.

Viewers are plain sockets (HTTP/1.0, so the body is not chunked) read in threads of this process; CPU is
utime + stime of the daemon's or ffmpeg's process from /proc over the same window, in cores.
"""

import base64
import contextlib
import io
import json
import os
import random
import re
import socket
import subprocess
import threading
import time
import urllib.request

from PIL import Image
from Xlib import X
from Xlib import display as xdisplay

from .env import wait_until
from .measure import ACTION_PAUSE_S, SCREEN, SPOT, cell, summary, timed
from .text import MIXED

FPS = 30
QUALITY = 70  # the screencast's default JPEG quality
FFMPEG_Q = 7  # ffmpeg mjpeg -q:v; see ffmpeg_command
HZ = 60  # how often the changing screen redraws
CHANGING = (0, 0, 1920, 1040)  # the bottom 40 px stay Chromium's, so clicks at SPOT reach the page
PATCH = (1500, 600, 200, 200)  # where the latency probe draws: away from the pointer
COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255), (0, 255, 255)]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """CPU seconds the process (all its threads) has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        values = stat.read().rsplit(")", 1)[1].split()
    return (int(values[11]) + int(values[12])) / TICKS


def counter(port: int, name: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    return float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))


# -- what the viewers read ---------------------------------------------------------
def mjpeg_parts(stream):
    """The JPEGs of a multipart/x-mixed-replace body: each part's Content-Length says how much to read."""
    while line := stream.readline():
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
            stream.readline()  # the blank line ending the part's headers
            yield stream.read(length)


def sse_frames(stream):
    """The JPEGs of the SSE screencast's unnamed events (cursor events are named)."""
    named = False
    for line in stream:
        if line.startswith(b"event:"):
            named = True
        elif line.startswith(b"data:") and not named:
            yield base64.b64decode(json.loads(line[5:])["image_data"])
        elif line == b"\n":
            named = False


def concatenated_jpegs(stream):
    """ffmpeg's -f mjpeg: JPEGs back to back, each ending in the EOI marker (never inside the entropy-coded
    data, where 0xFF is always followed by 0x00 or a restart marker)."""
    buffer = bytearray()
    while chunk := stream.read1(1 << 16):
        start = max(0, len(buffer) - 1)
        buffer += chunk
        while (end := buffer.find(b"\xff\xd9", start)) >= 0:
            yield bytes(buffer[:end + 2])
            del buffer[:end + 2]
            start = 0


class Frames:
    """A thread reading the JPEGs of one stream, noting when each arrived; keeps them only when asked."""

    def __init__(self, jpegs, close, pid: int | None = None):
        self.arrived: list[tuple[float, int]] = []  # (time.monotonic(), bytes)
        self.kept: list[tuple[float, bytes]] | None = None
        self.pid = pid  # the process whose CPU this stream costs, when it has one of its own (ffmpeg)
        self._close = close
        self._thread = threading.Thread(target=self._read, args=(jpegs,), daemon=True)
        self._thread.start()

    def _read(self, jpegs) -> None:
        with contextlib.suppress(OSError, ValueError):  # closed under the reader
            for jpeg in jpegs:
                now = time.monotonic()
                self.arrived.append((now, len(jpeg)))
                if self.kept is not None:
                    self.kept.append((now, jpeg))

    def rate(self, start: float, end: float) -> tuple[float, float]:
        """Frames a second between the first and the last frame that arrived in [start, end], and their mean size."""
        inside = [(at, size) for at, size in self.arrived if start <= at <= end]
        if len(inside) < 2:
            return 0.0, 0.0
        return (len(inside) - 1) / (inside[-1][0] - inside[0][0]), sum(size for _, size in inside) / len(inside)

    def close(self) -> None:
        self._close()
        self._thread.join(5)


def xhands_viewer(port: int, kind: str = "mjpeg") -> Frames:
    path, parse = {"mjpeg": ("/computer/screencast.mjpeg", mjpeg_parts), "sse": ("/computer/screencast", sse_frames)}[kind]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"GET {path}?fps={FPS}&quality={QUALITY} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
    stream = sock.makefile("rb")

    def close():
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # ends a read blocked in the thread at once
        stream.close()
        sock.close()

    return Frames(parse(stream), close)


def ffmpeg_command(display: str) -> list[str]:
    """x11grab at the same cap, MJPEG to stdout. -q:v 7 gave frames of this page about as large as quality 70's
    (the JPEG quality scales differ; compare the KB/frame in the row). -flush_packets 1: each frame goes to the
    pipe as soon as it is encoded, not when ffmpeg's 32 KB output buffer fills."""
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "x11grab", "-framerate", str(FPS),
            "-video_size", f"{SCREEN[0]}x{SCREEN[1]}", "-i", f"{display}+0,0",
            "-c:v", "mjpeg", "-q:v", str(FFMPEG_Q), "-flush_packets", "1", "-f", "mjpeg", "pipe:1"]


def ffmpeg_viewer(bench) -> Frames:
    process = subprocess.Popen(ffmpeg_command(bench.stage.display), env=bench.stage.env, stdout=subprocess.PIPE)

    def close():
        process.terminate()
        process.wait(10)
        process.stdout.close()

    return Frames(concatenated_jpegs(process.stdout), close, process.pid)


def watch(streams: list[Frames], pid: int, seconds: float, port: int | None = None) -> dict:
    """Once every stream delivers, the frames a second of each and the CPU of `pid` over `seconds`; with the
    daemon's port, also its captures and encodes in that window (what it made, beside what arrived). The
    streams are closed after."""
    try:
        return measured(streams, pid, seconds, port)
    finally:
        for stream in streams:
            stream.close()


def measured(streams: list[Frames], pid: int, seconds: float, port: int | None) -> dict:
    wait_until(lambda: all(stream.arrived for stream in streams), 10, "the first frames")
    time.sleep(0.5)  # past the first frames and the connection's set-up
    made = (lambda: (counter(port, "xhands_screencast_captures_total"), counter(port, "xhands_screencast_encodes_total"))) \
        if port else (lambda: (0.0, 0.0))
    made_before, start, cpu_before = made(), time.monotonic(), cpu_s(pid)
    time.sleep(seconds)
    end, cpu_after, made_after = time.monotonic(), cpu_s(pid), made()
    rates = [stream.rate(start, end) for stream in streams]
    result = {"fps": [round(fps, 2) for fps, _ in rates], "kb_per_frame": round(sum(kb for _, kb in rates) / len(rates) / 1024),
              "cores": round((cpu_after - cpu_before) / (end - start), 4), "seconds": round(end - start, 2)}
    if port:
        result["captures"], result["encodes"] = (after - before for before, after in zip(made_before, made_after))
    return result


# -- what the screen shows ---------------------------------------------------------
class ChangingScreen:
    """An X client redrawing most of the screen HZ times a second with the page's own pixels, shifted by 8 px
    every other time: each frame a new full-size picture as busy as the page (text, photos) to encode."""

    SHIFT = 8

    def __init__(self, display: str):
        self.conn = xdisplay.Display(display)
        screen = self.conn.screen()
        x, y, self.width, self.height = CHANGING
        self.pixmap = screen.root.create_pixmap(self.width, self.height, screen.root_depth)
        self.pixmap.copy_area(self.pixmap.create_gc(subwindow_mode=X.IncludeInferiors), screen.root,
                              x, y, self.width, self.height, 0, 0)
        self.window = screen.root.create_window(x, y, self.width, self.height, 0, screen.root_depth, X.InputOutput,
                                                X.CopyFromParent, override_redirect=True)
        self.gc = self.window.create_gc(graphics_exposures=False)  # no event back for every copy
        self.window.map()
        self.window.configure(stack_mode=X.Above)
        self.conn.sync()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_at, shift = time.monotonic(), 0
        while not self._stop.is_set():
            shift = self.SHIFT - shift
            self.window.copy_area(self.gc, self.pixmap, shift, 0, self.width - shift, self.height, 0, 0)
            self.conn.sync()  # drawn before the next one is sent, so requests never pile up in Xvfb
            next_at += 1 / HZ
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.window.destroy()
        self.pixmap.free()
        self.conn.close()


class Patch:
    """A square window of one colour: `fill` returns time.monotonic() once the X server has drawn it."""

    def __init__(self, display: str):
        self.conn = xdisplay.Display(display)
        screen = self.conn.screen()
        x, y, width, height = PATCH
        self.centre = (x + width // 2, y + height // 2)
        self.window = screen.root.create_window(x, y, width, height, 0, screen.root_depth, X.InputOutput,
                                                X.CopyFromParent, override_redirect=True)
        self.window.map()
        self.window.configure(stack_mode=X.Above)
        self.conn.sync()

    def fill(self, rgb: tuple[int, int, int]) -> float:
        red, green, blue = rgb
        self.window.change_attributes(background_pixel=(red << 16) | (green << 8) | blue)
        self.window.clear_area()
        self.conn.sync()
        return time.monotonic()

    def close(self) -> None:
        self.window.destroy()
        self.conn.close()


def shows(jpeg: bytes, at: tuple[int, int], rgb: tuple[int, int, int]) -> bool:
    image = Image.open(io.BytesIO(jpeg))
    image.draft("RGB", (SCREEN[0] // 8, SCREEN[1] // 8))  # decode at 1/8 scale: fast, and the patch is 25 px there
    factor = image.size[0] / SCREEN[0]
    pixel = image.convert("RGB").getpixel((round(at[0] * factor), round(at[1] * factor)))
    return all(abs(got - want) <= 60 for got, want in zip(pixel, rgb))


def latencies(stream: Frames, patch: Patch, samples: int) -> tuple[list[float], int]:
    """Milliseconds from a drawing (after XSync) to the arrival of the first frame showing it; and how many
    drawings no frame showed within 1 s. Drawings are 150–350 ms apart, at random against ffmpeg's clock."""
    rng = random.Random(13)
    found, missed = [], 0
    stream.kept = []
    wait_until(lambda: stream.arrived, 10, "the first frame")
    for index in range(samples):
        colour = COLOURS[index % len(COLOURS)]
        stream.kept.clear()
        drawn_at = patch.fill(colour)
        checked, seen = 0, None
        while seen is None and time.monotonic() < drawn_at + 1.0:
            time.sleep(0.005)
            for at, jpeg in stream.kept[checked:]:
                checked += 1
                if at >= drawn_at and shows(jpeg, patch.centre, colour):
                    seen = at
                    break
        if seen is None:
            missed += 1
        else:
            found.append((seen - drawn_at) * 1000)
        time.sleep(rng.uniform(0.15, 0.35))
    stream.kept = None
    return found, missed


# -- the rows ------------------------------------------------------------------------
def screencast(bench) -> None:
    port, daemon = bench.stage.daemon.port, bench.stage.daemon.process.pid
    seconds = bench.n(5, 2)
    raw = bench.raw["screencast"] = {"fps": FPS, "xhands_quality": QUALITY, "ffmpeg_q": FFMPEG_Q}
    bench.focus_textarea()  # X focus on Chromium before the changing screen covers the textarea
    changing = ChangingScreen(bench.stage.display)
    try:
        busy(bench, raw, port, daemon, seconds)
        while_streaming(bench, raw, port)
    finally:
        changing.close()
    still(bench, raw, port, daemon, bench.n(10, 3))
    latency(bench, raw, port)


def busy(bench, raw, port, daemon, seconds) -> None:
    watch([xhands_viewer(port)], daemon, seconds, port)  # warm-up: the frames thread, the first encodes
    one = raw["one_viewer"] = watch([xhands_viewer(port)], daemon, seconds, port)
    eight = raw["eight_viewers"] = watch([xhands_viewer(port) for _ in range(8)], daemon, seconds, port)
    sse = raw["sse_viewer"] = watch([xhands_viewer(port, "sse")], daemon, seconds, port)
    ffmpeg = ffmpeg_viewer(bench)
    ref = raw["ffmpeg"] = watch([ffmpeg], ffmpeg.pid, seconds)

    def text(result):
        fps = result["fps"]
        rate = f"{fps[0]:.1f} fps" if len(fps) == 1 else f"{min(fps):.1f}–{max(fps):.1f} fps per viewer"
        made = f" ({result['captures'] / result['seconds']:.1f} captures/s)" if "captures" in result else ""
        return f"{rate}{made}, {result['cores']:.2f} cores, {result['kb_per_frame']} KB/frame"

    fps_ok = one["fps"][0] >= FPS - 0.5  # the cap is 30: a run's timer jitter puts the count a little below
    bench.row(f"screencast MJPEG, 1080p changing every frame, 1 viewer (fps={FPS}, quality {QUALITY}; ffmpeg x11grab -q:v {FFMPEG_Q}): delivered fps, CPU",
              text(one), text(ref), vs=f"{ref['cores'] / one['cores']:.1f}x (CPU)" if one["cores"] else "",
              target="≥ 30 fps (≥ 29.5 measured), ≤ 1 core", met=fps_ok and one["cores"] <= 1.0)
    growth = eight["cores"] / one["cores"] if one["cores"] else None
    bench.row("screencast MJPEG, 8 viewers of the same: fps, CPU, encodes",
              f"{text(eight)}; {growth or 0:.2f}x the CPU of 1 viewer; {eight['encodes']:.0f} encodes for {eight['captures']:.0f} captures",
              target="≤ 1.3x the CPU of 1 viewer", met=growth is not None and growth <= 1.3)
    bench.row("screencast SSE (base64 JSON events), 1 viewer, same screen: fps, CPU", text(sse))


def while_streaming(bench, raw, port) -> None:
    """Clicks timed in rounds with and without a viewer (the screen changes in both), then typing with one.
    The viewer is curl, another process, so reading frames does not take this process's time from the client."""
    url = f"http://127.0.0.1:{port}/computer/screencast.mjpeg?fps={FPS}&quality={QUALITY}"
    body = json.dumps({"x": SPOT[0], "y": SPOT[1]}).encode()

    def click(_):
        bench.client.post("/computer/click_mouse", body)

    def viewer():
        curl = subprocess.Popen(["curl", "-sN", "-o", "/dev/null", url])
        time.sleep(0.5)  # connected and past the first frame
        return curl, time.monotonic(), counter(port, "xhands_screencast_captures_total")

    clicks = {"not streaming": [], "streaming": []}
    frames, streamed_s = 0.0, 0.0
    for _ in range(bench.n(4, 2)):
        clicks["not streaming"] += timed(click, bench.n(50, 25), pause_s=ACTION_PAUSE_S)
        curl, start, captures = viewer()
        clicks["streaming"] += timed(click, bench.n(50, 25), pause_s=ACTION_PAUSE_S)
        frames += counter(port, "xhands_screencast_captures_total") - captures
        streamed_s += time.monotonic() - start
        curl.terminate()
        curl.wait(5)
    result = raw["clicks"] = {name: summary(samples) for name, samples in clicks.items()}
    fps = frames / streamed_s
    raw["clicks"]["streamed_fps"] = round(fps, 1)
    bench.row("click over HTTP while a viewer streams the changing screen (MJPEG); beside it without the viewer",
              f"{cell(result['streaming'])} at {fps:.1f} fps captured; without: {cell(result['not streaming'])}",
              target="p50 ≤ 2 ms", met=result["streaming"]["p50_ms"] <= 2.0)

    def focus():  # the X focus stays on Chromium (set before the changing screen was mapped)
        bench.stage.chromium.reset_textarea()
        return bench.stage.chromium.cdp.evaluate("document.hasFocus() && document.activeElement === ta")

    curl, _, _ = viewer()
    try:
        typed = raw["typing"] = bench.type_once(lambda: bench.client.post("/computer/type", {"text": MIXED}), focus)
    finally:
        curl.terminate()
        curl.wait(5)
    arrived = f"{typed['arrived_s']:.2f} s" if typed["arrived_s"] is not None else "nothing arrived"
    bench.row("type 1,000 mixed chars while a viewer streams the changing screen (MJPEG)",
              f"{arrived}, {typed['correct']}/1000 right", target="1000/1000 right", met=typed["exact"])


def still(bench, raw, port, daemon, seconds) -> None:
    """Nothing changes: the changing screen is gone and the textarea loses focus (its caret blinks)."""
    bench.stage.chromium.cdp.evaluate("ta.blur(); true")
    time.sleep(1.0)  # Chromium repaints what the changing screen uncovered
    ours = raw["idle"] = watch([xhands_viewer(port)], daemon, seconds, port)
    ffmpeg = ffmpeg_viewer(bench)
    ref = raw["ffmpeg_idle"] = watch([ffmpeg], ffmpeg.pid, seconds)
    bench.row(f"screencast MJPEG, still screen, 1 viewer, {ours['seconds']:.0f} s: CPU in % of a core",
              f"{ours['cores'] * 100:.2f} %, {ours['captures']:.0f} captures",  # after the first frame
              f"{ref['cores'] * 100:.1f} %, {ref['fps'][0]:.1f} fps (it captures regardless)",
              target="≤ 1 % of a core", met=ours["cores"] <= 0.01)


def latency(bench, raw, port) -> None:
    """On an otherwise still screen: a patch changes colour; when did the first frame showing it arrive?"""
    patch = Patch(bench.stage.display)
    samples = bench.n(30, 8)
    try:
        for name, open_stream in (("xhands", lambda: xhands_viewer(port)), ("ffmpeg", lambda: ffmpeg_viewer(bench))):
            stream = open_stream()
            try:
                found, missed = latencies(stream, patch, samples)
            finally:
                stream.close()
            raw[f"latency_{name}"] = {**summary(found), "missed": missed}
    finally:
        patch.close()
    ours, ref = raw["latency_xhands"], raw["latency_ffmpeg"]

    def text(result):
        return cell(result) + (f", {result['missed']} of {samples} not seen in 1 s" if result["missed"] else "")

    bench.row("screencast MJPEG: an X drawing until the frame showing it arrived", text(ours), text(ref),
              target="p50 ≤ 50 ms", met=ours["p50_ms"] is not None and ours["p50_ms"] <= 50 and not ours["missed"])
