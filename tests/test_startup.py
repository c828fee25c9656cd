"""`xhands serve` refusing to start: one line on stderr saying why, exit status 2, never a traceback."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def serve(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xhands", "serve", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env or dict(os.environ), timeout=30)


def without_display() -> dict:
    return {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "XHANDS_TOKEN")}


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
