"""Recordings, Kernel's /recording/* routes, against a real daemon: a painter window changes colour on a
schedule while actions run, and the downloaded MP4 is decoded with PyAV to see what it shows and when."""

import base64
import io
import os
import signal
import time
from datetime import datetime

import av
import httpx
import numpy as np
import pytest
from kernel import Kernel
from PIL import Image

from xhands.daemon.recording import timeline
from xhands.daemon.recording.encoder import blend_cursor
from xhands.daemon.recording.recorder import MAX_RUNNING
from xhands.input.capture import CursorImage
from tests.daemons import DaemonOnOwnDisplay, start_daemon
from tests.sse_reader import SseReader
from tests.test_screencast import BLUE, GREEN, RED, Painter, counter, near, painter  # noqa: F401 (a fixture)

WHITE = (255, 255, 255)


def epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def decoded(mp4: bytes):
    """(container, [(time in s, RGB picture)]) of every frame."""
    container = av.open(io.BytesIO(mp4))
    return container, [(frame.time, frame.to_image()) for frame in container.decode(video=0)]


def first_showing(pictures, rgb, at) -> float | None:
    return next((moment for moment, image in pictures if near(image.getpixel(at), rgb)), None)


def wait_until_finished(client: httpx.Client, recording_id: str, timeout: float = 10.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while (response := client.get("/recording/download", params={"id": recording_id})).status_code == 202:
        assert time.monotonic() < deadline, "the recording was not finished in time"
        time.sleep(0.1)
    return response


def test_the_video_shows_each_colour_when_painted_and_holds_the_click_and_the_mark_as_chapters():
    with DaemonOnOwnDisplay("1920x1080x24") as own:
        client = own.client
        painter = Painter(200, 150, 300, 200, display_name=own.display)
        try:
            painter.fill(WHITE)
            begun = time.time()
            assert client.post("/recording/start", json={"id": "painting", "framerate": 10}).status_code == 201
            painted = []  # (colour, when it was painted, when the next was)
            for index, colour in enumerate((RED, GREEN, BLUE)):
                time.sleep(0.6)
                painted.append((colour, time.time()))
                painter.fill(colour)
                if index == 0:
                    clicked = (time.time(), None)
                    assert client.post("/computer/click_mouse", json={"x": 900, "y": 700}).status_code == 200
                    clicked = (clicked[0], time.time())
                if index == 1:
                    marked = (time.time(), None)
                    mark = client.post("/recording/mark", json={"id": "painting", "name": "after green"})
                    marked = (marked[0], time.time())
                    assert mark.status_code == 201 and mark.json()["name"] == "after green"
            time.sleep(0.6)
            stopping = time.time()
            assert client.post("/recording/stop", json={"id": "painting"}).status_code == 200
            wall = time.time() - begun
            response = client.get("/recording/download", params={"id": "painting"})
        finally:
            painter.close()
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    started = epoch(response.headers["X-Recording-Started-At"])
    assert epoch(response.headers["X-Recording-Finished-At"]) > started
    container, pictures = decoded(response.content)
    stream = container.streams.video[0]
    assert (stream.width, stream.height) == (1920, 1080)
    # No longer than the time it recorded; it holds the last colour (below), so it is not cut short either. (Its
    # first frame comes once the encoder has loaded, a second later on a loaded machine: no closer lower bound.)
    assert container.duration / av.time_base <= wall + 0.1, (container.duration / av.time_base, wall)
    # Each colour shows from a frame taken after it was painted (a frame's time is its tick's, up to one frame
    # period early) and before the next colour replaced it: the video's time is the screen's. How soon after the
    # painting it shows is how soon the daemon got a CPU to take the frame, which a loaded machine delays (268 ms
    # at 10 frames/s under a CPU hog); that latency is benchmarks/streams.py's to measure.
    ends = [moment for _, moment in painted[1:]] + [stopping]
    for (colour, moment), end in zip(painted, ends):
        shown = first_showing(pictures, colour, painter.centre)
        assert shown is not None and moment - started - 0.1 <= shown < end - started, (colour, shown, moment - started)
    # Each chapter, and the mark's offset, is a moment of its request: between its sending and its answer.
    chapters = {chapter["metadata"]["title"]: chapter["start"] / 1000 for chapter in container.chapters()}
    for at, (sent, answered) in ((chapters["click_mouse"], clicked), (chapters["after green"], marked),
                                 (mark.json()["offset_ms"] / 1000, marked)):
        assert sent - started - 0.002 <= at <= answered - started + 0.002, (at, sent - started, answered - started)


def test_the_timeline_names_each_batch_by_its_actions_with_its_request_id_and_never_the_typed_text(client, recorder):
    assert client.post("/recording/start", json={"id": "typing"}).status_code == 201
    try:
        typed = client.post("/computer/type", json={"text": "secret words"}, headers={"X-Request-Id": "type-1"})
        batch = client.post("/computer/batch", json={"actions": [
            {"type": "move_mouse", "move_mouse": {"x": 10, "y": 10}},
            {"type": "click_mouse", "click_mouse": {"x": 10, "y": 10}}]})
        assert typed.status_code == batch.status_code == 200
    finally:
        assert client.post("/recording/stop", json={"id": "typing"}).status_code == 200
    body = client.get("/recording/timeline", params={"id": "typing"}).json()
    actions = [entry for entry in body["timeline"] if entry["kind"] == "action"]
    assert [entry["name"] for entry in actions] == ["type_text (12 chars)", "move_mouse, click_mouse"]
    assert actions[0]["request_id"] == typed.headers["X-Request-Id"]
    assert actions[1]["request_id"] == batch.headers["X-Request-Id"]
    assert [action["status"] for action in actions[1]["actions"]] == ["ok", "ok"]
    assert actions[0]["offset_ms"] <= actions[1]["offset_ms"] <= body["duration_ms"]
    mp4 = client.get("/recording/download", params={"id": "typing"}).content
    assert b"secret" not in mp4 and "secret" not in str(body)
    container, _ = decoded(mp4)
    assert [chapter["metadata"]["title"] for chapter in container.chapters()] == [
        timeline.START_TITLE, "type_text (12 chars)", "move_mouse, click_mouse"]
    assert client.post("/recording/delete", json={"id": "typing"}).status_code == 200


def test_kernels_statuses(client):
    assert client.post("/recording/start", json={"id": "statuses", "framerate": 5}).status_code == 201
    try:
        assert client.post("/recording/start", json={"id": "statuses"}).status_code == 409
        still = client.get("/recording/download", params={"id": "statuses"})
        assert still.status_code == 202 and int(still.headers["Retry-After"]) >= 1
        assert client.post("/recording/delete", json={"id": "statuses"}).status_code == 400
        listed = {info["id"]: info for info in client.get("/recording/list").json()}
        assert listed["statuses"]["isRecording"] is True and listed["statuses"]["finished_at"] is None
        assert epoch(listed["statuses"]["started_at"]) == pytest.approx(time.time(), abs=10)
        assert counter(client, "xhands_recordings_running") == 1
    finally:
        assert client.post("/recording/stop", json={"id": "statuses"}).status_code == 200
    assert counter(client, "xhands_recordings_running") == 0 and counter(client, "xhands_recording_frames_total") >= 1
    assert client.post("/recording/mark", json={"id": "statuses", "name": "late"}).status_code == 409
    listed = {info["id"]: info for info in client.get("/recording/list").json()}
    assert listed["statuses"]["isRecording"] is False and listed["statuses"]["finished_at"] is not None
    assert client.get("/recording/download", params={"id": "statuses"}).status_code == 200
    assert client.post("/recording/delete", json={"id": "statuses"}).status_code == 200
    assert client.get("/recording/download", params={"id": "statuses"}).status_code == 404
    assert client.post("/recording/delete", json={"id": "statuses"}).status_code == 404
    assert "statuses" not in {info["id"] for info in client.get("/recording/list").json()}
    assert client.post("/recording/mark", json={"id": "nobody", "name": "x"}).status_code == 404
    assert client.post("/recording/stop", json={"id": "nobody"}).status_code == 400


@pytest.mark.parametrize("body", [
    {"id": "has space"}, {"framerate": 0}, {"framerate": 21}, {"maxFileSizeInMB": 5}, {"maxDurationInSeconds": 0},
    {"framerate": "10"}, {"recordAudio": True}, {"unknown": 1},
])
def test_bad_start_bodies_are_a_400_and_start_nothing(client, body):
    before = client.get("/recording/list").json()
    response = client.post("/recording/start", json=body)
    assert response.status_code == 400 and response.json()["message"]
    assert client.get("/recording/list").json() == before


def test_several_ids_record_at_once_and_the_routes_exist_per_computer(client):
    ids = [f"at-once-{number}" for number in range(MAX_RUNNING)]
    for recording_id in ids:
        assert client.post("/computers/local/recording/start", json={"id": recording_id}).status_code == 201
    listed = {info["id"]: info["isRecording"] for info in client.get("/computers/local/recording/list").json()}
    assert all(listed[recording_id] for recording_id in ids)
    assert client.post("/recording/start", json={"id": "one-too-many"}).status_code == 429
    for recording_id in ids:
        assert client.post("/recording/stop", json={"id": recording_id}).status_code == 200
        assert client.get("/computers/local/recording/download", params={"id": recording_id}).status_code == 200
        assert client.post("/computers/local/recording/delete", json={"id": recording_id}).status_code == 200


def test_max_duration_ends_a_recording_cleanly(client):
    assert client.post("/recording/start", json={"id": "short", "maxDurationInSeconds": 1}).status_code == 201
    response = wait_until_finished(client, "short")
    assert response.status_code == 200
    container, pictures = decoded(response.content)
    assert pictures and container.duration / av.time_base == pytest.approx(1.0, abs=0.3)
    assert client.get("/recording/timeline", params={"id": "short"}).json()["stop_reason"] == "maxDurationInSeconds"
    assert client.post("/recording/delete", json={"id": "short"}).status_code == 200


class NoisePainter(Painter):
    """Random pixels over the whole window, which compress to nothing: a recording that grows fast."""

    def noise(self) -> None:
        width, height = 640, 480
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
        gc = self.window.create_gc(foreground=0, background=0)
        self.window.put_pil_image(gc, 0, 0, image)
        gc.free()
        self.display.sync()


def test_the_disk_budget_ends_the_recordings_cleanly_and_refuses_new_ones(tmp_path):
    with DaemonOnOwnDisplay("640x480x24", "--recordings-dir", str(tmp_path), "--max-recordings-mb", "1") as own:
        client = own.client
        painter = NoisePainter(0, 0, 640, 480, display_name=own.display)
        try:
            assert client.post("/recording/start", json={"id": "noisy"}).status_code == 201
            deadline = time.monotonic() + 20
            while client.get("/recording/list").json()[0]["isRecording"]:
                assert time.monotonic() < deadline, "the budget did not end the recording"
                painter.noise()
                time.sleep(0.05)
        finally:
            painter.close()
        response = wait_until_finished(client, "noisy")
        assert response.status_code == 200 and decoded(response.content)[1]
        assert client.get("/recording/timeline", params={"id": "noisy"}).json()["stop_reason"] == "max-recordings-mb"
        refused = client.post("/recording/start", json={"id": "more"})
        assert refused.status_code == 507 and "--max-recordings-mb" in refused.json()["message"]
        assert [path.name for path in tmp_path.iterdir()] == ["noisy.mp4"]
        assert client.post("/recording/delete", json={"id": "noisy"}).status_code == 200
        assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("keep", [False, True])
def test_recordings_are_removed_at_shutdown_unless_kept(xvfb, tmp_path, keep):
    daemon = start_daemon("--recordings-dir", str(tmp_path), *(["--keep-recordings"] if keep else []))
    try:
        with httpx.Client(base_url=daemon.url, timeout=10) as client:
            assert client.post("/recording/start", json={"id": "left"}).status_code == 201
            time.sleep(0.3)
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(timeout=5)
    finally:
        daemon.stop()
    kept = list(tmp_path.iterdir())
    if keep:
        assert [path.name for path in kept] == ["left.mp4"] and decoded(kept[0].read_bytes())[1]
    else:
        assert kept == []


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    for prefix in ("", "/computers/{id}"):
        assert "201" in paths[f"{prefix}/recording/start"]["post"]["responses"]
        download = paths[f"{prefix}/recording/download"]["get"]["responses"]
        assert "video/mp4" in download["200"]["content"] and "202" in download
        assert "201" in paths[f"{prefix}/recording/mark"]["post"]["responses"]
        for name in ("stop", "delete"):
            assert "200" in paths[f"{prefix}/recording/{name}"]["post"]["responses"]
        for name in ("list", "timeline"):
            assert "200" in paths[f"{prefix}/recording/{name}"]["get"]["responses"]


# The timeline's pure parts.

class Event:
    def __init__(self, name, **data):
        self.name, self.data = name, data


def test_a_batch_is_placed_where_its_first_action_began_and_named_by_its_actions():
    collect = timeline.Collector()
    base = {"request_id": "r1", "batch": 7}
    collect(Event("action_request", **base, index=0, type="type_text", params={"text_length": 3}, timestamp=100.0))
    collect(Event("action_request", **base, index=1, type="press_key", params={"keys": ["Return"]}, timestamp=100.0))
    collect(Event("action_response", **base, index=0, status="ok", duration_ms=500.0, timestamp=101.5))
    collect(Event("action_response", **base, index=1, status="not_run", duration_ms=None, timestamp=101.6))
    [entry] = timeline.entries(list(collect.batches.values()), [("m", 102.0)], started_at=99.0, finished_at=103.0)[:1]
    assert entry["offset_ms"] == 2000 and entry["name"] == "type_text (3 chars), press_key"
    assert [action["status"] for action in entry["actions"]] == ["ok", "not_run"]


def test_chapters_follow_each_other_from_the_start_to_the_end():
    entries = [{"offset_ms": 500, "name": "a"}, {"offset_ms": 900, "name": "b"}]
    assert timeline.chapters(entries, 2000) == [(0, 500, timeline.START_TITLE), (500, 900, "a"), (900, 2000, "b")]
    assert timeline.chapters([], 2000) == [(0, 2000, timeline.START_TITLE)]
    assert timeline.chapters([{"offset_ms": 0, "name": "a"}], 10) == [(0, 10, "a")]


def test_a_long_title_is_cut():
    assert len(timeline.title(["click_mouse"] * 100)) == timeline.MAX_TITLE


# Lightcone's desktop screencast: H.264 from the same encoder.

def h264_events(events) -> list:
    return [event for event in events if event.name == "h264"]


def decode_h264(events) -> list[Image.Image]:
    codec = av.CodecContext.create("h264", "r")
    pictures = []
    for event in h264_events(events):  # each is one frame, as a WebCodecs EncodedVideoChunk is
        pictures += [frame.to_image() for frame in codec.decode(av.Packet(base64.b64decode(event.data["nalu_data"])))]
    return pictures


def test_lightcones_screencast_is_h264_that_decodes_into_the_painters_colours(daemon, painter):
    painter.fill(WHITE)
    with SseReader.open(daemon.url + "/computers/local/screencast") as first:
        first.wait_for(lambda events: h264_events(events) and any(e.name == "cursor_position" for e in events), 5.0)
        for colour in (RED, GREEN, BLUE):
            painter.fill(colour)
            first.wait_for(lambda events: (seen := decode_h264(events)) and near(seen[-1].getpixel(painter.centre), colour), 5.0)
        opening = h264_events(first.events)[0]
        with SseReader.open(daemon.url + "/computers/local/screencast") as later:  # joins mid-stream
            later.wait_for(h264_events, 5.0)
            joined = h264_events(later.events)[0]
    for event in (opening, joined):
        nalu = base64.b64decode(event.data["nalu_data"])
        assert event.data["keyframe"] and nalu.startswith(b"\0\0\0\1\x67")  # Annex-B, its SPS first
        assert event.data["viewport"] == {"width": 1280, "height": 800}
    assert decode_h264(later.events)[0].size == (1280, 800)


def test_lightcones_screencast_format_must_be_h264_or_jpeg(client):
    response = client.get("/computers/local/screencast", params={"format": "png"})
    assert response.status_code == 400 and "jpeg" in response.json()["message"]


def test_the_cursor_is_blended_over_the_picture_where_it_is_even_at_the_edge():
    pixels = np.zeros((4, 4, 4), np.uint8)
    # 2x2 cursor at (3, -1): only its bottom-left pixel is on screen; premultiplied: opaque white, half grey.
    sprite = bytes([255, 255, 255, 255, 64, 64, 64, 128, 255, 255, 255, 255, 64, 64, 64, 128])
    blend_cursor(pixels, CursorImage(3, -1, 2, 2, sprite))
    assert pixels[0, 3, :3].tolist() == [255, 255, 255] and pixels[:, :3].sum() == 0 and pixels[1:].sum() == 0
    pixels[:] = 200
    blend_cursor(pixels, CursorImage(0, 0, 2, 2, sprite))
    assert pixels[0, 1, :3].tolist() == [64 + 200 * 127 // 255] * 3


def test_by_default_recordings_go_to_a_private_directory_of_the_daemons_own_removed_at_shutdown(xvfb, tmp_path):
    daemon = start_daemon(env={"XDG_STATE_HOME": str(tmp_path)})
    try:
        with httpx.Client(base_url=daemon.url, timeout=10) as client:
            assert not (tmp_path / "xhands").exists() or not list((tmp_path / "xhands").iterdir())  # made when needed
            assert client.post("/recording/start", json={"id": "private"}).status_code == 201
            [directory] = (tmp_path / "xhands").iterdir()
            assert directory.stat().st_mode & 0o777 == 0o700
            assert client.post("/recording/stop", json={"id": "private"}).status_code == 200
            assert [path.name for path in directory.iterdir()] == ["private.mp4"]
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(timeout=5)
    finally:
        daemon.stop()
    assert list((tmp_path / "xhands").iterdir()) == []


def test_kernels_sdk_records_through_its_replays(daemon):
    replays = Kernel(base_url=daemon.url, api_key="unused").browsers.replays
    started = replays.start("any-browser", framerate=5)
    assert started.replay_view_url.endswith(f"/view?recording={started.replay_id}") and started.finished_at is None
    time.sleep(0.5)
    replays.stop(started.replay_id, id_or_name="any-browser")
    [listed] = [item for item in replays.list("any-browser") if item.replay_id == started.replay_id]
    assert listed.finished_at is not None and listed.started_at == started.started_at
    video = replays.download(started.replay_id, id_or_name="any-browser").read()
    assert decoded(video)[1]
    with httpx.Client(base_url=daemon.url) as client:
        assert client.post("/recording/delete", json={"id": started.replay_id}).status_code == 200
