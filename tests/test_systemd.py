"""The systemd units verify, and the daemon runs the way xhands.service and xhands.socket start it."""

import configparser
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xhands.daemon.client import Client, Unreachable
from tests import needs
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
UNITS = sorted((ROOT / "systemd").glob("*.service")) + sorted((ROOT / "systemd").glob("*.socket"))


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(ROOT / "systemd" / name)
    return parser


def test_every_unit_is_there():
    assert {path.name for path in UNITS} == {"xvfb@.service", "xhands.service", "xhands.socket"}


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the units' /opt/xhands a private mount")
def test_systemd_analyze_verify_passes():
    """All units verify with nothing to say. xhands.service's ExecStart, /opt/xhands/.venv/bin/xhands, is made
    to exist in a private mount namespace only, where it is this checkout's daemon."""
    needs.program("systemd-analyze", "systemd")
    shim = "#!/bin/sh\nexec {} -m xhands \"$@\"\n".format(shlex.quote(sys.executable))
    script = (
        "set -e; mount -t tmpfs tmpfs /opt; mkdir -p /opt/xhands/.venv/bin;"
        f" printf %s {shlex.quote(shim)} > /opt/xhands/.venv/bin/xhands; chmod +x /opt/xhands/.venv/bin/xhands;"
        " exec systemd-analyze verify " + " ".join(shlex.quote(str(path)) for path in UNITS)
    )
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), result.stderr + result.stdout


def test_units_are_hardened_and_bound_to_the_display():
    service = unit("xhands.service")
    bound = service["Unit"]["BindsTo"]
    assert re.fullmatch(r"xvfb@\d+\.service", bound) and bound in service["Unit"]["After"]
    number = bound.split("@")[1].split(".")[0]
    environment = dict(item.split("=", 1) for item in shlex.split(service["Service"]["Environment"]))
    assert environment["DISPLAY"] == f":{number}", "the daemon drives the display it is bound to"
    s = service["Service"]
    assert s["Restart"] == "on-failure"
    assert s["User"] not in ("root", "0") and s["User"] == unit("xvfb@.service")["Service"]["User"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes", "ProtectHome": "yes"}.items():
        assert s[key] == value, key
    assert "/tmp/.X11-unix" in s["BindReadOnlyPaths"], "with a private /tmp the display socket is bound in"
    assert s["Type"] == "notify"
    sysusers = (ROOT / "systemd" / "xhands.sysusers").read_text()
    assert re.search(rf"^u\s+{s['User']}\s", sysusers, re.M), "the dedicated user is created by sysusers"
    xvfb = unit("xvfb@.service")["Service"]
    assert ":%i" in xvfb["ExecStart"] and xvfb["NoNewPrivileges"] == "yes"
    socket_unit = unit("xhands.socket")
    assert socket_unit["Socket"]["ListenStream"] == "127.0.0.1:10001"
    assert socket_unit["Socket"].get("Accept", "no") == "no", "one daemon takes the listening socket"


def exec_start(display: str) -> list[str]:
    """xhands.service's ExecStart as systemd would expand it, with this checkout's daemon as the binary."""
    line = unit("xhands.service")["Service"]["ExecStart"]
    words = shlex.split(line.replace("${DISPLAY}", display).replace("$XHANDS_ARGS", ""))
    assert words[0] == "/opt/xhands/.venv/bin/xhands"
    return [sys.executable, "-m", "xhands", *words[1:]]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the daemon exited with {process.returncode}"
        try:
            with Client(url, timeout=2) as client:
                if client.health().ok:
                    return
        except Unreachable:
            time.sleep(0.05)
    raise AssertionError("the daemon did not become healthy")


def test_socket_activation_with_systemd_socket_activate(xvfb, tmp_path):
    """systemd's own socket-activation tool listens, and on the first connection starts the unit's ExecStart
    with the socket; the daemon serves on it and tells a notify socket it is ready, as Type=notify expects."""
    needs.program("systemd-socket-activate", "systemd")
    port = free_port()
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(15)
    command = ["systemd-socket-activate", "-l", f"127.0.0.1:{port}", "-E", f"NOTIFY_SOCKET={tmp_path / 'notify'}",
               "-E", f"PYTHONPATH={ROOT}", "-E", "PATH", *exec_start(os.environ["DISPLAY"])]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "log", "wb"))
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:  # systemd-socket-activate binds right after it starts
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "log").read_text()
                time.sleep(0.05)
        wait_healthy(url, process)
        states = notify.recv(4096).decode().split("\n")
        assert "READY=1" in states and any(state.startswith("STATUS=listening on http://127.0.0.1:") for state in states)
        with Client(url) as client:
            client.move_mouse(20, 30, smooth=False)
            assert (client.get_mouse_position().x, client.get_mouse_position().y) == (20, 30)
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert notify.recv(4096) == b"STOPPING=1"
        log = (tmp_path / "log").read_text()
        assert f"listening on http://127.0.0.1:{port}" in log, log
    finally:
        if process.poll() is None:
            process.kill()
        notify.close()


def launch_with_socket(sock: socket.socket, *args: str, env=None) -> subprocess.Popen:
    command = [sys.executable, "-m", "xhands.daemon.ops.systemd", "--fd", str(sock.fileno()), "--",
               sys.executable, "-m", "xhands", "serve", "--display", os.environ["DISPLAY"], *args]
    return subprocess.Popen(command, cwd=ROOT, pass_fds=(sock.fileno(),), env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_inherited_unix_socket(xvfb, tmp_path):
    path = str(tmp_path / "xhands.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    process = launch_with_socket(listener)
    listener.close()
    try:
        wait_healthy(f"unix:{path}", process)
        with Client(f"unix:{path}") as client:
            assert client.get_mouse_position() is not None
    finally:
        process.terminate()
        process.wait(10)


def test_inherited_public_socket_needs_a_token(xvfb):
    listener = socket.create_server(("0.0.0.0", 0))
    process = launch_with_socket(listener, env={"XHANDS_TOKEN": ""})
    listener.close()
    _, stderr = process.communicate(timeout=15)
    assert process.returncode == 2
    assert "without a token" in stderr


def test_inherited_socket_that_is_not_listening_is_refused(xvfb):
    connected, _ = socket.socketpair()
    process = launch_with_socket(connected)
    _, stderr = process.communicate(timeout=15)
    assert process.returncode != 0
    assert "not a listening stream socket" in stderr
