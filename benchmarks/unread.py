"""Typing with nothing reading: a 1,548-character multilingual text typed by xhands and by `xdotool type --delay 0`,
interleaved, on a display of its own with no window (the keys go nowhere), each timed from the call to its end.

Nobody's reading means nobody to wait for: what is left is the cost of sending the keys and rebinding spare
keycodes, which xdotool pays too (it rebinds one keycode per character missing from the keymap).
"""

import statistics
import time

from xhands.daemon.client.testing import LocalServer

from .baselines import Reference
from .measure import Client
from .text import mixed_text

TEXT = mixed_text(1548)


def typing_unread(bench) -> None:
    daemon = LocalServer("1280x800x24", log_path=bench.stage.logs.name + "/xhands-unread.log").start()
    try:
        reference = Reference(daemon.display, {**bench.stage.env, "DISPLAY": daemon.display})
        client = Client(daemon.port)
        tools = {"xhands": lambda: client.post("/computer/type", {"text": TEXT}),
                 "xdotool": lambda: reference.type(TEXT, 0)}
        for send in tools.values():  # warm-up: the daemon's first text loads what typing needs
            send()
        seconds = {name: [] for name in tools}
        for _ in range(bench.n(5, 2)):
            for name, send in tools.items():
                start = time.perf_counter()
                send()
                seconds[name].append(time.perf_counter() - start)
    finally:
        daemon.stop()
    ours, theirs = statistics.median(seconds["xhands"]), statistics.median(seconds["xdotool"])
    bench.raw["typing_unread"] = {"text_length": len(TEXT), "seconds": seconds}
    bench.row(f"type a {len(TEXT):,}-character multilingual text with nothing reading (p50 of {len(seconds['xhands'])}, "
              "call to end) vs `xdotool type --delay 0`, same display, interleaved",
              f"{ours:.2f} s", f"{theirs:.2f} s", vs=f"{ours / theirs:.2f}x xdotool", target="≤ 1.0x xdotool",
              met=ours <= theirs)
