"""Fixtures: a real daemon process on the pytest-xvfb display, an HTTP client, and an event recorder."""

import os
import time

import httpx
import pytest

from tests.daemons import start_daemon
from tests.recorder import Recorder
from tests.xstate import release_everything


# Every process this session starts inherits the marker, so the orphan check counts only ours
# on a machine where others start Xvfb and xclip too.
SESSION_MARKER = f"XHANDS_TEST_SESSION={os.getpid()}-{time.time_ns()}"
os.environ["XHANDS_TEST_SESSION"] = SESSION_MARKER.split("=", 1)[1]


def helper_processes(ours_only: bool = False) -> dict[int, str]:
    """pid -> "program DISPLAY" of every Xvfb and xclip process (with ours_only, those of this test session)."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                program = os.path.basename(cmdline.read().split(b"\0")[0]).decode()
            if program in ("Xvfb", "xclip"):
                with open(f"/proc/{pid}/environ", "rb") as environ:
                    raw = environ.read()
                if ours_only and SESSION_MARKER.encode() not in raw.split(b"\0"):
                    continue
                env = dict(item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
                found[int(pid)] = f"{program} {env.get(b'DISPLAY', b'').decode()}"
        except OSError:
            continue  # it ended while we looked
    return found


@pytest.fixture(scope="session", autouse=True)
def no_orphans(xvfb):
    """After the suite, no Xvfb or clipboard helper we started survives, except xclip processes still
    serving the test display's clipboard: they end with that display."""
    before = set(helper_processes(ours_only=True))
    yield
    deadline = time.monotonic() + 10  # the last ones end a while after their tests, longer on a loaded machine
    while True:
        left = {pid: what for pid, what in helper_processes(ours_only=True).items() if pid not in before}
        orphans = {pid: what for pid, what in left.items() if what != f"xclip {os.environ['DISPLAY']}"}
        if not orphans or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not orphans, f"orphaned helper processes: {orphans}"


@pytest.fixture(autouse=True)
def input_released(request):
    """Each test starts with no key or button down, whatever an earlier failing test left behind."""
    if "xvfb" in request.fixturenames or "daemon" in request.fixturenames:
        left = release_everything()
        if left:
            print(f"released what an earlier test left down: {', '.join(left)}")
    yield


@pytest.fixture(scope="session")
def daemon(xvfb):
    instance = start_daemon()
    yield instance
    instance.stop()


@pytest.fixture
def client(daemon):
    with httpx.Client(base_url=daemon.url, timeout=30) as http:
        yield http


@pytest.fixture
def recorder(xvfb):
    """A full-screen window holding input focus that records every event it receives."""
    with Recorder() as rec:
        yield rec


def batch(client, *actions, status=200):
    response = client.post("/computer/batch", json={"actions": list(actions)})
    assert response.status_code == status, response.text
    return response.json()


def action(kind, **params):
    return {"type": kind, kind: params}
