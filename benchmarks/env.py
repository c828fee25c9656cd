"""The stage for the benchmarks: one private Xvfb, a local page server, Chromium
showing the page (with a DevTools port to read the textarea back), the xhands
daemon under test, and an empty aiohttp server as the HTTP floor.
"""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from daemon.ops.xvfb import Xvfb

from . import page

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


class PageServer:
    """Serves the generated page and pictures on 127.0.0.1 from memory."""

    def __init__(self):
        files = page.assets()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                content_type, body = files.get(self.path, ("text/plain", b"not found"))
                self.send_response(200 if self.path in files else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class CDP:
    """A small Chrome DevTools Protocol client (aiohttp websockets on a private event loop)."""

    def __init__(self, port: int):
        import aiohttp

        self._aiohttp = aiohttp
        self.port = port
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self._id = 0
        self.ws_url = wait_until(self._page_ws_url, 30, "Chromium's DevTools page target")
        self._run(self._connect())

    def _page_ws_url(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=2) as response:
            targets = json.load(response)
        pages = [t for t in targets if t.get("type") == "page" and t.get("url", "").startswith("http://127.0.0.1")]
        return pages[0]["webSocketDebuggerUrl"] if pages else None

    def _run(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _connect(self):
        self.session = self._aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.ws_url, max_msg_size=0)

    async def _call(self, method: str, params: dict):
        self._id += 1
        await self.ws.send_json({"id": self._id, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json()
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"CDP {method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str):
        result = self._run(self._call("Runtime.evaluate", {"expression": expression, "returnByValue": True}))
        if "exceptionDetails" in result:
            raise RuntimeError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self):
        async def _close():
            await self.ws.close()
            await self.session.close()

        try:
            self._run(_close(), timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)


class Chromium:
    FLAGS = [
        "--no-sandbox", "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-quic",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-features=Translate,MediaRouter", "--password-store=basic", "--disable-dev-shm-usage",
        "--window-position=0,0", "--window-size=1920,1080", "--hide-scrollbars", "--test-type",
    ]

    def __init__(self, display: str, url: str, env: dict):
        binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if not binary:
            raise RuntimeError("Chromium is not installed (Debian package chromium)")
        self.profile = tempfile.mkdtemp(prefix="xhands-bench-chromium-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, *self.FLAGS, f"--user-data-dir={self.profile}", f"--remote-debugging-port={self.port}", f"--app={url}"],
            env={**env, "DISPLAY": display},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.cdp = CDP(self.port)
        wait_until(
            lambda: self.cdp.evaluate("document.readyState === 'complete' && [...document.images].every(i => i.complete)"),
            30, "the page to load",
        )
        self.version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()

    def textarea(self) -> dict:
        return self.cdp.evaluate("({value: ta.value, lastInput: window.lastInput, events: window.inputEvents})")

    def reset_textarea(self) -> None:
        self.cdp.evaluate("ta.value = ''; window.lastInput = 0; window.inputEvents = 0; ta.focus(); true")

    def close(self):
        try:
            self.cdp.close()
        except Exception:
            pass
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Daemon:
    """`xhands serve` from this checkout, attached to the benchmark display."""

    def __init__(self, display: str, env: dict, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daemon", "serve", "--port", str(self.port), "--display", display, "--log-level", "warning", *args],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        wait_until(self._healthy, 20, "the xhands daemon")

    def _healthy(self):
        if self.process.poll() is not None:
            raise SystemExit(f"xhands exited: {self.process.stderr.read()}")
        with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
            return response.status == 200

    def rss_kb(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()


EMPTY_SERVER = """
import sys
from aiohttp import web
async def ok(request):
    await request.read()
    return web.Response()
app = web.Application()
app.router.add_post('/{tail:.*}', ok)
web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None, access_log=None)
"""


class EmptyServer:
    """An aiohttp server that answers every POST with an empty 200: the floor of one HTTP round trip."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-c", EMPTY_SERVER, str(self.port)], env=env, stderr=subprocess.DEVNULL)
        wait_until(self._up, 20, "the empty aiohttp server")

    def _up(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def close(self):
        self.process.terminate()
        self.process.wait(10)


class Stage:
    """Everything the benchmarks need, started in order and stopped in reverse."""

    def __init__(self, screen: str = "1920x1080x24"):
        self._closers = []
        try:
            self.auth_file = tempfile.NamedTemporaryFile(prefix="xhands-bench-xauth-", delete=False)
            self.auth_file.close()
            self._closers.append(lambda: os.unlink(self.auth_file.name))
            self.xvfb = Xvfb(screen)
            self.display = self.xvfb.start()
            self._closers.append(self.xvfb.stop)
            self.env = {**os.environ, "DISPLAY": self.display, "XAUTHORITY": self.auth_file.name}
            os.environ.update(DISPLAY=self.display, XAUTHORITY=self.auth_file.name)  # for in-process baselines
            self.pages = PageServer()
            self._closers.append(self.pages.close)
            self.chromium = Chromium(self.display, self.pages.url, self.env)
            self._closers.append(self.chromium.close)
            self.daemon = Daemon(self.display, self.env)
            self._closers.append(self.daemon.close)
            self.empty = EmptyServer(self.env)
            self._closers.append(self.empty.close)
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
