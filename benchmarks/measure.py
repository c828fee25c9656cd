"""What every benchmark step shares: the run's constants, statistics, a lean HTTP client and table cells."""

import json
import math
import statistics
import time
from http.client import HTTPConnection
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCREEN = (1920, 1080)
# A corner of the page with nothing on it: clicks and moves there change nothing but still reach Chromium.
SPOT = (1910, 1070)


def near_spot(i: int) -> tuple[int, int]:
    """The i-th point of the instant-move rows: two points near SPOT in turn, so that every move moves the pointer."""
    return SPOT[0] - 5 * (i % 2), SPOT[1] - 3 * (i % 2)


# The two instant moves the move rows alternate: Kernel's move_mouse body, and Lightcone's WebSocket message.
HTTP_MOVES = [json.dumps({"x": x, "y": y, "smooth": False}).encode() for x, y in map(near_spot, range(2))]
WS_MOVES = [json.dumps({"action": {"type": "move", "x": x, "y": y}}).encode() for x, y in map(near_spot, range(2))]
KEY_COMBO = "ctrl+Home"  # a real combo that changes nothing on this page (ctrl+a would repaint a selection)
# Single actions run back to back, like the floor they are compared with. After 3 ms of idle the whole
# machine (two vCPUs, the daemon, Xvfb, Chromium) has to wake up first: measured here, the empty server's
# round trip went from 0.22 to 0.42 ms and an xhands instant move from 0.38 to 0.78 ms.
ACTION_PAUSE_S = 0.0
BATCH_PAUSE_S = 0.15
IDLE_TRIM_WAIT_S = 23  # the daemon gives memory back after 20 s without work
SIZES = {"full": None, "1280x720": (1280, 720), "1024x768": (1024, 768)}



# -- statistics ------------------------------------------------------------
def p50(values):
    return statistics.median(values) if values else None


def p99(values):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]  # nearest rank


def summary(samples_ms: list[float]) -> dict:
    return {"n": len(samples_ms), "p50_ms": p50(samples_ms), "p99_ms": p99(samples_ms), "samples_ms": [round(s, 4) for s in samples_ms]}


def timed(fn, n: int, warmup: int = 2, pause_s: float = 0.0) -> list[float]:
    """Time n calls after `warmup` untimed ones; `pause_s` between calls lets Chromium drain the events
    of the last one (clicks cost it ~1 ms of CPU each: back to back they pile up and starve everyone)."""
    for index in range(warmup):
        fn(index)
        time.sleep(pause_s)
    samples = []
    for index in range(n):
        start = time.perf_counter()
        fn(index)
        samples.append((time.perf_counter() - start) * 1000)
        time.sleep(pause_s)
    return samples


def interleaved(tools: dict, rounds: int, pause_s: float = 0.0) -> dict[str, list[float]]:
    """Time several tools round-robin, so a load spike from other processes hits them alike.

    tools: name -> (fn(index), samples per round, warm-up calls). Returns name -> samples in ms.
    """
    samples: dict[str, list[float]] = {name: [] for name in tools}
    for name, (fn, _, warmup) in tools.items():
        for index in range(warmup):
            fn(index)
            time.sleep(pause_s)
    for _ in range(rounds):
        for name, (fn, per_round, _) in tools.items():
            for _ in range(per_round):
                index = len(samples[name])
                start = time.perf_counter()
                fn(index)
                samples[name].append((time.perf_counter() - start) * 1000)
                time.sleep(pause_s)
    return samples


# -- CPU per call ------------------------------------------------------------
def cpu_ns(pid: int) -> int:
    """CPU time a process's threads have run, in ns (the scheduler's own count: /proc's ticks are 10 ms)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
            pass
    return total


def cpu_per_call(tools: dict, watched: dict[str, int], calls: int, rounds: int) -> dict[str, dict[str, float]]:
    """CPU each process spends per call of each tool, in µs: tools run `calls` calls each in turn, `rounds` times,
    and every watched process (name -> pid) is read around each run. Returns tool -> process -> median µs."""
    runs: dict[str, dict[str, list[float]]] = {name: {who: [] for who in watched} for name in tools}
    for _ in range(rounds):
        for name, fn in tools.items():
            before = {who: cpu_ns(pid) for who, pid in watched.items()}
            for index in range(calls):
                fn(index)
            for who, pid in watched.items():
                runs[name][who].append((cpu_ns(pid) - before[who]) / calls / 1000)
    return {name: {who: statistics.median(values) for who, values in per.items()} for name, per in runs.items()}


# -- a keep-alive HTTP client with as little overhead as the standard library allows --
class Client:
    def __init__(self, port: int):
        self.connection = HTTPConnection("127.0.0.1", port)

    def post(self, path: str, body: dict | bytes | None = None) -> bytes:
        payload = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
        self.connection.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {path}: {response.status} {data[:300]!r}")
        return data


def cell(result: dict | None, key: str = "p50_ms", spread: str | None = "p99_ms", unit: str = "ms") -> str:
    if not result or result.get(key) is None:
        return "n/a"
    text = f"{fmt(result[key])}"
    if spread and result.get(spread) is not None:
        text += f" / {fmt(result[spread])}"
    return text + (f" {unit}" if unit else "")


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def ratio(base: dict | None, ours: dict | None, key: str = "p50_ms") -> float | None:
    if not base or not ours or not base.get(key) or not ours.get(key):
        return None
    return base[key] / ours[key]


