"""Where the daemon spends an instant move: py-spy samples the daemon while the bench sends moves over HTTP and
over the WebSocket, and the functions that were on the stack most often are written to
benchmarks/results/move-profile.txt (so the next regression shows where it came from).

Only samples of the daemon's busy threads count (py-spy leaves out threads waiting in epoll or a queue); a
blocking X round trip counts as busy, as it holds the request up.
"""

import collections
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .measure import HERE, HTTP_MOVES, WS_MOVES, Client
from .websocket import WebSocketClient

RATE_HZ = 1000
TOP = 40
# Frames that only mean "waiting for work": the loop's select, the log writer's and the thread pool's queues.
IDLE = re.compile(r"select \(selectors\.py|dequeue \(logging/handlers\.py|_worker \(concurrent/futures|wait \(threading\.py")


def py_spy() -> str | None:
    """py-spy on the PATH, or beside this Python (the bench extra installs it into the venv)."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


def summarize(raw_text: str, top: int = TOP) -> tuple[int, list[tuple[float, str]], list[tuple[float, str]]]:
    """From py-spy's raw (collapsed) stacks: busy samples, and the share of them each function was on the stack
    (inclusive) and at its top (self)."""
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    busy = 0
    for line in raw_text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        if IDLE.search(frames[-1]):
            continue
        busy += int(count)
        for frame in set(frames[1:]):  # the first frame is the process itself
            inclusive[frame] += int(count)
        own[frames[-1]] += int(count)
    def share(counter: collections.Counter) -> list[tuple[float, str]]:
        return [(100 * n / busy, frame) for frame, n in counter.most_common(top)] if busy else []

    return busy, share(inclusive), share(own)


def move_profile(bench, seconds_each: float = 4.0) -> None:
    tool = py_spy()
    if tool is None:
        bench.row("profile of the move loop (py-spy)", "not run: py-spy is missing (pip install '.[bench]')")
        return
    http = Client(bench.stage.daemon.port)
    socket = WebSocketClient(bench.stage.daemon.port)
    with tempfile.NamedTemporaryFile(suffix=".txt") as raw:
        spy = subprocess.Popen([tool, "record", "--rate", str(RATE_HZ), "--format", "raw", "--output", raw.name,
                                "--pid", str(bench.stage.daemon.process.pid), "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # py-spy attaches
        counts = {"HTTP": 0, "WebSocket": 0}
        for name, send in (("HTTP", lambda i: http.post("/computer/move_mouse", HTTP_MOVES[i % 2])),
                           ("WebSocket", lambda i: socket.call(WS_MOVES[i % 2]))):
            end = time.monotonic() + (seconds_each / 4 if bench.quick else seconds_each)
            while time.monotonic() < end:
                send(counts[name])
                counts[name] += 1
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
        socket.socket.close()
        busy, inclusive, own = summarize(Path(raw.name).read_text())
    lines = [f"# py-spy, {RATE_HZ} Hz, of the daemon during {counts['HTTP']} instant moves over HTTP then "
             f"{counts['WebSocket']} over Lightcone's WebSocket, back to back ({busy} busy samples).",
             "# % of busy samples with the function on the stack (inclusive):"]
    lines += [f"{percent:5.1f}%  {frame}" for percent, frame in inclusive]
    lines += ["", "# % of busy samples with the function at the top of the stack (self):"]
    lines += [f"{percent:5.1f}%  {frame}" for percent, frame in own]
    target = HERE / "results" / "move-profile.txt"
    if not bench.write:
        target = Path(tempfile.gettempdir()) / "xhands-move-profile.txt"
    target.parent.mkdir(exist_ok=True)
    target.write_text("\n".join(lines) + "\n")
    bench.raw["move_profile"] = {"busy_samples": busy, "moves": counts, "file": str(target)}
    bench.row("profile of the move loop (py-spy)", f"{busy} busy samples over {sum(counts.values())} moves: "
              f"{target.relative_to(HERE) if target.is_relative_to(HERE) else target}")
