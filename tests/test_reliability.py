"""Nothing stuck, nothing lost: early endings release everything; display and helper faults are survivable."""

import json
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import action
from tests.daemons import DaemonOnOwnDisplay, post_in_background, sigterm_during, start_daemon, until_queued
from tests.ports import free_port
from tests.processes import x_servers_of
from tests.xstate import keymap_rows, nothing_pressed


@pytest.mark.parametrize(
    "long_action",
    [
        action("drag_mouse", path=[[100, 100], [400, 400], [700, 300]], duration_ms=3000, hold_keys=["ctrl"]),
        action("press_key", keys=["Shift+Cyrillic_ya"], duration=3000),
        action("type_text", text="日本語のテキスト" * 40, delay=20),
    ],
    ids=["drag", "key-duration", "unicode-typing"],
)
def test_sigterm_mid_action_releases_everything_and_exits_fast(xvfb, recorder, long_action):
    before = keymap_rows()
    daemon = start_daemon()
    thread, outcome = post_in_background(f"{daemon.url}/computer/batch", {"actions": [long_action]})
    recorder.wait_for(lambda evs: any(e.kind in ("key_press", "button_press") for e in evs))  # it runs
    sigterm_during(daemon, thread, outcome)
    assert nothing_pressed()
    assert keymap_rows() == before, "spare keycodes were left bound"


def test_client_disconnect_stops_the_batch_after_the_current_action(daemon, recorder):
    actions = [
        action("press_key", keys=["a"], hold_keys=["shift"], duration=400),
        action("sleep", duration_ms=300),
        action("click_mouse", x=50, y=50),
    ]
    body = json.dumps({"actions": actions}).encode()
    with socket.create_connection(("127.0.0.1", daemon.port)) as conn:
        conn.sendall(
            b"POST /computer/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        recorder.wait_for(lambda evs: any(e.kind == "key_press" for e in evs))  # the first action is running
    # The connection is closed mid-action. The next request queues behind the stopped batch.
    assert httpx.post(f"{daemon.url}/computer/get_mouse_position", timeout=5).status_code == 200
    recorder.wait_idle(quiet=0.4)
    assert recorder.buttons() == [], "actions after the disconnect ran"
    assert len(recorder.of_kind("key_release")) == 2
    assert nothing_pressed()


def test_display_killed_and_restarted(tmp_path):
    """/health turns 503 and actions get display_unavailable; the daemon reconnects when the display returns."""
    with DaemonOnOwnDisplay() as own:
        client = own.client
        assert client.post("/computer/click_mouse", json={"x": 5, "y": 5}).status_code == 200
        drag = action("drag_mouse", path=[[10, 10], [600, 400]], duration_ms=3000, hold_keys=["shift"])
        thread, outcome = post_in_background(f"{own.daemon.url}/computer/batch", {"actions": [drag]})
        time.sleep(0.5)
        own.xvfb.stop()  # the X server dies mid-drag, with Shift and the button down
        thread.join(10)
        assert outcome[0].status_code == 503, outcome[0].text
        assert outcome[0].json()["details"][0]["target"] == "actions[0]"
        assert client.get("/health").status_code == 503
        for route, body in [("click_mouse", {"x": 5, "y": 5}), ("screenshot", {}), ("type", {"text": "x"})]:
            response = client.post(f"/computer/{route}", json=body)
            assert response.status_code == 503 and response.json()["code"] == "display_unavailable", response.text
        own.restart_display()
        assert client.post("/computer/click_mouse", json={"x": 7, "y": 7}).status_code == 200
        assert client.post("/computer/get_mouse_position").json() == {"x": 7, "y": 7}
        assert client.post("/computer/screenshot").content.startswith(b"\x89PNG")
        assert nothing_pressed(own.display)


def test_a_stopped_x_server_is_a_prompt_503_on_health(tmp_path):
    """An X server that is there but does not answer (SIGSTOP) never holds /health or /metrics up: they answer
    503 and display_up 0 within the client's timeout; once it answers again, so does /health."""
    with DaemonOnOwnDisplay() as own:
        assert own.client.get("/health").status_code == 200
        own.xvfb.process.send_signal(signal.SIGSTOP)
        try:
            for _ in range(2):  # the second asks while the first question is still out
                response = own.client.get("/health", timeout=5)
                assert response.status_code == 503 and "did not answer" in response.json()["message"], response.text
            assert "xhands_display_up 0.0" in own.client.get("/metrics", timeout=5).text
        finally:
            own.xvfb.process.send_signal(signal.SIGCONT)
        assert own.client.get("/health", timeout=5).status_code == 200
        assert own.client.post("/computer/click_mouse", json={"x": 5, "y": 5}).status_code == 200


def test_sigterm_stops_an_owned_xvfb(tmp_path):
    """Without a display the daemon starts its own Xvfb; SIGTERM stops both within 2 s."""
    env = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "xhands", "serve", "--port", str(port), "--screen", "640x480x24"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = ""
        while "listening" not in line:
            line = process.stderr.readline()
            assert line, "daemon exited early"
        xvfb_pids = x_servers_of(process.pid)
        assert httpx.post(f"http://127.0.0.1:{port}/computer/click_mouse", json={"x": 3, "y": 3}).status_code == 200
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=5)
        assert time.monotonic() - started < 2.0
        assert xvfb_pids and not any(os.path.exists(f"/proc/{pid}") for pid in xvfb_pids)
    finally:
        process.kill()
        process.wait()


def test_hung_clipboard_helper_times_out_and_does_not_stall(tmp_path, xvfb):
    fake = tmp_path / "xclip"
    marker = f"sleep {random.randint(50, 99)}.{random.randint(1000, 9999)}"  # unique among the machine's processes
    fake.write_text(f"#!/bin/sh\n{marker}\n")
    fake.chmod(0o755)
    daemon = start_daemon("--clipboard-timeout", "0.5", env={"PATH": f"{tmp_path}:{os.environ['PATH']}"})
    try:
        started = time.monotonic()
        response = httpx.post(f"{daemon.url}/computer/clipboard/write", json={"text": "x"}, timeout=10)
        assert response.status_code == 500 and "did not answer" in response.json()["message"]
        assert time.monotonic() - started < 3
        assert httpx.post(f"{daemon.url}/computer/click_mouse", json={"x": 5, "y": 5}, timeout=5).status_code == 200
    finally:
        daemon.stop()
    assert marker not in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


def test_full_queue_answers_429_with_retry_after(xvfb):
    daemon = start_daemon("--max-queue", "1")
    try:
        body = {"actions": [action("sleep", duration_ms=2000)]}
        first, _ = post_in_background(f"{daemon.url}/computer/batch", body)
        second, _ = post_in_background(f"{daemon.url}/computer/batch", body)
        until_queued(daemon.url, 1)  # one of them runs, the other waits in the queue
        response = httpx.post(f"{daemon.url}/computer/batch", json=body, timeout=5)
        assert response.status_code == 429 and response.json()["code"] == "too_many_requests"
        assert int(response.headers["Retry-After"]) >= 1
        first.join(10)
        second.join(10)
    finally:
        daemon.stop()


def test_limits_are_configurable(xvfb):
    daemon = start_daemon("--max-text", "10", "--max-path", "3", "--max-body", "2000")
    try:
        client = httpx.Client(base_url=daemon.url, timeout=5)
        assert client.post("/computer/type", json={"text": "x" * 11}).json()["details"][0]["target"] == "text"
        assert client.post("/computer/drag_mouse", json={"path": [[1, 1]] * 4}).status_code == 400
        assert client.post("/computer/type", json={"text": "y" * 3000}).status_code == 413
    finally:
        daemon.stop()


def test_token_is_required_except_on_health(xvfb):
    daemon = start_daemon("--token", "s3cret-token")
    try:
        url = f"{daemon.url}/computer/get_mouse_position"
        assert httpx.post(url).status_code == 401
        assert httpx.post(url, headers={"Authorization": "Bearer wrong"}).json()["code"] == "unauthorized"
        assert httpx.post(url, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert httpx.get(f"{daemon.url}/health").status_code == 200
    finally:
        daemon.stop()


def test_refuses_public_address_without_token(xvfb):
    result = subprocess.run(
        [sys.executable, "-m", "xhands", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True, text=True, timeout=10,
    )
    assert result.returncode == 2 and "token" in result.stderr


def test_host_header_guards_against_dns_rebinding(daemon):
    url = f"{daemon.url}/computer/get_mouse_position"
    assert httpx.post(url, headers={"Host": "evil.example:10001"}).status_code == 403
    assert httpx.post(url, headers={"Host": "localhost:10001"}).status_code == 200


def test_unix_socket_is_private(tmp_path, xvfb):
    path = tmp_path / "xhands.sock"
    process = subprocess.Popen([sys.executable, "-m", "xhands", "serve", "--unix-socket", str(path)], stderr=subprocess.DEVNULL)
    try:
        transport = httpx.HTTPTransport(uds=str(path))
        deadline = time.monotonic() + 10
        while not path.exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with httpx.Client(transport=transport, base_url="http://xhands") as client:
            assert client.post("/computer/get_mouse_position").status_code == 200
    finally:
        process.terminate()
        process.wait(5)


def test_secrets_and_typed_text_never_reach_the_logs(xvfb, recorder):
    daemon = start_daemon("--token", "tok-do-not-log", "--log-level", "debug", "--log-format", "json")
    headers = {"Authorization": "Bearer tok-do-not-log"}
    httpx.post(f"{daemon.url}/computer/type", json={"text": "pa55word-secret"}, headers=headers, timeout=10)
    httpx.post(f"{daemon.url}/computer/clipboard/write", json={"text": "clip-secret"}, headers=headers, timeout=10)
    httpx.post(f"{daemon.url}/computer/type", json={"text": 5, "x": "pa55word-secret"}, headers=headers, timeout=10)
    daemon.stop()
    logs = daemon.log()
    assert "listening" in logs
    assert "tok-do-not-log" not in logs and "pa55word-secret" not in logs and "clip-secret" not in logs


def test_works_without_an_xauthority_file(tmp_path, xvfb):
    daemon = start_daemon(env={"HOME": str(tmp_path), "XAUTHORITY": str(tmp_path / "missing")})
    try:
        assert httpx.get(f"{daemon.url}/health").status_code == 200
    finally:
        daemon.stop()


def test_once_stopping_has_begun_no_work_is_taken(xvfb):
    """A job submitted while the worker stops, or after, is refused and never runs (an idle worker would
    otherwise run it at once, in the caller's task)."""
    import asyncio

    from xhands.daemon.errors import ApiError
    from xhands.daemon.worker import Worker
    from xhands.input import Desktop

    ran = []

    async def job():
        ran.append("ran")

    async def scenario():
        worker = Worker(Desktop(os.environ["DISPLAY"]), max_queue=4, batch_timeout_s=10)
        worker.start()
        await asyncio.sleep(0)  # the worker task waits for work
        stopping = asyncio.ensure_future(worker.stop())
        await asyncio.sleep(0)  # stop() has begun: it waits for the worker task to end
        refusals = []
        for _ in range(2):  # while stopping, then stopped
            with pytest.raises(ApiError) as refused:
                await worker.submit(job)
            refusals.append(refused.value)
            await stopping
        worker.desktop.close()
        return refusals

    refusals = asyncio.run(scenario())
    assert [(error.status, error.code) for error in refusals] == [(503, "shutting_down")] * 2 and ran == []
