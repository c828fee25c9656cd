"""Waiting against absolute deadlines, so per-step errors never add up."""

import asyncio
import time
from collections.abc import Callable, Iterator


async def sleep_until(deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining > 0:
        await asyncio.sleep(remaining)


async def follow(steps: Iterator[float], flush: Callable[[], None]) -> None:
    """Drive an input step generator: send what it queued, then sleep until the deadline it yields.

    A deadline already past still yields to the event loop, so long work answers /health meanwhile."""
    for deadline in steps:
        flush()
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    flush()
