"""The screencast, GET /computer/screencast (SSE) and /computer/screencast.mjpeg, against a real daemon on the
test display: frames as a viewer decodes them, drawn by another X client, the pointer as XTest moved it."""

import base64
import io
import itertools
import re
import signal
import socket
import threading
import time

import httpx
import pytest
from PIL import Image
from tzafon import Lightcone
from Xlib import X
from Xlib import display as xdisplay

from xhands.daemon.streams.screencast import next_send
from tests.conftest import action, batch
from tests.daemons import DaemonOnOwnDisplay, start_daemon
from tests.sse_reader import SseReader, hang_up

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
COLOURS = (RED, GREEN, BLUE)
XC_CROSSHAIR = 34  # a cursor from the X cursor font, unlike the root window's


class Painter:
    """A window of one colour, drawn by an X client of its own: what an application drawing looks like."""

    def __init__(self, x: int, y: int, width: int, height: int, cursor_glyph: int | None = None,
                 display_name: str | None = None):
        self.display = xdisplay.Display(display_name)
        screen = self.display.screen()
        extra = {}
        if cursor_glyph is not None:
            font = self.display.open_font("cursor")
            extra["cursor"] = font.create_glyph_cursor(font, cursor_glyph, cursor_glyph + 1,
                                                       (0, 0, 0), (65535, 65535, 65535))
        self.window = screen.root.create_window(x, y, width, height, 0, screen.root_depth, X.InputOutput,
                                                X.CopyFromParent, override_redirect=True, **extra)
        self.window.map()
        self.window.configure(stack_mode=X.Above)
        self.display.sync()
        self.centre = (x + width // 2, y + height // 2)

    def fill(self, rgb: tuple[int, int, int]) -> None:
        """Paint it all one colour, above every other window (a recorder raises itself when focused)."""
        red, green, blue = rgb
        self.window.configure(stack_mode=X.Above)
        self.window.change_attributes(background_pixel=(red << 16) | (green << 8) | blue)
        self.window.clear_area()
        self.display.sync()

    def close(self) -> None:
        self.window.destroy()
        self.display.close()


@pytest.fixture
def painter(xvfb):
    window = Painter(200, 150, 300, 200)
    yield window
    window.close()


def frames(events) -> list:
    return [event for event in events if event.name is None]


def picture(event) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(event.data["image_data"]))).convert("RGB")


def near(colour, expected, tolerance: int = 40) -> bool:
    """JPEG moves colours a little."""
    return all(abs(got - want) <= tolerance for got, want in zip(colour, expected))


def shows(rgb, at, scale: float = 1.0):
    """A predicate: the newest frame shows `rgb` at screen point `at`."""
    def check(events) -> bool:
        seen = frames(events)
        return bool(seen) and near(picture(seen[-1]).getpixel((round(at[0] * scale), round(at[1] * scale))), rgb)
    return check


def counter(client, name: str) -> float:
    text = client.get("/metrics").text
    return float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))


@pytest.fixture
def stream(daemon):
    with SseReader.open(daemon.url + "/computer/screencast") as reader:
        yield reader


def test_a_viewer_gets_a_frame_at_once_with_the_screen_size_and_the_cursor(daemon):
    with SseReader.open(daemon.url + "/computer/screencast", params={"max_width": 640}) as reader:
        # A first frame, at once: the first of a fresh daemon waits for its encoder to load, on a busy machine.
        events = reader.wait_for(lambda events: frames(events) and any(e.name == "cursor_update" for e in events), 5.0)
    frame = frames(events)[0]
    assert frame.data["metadata"]["viewport"] == {"width": 1280, "height": 800}
    assert abs(frame.data["metadata"]["timestamp"] - time.time()) < 5
    assert picture(frame).size == (640, 400)
    [sprite] = [event.data for event in events if event.name == "cursor_update"]
    cursor = Image.open(io.BytesIO(base64.b64decode(sprite["image_data"])))
    assert cursor.mode == "RGBA" and cursor.size == (sprite["width"], sprite["height"])
    assert 0 <= sprite["hotspot"]["x"] < sprite["width"] and 0 <= sprite["hotspot"]["y"] < sprite["height"]


def test_what_another_client_draws_arrives_in_the_next_frames(stream, painter):
    for colour in COLOURS:
        painter.fill(colour)
        stream.wait_for(shows(colour, painter.centre), 2.0)


def test_an_unchanged_screen_costs_no_capture(stream, painter, client):
    painter.fill(RED)
    stream.wait_for(shows(RED, painter.centre), 2.0)
    # The fill's last damage may be captured a frame later, or more on a loaded machine: wait until no capture has
    # come for half a second (boundedly) before counting.
    captures, quiet_since, deadline = counter(client, "xhands_screencast_captures_total"), time.monotonic(), time.monotonic() + 5
    while time.monotonic() - quiet_since < 0.5 and time.monotonic() < deadline:
        time.sleep(0.05)
        if (now := counter(client, "xhands_screencast_captures_total")) != captures:
            captures, quiet_since = now, time.monotonic()
    sent = len(frames(stream.events))
    time.sleep(1.0)
    assert counter(client, "xhands_screencast_captures_total") == captures
    assert len(frames(stream.events)) == sent


def test_viewers_of_one_kind_share_each_capture_and_encode(daemon, client, painter):
    url = daemon.url + "/computer/screencast"
    with SseReader.open(url) as first, SseReader.open(url) as second, SseReader.open(url) as third:
        for reader in (first, second, third):
            reader.wait_for(frames)
        captures, encodes = (counter(client, f"xhands_screencast_{name}_total") for name in ("captures", "encodes"))
        for colour in (RED, GREEN, BLUE, RED):
            painter.fill(colour)
            for reader in (first, second, third):
                reader.wait_for(shows(colour, painter.centre), 2.0)
        made = counter(client, "xhands_screencast_captures_total") - captures
        assert made >= 4 and counter(client, "xhands_screencast_encodes_total") - encodes == made


def test_pointer_moves_and_cursor_shapes_arrive_as_their_own_events(stream, client, xvfb):
    batch(client, action("move_mouse", x=123, y=45))
    stream.wait_for(lambda events: any(e.name == "cursor_position" and e.data == {"x": 123, "y": 45} for e in events))
    shapes = sum(event.name == "cursor_update" for event in stream.events)
    crosshair = Painter(600, 500, 100, 100, cursor_glyph=XC_CROSSHAIR)
    try:
        batch(client, action("move_mouse", x=650, y=550))
        stream.wait_for(lambda events: sum(e.name == "cursor_update" for e in events) > shapes)
        stream.wait_for(lambda events: any(e.name == "cursor_position" and e.data == {"x": 650, "y": 550}
                                           for e in events))
    finally:
        crosshair.close()


BOUNDARY = b"--xhandsframe\r\n"


def parts_of(response: httpx.Response):
    """The JPEGs of a multipart/x-mixed-replace body, each once its Content-Length bytes have come."""
    chunks = response.iter_bytes()
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            buffer += next(chunks)
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        assert head.startswith(BOUNDARY), head
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
        assert headers["Content-Type"] == "image/jpeg", headers
        length = int(headers["Content-Length"])
        while len(buffer) < length + 2:
            buffer += next(chunks)
        part, buffer = buffer[:length], buffer[length + 2:]
        yield Image.open(io.BytesIO(part)).convert("RGB")


def test_mjpeg_parts_are_jpegs_of_the_screen_with_the_pointer_drawn_in(daemon, client, painter):
    painter.fill(GREEN)
    batch(client, action("move_mouse", x=painter.centre[0], y=painter.centre[1]))
    with httpx.stream("GET", daemon.url + "/computer/screencast.mjpeg", params={"scale": 0.5}, timeout=10) as response:
        assert response.headers["content-type"] == "multipart/x-mixed-replace; boundary=xhandsframe"
        parts = parts_of(response)
        first = next(parts)
        assert first.size == (640, 400)
        centre = (painter.centre[0] // 2, painter.centre[1] // 2)
        assert not near(first.getpixel(centre), GREEN, 60), "the pointer's picture is drawn at the pointer"
        assert near(first.getpixel((centre[0] + 40, centre[1] + 40)), GREEN)
        painter.fill(BLUE)
        for _ in range(20):
            latest = next(parts)
            if near(latest.getpixel((centre[0] + 40, centre[1] + 40)), BLUE):
                break
        else:
            raise AssertionError("the change never arrived")
        hang_up(response)


@pytest.mark.parametrize("query", ["fps=0", "fps=61", "quality=0", "quality=x", "scale=0", "scale=1.5", "max_width=2"])
def test_bad_parameters_are_a_400_that_says_which(client, query):
    response = client.get("/computer/screencast?" + query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_request" and query.split("=")[0] in body["message"], body
    assert client.get("/computer/screencast.mjpeg?" + query).status_code == 400


def types_exactly(client, recorder, text: str) -> None:
    recorder.focus()
    batch(client, action("type_text", text=text))
    assert recorder.wait_for(lambda events: recorder.typed_text() == text, 10.0)


def stalled_viewer(url: str) -> socket.socket:
    """A viewer that asks for the stream and never reads it: the daemon's writes to it back up."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET /computer/screencast?quality=100 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return sock


def test_a_viewer_that_stops_reading_holds_up_neither_the_others_nor_the_actions(daemon, stream, painter, client,
                                                                                 recorder):
    stalled = stalled_viewer(daemon.url)
    try:
        for colour in itertools.islice(itertools.cycle(COLOURS), 30):  # more than the stalled socket's buffers hold
            painter.fill(colour)
            stream.wait_for(shows(colour, painter.centre), 2.0)
        types_exactly(client, recorder, "streaming does not drop a key 0123456789" * 5)
    finally:
        stalled.close()


def test_typing_is_exact_while_the_screen_changes_at_full_rate(stream, client, recorder, painter):
    stop = threading.Event()

    def animate():
        for colour in itertools.takewhile(lambda _: not stop.is_set(), itertools.cycle(COLOURS)):
            painter.fill(colour)
            time.sleep(0.005)

    animation = threading.Thread(target=animate, daemon=True)
    animation.start()
    try:
        sent = len(frames(stream.events))
        stream.wait_for(lambda events: len(frames(events)) > sent + 5)  # streaming at full rate
        types_exactly(client, recorder, "The quick brown fox jumps over the lazy dog; 0123456789 ~!@#$%^&*()_+ " * 300)
    finally:
        stop.set()
        animation.join()


def test_lightcones_sdk_reads_the_screencast(daemon):
    """A desktop computer's screencast is H.264 (tests/test_recording.py decodes it); ?format=jpeg keeps JPEG."""
    computers = Lightcone(api_key="unused", base_url=daemon.url, max_retries=0).computers
    with computers.with_streaming_response.retrieve_screencast("local", extra_query={"format": "jpeg"}) as response:
        reader = SseReader(response.iter_lines(), lambda: hang_up(response.http_response))
        with reader:
            events = reader.wait_for(frames, 2.0)
    assert picture(frames(events)[0]).size == (1280, 800)


def test_sigterm_ends_the_streams_and_the_daemon_at_once(xvfb):
    daemon = start_daemon()
    try:
        with SseReader.open(daemon.url + "/computer/screencast") as reader:
            reader.wait_for(frames)
            started = time.monotonic()
            daemon.process.send_signal(signal.SIGTERM)
            daemon.process.wait(timeout=2)
            reader.wait_ended(2)
        assert time.monotonic() - started < 2
    finally:
        daemon.stop()


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path, content_type in (("/computer/screencast", "text/event-stream"),
                               ("/computers/{id}/screencast", "text/event-stream"),
                               ("/computer/screencast.mjpeg", "multipart/x-mixed-replace; boundary=xhandsframe")):
        operation = paths[path]["get"]
        assert content_type in operation["responses"]["200"]["content"]
        assert {"fps", "quality", "max_width", "scale"} <= {parameter["name"] for parameter in operation["parameters"]}


def test_the_stream_outlives_the_display_and_shows_the_new_one():
    with DaemonOnOwnDisplay() as own, SseReader.open(own.daemon.url + "/computer/screencast") as reader:
        reader.wait_for(frames)
        own.xvfb.stop()
        own.restart_display()
        painter = Painter(100, 100, 200, 200, display_name=own.display)
        try:
            painter.fill(GREEN)
            reader.wait_for(shows(GREEN, painter.centre), 5.0)
        finally:
            painter.close()


def test_a_viewer_joining_later_is_told_where_the_pointer_is_and_what_it_looks_like(daemon, stream, client):
    batch(client, action("move_mouse", x=321, y=123))
    stream.wait_for(lambda events: any(e.name == "cursor_position" and e.data == {"x": 321, "y": 123} for e in events))
    with SseReader.open(daemon.url + "/computer/screencast") as late:
        events = late.wait_for(lambda events: {"cursor_position", "cursor_update", None} <= {e.name for e in events})
    assert [e.data for e in events if e.name == "cursor_position"][0] == {"x": 321, "y": 123}


def test_a_viewer_is_sent_at_its_own_rate_whatever_the_sources():
    def sends(arrivals, interval):
        allowed, sent = 0.0, []
        for arrival in arrivals:
            if arrival >= allowed:
                sent.append(arrival)
                allowed = next_send(allowed, arrival, interval)
        return sent

    third = 1 / 30
    jittered = [index * third + (0.008 if index % 2 else -0.008) for index in range(1, 301)]
    assert len(sends(jittered, third)) == 300  # at its own rate, a little early or late: every frame
    assert 95 <= len(sends([index / 60 for index in range(1, 601)], 1 / 10)) <= 105  # 60 fps to a 10 fps viewer


def test_viewers_of_one_kind_are_handed_one_frame_made_once(xvfb):
    """The frames thread encodes and wraps each frame once per kind: two SSE viewers get the very same bytes,
    and an MJPEG viewer its own part."""
    import asyncio
    import os

    from xhands.daemon.streams.frames import FrameSource, Viewer
    from xhands.daemon.streams.screencast import mjpeg_part, sse_frame
    from xhands.input import Desktop

    async def scenario():
        desktop = Desktop(os.environ["DISPLAY"])
        source = FrameSource(desktop)
        viewers = [Viewer(fps=30, quality=70, wrap=sse_frame), Viewer(fps=30, quality=70, wrap=sse_frame),
                   Viewer(fps=30, quality=70, wrap=mjpeg_part, cursor_drawn=True)]
        for viewer in viewers:
            source.join(viewer)
        try:
            async with asyncio.timeout(20):
                while any(viewer.frame is None for viewer in viewers):
                    await asyncio.sleep(0.01)
            return [viewer.frame for viewer in viewers]
        finally:
            await source.close()
            desktop.close()

    first, second, part = asyncio.run(scenario())
    assert first is second and first.startswith(b"data: {\"image_data\":")
    assert part.startswith(b"--xhandsframe\r\nContent-Type: image/jpeg\r\n")
