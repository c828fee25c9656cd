"""`xhands serve` refusing to start: one line on stderr saying why, exit status 2, never a traceback."""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from xhands.daemon.ops.xvfb import Xvfb
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def serve(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xhands", "serve", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env or dict(os.environ), timeout=30)


def without_display() -> dict:
    return {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "XHANDS_TOKEN")}


def unused_display() -> str:
    """A display number no X server holds now (a high one: Xvfb -displayfd hands out the low ones)."""
    while True:
        number = random.randint(400, 900)
        if not any(os.path.exists(path) for path in (f"/tmp/.X11-unix/X{number}", f"/tmp/.X{number}-lock")):
            return f":{number}"


def xvfb_noting_its_pid(tmp_path: Path) -> tuple[dict, Path]:
    """An environment whose Xvfb is the real one, after writing its process id to the returned file."""
    started = tmp_path / "xvfb-pids"
    wrapper = tmp_path / "bin" / "Xvfb"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho $$ >> {started}\nexec {shutil.which("Xvfb")} "$@"\n')
    wrapper.chmod(0o755)
    return {**without_display(), "PATH": f"{wrapper.parent}:{os.environ['PATH']}"}, started


def only_line(result: subprocess.CompletedProcess) -> str:
    """The error, and nothing else on stderr: no usage block, no log line before it."""
    line = the_error(result)
    assert result.stderr.strip() == line, result.stderr
    return line


def the_error(result: subprocess.CompletedProcess) -> str:
    """The one line that says why; info lines logged before it are allowed, a traceback is not."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_port_in_use_names_the_port_and_the_flag():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = serve("--port", str(port), "--display", os.environ["DISPLAY"])
    line = the_error(result)
    assert f":{port}" in line and "in use" in line and "--port" in line, line


def test_a_metrics_port_in_use_names_its_flag():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = serve("--port", "0", "--metrics-port", str(port), "--display", os.environ["DISPLAY"])
    line = the_error(result)
    assert f":{port}" in line and "in use" in line and "--metrics-port" in line, line


@pytest.mark.parametrize("screen", ["1920x1080", "axb", "0x0x24", "1920x1080x24x1"])
def test_a_malformed_screen_is_refused_before_xvfb_starts(screen):
    result = serve("--screen", screen, env=without_display())
    line = the_error(result)
    assert result.stderr.strip() == line, "nothing but the error: no usage block, no Xvfb log"
    assert "--screen" in line and "WxHxD" in line and repr(screen) in line, line


def test_missing_xvfb_is_one_line(tmp_path):
    result = serve("--port", "0", env={**without_display(), "PATH": str(tmp_path)})
    line = the_error(result)
    assert "Xvfb is not installed" in line and "--display" in line, line


def test_an_absent_display_is_refused_in_one_line():
    """Rather than listening while every action answers 503."""
    display = unused_display()
    line = only_line(serve("--display", display, "--port", str(free_port())))
    assert f"cannot open display {display}" in line and "--wait-for-display" in line, line


def test_a_display_without_xtest_is_refused_in_one_line():
    display = Xvfb("320x240x24", display=unused_display(), args=("-extension", "XTEST"))
    display.start()
    try:
        line = only_line(serve("--display", display.display, "--port", str(free_port())))
    finally:
        display.stop()
    assert "XTEST" in line, line


def test_waiting_for_a_display_that_never_comes_ends_in_one_line():
    display = unused_display()
    started = time.monotonic()
    line = only_line(serve("--display", display, "--wait-for-display", "0.5", "--port", str(free_port())))
    assert time.monotonic() - started >= 0.5
    assert f"cannot open display {display}" in line and "after waiting 0.5 s" in line, line


def test_a_sidecar_waits_for_its_display_then_serves(tmp_path):
    """Nothing listens while the X server is not there yet; once it is, the daemon starts and drives it."""
    display, port = unused_display(), free_port()
    process = subprocess.Popen([sys.executable, "-m", "xhands", "serve", "--display", display, "--port", str(port),
                                "--wait-for-display", "30"], cwd=ROOT, env=without_display(), stderr=subprocess.PIPE,
                               text=True)
    xvfb = Xvfb("320x240x24", display=display)
    try:
        time.sleep(1.0)
        assert process.poll() is None, process.stderr.read()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/health")
        xvfb.start()
        line = ""
        while "listening" not in line:
            line = process.stderr.readline()
            assert line, "the daemon exited instead of serving"
        assert httpx.post(f"http://127.0.0.1:{port}/computer/click_mouse", json={"x": 3, "y": 3}).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
        xvfb.stop()


@pytest.mark.parametrize("flag, value, expected", [
    ("--port", "99999", "0 (any free one) to 65535"),
    ("--port", "-1", "0 (any free one) to 65535"),
    ("--metrics-port", "70000", "0 (any free one) to 65535"),
    ("--screen", "99999x99999x24", "at most 32767 pixels"),
    ("--wait-for-display", "-1", "0 or more"),
    ("--wait-for-display", "soon", "0 or more"),
])
def test_out_of_range_values_are_refused_before_anything_starts(tmp_path, flag, value, expected):
    env, xvfb_pids = xvfb_noting_its_pid(tmp_path)
    line = only_line(serve(flag, value, env=env))
    assert flag in line and repr(value) in line and expected in line, line
    assert not xvfb_pids.exists(), "an Xvfb was started"


def test_a_port_in_use_stops_the_xvfb_started_for_it(tmp_path):
    """The bind can only fail once the private Xvfb runs: that Xvfb is stopped again, and the error is one line."""
    env, xvfb_pids = xvfb_noting_its_pid(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        line = the_error(serve("--port", str(port), "--screen", "320x240x24", env=env))
    assert f":{port}" in line and "in use" in line, line
    pids = [int(pid) for pid in xvfb_pids.read_text().split()]
    assert len(pids) == 1 and not os.path.exists(f"/proc/{pids[0]}"), "the Xvfb outlived the daemon"
