"""Fixtures: a real daemon process on the pytest-xvfb display, an HTTP client, and an event recorder."""

import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import pytest

from tests.recorder import Recorder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Daemon:
    """`xhands serve` as a separate process, attached to the test display."""

    def __init__(self, *args: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "daemon", "serve", "--port", str(self.port), "--display", os.environ["DISPLAY"], *args]
        # The log goes to a file: a pipe nobody reads would block the daemon once it filled up.
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stderr=self.log, text=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daemon exited: {self.stderr()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("daemon did not become healthy")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read()


@pytest.fixture(scope="session")
def daemon(xvfb):
    instance = Daemon()
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
