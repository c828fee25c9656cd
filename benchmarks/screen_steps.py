"""The benchmark steps that watch the screen and the machine: screenshots, smooth moves, concurrency and memory."""

import asyncio
import json
import math
import random
import threading
import time

from .env import rss_kb
from .measure import (
    IDLE_TRIM_WAIT_S,
    KEY_COMBO,
    SCREEN,
    SIZES,
    SPOT,
    cell,
    fmt,
    interleaved,
    p50,
    p99,
    ratio,
    summary,
)
from .probe import MotionProbe


class ScreenSteps:
    """Steps of Bench (run.py) that need its stage, client and rows."""

    # -- 4. screenshots ------------------------------------------------------------
    def screenshots(self):
        self.raw["screenshots"] = {}
        for fmt_name in ("png", "jpeg", "webp"):
            for size_name, size in SIZES.items():
                body = {"format": fmt_name}
                if size:
                    body["scale_to"] = {"width": size[0], "height": size[1]}
                payload = json.dumps(body).encode()
                sizes = {}

                def ours(i, payload=payload):
                    sizes["xhands"] = len(self.client.post("/computer/screenshot", payload))

                ffmpeg_size = size
                if size:  # ffmpeg scales to exactly what it is told; give it the aspect-kept size xhands answers with
                    factor = min(size[0] / SCREEN[0], size[1] / SCREEN[1])
                    ffmpeg_size = (round(SCREEN[0] * factor), round(SCREEN[1] * factor))

                def ref(i):
                    sizes["reference"] = len(self.reference.screenshot(fmt_name, ffmpeg_size, SCREEN))

                def pil(i):
                    sizes["mss_pillow"] = len(self.mss_pillow.screenshot(fmt_name, ffmpeg_size))

                tools = {"xhands": (ours, 4, 3), "reference": (ref, 1, 1), "mss_pillow": (pil, 1, 1)}
                if fmt_name == "png" and size is None and self.pyautogui.can_screenshot:
                    def gui(i):
                        sizes["pyautogui"] = len(self.pyautogui.screenshot_png())

                    tools["pyautogui"] = (gui, 1, 1)
                result = {tool: summary(values) for tool, values in interleaved(tools, rounds=self.n(6, 2)).items()}
                result["bytes"] = sizes
                self.raw["screenshots"][f"{fmt_name} {size_name}"] = result
                r = ratio(result["reference"], result["xhands"])
                target, met = "", None
                if size is None and fmt_name == "png":
                    target, met = "≤ 25 ms, ≥ 7x ffmpeg", result["xhands"]["p50_ms"] <= 25 and (r or 0) >= 7
                elif size is None and fmt_name == "jpeg":
                    target, met = "≤ 15 ms", result["xhands"]["p50_ms"] <= 15
                label = f"screenshot {fmt_name.upper()} {size_name}" + (" (fit: 1024x576)" if size_name == "1024x768" else "")
                kb = {k: f"{v // 1024} KB" for k, v in sizes.items()}
                self.row(label + " over HTTP",
                         f"{cell(result['xhands'])}, {kb.get('xhands', '')}",
                         f"{cell(result['reference'])}, {kb.get('reference', '')}",
                         f"{cell(result.get('pyautogui'))}, {kb['pyautogui']}" if "pyautogui" in result else "",
                         f"{cell(result['mss_pillow'])}, {kb.get('mss_pillow', '')}",
                         vs=f"{r:.1f}x" if r else "", target=target, met=met)

    # -- 5. smooth moves -----------------------------------------------------------
    def smooth_moves(self):
        rng = random.Random(5)
        probe = MotionProbe(self.stage.display)
        try:
            def run(count, move):
                results = []
                here = self.stage_pointer()
                for _ in range(count):
                    duration_ms = rng.randint(100, 2000)
                    while True:  # far enough that even 2 s of motion has a new pixel for every event
                        x, y = rng.randint(50, SCREEN[0] - 50), rng.randint(50, SCREEN[1] - 50)
                        if math.dist((x, y), here) >= 400:
                            break
                    here = (x, y)
                    start = time.monotonic()
                    move(x, y, duration_ms)
                    end = time.monotonic()
                    time.sleep(0.03)  # let the last events reach the probe
                    events = probe.count_between(start, end + 0.02)
                    elapsed_ms = (end - start) * 1000
                    results.append({"requested_ms": duration_ms, "elapsed_ms": elapsed_ms, "error_ms": elapsed_ms - duration_ms,
                                    "events": events, "events_per_s": events / (elapsed_ms / 1000)})
                    probe.reset()
                return results

            ours = run(self.n(50, 8), lambda x, y, d: self.client.post("/computer/move_mouse", {"x": x, "y": y, "duration_ms": d}))
            gui = run(self.n(8, 2), lambda x, y, d: self.pyautogui.smooth_move(x, y, d / 1000))
            ref = run(self.n(8, 2), lambda x, y, d: self.reference.smooth_move(x, y, d))
        finally:
            probe.close()
        self.raw["smooth_move"] = {"xhands": ours, "pyautogui": gui, "reference": ref}

        def describe(results):
            errors = [abs(r["error_ms"]) for r in results]
            within = sum(abs(r["error_ms"]) <= max(0.05 * r["requested_ms"], 10) for r in results)
            rates = [r["events_per_s"] for r in results]
            return (f"|error| p50 {fmt(p50(errors))} / p99 {fmt(p99(errors))} ms, {within}/{len(results)} within tolerance; "
                    f"{p50(rates):.0f} events/s (min {min(rates):.0f})"), within == len(results), min(rates)

        ours_text, all_within, min_rate = describe(ours)
        gui_text = describe(gui)[0]
        self.row(f"smooth move, {len(ours)} moves of 100–2000 ms: timing error and motion events",
                 ours_text, describe(ref)[0], gui_text,
                 target="≤ max(5 %, 10 ms), ≥ 60 events/s", met=all_within and min_rate >= 60)

    def stage_pointer(self) -> tuple[int, int]:
        position = json.loads(self.client.post("/computer/get_mouse_position"))
        return position["x"], position["y"]

    # -- 6. concurrency and memory --------------------------------------------------
    async def _hammer(self, total: int, clients: int) -> tuple[list[float], float]:
        import aiohttp

        x, y = SPOT
        bodies = [
            ("/computer/move_mouse", json.dumps({"x": x - 4, "y": y, "smooth": False}).encode()),
            ("/computer/click_mouse", json.dumps({"x": x, "y": y}).encode()),
            ("/computer/press_key", json.dumps({"keys": [KEY_COMBO]}).encode()),
            ("/computer/get_mouse_position", b""),
        ]
        latencies: list[float] = []
        counter = iter(range(total))
        url = f"http://127.0.0.1:{self.stage.daemon.port}"

        async def worker(session):
            for index in counter:
                path, body = bodies[index % len(bodies)]
                start = time.perf_counter()
                async with session.post(url + path, data=body, headers={"Content-Type": "application/json"}) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{path}: {response.status}")
                latencies.append((time.perf_counter() - start) * 1000)

        connector = aiohttp.TCPConnector(limit=clients)
        async with aiohttp.ClientSession(connector=connector) as session:
            start = time.perf_counter()
            await asyncio.gather(*(worker(session) for _ in range(clients)))
            elapsed = time.perf_counter() - start
        return latencies, elapsed

    def concurrency_and_memory(self, rss_idle_kb: int):
        rss = {"idle_at_start": rss_idle_kb, "after_all_benchmarks": rss_kb(self.stage.daemon.process)}
        first, second = (2_000, 8_000) if not self.quick else (500, 1_500)
        lat1, el1 = asyncio.run(self._hammer(first, 8))
        rss["after_+%d" % first] = rss_kb(self.stage.daemon.process)
        lat2, el2 = asyncio.run(self._hammer(second, 8))
        rss["after_+%d" % (first + second)] = rss_kb(self.stage.daemon.process)
        latencies = lat1 + lat2
        throughput = len(latencies) / (el1 + el2)

        x, y = SPOT
        ref_lat: list[float] = []
        ref_lock = threading.Lock()
        ref_total = self.n(400, 80)
        ref_counter = iter(range(ref_total))

        def ref_worker():
            for index in ref_counter:
                start = time.perf_counter()
                [lambda: self.reference.move(x - 4, y), lambda: self.reference.click(x, y), lambda: self.reference.key(KEY_COMBO),
                 lambda: self.reference.xdotool("getmouselocation")][index % 4]()
                with ref_lock:
                    ref_lat.append((time.perf_counter() - start) * 1000)

        threads = [threading.Thread(target=ref_worker) for _ in range(8)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ref_throughput = ref_total / (time.perf_counter() - start)

        self.raw["concurrency"] = {
            "clients": 8, "requests": len(latencies), "throughput_per_s": throughput, "xhands": summary(latencies),
            "reference": {**summary(ref_lat), "throughput_per_s": ref_throughput},
        }
        time.sleep(IDLE_TRIM_WAIT_S)
        rss["after_%ds_idle" % IDLE_TRIM_WAIT_S] = rss_kb(self.stage.daemon.process)
        self.raw["rss_kb"] = rss
        self.row("8 concurrent clients: throughput, latency p50 / p99 (move, click, key, position)",
                 f"{throughput:.0f} req/s, {cell(self.raw['concurrency']['xhands'])}",
                 f"{ref_throughput:.0f} actions/s, {cell(self.raw['concurrency']['reference'])}",
                 vs=f"{throughput / ref_throughput:.1f}x throughput")
        growth = rss["after_+%d" % (first + second)] - rss["after_+%d" % first]
        mb = {k: f"{v / 1024:.1f} MB" for k, v in rss.items()}
        self.row(f"daemon RSS: idle at start; after all the above; after +2,000 and +10,000 requests; then {IDLE_TRIM_WAIT_S} s idle",
                 f"{mb['idle_at_start']}; {mb['after_all_benchmarks']}; {mb['after_+%d' % first]}; {mb['after_+%d' % (first + second)]}; "
                 f"{mb['after_%ds_idle' % IDLE_TRIM_WAIT_S]}",
                 target="idle ≤ 60 MB, flat", met=rss_idle_kb <= 60 * 1024 and growth <= 1024)


