"""The run's report: the machine, the load from other processes, and RESULTS.md."""

import os
import platform
import socket
import time

from .env import Stage


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




def print_rows(rows: list[dict]) -> None:
    """A step's rows as lines of the results table, for a step's module run on its own."""
    for row in rows:
        print(f"| {row['measure']} | {row['xhands']} | {row.get('ratio', '')} | {row.get('target', '')} | "
              f"{'' if row.get('met') is None else ('✅ met' if row['met'] else '❌ missed')} |")
