"""Logs: plain text or one JSON object per line, each tagged with the request being served.

Every request gets an id: the caller's `X-Request-Id` when it is a sane token,
else a fresh one. It is echoed in the response's `X-Request-Id`, carried by a
context variable into everything logged while the request is handled
(including the worker running its actions), and written in one access-log
line per request, written once the response has gone.
"""

import asyncio
import itertools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from aiohttp import web

from ..timestamps import rfc3339

HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")

request_id: ContextVar[str | None] = ContextVar("xhands_request_id", default=None)
access_log = logging.getLogger("xhands.access")
QUIET_PATHS = {"/health", "/metrics"}

# Attributes every LogRecord has; anything else was passed in `extra` and is logged as a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# One encoder for every line: json.dumps with options builds a new one per call.
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


def _fields(record: logging.LogRecord) -> dict:
    return {key: value for key, value in record.__dict__.items() if key not in _STANDARD}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": rfc3339(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encode(entry)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        rid = request_id.get()
        return super().format(record) + (f" [{rid}]" if rid else "")


def setup(level: str = "info", fmt: str = "text") -> None:
    # No line shows where it was logged from, or which thread or process logged it: leave those out of every
    # record (the logging docs' own optimizations), a fifth of the cost of an access-log line.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


# Request ids: 32 hex digits, as a uuid4's, from a random prefix per process and a counter (a uuid4 per request
# read the system's random source every time).
_PREFIX = os.urandom(8).hex()
_serial = itertools.count(1)


def new_id() -> str:
    """An id no other request of this daemon, or of another, has."""
    return f"{_PREFIX}{next(_serial):016x}"


def bind_request_id(job: Callable[[], Awaitable]) -> Callable[[], Awaitable]:
    """Carry the current request id into a job that another task (the worker) will run."""
    rid = request_id.get()

    async def with_request_id():
        token = request_id.set(rid)
        try:
            return await job()
        finally:
            request_id.reset(token)

    return with_request_id


@web.middleware
async def request_id_middleware(request: web.Request, handler):
    """Outermost middleware: name the request, echo the id, write the access-log line."""
    given = request.headers.get(HEADER, "")
    rid = given if given and _SANE_ID.fullmatch(given) else new_id()
    token = request_id.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[HEADER] = rid
        return response
    except web.HTTPException as exc:  # redirects and the like that the error middleware lets through
        status = exc.status
        exc.headers[HEADER] = rid
        raise
    finally:
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        quiet = request.path in QUIET_PATHS and status < 400  # probes and scrapes every few seconds
        level = logging.DEBUG if quiet else logging.INFO
        if access_log.isEnabledFor(level):
            # Written on the event loop's next turn, once aiohttp has sent the response: formatting and writing
            # the line cost ~10 % of a small request's time, which the caller no longer waits for. (A thread of
            # its own for the log measured slower: the threads took turns at the interpreter lock.)
            asyncio.get_running_loop().call_soon(_log_access, level, request.method, request.path, status,
                                                 duration_ms, request.remote)
        request_id.reset(token)


def _log_access(level: int, method: str, path: str, status: int, duration_ms: float, remote: str | None) -> None:
    """The access-log line of one request (run in a copy of its context: the request id is there)."""
    access_log.log(level, "%s %s %d %.1f ms", method, path, status, duration_ms,
                   extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms, "remote": remote})
