"""A private Xvfb with an xhands daemon on it, for tests and scripts.

    with LocalServer(screen="1280x800x24") as server:
        server.client().click_mouse(10, 10)
        # server.display is ":N": start the program under test there

The daemon runs as its own process (`python -m xhands serve`) and gets a
listening socket bound here, passed as systemd socket activation does, so no
other process can take the port between choosing it and listening. Its log
(JSON lines) goes to `server.log_path`; `server.log()` reads it. With
`log_to_stderr=True` it goes to this process's stderr instead, and no file is
made.

`display=":N"` attaches to a display that is already there instead; `args`
go to `xhands serve`, `env` adds to (or overrides) its environment, and
`server.process` is the daemon itself, to send it signals.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from xhands.daemon.ops.xvfb import Xvfb

from . import AsyncClient, Client, Unreachable


class ServerError(RuntimeError):
    pass


class DaemonAt:
    """A daemon at `url`, with its token: the clients to drive it with."""

    def __init__(self, url: str, token: str | None):
        self.url, self.token = url, token

    def client(self, **kwargs) -> Client:
        return Client(self.url, token=self.token, **kwargs)

    def async_client(self, **kwargs) -> AsyncClient:
        return AsyncClient(self.url, token=self.token, **kwargs)


class LocalServer(DaemonAt):
    def __init__(self, screen: str = "1280x800x24", *, token: str | None = None, args: tuple[str, ...] = (),
                 display: str | None = None, log_path: str | None = None, env: dict[str, str] | None = None,
                 xserver: str = "xvfb", log_to_stderr: bool = False):
        """`display` attaches to an existing display instead of starting a private Xvfb (or, with
        xserver="xvnc", an Xvnc, whose screen can be resized)."""
        super().__init__("", token)  # the URL is known once started
        self.screen = screen
        self.xserver = xserver
        self.args = tuple(args)
        self.display = display
        self.env = dict(env or {})
        self.port = 0  # known once started
        self.log_path = log_path or ""
        self.log_to_stderr = log_to_stderr
        self.xvfb: Xvfb | None = None
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> "LocalServer":
        if not self.display:
            self.xvfb = Xvfb(self.screen, server=self.xserver)
            self.display = self.xvfb.start()
        if not self.log_path and not self.log_to_stderr:
            fd, self.log_path = tempfile.mkstemp(prefix="xhands-", suffix=".log")
            os.close(fd)
        listener = socket.create_server(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "xhands.daemon.ops.systemd", "--fd", str(listener.fileno()), "--",
                   sys.executable, "-m", "xhands", "serve", "--display", self.display, "--log-format", "json", *self.args]
        env = dict(os.environ)
        env.pop("XHANDS_TOKEN", None)
        env.update(self.env, DISPLAY=self.display)
        if self.token:
            env["XHANDS_TOKEN"] = self.token
        with listener, (contextlib.nullcontext(sys.stderr) if self.log_to_stderr else open(self.log_path, "ab")) as log:
            self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            pass_fds=(listener.fileno(),))
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = self.process
        assert process is not None
        with Client(self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise ServerError(f"xhands exited with status {process.returncode}:\n{self.log()}")
                try:
                    if client.health().ok:
                        return
                except Unreachable:
                    pass
                time.sleep(0.05)
        raise ServerError(f"xhands was not healthy within {timeout:g} s:\n{self.log()}")

    def log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return log.read()
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the daemon (it releases keys and buttons), then stop the Xvfb; the daemon's exit status."""
        status = None
        if self.process:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            status = self.process.returncode
            self.process = None
        if self.xvfb:
            self.xvfb.stop()
            self.xvfb = None
            self.display = None  # it was ours; a restart starts a new one
        return status

    def __enter__(self) -> "LocalServer":
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()
