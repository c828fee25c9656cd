"""16 concurrent clients, 20,000 requests of actions and screenshots: nothing lost or reordered, memory flat."""

import asyncio
import os

import aiohttp

CLIENTS = 16
REQUESTS = int(os.environ.get("XHANDS_LOAD_REQUESTS", "20000"))
PER_CLIENT = REQUESTS // CLIENTS
SCREENSHOT_EVERY = 40
BAND = 70  # each client moves within its own 70 px wide band, so every move lands on a new pixel


def point(client: int, n: int) -> tuple[int, int]:
    return 5 + client * BAND + n % 64, 100 + n // 64


def decode(x: int, y: int) -> tuple[int, int]:
    client, column = divmod(x - 5, BAND)
    return client, (y - 100) * 64 + column


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


async def post_until_accepted(session, url, body, statuses):
    while True:
        async with session.post(url, json=body) as response:
            await response.read()
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.status != 429:
                return response.status
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")) / 100)


async def one_client(base_url: str, client: int, statuses: dict) -> None:
    async with aiohttp.ClientSession(base_url) as session:
        for n in range(PER_CLIENT):
            x, y = point(client, n)
            assert await post_until_accepted(session, "/computer/move_mouse", {"x": x, "y": y, "smooth": False}, statuses) == 200
            if n % SCREENSHOT_EVERY == 0:
                region = {"x": 0, "y": 0, "width": 640, "height": 400}
                assert await post_until_accepted(session, "/computer/screenshot", {"region": region}, statuses) == 200


async def run_load(base_url: str) -> dict:
    statuses: dict[int, int] = {}
    await asyncio.gather(*(one_client(base_url, client, statuses) for client in range(CLIENTS)))
    return statuses


def test_concurrent_clients_lose_and_reorder_nothing(daemon, recorder):
    asyncio.run(run_load_warmup(daemon.url))
    rss_before = rss_kb(daemon.process.pid)
    recorder.wait_idle(quiet=0.3)
    recorder.clear()

    statuses = asyncio.run(run_load(daemon.url))

    assert set(statuses) <= {200, 429}, statuses
    recorder.wait_for(lambda events: len([e for e in events if e.kind == "motion"]) >= CLIENTS * PER_CLIENT, timeout=30)
    recorder.wait_idle(quiet=0.5)
    arrived: dict[int, list[int]] = {client: [] for client in range(CLIENTS)}
    for x, y, _ in recorder.motions():
        client, n = decode(x, y)
        arrived[client].append(n)
    for client, sequence in arrived.items():
        assert sequence == list(range(PER_CLIENT)), f"client {client}: lost or reordered moves"
    rss_after = rss_kb(daemon.process.pid)
    assert rss_after - rss_before < 20_000, f"RSS grew from {rss_before} kB to {rss_after} kB"


async def run_load_warmup(base_url: str) -> None:
    """Fill caches and pools first, so the RSS comparison sees growth, not start-up."""
    async with aiohttp.ClientSession(base_url) as session:
        for _ in range(20):
            async with session.post("/computer/screenshot", json={"region": {"x": 0, "y": 0, "width": 640, "height": 400}}) as r:
                await r.read()
        for n in range(200):
            async with session.post("/computer/move_mouse", json={"x": 1200, "y": 700 + n % 50, "smooth": False}) as r:
                await r.read()
