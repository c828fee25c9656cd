"""How long an application was kept from running, which a quiet screen cannot tell on a busy machine.

An application with input still to draw, but no CPU to draw it on, draws nothing: on a loaded machine Chromium
drew typed text 600 ms after reading the keys, or half of it at once and the rest 180 ms later. Linux counts,
for every thread, the time it spent runnable but waiting for a CPU (the second field of
/proc/PID/task/TID/schedstat, in nanoseconds). The focused window's process is named by its _NET_WM_PID;
Chromium draws in processes it started, so its descendants count too. An application on another machine, or
behind another process namespace, cannot be seen: it is treated as never kept waiting.
"""

import os
import socket
import time

from Xlib import Xatom
from Xlib import error as xerror

# A thread counts when it ran or waited to run for at least this share of the time between two readings.
BUSY_SHARE = 0.25


def window_pid(display, window_id: int) -> int | None:
    """The process behind a window: _NET_WM_PID on it or its nearest ancestor with one; None where the window
    says nothing, names another machine (WM_CLIENT_MACHINE), or its process is not visible here."""
    pid_atom = display.intern_atom("_NET_WM_PID")
    root = display.screen().root.id
    window = display.create_resource_object("window", window_id)
    try:
        while window.id != root:
            prop = window.get_full_property(pid_atom, Xatom.CARDINAL)
            if prop is not None and prop.format == 32 and len(prop.value):
                machine = window.get_wm_client_machine()
                pid = int(prop.value[0])
                if (machine and machine != socket.gethostname()) or not os.path.isdir(f"/proc/{pid}/task"):
                    return None
                return pid
            window = window.query_tree().parent
    except xerror.XError:  # the window went away meanwhile
        return None
    return None


def _read(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def _threads(pid: int) -> list[str]:
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:  # the process ended
        return []


def process_tree(pid: int) -> list[int]:
    """pid and every process it started, and they started, and so on; never this process (a daemon started by
    the application it drives does not count as part of it)."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current == os.getpid():
            continue
        tree.append(current)
        for tid in _threads(current):
            try:
                todo.extend(int(child) for child in _read(f"/proc/{current}/task/{tid}/children").split())
            except OSError:  # the thread ended
                pass
    return tree


def waited_since(before: dict[str, tuple[int, int]], now: dict[str, tuple[int, int]], elapsed_s: float) -> float:
    """Seconds of waiting for a CPU between two readings (path: nanoseconds run, waited), summed over the
    threads that were busy for at least BUSY_SHARE of the time between: running or waiting to. An idle thread
    woken by a timer waits a little for each wake on a loaded machine, and a hundred of them would add up to
    the whole time without the application having anything to do. A thread that ended takes its counts along;
    one that started has no earlier count to compare."""
    waited_ns = 0
    for path in now.keys() & before.keys():
        ran, waited = now[path][0] - before[path][0], now[path][1] - before[path][1]
        if ran + waited >= BUSY_SHARE * elapsed_s * 1e9:
            waited_ns += max(0, waited)
    return waited_ns / 1e9


class Starvation:
    """The threads of one application's processes, and how long they have waited for a CPU. Blocking file
    reads (a few milliseconds for Chromium's hundred threads): call it off the event loop."""

    def __init__(self, pid: int):
        self._paths = [f"/proc/{process}/task/{tid}/schedstat" for process in process_tree(pid) for tid in _threads(process)]
        self._read_at, self._last = time.monotonic(), self._read_counts()

    def _read_counts(self) -> dict[str, tuple[int, int]]:
        counts = {}
        for path in self._paths:
            try:
                ran, waited = _read(path).split()[:2]
                counts[path] = int(ran), int(waited)
            except (OSError, ValueError):  # the thread ended
                pass
        return counts

    def waited(self) -> float:
        """Seconds the application's busy threads waited for a CPU since the last call (or since it was made)."""
        read_at, now = time.monotonic(), self._read_counts()
        waited = waited_since(self._last, now, read_at - self._read_at)
        self._read_at, self._last = read_at, now
        return waited
