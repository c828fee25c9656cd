"""Daemons for tests that need one of their own: started by LocalServer, the product's launcher, never another."""

import os
import random
import signal
import tempfile
import threading
import time

import httpx

from xhands.daemon.client.testing import LocalServer
from xhands.daemon.ops.xvfb import Xvfb

# The daemons' logs, gone when the test session ends (LocalServer alone would leave them in /tmp).
LOGS = tempfile.TemporaryDirectory(prefix="xhands-test-logs-")


def start_daemon(*args: str, env: dict[str, str] | None = None, display: str | None = None) -> LocalServer:
    """`xhands serve ARGS` as its own process, attached to the test display unless `display` is given."""
    fd, log_path = tempfile.mkstemp(prefix="daemon-", suffix=".log", dir=LOGS.name)
    os.close(fd)
    return LocalServer(display=display or os.environ["DISPLAY"], args=args, env=env, log_path=log_path).start()


class DaemonOnOwnDisplay:
    """A daemon on an Xvfb of the test's own, which the test may stop and start again under the daemon.

        with DaemonOnOwnDisplay() as own:
            own.xvfb.stop()
            own.restart_display()  # returns once the daemon has reconnected
    """

    def __init__(self, screen: str = "640x480x24", *daemon_args: str):
        # A number of our own: a freed low number is soon taken by the next Xvfb started with -displayfd.
        self.display = f":{random.randint(400, 900)}"
        self.xvfb = Xvfb(screen, display=self.display)
        self.daemon_args = daemon_args

    def __enter__(self) -> "DaemonOnOwnDisplay":
        self.xvfb.start()
        try:
            self.daemon = start_daemon(*self.daemon_args, display=self.display)
        except BaseException:
            self.xvfb.stop()
            raise
        self.client = httpx.Client(base_url=self.daemon.url, timeout=10)
        return self

    def restart_display(self, timeout: float = 5.0) -> None:
        self.xvfb.start()
        deadline = time.monotonic() + timeout
        while self.client.get("/health").status_code != 200:
            assert time.monotonic() < deadline, "the daemon did not reconnect"
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        self.client.close()
        self.daemon.stop()
        self.xvfb.stop()


def until_queued(url: str, depth: int, timeout: float = 10.0) -> None:
    """Wait until `depth` requests wait for the worker (its xhands_queue_depth metric)."""
    deadline = time.monotonic() + timeout
    while (now := queue_depth(url)) != depth:
        assert time.monotonic() < deadline, f"{now} requests queued, not {depth}"
        time.sleep(0.02)


def queue_depth(url: str) -> int:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return int(float(next(line.split()[1] for line in text.splitlines() if line.startswith("xhands_queue_depth "))))


def post_in_background(url: str, body: dict, timeout: float = 10.0, headers: dict | None = None):
    """Send a request from a thread; returns the thread and a list that receives the response or error."""
    outcome = []

    def send():
        try:
            outcome.append(httpx.post(url, json=body, timeout=timeout, headers=headers))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, outcome


def sigterm_during(daemon: LocalServer, thread: threading.Thread, outcome: list) -> None:
    """SIGTERM the daemon while post_in_background's request runs: it exits within 2 s and that request
    is answered 503 shutting_down."""
    signalled = time.monotonic()
    daemon.process.send_signal(signal.SIGTERM)
    daemon.process.wait(timeout=5)
    assert time.monotonic() - signalled < 2.0
    thread.join(5)
    assert isinstance(outcome[0], httpx.Response) and outcome[0].status_code == 503, outcome
    assert outcome[0].json()["code"] == "shutting_down"
