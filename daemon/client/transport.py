"""Client and AsyncClient on httpx, made from the operations in api.py: one method per action route."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from . import api
from .api import Call, Reply, Unreachable

DEFAULT_URL = "http://127.0.0.1:10001"


def _connection(url: str, token: str | None) -> dict:
    """httpx options for the URL: base URL, transport (a Unix socket for unix:/path) and headers."""
    parts = urlsplit(api.check_url(url))
    headers = {"Accept": "application/json, image/*"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if parts.scheme == "unix":
        return {"base_url": "http://localhost", "uds": parts.path, "headers": headers}
    return {"base_url": url, "uds": None, "headers": headers}


def _reply(response: httpx.Response) -> Reply:
    return Reply(response.status_code, response.headers.get("Content-Type", ""), response.content,
                 response.headers.get("X-Request-Id"))


class _Base:
    def __init__(self, url: str = DEFAULT_URL, *, token: str | None = None, timeout: float = 150.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        options = _connection(self.url, token)
        self._options = {"base_url": options["base_url"], "headers": options["headers"], "timeout": timeout}
        self._uds = options["uds"]

    @classmethod
    def from_env(cls, **kwargs):
        """Configured by XHANDS_URL (default http://127.0.0.1:10001) and XHANDS_TOKEN."""
        return cls(os.environ.get("XHANDS_URL") or DEFAULT_URL, token=os.environ.get("XHANDS_TOKEN") or None, **kwargs)

    def _unreachable(self, exc: Exception) -> Unreachable:
        return Unreachable(f"no answer from xhands at {self.url}: {exc!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


def _method(shown: Callable, send: Callable) -> Callable:
    """A client method with the signature (plus self) and doc of what it sends, for help() and editors."""
    signature = inspect.signature(shown)
    self_ = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    send.__signature__ = signature.replace(parameters=[self_, *signature.parameters.values()],
                                           return_annotation=inspect.Signature.empty)
    send.__doc__ = shown.__doc__
    return send


def _calls() -> dict[str, tuple[Callable[..., Call], Callable]]:
    """Every call a client makes, by method name: (what makes the Call, what the method looks like).
    One per action route, then batch, health and metrics."""
    calls = {op.action: (op.call, op.build) for op in api.OPERATIONS.values() if op.route is not None}
    return {**calls, **{make.__name__: (make, make) for make in (api.batch, api.health, api.metrics)}}


class Client(_Base):
    """Blocking client; one kept-alive connection pool, so use it from one thread at a time."""

    def __init__(self, url: str = DEFAULT_URL, *, token: str | None = None, timeout: float = 150.0):
        super().__init__(url, token=token, timeout=timeout)
        self._http = httpx.Client(transport=httpx.HTTPTransport(uds=self._uds), **self._options)

    def _send(self, call: Call):
        try:
            response = self._http.request(call.method, call.path, json=call.body)
        except httpx.TransportError as exc:  # refused, reset, timed out, a broken answer
            raise self._unreachable(exc) from exc
        return call.finish(_reply(response))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AsyncClient(_Base):
    """asyncio client; `async with` (or aclose()) closes its connection pool."""

    def __init__(self, url: str = DEFAULT_URL, *, token: str | None = None, timeout: float = 150.0):
        super().__init__(url, token=token, timeout=timeout)
        self._http = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=self._uds), **self._options)

    async def _send(self, call: Call):
        try:
            response = await self._http.request(call.method, call.path, json=call.body)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        return call.finish(_reply(response))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()


def _sync_method(make, shown):
    return _method(shown, lambda self, *args, **kwargs: self._send(make(*args, **kwargs)))


def _async_method(make, shown):
    async def send(self, *args, **kwargs):
        return await self._send(make(*args, **kwargs))

    return _method(shown, send)


for _name, (_make, _shown) in _calls().items():
    setattr(Client, _name, _sync_method(_make, _shown))
    setattr(AsyncClient, _name, _async_method(_make, _shown))
