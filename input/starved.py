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

from Xlib import Xatom
from Xlib import error as xerror


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


def waited_since(before: dict[str, int], now: dict[str, int]) -> float:
    """Seconds of waiting for a CPU between two readings, summed over the threads in both (a thread that
    ended takes its count along; one that started has no earlier count to compare)."""
    return sum(max(0, now[path] - before[path]) for path in now.keys() & before.keys()) / 1e9


class Starvation:
    """The threads of one application's processes, and how long they have waited for a CPU. Blocking file
    reads (a few milliseconds for Chromium's hundred threads): call it off the event loop."""

    def __init__(self, pid: int):
        self._paths = [f"/proc/{process}/task/{tid}/schedstat" for process in process_tree(pid) for tid in _threads(process)]
        self._last = self._read_waits()

    def _read_waits(self) -> dict[str, int]:
        waits = {}
        for path in self._paths:
            try:
                waits[path] = int(_read(path).split()[1])
            except (OSError, IndexError, ValueError):  # the thread ended
                pass
        return waits

    def waited(self) -> float:
        """Seconds the application's threads waited for a CPU since the last call (or since it was made)."""
        now = self._read_waits()
        waited, self._last = waited_since(self._last, now), now
        return waited
