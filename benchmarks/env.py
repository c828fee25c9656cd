"""The stage for the benchmarks: one private Xvfb, a local page server, Chromium
showing the page (with a DevTools port to read the textarea back), the xhands
daemon under test, and an empty aiohttp server as the HTTP floor.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

from xhands.daemon.client.testing import LocalServer
from xhands.daemon.ops.xvfb import Xvfb
from tests.chromium.browser import Chromium, find_chromium
from tests.page_server import PageServer
from tests.ports import free_port

from . import page


def wait_until(check, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception:
            result = None
        if result:
            return result
        time.sleep(interval)
    raise RuntimeError(f"timed out waiting for {what}")


class PageBrowser(Chromium):
    """The tests' Chromium showing the benchmark page full-screen, its textarea read back over DevTools."""

    def __init__(self, display: str, url: str):
        executable = find_chromium()
        if not executable:
            raise RuntimeError("Chromium is not installed (Debian package chromium)")
        super().__init__(executable, url, display, 0, 0, 1920, 1080,
                         extra_args=("--hide-scrollbars", "--disable-dev-shm-usage"))
        try:
            wait_until(
                lambda: self.cdp.evaluate("document.readyState === 'complete' && [...document.images].every(i => i.complete)"),
                30, "the page to load",
            )
        except BaseException:
            self.stop()
            raise
        self.version = subprocess.run([executable, "--version"], capture_output=True, text=True).stdout.strip()

    def textarea(self) -> dict:
        return self.cdp.evaluate("({value: ta.value, lastInput: window.lastInput, events: window.inputEvents})")

    def reset_textarea(self) -> None:
        self.cdp.evaluate("ta.value = ''; window.lastInput = 0; window.inputEvents = 0; ta.focus(); true")


def rss_kb(process: subprocess.Popen) -> int:
    """The resident memory of a running process (the daemon's), in kB."""
    with open(f"/proc/{process.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# The floor of one round trip: each POST's body read and parsed, `{}` answered; each WebSocket text message
# parsed and answered with a small JSON object. Both it and the daemon run on asyncio's own loop (uvloop on
# both measured no clear change of the ratio on this machine). Given a display, it also does the least an
# instant move must: one XTest motion to the body's point, flushed to the X server before it answers (the
# floor of a move, as opposed to that of an HTTP round trip).
EMPTY_SERVER = """
import json, sys
from aiohttp import WSMsgType, web
display = None
if len(sys.argv) > 2:
    from Xlib import X
    from Xlib.display import Display
    from Xlib.ext import xtest
    display = Display(sys.argv[2])
def move(point):
    if display is not None:
        xtest.fake_input(display, X.MotionNotify, x=point.get("x", 0), y=point.get("y", 0))
        display.flush()
async def ok(request):
    move(json.loads(await request.read()))
    return web.json_response({})
async def echo(request):
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    async for message in socket:
        if message.type == WSMsgType.TEXT:
            move(json.loads(message.data).get("action", {}))
            await socket.send_str('{"status": "success"}')
    return socket
app = web.Application()
app.router.add_get('/{tail:.*}', echo)
app.router.add_post('/{tail:.*}', ok)
web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None, access_log=None)
"""


class EmptyServer:
    """An aiohttp server that answers every POST with an empty 200: the floor of one HTTP round trip. With a
    display, each request also moves its pointer (one XTest motion): the floor of an instant move."""

    def __init__(self, env: dict, display: str | None = None):
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-c", EMPTY_SERVER, str(self.port), *([display] if display else [])],
                                        env=env, stderr=subprocess.DEVNULL)
        wait_until(self._up, 20, "the empty aiohttp server")

    def _up(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def close(self):
        self.process.kill()  # nothing to save, and an open WebSocket would hold a graceful exit up for a minute
        self.process.wait(10)


class Stage:
    """Everything the benchmarks need, started in order and stopped in reverse."""

    def __init__(self, screen: str = "1920x1080x24"):
        self._closers = []
        try:
            self.logs = tempfile.TemporaryDirectory(prefix="xhands-bench-logs-")
            self._closers.append(self.logs.cleanup)
            self.auth_file = tempfile.NamedTemporaryFile(prefix="xhands-bench-xauth-", delete=False)
            self.auth_file.close()
            self._closers.append(lambda: os.unlink(self.auth_file.name))
            self.xvfb = Xvfb(screen)
            self.display = self.xvfb.start()
            self._closers.append(self.xvfb.stop)
            self.env = {**os.environ, "DISPLAY": self.display, "XAUTHORITY": self.auth_file.name}
            # In-process baselines, the browser and the daemon take them from here.
            os.environ.update(DISPLAY=self.display, XAUTHORITY=self.auth_file.name)
            self.pages = PageServer(page.assets())  # the generated page and its pictures
            self._closers.append(self.pages.close)
            self.chromium = PageBrowser(self.display, self.pages.url + "/")
            self._closers.append(self.chromium.stop)
            # As deployed: the default log level, one access-log line per request (to a file here).
            self.daemon = LocalServer(display=self.display, log_path=os.path.join(self.logs.name, "xhands.log"))
            self.daemon.start()
            self._closers.append(self.daemon.stop)
            self.empty = EmptyServer(self.env)
            self._closers.append(self.empty.close)
            self.empty_move = EmptyServer(self.env, display=self.display)
            self._closers.append(self.empty_move.close)
        except BaseException:
            self.close()
            raise

    def close(self):
        while self._closers:
            try:
                self._closers.pop()()
            except Exception as exc:  # keep stopping the rest
                print(f"bench: cleanup: {exc}", file=sys.stderr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
