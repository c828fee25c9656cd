"""Timing computer_action calls over streamable HTTP with the official MCP SDK's client, in one session
(as an agent holds one), from the call to its result."""

import asyncio
import time

from mcp import Client

TOOL = "computer_action"


def click_at(x: int, y: int) -> list[dict]:
    return [{"type": "click_mouse", "click_mouse": {"x": x, "y": y}}]


SCREENSHOT = [{"type": "screenshot"}]  # PNG of the whole screen


def call_samples(url: str, actions: list[dict], n: int, warmup: int = 3) -> list[float]:
    """Milliseconds per call, n calls after `warmup` (the daemon's first session also loads the SDK)."""

    async def run() -> list[float]:
        samples = []
        async with Client(f"{url}/mcp") as mcp:
            for i in range(warmup + n):
                start = time.perf_counter()
                result = await mcp.call_tool(TOOL, {"session_id": "bench", "actions": actions})
                elapsed = (time.perf_counter() - start) * 1000
                if result.is_error:
                    raise RuntimeError(f"{TOOL}: {result.content}")
                if i >= warmup:
                    samples.append(elapsed)
        return samples

    return asyncio.run(run())
