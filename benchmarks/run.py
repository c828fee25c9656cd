"""xhands beside the baselines, in one run on one private Xvfb showing a real Chromium page.

    python -m benchmarks [--quick] [--no-write]

Prints one table (medians, p99 and the ratio to xhands), writes the run's
summary (what RESULTS.md is rendered from) to benchmarks/results/<time>-<host>.json,
its raw samples to benchmarks/results/latest-raw.json (only the latest run's
are kept) and the table to benchmarks/RESULTS.md.
"""

import argparse
import asyncio
import difflib
import json
import math
import os
import platform
import random
import socket
import statistics
import sys
import threading
import time
from datetime import datetime, timezone
from http.client import HTTPConnection
from pathlib import Path

from . import mcp_calls
from .baselines import MssPillow, PyAutoGUI, Reference, tool_available
from .env import Stage, rss_kb
from .page import TEXTAREA
from .probe import MotionProbe
from .text import MIXED, composition

HERE = Path(__file__).resolve().parent
SCREEN = (1920, 1080)
# A corner of the page with nothing on it: clicks and moves there change nothing but still reach Chromium.
SPOT = (1910, 1070)
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


class Bench:
    def __init__(self, stage: Stage, quick: bool):
        self.stage = stage
        self.quick = quick
        self.client = Client(stage.daemon.port)
        self.reference = Reference(stage.display, stage.env)
        self.pyautogui = PyAutoGUI()
        self.mss_pillow = MssPillow(stage.display)
        self.rows: list[dict] = []
        self.raw: dict = {}

    def n(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def row(self, measure: str, xhands: str, reference: str = "", pyautogui: str = "", mss_pillow: str = "",
            vs: str = "", target: str = "", met: bool | None = None) -> None:
        self.rows.append(dict(measure=measure, xhands=xhands, reference=reference, pyautogui=pyautogui,
                              mss_pillow=mss_pillow, ratio=vs, target=target, met=met))
        print(f"  {measure}: xhands {xhands} | reference {reference} | pyautogui {pyautogui} | mss+Pillow {mss_pillow} | {vs} | {target} {'' if met is None else ('met' if met else 'MISSED')}", flush=True)

    # -- 0. the floor ------------------------------------------------------
    # -- 1. one action over HTTP --------------------------------------------
    def single_actions(self):
        x, y = SPOT
        body = {
            "click": ("/computer/click_mouse", json.dumps({"x": x, "y": y}).encode()),
            "instant move": (None, None),
            "key combo": ("/computer/press_key", json.dumps({"keys": [KEY_COMBO]}).encode()),
        }
        moves = [json.dumps({"x": x - 5 * (i % 2), "y": y - 3 * (i % 2), "smooth": False}).encode() for i in range(2)]
        empty = Client(self.stage.empty.port)
        ours = {
            "click": lambda i: self.client.post(*body["click"]),
            "instant move": lambda i: self.client.post("/computer/move_mouse", moves[i % 2]),
            "key combo": lambda i: self.client.post(*body["key combo"]),
        }
        ref = {
            "click": lambda i: self.reference.click(x, y),
            "instant move": lambda i: self.reference.move(x - 5 * (i % 2), y - 3 * (i % 2)),
            "key combo": lambda i: self.reference.key(KEY_COMBO),
        }
        gui = {
            "click": lambda i: self.pyautogui.click(x, y),
            "instant move": lambda i: self.pyautogui.move(x - 5 * (i % 2), y - 3 * (i % 2)),
            "key combo": lambda i: self.pyautogui.key(KEY_COMBO),
        }
        for name in ours:
            tools = {"xhands": (ours[name], 10, 20), "reference": (ref[name], 1, 2), "pyautogui": (gui[name], 5, 5)}
            if name == "instant move":  # the floor, measured in the same rounds with the same client and body
                tools["floor"] = (lambda i: empty.post("/computer/move_mouse", moves[i % 2]), 10, 20)
            samples = interleaved(tools, rounds=self.n(60, 15), pause_s=ACTION_PAUSE_S)
            result = {tool: summary(values) for tool, values in samples.items()}
            if "floor" in result:
                self.raw["empty_http"] = result.pop("floor")
                self.row("empty aiohttp round trip, same client and rounds (the floor; not xhands)", cell(self.raw["empty_http"]))
            self.raw[f"action_{name}"] = result
            r = ratio(result["reference"], result["xhands"])
            met = result["xhands"]["p50_ms"] <= 1.5 and (r or 0) >= 10
            self.row(f"one action over HTTP: {name}" + (f" ({KEY_COMBO})" if name == "key combo" else ""),
                     cell(result["xhands"]), cell(result["reference"]), cell(result["pyautogui"]),
                     vs=f"{r:.1f}x" if r else "", target="p50 ≤ 1.5 ms, ≥ 10x xdotool", met=met)

    # -- 1b. the MCP tool over streamable HTTP ----------------------------------
    def mcp_tool(self):
        url = f"http://127.0.0.1:{self.stage.daemon.port}"
        for name, actions, limit in (("a click", mcp_calls.click_at(*SPOT), 3.0),
                                     ("ending in a 1080p PNG screenshot", mcp_calls.SCREENSHOT, 30.0)):
            result = summary(mcp_calls.call_samples(url, actions, n=self.n(200, 40)))
            self.raw[f"mcp_{name}"] = result
            self.row(f"computer_action over MCP (streamable HTTP, SDK client): {name}", cell(result),
                     target=f"p50 ≤ {limit:g} ms", met=result["p50_ms"] <= limit)

    # -- 2. a 100-action batch ------------------------------------------------
    def batch(self):
        x, y = SPOT
        actions = []
        for i in range(100):
            kind = i % 3
            if kind == 0:
                actions.append({"type": "move_mouse", "move_mouse": {"x": x - i % 10, "y": y, "smooth": False}})
            elif kind == 1:
                actions.append({"type": "click_mouse", "click_mouse": {"x": x, "y": y}})
            else:
                actions.append({"type": "press_key", "press_key": {"keys": [KEY_COMBO]}})
        payload = json.dumps({"actions": actions}).encode()

        def reference(_):
            for i in range(100):
                [lambda: self.reference.move(x - i % 10, y), lambda: self.reference.click(x, y), lambda: self.reference.key(KEY_COMBO)][i % 3]()

        def gui(_):
            for i in range(100):
                [lambda: self.pyautogui.move(x - i % 10, y), lambda: self.pyautogui.click(x, y), lambda: self.pyautogui.key(KEY_COMBO)][i % 3]()

        result = {
            "xhands": summary(timed(lambda i: self.client.post("/computer/batch", payload), self.n(60, 10), warmup=3, pause_s=BATCH_PAUSE_S)),
            "reference": summary(timed(reference, self.n(3, 1), warmup=0, pause_s=BATCH_PAUSE_S)),
            "pyautogui": summary(timed(gui, self.n(10, 3), warmup=1, pause_s=BATCH_PAUSE_S)),
        }
        self.raw["batch_100"] = result
        r = ratio(result["reference"], result["xhands"])
        self.row("100-action batch (moves, clicks, key combos)", cell(result["xhands"]), cell(result["reference"]),
                 cell(result["pyautogui"]), vs=f"{r:.0f}x" if r else "", target="≤ 20 ms",
                 met=result["xhands"]["p50_ms"] <= 20)

    # -- 3. typing 1,000 mixed characters --------------------------------------
    def focus_textarea(self):
        from Xlib import X, display as xdisplay

        cx, cy = TEXTAREA["x"] + TEXTAREA["width"] // 2, TEXTAREA["y"] + TEXTAREA["height"] // 2
        self.client.post("/computer/move_mouse", {"x": cx, "y": cy, "smooth": False})
        conn = xdisplay.Display(self.stage.display)
        try:
            child = conn.screen().root.query_pointer().child
            if child:
                conn.set_input_focus(child, X.RevertToParent, X.CurrentTime)  # what a window manager would do
            conn.sync()
        finally:
            conn.close()
        self.stage.chromium.reset_textarea()
        time.sleep(0.2)
        return self.stage.chromium.cdp.evaluate("document.hasFocus() && document.activeElement === ta")

    def type_once(self, send) -> dict:
        focused = self.focus_textarea()
        start_epoch_ms = time.time() * 1000
        start = time.perf_counter()
        send()
        sent_s = time.perf_counter() - start
        deadline = time.monotonic() + 60
        last_value, stable_since = None, time.monotonic()
        while time.monotonic() < deadline:
            state = self.stage.chromium.textarea()
            if state["value"] == MIXED:
                break
            if state["value"] != last_value:
                last_value, stable_since = state["value"], time.monotonic()
            elif time.monotonic() - stable_since > 2.0:
                break
            time.sleep(0.05)
        state = self.stage.chromium.textarea()
        got = state["value"]
        matcher = difflib.SequenceMatcher(None, list(MIXED), list(got), autojunk=False)
        correct = sum(block.size for block in matcher.get_matching_blocks())
        arrived_s = (state["lastInput"] - start_epoch_ms) / 1000 if state["lastInput"] else None
        return {"sent_s": sent_s, "arrived_s": arrived_s, "correct": correct, "exact": got == MIXED, "textarea_focused": focused,
                "received_chars": len(got), "wrong_sample": None if got == MIXED else got[:120]}

    def typing(self):
        # Each tool first types a few words once (untimed), as every other measurement has warm-up calls:
        # xhands starts its RECORD observer on the first text that needs a spare keycode.
        for warm in (lambda: self.client.post("/computer/type", {"text": "warm up é"}),
                     lambda: self.reference.type("warm up é", 0), lambda: self.pyautogui.type("warm up")):
            self.focus_textarea()
            warm()
            time.sleep(0.3)
        runs = {
            "xhands": [self.type_once(lambda: self.client.post("/computer/type", {"text": MIXED})) for _ in range(self.n(3, 1))],
            "reference delay 0": [self.type_once(lambda: self.reference.type(MIXED, 0))],
            "reference default delay": [] if self.quick else [self.type_once(lambda: self.reference.type(MIXED, None))],
            "pyautogui": [self.type_once(lambda: self.pyautogui.type(MIXED))],
        }
        self.raw["typing"] = {"text": MIXED, "composition": composition(MIXED), "runs": runs}

        def describe(results):
            if not results:
                return "not run"
            arrived = [r["arrived_s"] for r in results if r["arrived_s"] is not None]
            correct = min(r["correct"] for r in results)
            exact = sum(r["exact"] for r in results)
            time_text = f"{statistics.median(arrived):.2f} s" if arrived else "nothing arrived"
            return f"{time_text}, {correct}/1000 right" + (f" ({exact}/{len(results)} runs exact)" if len(results) > 1 else "")

        ours = runs["xhands"]
        met = all(r["exact"] and r["arrived_s"] is not None and r["arrived_s"] <= 1.5 for r in ours)
        ref = f"delay 0: {describe(runs['reference delay 0'])}; default 12 ms: {describe(runs['reference default delay'])}"
        xh = [r["arrived_s"] for r in ours if r["arrived_s"]]
        rd = [r["arrived_s"] for r in runs["reference default delay"] if r["arrived_s"]]
        vs = f"{statistics.median(rd) / statistics.median(xh):.1f}x vs default delay" if xh and rd else ""
        self.row("type 1,000 mixed chars into a Chromium textarea (time until all arrived, chars right)",
                 describe(ours), ref, describe(runs["pyautogui"]), vs=vs,
                 target="1000/1000 right, ≤ 1.5 s", met=met)

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


class OtherLoad:
    """How much CPU processes outside this benchmark used while it ran (the machine is shared)."""

    def __init__(self, stage: Stage):
        self.stage = stage
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _ours(self) -> set[int]:
        roots = {os.getpid(), self.stage.daemon.process.pid, self.stage.chromium.process.pid, self.stage.empty.process.pid}
        if self.stage.xvfb.process:
            roots.add(self.stage.xvfb.process.pid)
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        ours, grew = set(roots), True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in ours and pid not in ours:
                    ours.add(pid)
                    grew = True
        return ours

    def snapshot(self) -> tuple[float, float, float, float]:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        busy = sum(fields[:3]) + sum(fields[5:8])  # user nice system irq softirq steal
        ours = 0
        for pid in self._ours():
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    values = stat.read().rsplit(")", 1)[1].split()
                ours += sum(int(v) for v in values[11:15])  # utime stime cutime cstime
            except (OSError, IndexError, ValueError):
                pass
        return time.monotonic(), busy / self.ticks, ours / self.ticks, fields[7] / self.ticks

    def share(self, before, after) -> dict:
        """Average number of cores used by other processes, and stolen by the hypervisor, between two snapshots."""
        wall = after[0] - before[0]
        others = max(0.0, (after[1] - before[1]) - (after[2] - before[2]) - (after[3] - before[3]))
        return {"other_cores": round(others / wall, 2), "steal_cores": round((after[3] - before[3]) / wall, 2)}


def machine_info() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory_gb = None
    try:
        with open("/proc/meminfo") as info:
            memory_gb = round(int(next(line.split()[1] for line in info if line.startswith("MemTotal"))) / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    os_name = ""
    try:
        with open("/etc/os-release") as release:
            os_name = next(line.split("=", 1)[1].strip().strip('"') for line in release if line.startswith("PRETTY_NAME"))
    except (OSError, StopIteration):
        pass
    return {"host": socket.gethostname(), "cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory_gb,
            "kernel": platform.release(), "os": os_name, "python": platform.python_version()}


NOTES = """\
How to read this: every cell is `p50 / p99` over the run's samples (nearest-rank p99),
measured from the benchmark process: xhands end to end over HTTP with a keep-alive
client (http.client), the reference as one `xdotool` / `ffmpeg -f x11grab` process per
action or picture (exactly what the Kernel reference server spawns), pyautogui and mss +
Pillow in-process with their defaults (pyautogui with PAUSE=0; its default would add
100 ms to every call). The ratio column is reference p50 / xhands p50. All tools drive
the same Xvfb 1920x1080x24 showing the same Chromium page (text, a coloured table,
gradients, six photo-like pictures, the textarea), in the same run.

Typing is judged by what Chromium's textarea holds afterwards (read back over the
DevTools protocol) and when its last `input` event fired; "chars right" is the number
of code points in the longest matching alignment with the text sent.
"""


def render_markdown(meta: dict, rows: list[dict]) -> str:
    lines = [
        "# xhands benchmarks",
        "",
        f"Run {meta['started']} on `{meta['machine']['host']}`: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
        f"{meta['machine']['memory_gb']} GB, {meta['machine']['os']}, Linux {meta['machine']['kernel']}, Python {meta['machine']['python']}.",
        f"Load average before / after: {meta['load_before']} / {meta['load_after']} "
        "(the machine is shared: other test suites may have been running).",
        "CPU used by processes outside the benchmark, in cores, per phase: "
        + ", ".join(f"{name} {v['other_cores']}" + (f" (+{v['steal_cores']} stolen)" if v["steal_cores"] else "")
                    for name, v in meta["other_load"].items()) + ".",
        f"Versions: {meta['versions']}. Run time {meta['duration_s']:.0f} s{' (--quick)' if meta['quick'] else ''}.",
        "",
        "| measure | xhands | reference: xdotool / ffmpeg per action | pyautogui | mss + Pillow defaults | ratio | target | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    floor_first = sorted(rows, key=lambda row: not row["measure"].startswith("empty aiohttp"))
    for row in floor_first:
        mark = "" if row["met"] is None else ("✅ met" if row["met"] else "❌ missed")
        cells = [row["measure"], row["xhands"], row["reference"], row["pyautogui"], row["mss_pillow"], row["ratio"], row["target"], mark]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", NOTES]
    if meta.get("commentary"):
        lines += [meta["commentary"]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples, for trying things out")
    parser.add_argument("--no-write", action="store_true", help="print only; write no files")
    parser.add_argument("--render", metavar="RESULTS_JSON", help="only rewrite RESULTS.md from a saved run (e.g. after editing COMMENTARY.md)")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(Path(args.render).read_text())
        meta = saved["meta"]
        commentary_file = HERE / "COMMENTARY.md"
        meta["commentary"] = commentary_file.read_text() if commentary_file.exists() else None
        (HERE / "RESULTS.md").write_text(render_markdown(meta, saved["rows"]))
        print(f"bench: rewrote benchmarks/RESULTS.md from {args.render}")
        return 0
    for tool in ("xdotool", "ffmpeg", "Xvfb"):
        if not tool_available(tool):
            print(f"bench: {tool} is missing; run `make bench` (it installs it)", file=sys.stderr)
            return 2
    started = datetime.now(timezone.utc)
    load_before = " ".join(f"{v:.2f}" for v in os.getloadavg())
    t0 = time.monotonic()
    print("bench: starting Xvfb, Chromium, xhands ...", flush=True)
    with Stage() as stage:
        time.sleep(1.0)
        rss_idle = rss_kb(stage.daemon.process)
        bench = Bench(stage, args.quick)
        steps = [bench.single_actions, bench.mcp_tool, bench.batch, bench.typing, bench.screenshots, bench.smooth_moves]
        load = OtherLoad(stage)
        other_load = {}
        for step in [*steps, lambda: bench.concurrency_and_memory(rss_idle)]:
            name = getattr(step, "__name__", "")
            name = "concurrency_and_memory" if name == "<lambda>" else name
            print(f"bench: {name} ...", flush=True)
            before = load.snapshot()
            step()
            other_load[name] = load.share(before, load.snapshot())
        bench.raw["other_load"] = other_load
        versions = {"chromium": stage.chromium.version, **bench.reference.versions(), "pyautogui": bench.pyautogui.version,
                    "capture": bench.mss_pillow.version}
        bench.mss_pillow.close()
    meta = {
        "started": started.strftime("%Y-%m-%d %H:%M UTC"), "machine": machine_info(), "load_before": load_before,
        "load_after": " ".join(f"{v:.2f}" for v in os.getloadavg()), "versions": versions,
        "duration_s": time.monotonic() - t0, "quick": args.quick, "other_load": other_load,
    }
    commentary_file = HERE / "COMMENTARY.md"
    if commentary_file.exists():
        meta["commentary"] = commentary_file.read_text()
    markdown = render_markdown(meta, bench.rows)
    print()
    print(markdown)
    if not args.no_write:
        results = HERE / "results"
        results.mkdir(exist_ok=True)
        name = started.strftime("%Y%m%dT%H%M%SZ") + f"-{socket.gethostname()}.json"
        (results / name).write_text(json.dumps({"meta": meta, "rows": bench.rows}, indent=1, ensure_ascii=False))
        (results / "latest-raw.json").write_text(json.dumps({"run": name, "raw": bench.raw}, ensure_ascii=False))
        (HERE / "RESULTS.md").write_text(markdown)
        print(f"bench: wrote benchmarks/results/{name}, its raw samples (latest-raw.json) and benchmarks/RESULTS.md")
    return 0
