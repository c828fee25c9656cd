"""A real Chromium on the test display, and a minimal DevTools (CDP) client to observe its page.

The browser runs as a user would see it: a normal (not headless) window on the
X display, in --app mode (no tabs, no toolbar), at a fixed place since there is
no window manager, with a fresh profile. The remote debugging port is only used
to *read* what the page recorded (Runtime.evaluate); every input goes through
the daemon's XTest.

test_view.py runs it headless instead, on the daemon's /view page, and plays a
viewer's mouse and keys to that page through DevTools.

The benchmarks import this module too (benchmarks/env.py), so that tests and
benchmarks drive one browser launcher and one DevTools client.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import aiohttp

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    explicit = os.environ.get("XHANDS_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class CdpError(RuntimeError):
    pass


class Cdp:
    """Synchronous calls over one DevTools websocket, run on a private event loop thread."""

    def __init__(self, ws_url: str):
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self.events: list[dict] = []  # notifications, from the domains a caller enabled (Network.enable...)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cdp", daemon=True)
        self._thread.start()
        self._run(self._connect(ws_url), timeout=15)

    def _run(self, coro, timeout: float):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _connect(self, ws_url: str) -> None:
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(ws_url, max_msg_size=0)
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "method" in data:
                self.events.append(data)
                continue
            future = self._pending.pop(data.get("id"), None)
            if future is not None and not future.done():
                future.set_result(data)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(CdpError("DevTools connection closed"))

    async def _call(self, method: str, params: dict) -> dict:
        ident = next(self._ids)
        future = self._loop.create_future()
        self._pending[ident] = future
        await self._ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        return await future

    def call(self, method: str, timeout: float = 30, **params) -> dict:
        reply = self._run(self._call(method, params), timeout)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error']}")
        return reply["result"]

    def evaluate(self, expression: str, timeout: float = 30):
        """The JSON value of a JavaScript expression in the page (promises are awaited)."""
        result = self.call("Runtime.evaluate", timeout=timeout, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CdpError(f"{expression[:80]}: {details.get('exception', {}).get('description') or details.get('text')}")
        return result["result"].get("value")

    def close(self) -> None:
        async def shutdown():
            await self._ws.close()
            await self._session.close()
        try:
            self._run(shutdown(), timeout=5)
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


class Chromium:
    """One Chromium process with a fresh profile, its --app window placed at (x, y) (with app=False, a plain
    window: one that holds the tabs DevTools opens, where an --app window leaves them to a window of their own)."""

    def __init__(self, executable: str, url: str, display: str, x: int, y: int, width: int, height: int,
                 extra_args: tuple[str, ...] = (), app: bool = True):
        self.profile = tempfile.mkdtemp(prefix="xhands-chromium-")
        args = [
            executable,
            f"--user-data-dir={self.profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-features=Translate,MediaRouter,OptimizationHints",
            "--disable-session-crashed-bubble",
            "--password-store=basic",
            "--force-device-scale-factor=1",
            "--test-type",  # no "unsupported command-line flag" bar over the page for --no-sandbox
            "--remote-debugging-port=0",
            f"--window-position={x},{y}",
            f"--window-size={width},{height}",
            *extra_args,
            f"--app={url}" if app else url,
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        self.log = open(Path(self.profile) / "chromium.log", "w+")
        self.process = subprocess.Popen(args, env={**os.environ, "DISPLAY": display}, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.cdp = Cdp(self._page_ws_url(url))
        except BaseException:
            self.stop()
            raise

    def _page_ws_url(self, url: str, timeout: float = 30) -> str:
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.process.returncode}: {self.log_tail()}")
            try:
                port = int(port_file.read_text().split()[0])
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as reply:
                    targets = json.load(reply)
                for target in targets:
                    if target.get("type") == "page" and target.get("url", "").startswith(url.split("#")[0]):
                        return target["webSocketDebuggerUrl"]
            except (OSError, ValueError, IndexError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"chromium's page did not appear on its DevTools port: {self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        self.log.seek(0)
        return "".join(self.log.readlines()[-lines:])

    def stop(self) -> None:
        cdp = getattr(self, "cdp", None)
        if cdp is not None:
            cdp.close()
        if self.process.poll() is None:
            # The whole process group (its own session): no renderer or zygote outlives a browser that hangs.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

