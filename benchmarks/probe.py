"""Counting the pointer motion the X server really delivers, without disturbing anyone.

A RECORD context on its own connection sees every core device event the
server processes, XTest-generated ones included, so motion events per second
are counted at the server rather than inferred from what a client asked for.
"""

import threading
import time

from Xlib import X
from Xlib import display as xdisplay
from Xlib.ext import record
from Xlib.protocol import rq


class MotionProbe:
    def __init__(self, display_name: str):
        self.control = xdisplay.Display(display_name)
        self.data = xdisplay.Display(display_name)
        if not self.control.has_extension("RECORD"):
            raise RuntimeError("the X server has no RECORD extension")
        self.context = self.control.record_create_context(
            0,
            [record.AllClients],
            [{
                "core_requests": (0, 0), "core_replies": (0, 0), "ext_requests": (0, 0, 0, 0),
                "ext_replies": (0, 0, 0, 0), "delivered_events": (0, 0),
                "device_events": (X.MotionNotify, X.MotionNotify), "errors": (0, 0),
                "client_started": False, "client_died": False,
            }],
        )
        self.control.sync()
        self.times: list[float] = []  # monotonic receipt time of each motion event
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        self.data.record_enable_context(self.context, self._on_data)

    def _on_data(self, reply):
        if reply.category != record.FromServer or reply.client_swapped:
            return
        data = reply.data
        now = time.monotonic()
        count = 0
        while len(data):
            event, data = rq.EventField(None).parse_binary_value(data, self.data.display, None, None)
            if event.type == X.MotionNotify:
                count += 1
        if count:
            with self._lock:
                self.times.extend([now] * count)

    def count_between(self, start: float, end: float) -> int:
        with self._lock:
            return sum(1 for t in self.times if start <= t <= end)

    def reset(self) -> None:
        with self._lock:
            self.times.clear()

    def close(self):
        self.control.record_disable_context(self.context)
        self.control.sync()
        self._thread.join(2)
        self.control.record_free_context(self.context)
        self.control.close()
