"""xhands beside the baselines, in one run on one private Xvfb showing a real Chromium page.

    python -m benchmarks [--quick] [--no-write]

Prints one table (medians, p99 and the ratio to xhands), writes the run's
summary (what RESULTS.md is rendered from) to benchmarks/results/<time>-<host>.json,
its raw samples to benchmarks/results/latest-raw.json (only the latest run's
are kept) and the table to benchmarks/RESULTS.md.
"""

import argparse
import difflib
import json
import os
import socket
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from tests.chromium.test_settle import TEXT as SETTLE_TEXT

from . import bare, browser, computers, mcp_calls, profile, recording, streams, unread, websocket
from .baselines import MssPillow, PyAutoGUI, Reference, tool_available
from .env import Stage, rss_kb
from .measure import (
    ACTION_PAUSE_S,
    BATCH_PAUSE_S,
    HERE,
    HTTP_MOVES,
    KEY_COMBO,
    SPOT,
    Client,
    cell,
    interleaved,
    near_spot,
    ratio,
    summary,
    timed,
)
from .page import TEXTAREA
from .report import OtherLoad, machine_info, render_markdown
from .screen_steps import ScreenSteps
from .text import MIXED, composition


class Bench(ScreenSteps):
    def __init__(self, stage: Stage, quick: bool, write: bool = True):
        self.stage = stage
        self.quick = quick
        self.write = write  # files go to benchmarks/results/ (not with --no-write)
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

    def add_rows(self, rows: list[dict]) -> None:
        """Rows a step module made in the results table's shape (computers.rows(), browser.rows()): their
        `ratio` is row()'s `vs`."""
        for row in rows:
            fields = {key: value for key, value in row.items() if key != "ratio"}
            self.row(**fields, vs=row.get("ratio", ""))

    # -- 0. the floor ------------------------------------------------------
    # -- 1. one action over HTTP --------------------------------------------
    def single_actions(self):
        x, y = SPOT
        body = {
            "click": ("/computer/click_mouse", json.dumps({"x": x, "y": y}).encode()),
            "instant move": (None, None),
            "key combo": ("/computer/press_key", json.dumps({"keys": [KEY_COMBO]}).encode()),
        }
        empty, empty_move = Client(self.stage.empty.port), Client(self.stage.empty_move.port)
        ours = {
            "click": lambda i: self.client.post(*body["click"]),
            "instant move": lambda i: self.client.post("/computer/move_mouse", HTTP_MOVES[i % 2]),
            "key combo": lambda i: self.client.post(*body["key combo"]),
        }
        ref = {
            "click": lambda i: self.reference.click(x, y),
            "instant move": lambda i: self.reference.move(*near_spot(i)),
            "key combo": lambda i: self.reference.key(KEY_COMBO),
        }
        gui = {
            "click": lambda i: self.pyautogui.click(x, y),
            "instant move": lambda i: self.pyautogui.move(x - 5 * (i % 2), y - 3 * (i % 2)),
            "key combo": lambda i: self.pyautogui.key(KEY_COMBO),
        }
        for name in ours:
            tools = {"xhands": (ours[name], 10, 20), "reference": (ref[name], 1, 2), "pyautogui": (gui[name], 5, 5)}
            if name == "instant move":  # the floors, measured in the same rounds with the same client and body
                tools["floor"] = (lambda i: empty.post("/computer/move_mouse", HTTP_MOVES[i % 2]), 10, 20)
                tools["move floor"] = (lambda i: empty_move.post("/computer/move_mouse", HTTP_MOVES[i % 2]), 10, 20)
            samples = interleaved(tools, rounds=self.n(60, 15), pause_s=ACTION_PAUSE_S)
            result = {tool: summary(values) for tool, values in samples.items()}
            if "floor" in result:
                self.floor_rows("HTTP", "server", result, self.raw.setdefault("floors_http", {}))
            self.raw[f"action_{name}"] = result
            r = ratio(result["reference"], result["xhands"])
            met = result["xhands"]["p50_ms"] <= 1.5 and (r or 0) >= 10
            self.row(f"one action over HTTP: {name}" + (f" ({KEY_COMBO})" if name == "key combo" else ""),
                     cell(result["xhands"]), cell(result["reference"]), cell(result["pyautogui"]),
                     vs=f"{r:.1f}x" if r else "", target="p50 ≤ 1.5 ms, ≥ 10x xdotool", met=met)

    def floor_rows(self, over: str, server: str, result: dict, raw: dict) -> None:
        """The empty aiohttp server's rows beside an instant move, and the move's ratio to each: to the bare
        round trip (the issue's target) and to the round trip plus one XTest motion (what a move must cost)."""
        floor, move_floor = raw["empty"], raw["empty_move"] = result.pop("floor"), result.pop("move floor")
        self.row(f"empty aiohttp {server}, same client and rounds as the move over {over} (the floor; not xhands)",
                 cell(floor))
        self.row(f"empty aiohttp {server} sending one XTest motion, as the move over {over} (the floor of a move; "
                 "not xhands)", cell(move_floor))
        ours = result["xhands"]["p50_ms"]
        self.row(f"one action over {over}: instant move, beside the empty aiohttp {server} (interleaved)",
                 cell(result["xhands"]), vs=f"{ours / floor['p50_ms']:.2f}x the empty {server} ({cell(floor)}); "
                 f"{ours / move_floor['p50_ms']:.2f}x it with one XTest motion ({cell(move_floor)})",
                 target=f"≤ 1.3x the empty {server}", met=ours / floor["p50_ms"] <= 1.3)

    # -- 1a. one action over Lightcone's WebSocket ------------------------------
    def websocket_move(self):
        websocket.instant_move(self)

    # -- 1a''. the same moves with no application under the pointer --------------
    def bare_display(self):
        """Instant moves on a bare X server, beside the floors (bare.py)."""
        bare.rows(self)

    # -- 1a'. where the daemon spends a move ---------------------------------------
    def move_profile(self):
        profile.move_profile(self)

    # -- computers made by POST /computers, on a daemon of their own ------------
    def computers(self):
        """Computers made by POST /computers, on a daemon of their own (computers.py)."""
        self.add_rows(computers.rows(self.quick))

    # -- browser computers (kind "browser"), on a daemon of their own -----------
    def browser_computers(self):
        """Browser computers and what page_context costs, on a daemon of their own (browser.py)."""
        self.add_rows(browser.rows(self.quick))

    # -- 1b. the MCP tool over streamable HTTP ----------------------------------
    def mcp_tool(self):
        url = f"http://127.0.0.1:{self.stage.daemon.port}"
        for name, actions, limit in (("a click", mcp_calls.click_at(*SPOT), 3.0),
                                     ("ending in a 1080p PNG screenshot", mcp_calls.SCREENSHOT, 30.0)):
            result = summary(mcp_calls.call_samples(url, actions, n=self.n(200, 40)))
            self.raw[f"mcp_{name}"] = result
            self.row(f"computer_action over MCP (streamable HTTP, SDK client): {name}", cell(result),
                     target=f"p50 ≤ {limit:g} ms", met=result["p50_ms"] <= limit)

    # -- 1c. the screencast beside ffmpeg -------------------------------------------
    def screencast(self):
        streams.screencast(self)

    # -- 1d. recordings beside ffmpeg's libx264 ---------------------------------------
    def recording(self):
        recording.recording(self)

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
        from Xlib import X
        from Xlib import display as xdisplay

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

    def type_once(self, send, focus=None) -> dict:
        focused = (focus or self.focus_textarea)()
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
        ref = f"delay 0: {describe(runs['reference delay 0'])}; default 12 ms: {describe(runs['reference default delay'])}"
        xh = [r["arrived_s"] for r in ours if r["arrived_s"]]
        r0 = [r["arrived_s"] for r in runs["reference delay 0"] if r["arrived_s"]]
        rd = [r["arrived_s"] for r in runs["reference default delay"] if r["arrived_s"]]
        # As fast as xdotool at delay 0 (which drops characters), and exact.
        met = bool(xh and r0) and all(r["exact"] for r in ours) and statistics.median(xh) <= statistics.median(r0)
        vs = "; ".join(f"{statistics.median(xh) / statistics.median(base):.2f}x xdotool {name}"
                       for name, base in (("delay 0", r0), ("default delay", rd)) if xh and base)
        self.row("type 1,000 mixed chars into a Chromium textarea (time until all arrived, chars right)",
                 describe(ours), ref, describe(runs["pyautogui"]), vs=vs,
                 target="1000/1000 right, ≤ 1.0x xdotool delay 0", met=met)

    # -- 3a. typing with nothing reading ------------------------------------------
    def typing_unread(self):
        unread.typing_unread(self)

    # -- 3b. a screenshot that shows the typing -----------------------------------
    def settled_screenshot(self):
        """Type TEXT (78 characters) and screenshot the textarea at once, with settle_ms 100 and without: the time
        of the screenshot request, and whether it showed what the textarea shows once Chromium is long done."""
        region = TEXTAREA

        def once(params: dict) -> tuple[float, bool]:
            self.focus_textarea()
            self.stage.chromium.cdp.evaluate("ta.style.caretColor = 'transparent'; true")  # no blinking in the pictures
            self.client.post("/computer/type", {"text": SETTLE_TEXT})
            start = time.perf_counter()
            shot = self.client.post("/computer/screenshot", {"region": region, **params})
            took_ms = (time.perf_counter() - start) * 1000
            time.sleep(0.5)
            return took_ms, shot == self.client.post("/computer/screenshot", {"region": region})

        runs = self.n(20, 5)
        settled = [once({"settle_ms": 100}) for _ in range(runs)]
        plain = [once({}) for _ in range(runs)]
        self.raw["settled_screenshot"] = {"settled": settled, "plain": plain}
        settled_ms, plain_ms = (statistics.median(took for took, _ in results) for results in (settled, plain))
        shown = sum(ok for _, ok in settled)
        self.row(f"screenshot right after typing {len(SETTLE_TEXT)} chars into Chromium, settle_ms 100 vs plain "
                 "(p50 of the screenshot request; runs showing every char)",
                 f"{settled_ms:.0f} ms, {shown}/{runs}; plain {plain_ms:.0f} ms, {sum(ok for _, ok in plain)}/{runs}",
                 vs=f"+{settled_ms - plain_ms:.0f} ms", target=f"{runs}/{runs}, ≤ +150 ms",
                 met=shown == runs and settled_ms - plain_ms <= 150)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples, for trying things out")
    parser.add_argument("--no-write", action="store_true", help="print only; write no files")
    parser.add_argument("--only", metavar="STEPS", help="run only these steps, comma-separated (e.g. "
                        "single_actions,websocket_move,move_profile,typing_unread); names as printed by a full run")
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
        bench = Bench(stage, args.quick, write=not args.no_write)
        steps = [bench.single_actions, bench.websocket_move, bench.bare_display, bench.move_profile, bench.mcp_tool, bench.batch,
                 bench.typing, bench.typing_unread, bench.settled_screenshot, bench.screenshots, bench.smooth_moves,
                 bench.computers, bench.browser_computers]
        load = OtherLoad(stage)
        other_load = {}
        # The screencast runs last: the RSS row is about the daemon before it had viewers.
        for step in [*steps, lambda: bench.concurrency_and_memory(rss_idle), bench.screencast, bench.recording]:
            name = getattr(step, "__name__", "")
            name = "concurrency_and_memory" if name == "<lambda>" else name
            if args.only and name not in args.only.split(","):
                continue
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

