"""Many computers on one daemon, through the official tzafon SDK: each on a private X server of its own size,
input landing only where it was sent (an X client on each display says so), queues that do not wait on each
other, exec on each display, and every way a computer ends taking its X server and programs with it."""

import asyncio
import json
import os
import signal
import threading
import time

import httpx
import pytest
from tzafon import Lightcone, NotFoundError, PermissionDeniedError, RateLimitError

from tests.daemons import start_daemon
from tests.processes import x_servers_of
from tests.recorder import Recorder
from tests.test_mcp import _call_arguments
from tests.sse_reader import SseReader
from xhands.daemon.computer import Lifetime
from xhands.daemon.errors import ApiError
from xhands.daemon.shell import Output, Slots


def sdk(daemon):
    return Lightcone(api_key="unused", base_url=daemon.url, max_retries=0).computers


def socket_of(x_display: str) -> str:
    return f"/tmp/.X11-unix/X{x_display.lstrip(':')}"


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def until(condition, timeout: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not hold within {timeout} s"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def many(xvfb, tmp_path_factory):
    """A daemon that starts up to 3 computers, runs exec, and starts a program on each that says its pid."""
    pids, recordings = tmp_path_factory.mktemp("programs"), tmp_path_factory.mktemp("recordings")
    daemon = start_daemon("--max-computers", "3", "--allow-exec", "--recordings-dir", str(recordings),
                          "--computer-command", f"echo $$ > {pids}/$DISPLAY.pid; exec sleep 600")
    daemon.pids, daemon.recordings = pids, recordings
    yield daemon
    daemon.stop()


@pytest.fixture
def computers(many):
    made = []
    client = sdk(many)

    def create(**params):
        computer = client.create(kind="desktop", **params)
        made.append(computer.id)
        return computer

    client.make = create
    yield client
    for computer_id in made:
        try:
            client.delete(computer_id)
        except NotFoundError:
            pass


def test_two_computers_of_different_sizes_each_on_its_own_display(computers):
    small = computers.make(display={"width": 800, "height": 600})
    large = computers.make(display={"width": 1024, "height": 768})
    assert small.status == "running" and small.kind == "desktop" and small.inactivity_timeout_seconds == 120
    assert small.created_at.endswith("Z") and small.idle_expires_at > small.last_activity_at
    assert {small.id, large.id, "local"} <= {computer.id for computer in computers.list()}
    for computer, size in ((small, (800, 600)), (large, (1024, 768))):
        shot = computers.screenshot(computer.id, base64=True).result
        assert (shot["width"], shot["height"]) == size
        ran = computers.exec.sync(computer.id, command="echo $DISPLAY; xdpyinfo | grep dimensions")
        display, dimensions = ran.stdout.splitlines()
        assert ran.exit_code == 0 and display == computer.x_display
        assert f"{size[0]}x{size[1]} pixels" in dimensions


def test_clicks_land_only_on_the_computer_they_were_sent_to(computers):
    first, second = computers.make(), computers.make()
    with Recorder(first.x_display) as on_first, Recorder(second.x_display) as on_second:
        computers.click(first.id, x=100, y=120)
        computers.click(second.id, x=300, y=310)
        computers.click(first.id, x=50, y=60)
        on_first.wait_for(lambda events: sum(e.kind == "button_release" for e in events) >= 2)
        on_second.wait_for(lambda events: sum(e.kind == "button_release" for e in events) >= 1)
        on_first.wait_idle()
        on_second.wait_idle()
        assert [(e.x, e.y) for e in on_first.of_kind("button_press")] == [(100, 120), (50, 60)]
        assert [(e.x, e.y) for e in on_second.of_kind("button_press")] == [(300, 310)]


def test_kernel_and_mcp_ids_drive_the_computer_of_that_id(computers, many):
    computer = computers.make()
    with Recorder(computer.x_display) as recorder:
        httpx.post(f"{many.url}/browsers/{computer.id}/computer/click_mouse", json={"x": 70, "y": 80}).raise_for_status()
        result = asyncio.run(_call_arguments(many.url, {"session_id": computer.id, "actions": [
            {"type": "click_mouse", "click_mouse": {"x": 90, "y": 95}}]}))
        assert not result.is_error
        recorder.wait_for(lambda events: sum(e.kind == "button_release" for e in events) >= 2)
        assert [(e.x, e.y) for e in recorder.of_kind("button_press")] == [(70, 80), (90, 95)]


def test_a_long_batch_on_one_computer_does_not_hold_up_another(computers):
    busy, free = computers.make(), computers.make()
    ended = threading.Event()

    def long_batch():
        computers.batch(busy.id, actions=[{"type": "wait", "ms": 4000}])
        ended.set()

    thread = threading.Thread(target=long_batch)
    thread.start()
    try:
        until(lambda: computers.retrieve(busy.id).last_activity_at > busy.last_activity_at, what="the batch began")
        with Recorder(free.x_display) as recorder:
            computers.click(free.id, x=10, y=20)
            recorder.wait_for(lambda events: any(e.kind == "button_release" for e in events))
        assert not ended.is_set(), "the click waited for the other computer's batch"
    finally:
        thread.join()


def test_an_unknown_id_is_a_404_in_lightcones_shape(computers):
    with pytest.raises(NotFoundError) as error:
        computers.click("no-such-computer", x=1, y=1)
    assert error.value.body["status"] == "error" and "no-such-computer" in error.value.body["error_message"]


def test_delete_stops_the_x_server_its_programs_and_then_answers_404(computers, many):
    computer = computers.make()
    servers_before = x_servers_of(many.process.pid)
    pid_file = many.pids / f"{computer.x_display}.pid"
    until(lambda: pid_file.exists() and pid_file.read_text().strip(), what="the computer command started")
    program = int(pid_file.read_text())
    assert alive(program) and os.path.exists(socket_of(computer.x_display))
    computers.delete(computer.id)
    assert not os.path.exists(socket_of(computer.x_display))
    assert not alive(program)
    assert len(x_servers_of(many.process.pid)) == len(servers_before) - 1
    with pytest.raises(NotFoundError):
        computers.retrieve(computer.id)


def test_an_idle_computer_ends_after_its_inactivity_timeout(computers, many):
    computer = computers.make(inactivity_timeout_seconds=1)
    assert computer.idle_expires_at is not None
    until(lambda: computer.id not in {one.id for one in computers.list()}, what="the idle computer ended")
    assert not os.path.exists(socket_of(computer.x_display))
    assert computer.id not in {one.id for one in computers.list()}


def test_max_lifetime_ends_a_computer_in_use(computers):
    computer = computers.make(max_lifetime_seconds=1, idle_timeout_enabled=False)
    assert computer.expires_at is not None and computer.idle_expires_at == "9999-12-31T23:59:59Z"  # never idles out
    until(lambda: computer.id not in {one.id for one in computers.list()}, what="the computer reached its lifetime")


def test_exec_streams_output_and_exit_and_kills_its_group_at_the_timeout(computers):
    computer = computers.make()
    lines = [(line.type, line.data, line.code) for line in
             computers.exec.create(computer.id, command="echo out; echo err >&2; exit 3")]
    assert sorted(lines[:2]) == [("stderr", "err\n", None), ("stdout", "out\n", None)] and lines[2] == ("exit", None, 3)
    lines = list(computers.exec.create(computer.id, command="sleep 60 & echo $!; wait", timeout_seconds=1))
    left_running = int(lines[0].data)
    assert (lines[-1].type, lines[-1].code) == ("exit", -1)
    until(lambda: not alive(left_running), what="the timed-out command's group was killed")


def test_output_is_capped_and_debug_is_the_same_runner(computers):
    computer = computers.make()
    result = computers.debug(computer.id, command="head -c 100000 /dev/zero | tr '\\0' a", max_output_length=10)
    assert result.status == "success"
    assert result.result["debug_response"] == {"exit_code": 0, "stdout": "a" * 10, "stderr": ""}
    result = computers.execute(computer.id, action={"type": "debug", "debug": {"command": "echo $DISPLAY"}})
    assert result.result["debug_response"]["stdout"] == computer.x_display + "\n"


def test_a_create_past_the_limit_is_refused_with_nothing_started(xvfb):
    daemon = start_daemon("--max-computers", "1")
    try:
        computers = sdk(daemon)
        computers.create(kind="desktop")
        with pytest.raises(RateLimitError) as error:
            computers.create(kind="desktop")
        assert "--max-computers" in error.value.body["error_message"]
        assert len(computers.list()) == 2 and len(x_servers_of(daemon.process.pid)) == 1
    finally:
        daemon.stop()


def test_exec_is_off_by_default_and_says_which_flag_turns_it_on(xvfb):
    daemon = start_daemon("--max-computers", "1")
    try:
        computers = sdk(daemon)
        with pytest.raises(PermissionDeniedError) as error:
            computers.exec.sync("local", command="true")
        assert "--allow-exec" in error.value.body["error_message"]
        response = httpx.post(f"{daemon.url}/computers/local/exec", json={"command": "true"})
        assert response.status_code == 200 and response.headers["x-should-retry"] == "false"
        [line] = list(computers.exec.create("local", command="true"))
        assert line.type == "error" and line.code == "exec_disabled" and "--allow-exec" in line.message
    finally:
        daemon.stop()


def test_sigterm_leaves_no_x_server(xvfb):
    daemon = start_daemon("--max-computers", "2")
    computers = sdk(daemon)
    made = [computers.create(kind="desktop"), computers.create(kind="desktop")]
    servers = x_servers_of(daemon.process.pid)
    assert len(servers) == 2
    daemon.process.send_signal(signal.SIGTERM)
    daemon.process.wait(timeout=5)
    daemon.stop()
    assert not any(map(alive, servers))
    assert not any(os.path.exists(socket_of(computer.x_display)) for computer in made)


def test_a_lifetime_ends_at_the_sooner_of_idleness_and_age():
    lifetime = Lifetime(inactivity_s=10, max_s=100)
    assert lifetime.end(created_at=0, active_at=50, busy=False, now=55) == 60
    assert lifetime.end(created_at=0, active_at=50, busy=True, now=95) == 100  # busy: idle from now on at most
    assert Lifetime(max_s=100).end(created_at=0, active_at=50, busy=False, now=55) == 100
    assert Lifetime().end(created_at=0, active_at=50, busy=False, now=55) is None


def test_output_is_cut_by_bytes_and_decoded_across_chunks():
    output = Output(limit=5)
    assert output.text("é".encode()[:1]) == ""  # half a character waits for its other half
    assert output.text("é".encode()[1:] + b"abcdef") == "éabc"  # 2 + 3 bytes: the limit
    assert output.text(b"more") == "" and output.text(None) == ""


def test_slots_refuse_past_the_limit_and_come_back():
    slots = Slots(1)
    slots.take()
    with pytest.raises(ApiError) as error:
        slots.take()
    assert error.value.status == 429 and "--max-exec" in error.value.message
    slots.give_back()
    slots.take()


def test_a_computers_event_stream_shows_only_it_and_ends_with_it(computers, many):
    first, second = computers.make(), computers.make()
    with SseReader.open(f"{many.url}/computers/{first.id}/events") as stream:
        computers.click(second.id, x=5, y=5)
        computers.click(first.id, x=7, y=8)
        seen = stream.wait_for(lambda events: any(e.name == "action_response" for e in events))
        assert [(e.name, e.data["params"]["x"]) for e in seen] == [("action_request", 7), ("action_response", 7)]
        computers.delete(first.id)
        stream.wait_ended()


def test_a_websocket_to_an_unknown_computer_is_refused_with_a_404(many):
    response = httpx.get(f"{many.url}/computers/no-such-computer/ws", headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert response.status_code == 404 and response.json()["status"] == "error"


def test_exec_is_killed_when_its_caller_leaves(computers, many):
    computer = computers.make()
    with httpx.stream("POST", f"{many.url}/computers/{computer.id}/exec",
                      json={"command": "sleep 60 & echo $!; wait"}) as response:
        first = json.loads(next(response.iter_lines()))
    left_running = int(first["data"])
    until(lambda: not alive(left_running), what="the command of a caller that left was killed")


def test_a_computers_screencast_shows_its_own_screen(computers, many):
    small = computers.make(display={"width": 640, "height": 400})

    def frames(events):
        return [e.data for e in events if isinstance(e.data, dict) and "metadata" in e.data]

    with SseReader.open(f"{many.url}/computers/{small.id}/screencast?format=jpeg") as stream:
        [frame, *_] = frames(stream.wait_for(frames))
    assert frame["metadata"]["viewport"] == {"width": 640, "height": 400}


def test_keepalive_keeps_an_idle_computer(computers):
    computer = computers.make(inactivity_timeout_seconds=3)
    kept_until = time.monotonic() + 5
    while time.monotonic() < kept_until:  # longer than its timeout, never idle for long
        assert computers.keepalive(computer.id)["id"] == computer.id
        time.sleep(0.3)
    until(lambda: computer.id not in {one.id for one in computers.list()}, what="the computer ended once left idle")


def test_a_command_running_keeps_its_computer_from_idling_out(computers):
    computer = computers.make(inactivity_timeout_seconds=1)
    ran = computers.exec.sync(computer.id, command="sleep 3; echo still here")
    assert ran.exit_code == 0 and ran.stdout == "still here\n"
    until(lambda: computer.id not in {one.id for one in computers.list()}, what="the computer ended once idle")


def test_each_computer_has_recordings_of_its_own_which_end_with_it(computers, many):
    first, second = computers.make(), computers.make()
    with httpx.Client(base_url=many.url, timeout=10) as client:
        def recording(computer_id, route, **params):
            prefix = f"/computers/{computer_id}" if computer_id else ""
            if route in ("download", "list"):
                return client.get(f"{prefix}/recording/{route}", params=params)
            return client.post(f"{prefix}/recording/{route}", json=params)

        def listed(computer_id=None):
            return {info["id"] for info in recording(computer_id, "list").json()}

        for computer_id, recording_id in ((first.id, "default"), (second.id, "default"), (first.id, "only-first")):
            assert recording(computer_id, "start", id=recording_id).status_code == 201
        for computer_id, recording_id in ((first.id, "default"), (second.id, "default"), (first.id, "only-first")):
            assert recording(computer_id, "stop", id=recording_id).status_code == 200
        assert listed(first.id) == {"default", "only-first"} and listed(second.id) == {"default"}
        assert not listed() & {"default", "only-first"}  # the routes without an id: the daemon's own display's
        replays = client.get(f"/browsers/{first.id}/replays").json()
        assert {replay["replay_id"] for replay in replays} == {"default", "only-first"}
        assert all(replay["replay_view_url"].endswith(f"&computer={first.id}") for replay in replays)

        assert recording(second.id, "download", id="only-first").status_code == 404
        assert recording(None, "download", id="only-first").status_code == 404
        assert recording(second.id, "delete", id="only-first").status_code == 404
        assert recording(second.id, "mark", id="only-first", name="elsewhere").status_code == 404
        assert recording(first.id, "download", id="only-first").headers["Content-Type"] == "video/mp4"

        assert recording(second.id, "delete", id="default").status_code == 200
        assert listed(second.id) == set() and recording(first.id, "download", id="default").status_code == 200
        assert {path.name for path in (many.recordings / first.id).iterdir()} == {"default.mp4", "only-first.mp4"}

        assert recording(first.id, "start", id="left-running").status_code == 201
        computers.delete(first.id)
        assert recording(first.id, "list").status_code == 404
        assert not (many.recordings / first.id).exists()  # its recordings went with it, the running one too

