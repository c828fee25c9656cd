"""The typed keys of what the application holds for every route (web.AppKey): its settings, the display, the
worker and the signal that ends open streams. Each dialect or stream keeps its own keys in its own module."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:

    pass

SETTINGS = web.AppKey["Settings"]("settings")
DESKTOP = web.AppKey["Desktop"]("desktop")
WORKER = web.AppKey["Worker"]("worker")
STREAMS_CLOSING = web.AppKey("streams_closing", asyncio.Event)  # set at shutdown: every open stream ends (sse.py)
