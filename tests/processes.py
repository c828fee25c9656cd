"""Processes as /proc shows them, for tests and benchmarks alike (benchmarks/ imports it from here)."""

import os


def x_servers_of(pid: int) -> set[int]:
    """The pids of the X servers a process started (its children named Xvfb)."""
    found = set()
    for child in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{child}/stat") as stat:
                parent = int(stat.read().rpartition(")")[2].split()[1])
            with open(f"/proc/{child}/cmdline", "rb") as cmdline:
                program = os.path.basename(cmdline.read().split(b"\0")[0])
        except OSError:
            continue  # it ended while we looked
        if parent == pid and program == b"Xvfb":
            found.add(int(child))
    return found
