"""A small client of Chromium's DevTools Protocol (CDP) over aiohttp: the HTTP endpoint's target list and one
WebSocket session per page.

Nothing here blocks the event loop, and nothing waits without a bound: each HTTP request and each call has a
timeout, and a session whose socket closes (the browser quit, the tab was closed) fails every call waiting on it
at once with CdpError, as do later calls. Events are delivered only to those who wait for one (wait_for), so an
unread stream of them never piles up.
"""

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable

import aiohttp

HTTP_TIMEOUT_S = 5.0
CALL_TIMEOUT_S = 10.0


class CdpError(RuntimeError):
    """A DevTools request that failed: the browser unreachable or gone, a call refused or timed out."""


class Endpoint:
    """The browser's DevTools HTTP endpoint (http://127.0.0.1:PORT): its targets, new ones, activation, closing."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S))
        return self._http

    async def request(self, method: str, path: str):
        """The JSON (or text) the endpoint answers on `path`; CdpError when it cannot be reached or refuses."""
        try:
            async with self._session().request(method, f"{self.url}{path}") as reply:
                text = await reply.text()
                if reply.status != 200:
                    raise CdpError(f"the browser's DevTools answered {reply.status} to {path}: {text.strip()[:200]}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise CdpError(f"cannot reach the browser's DevTools at {self.url}: {describe(exc)}") from None
        try:
            return json.loads(text)
        except ValueError:
            return text

    async def targets(self) -> list[dict]:
        return await self.request("GET", "/json/list")

    async def new_target(self, url: str) -> dict:
        return await self.request("PUT", f"/json/new?{url}")

    async def activate(self, target_id: str) -> None:
        await self.request("GET", f"/json/activate/{target_id}")

    async def close_target(self, target_id: str) -> None:
        await self.request("GET", f"/json/close/{target_id}")

    async def connect_browser(self) -> "Session":
        """A session with the browser itself (not one of its pages): browser contexts, targets in them."""
        version = await self.request("GET", "/json/version")
        if not isinstance(version, dict) or "webSocketDebuggerUrl" not in version:
            raise CdpError(f"the browser's DevTools at {self.url} name no browser socket")
        return await self.connect(version["webSocketDebuggerUrl"])

    async def connect(self, ws_url: str) -> "Session":
        try:
            socket = await self._session().ws_connect(ws_url, max_msg_size=0, heartbeat=None)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise CdpError(f"cannot open the browser's DevTools socket {ws_url}: {describe(exc)}") from None
        return Session(socket)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


def describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class Session:
    """One DevTools WebSocket (a page's): numbered calls answered by id, events to whoever waits for them."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse):
        self._socket = socket
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._waiters: list[tuple[str, Callable[[dict], bool], asyncio.Future]] = []
        self._closed_why: str | None = None
        self._reader = asyncio.create_task(self._read(), name="xhands-cdp-reader")

    @property
    def closed(self) -> bool:
        return self._closed_why is not None

    async def _read(self) -> None:
        try:
            async for message in self._socket:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._dispatch(json.loads(message.data))
        except Exception as exc:  # a broken connection ends the session like a closed one
            self._fail(f"the browser's DevTools connection broke: {describe(exc)}")
        self._fail("the browser closed its DevTools connection (it quit, or the tab was closed)")

    def _dispatch(self, data: dict) -> None:
        if "id" in data:
            future = self._pending.pop(data["id"], None)
            if future is not None and not future.done():
                future.set_result(data)
            return
        for waiter in list(self._waiters):
            method, matches, future = waiter
            if data.get("method") == method and not future.done() and matches(data.get("params", {})):
                future.set_result(data.get("params", {}))

    def _fail(self, why: str) -> None:
        if self._closed_why is None:
            self._closed_why = why
        for future in [*self._pending.values(), *(future for _, _, future in self._waiters)]:
            if not future.done():
                future.set_exception(CdpError(why))
        self._pending.clear()

    async def call(self, method: str, timeout: float = CALL_TIMEOUT_S, **params) -> dict:
        """The result of one CDP method; CdpError when refused, timed out or the connection is gone."""
        if self._closed_why is not None:
            raise CdpError(self._closed_why)
        ident = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            await self._socket.send_str(json.dumps({"id": ident, "method": method, "params": params}))
            reply = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise CdpError(f"the browser did not answer {method} within {timeout:g} s") from None
        except (ConnectionError, aiohttp.ClientError) as exc:
            self._fail(f"the browser's DevTools connection broke: {describe(exc)}")
            raise CdpError(self._closed_why) from None
        finally:
            self._pending.pop(ident, None)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result", {})

    @contextlib.contextmanager
    def expecting(self, method: str, matches: Callable[[dict], bool] = lambda params: True):
        """A future of the next event `method` whose params match, registered before what causes it is sent."""
        future = asyncio.get_running_loop().create_future()
        if self._closed_why is not None:
            future.set_exception(CdpError(self._closed_why))
        waiter = (method, matches, future)
        self._waiters.append(waiter)
        try:
            yield future
        finally:
            self._waiters.remove(waiter)
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # retrieved: an unawaited failure is not logged as never retrieved

    async def close(self) -> None:
        self._fail("the DevTools session was closed")
        await self._socket.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
