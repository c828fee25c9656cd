"""A computer: one X display and everything that serves it, shared with no other computer.

Its connection (Desktop), its worker with its queue, hold timer and event ring, its screencast's frames, and the
programs started on it. The daemon's own display is the computer `local`; Lightcone's POST /computers starts
others on private X servers (computers.py). Whatever else hangs off one computer (a browser's DevTools client,
say) goes in `extras` and stops with it through `on_close`.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from xhands.input import Desktop

from .ops.xvfb import Xvfb
from .programs import Programs
from .streams.frames import FrameSource
from .worker import Worker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lifetime:
    """When a computer ends by itself: after inactivity_s without an action or keepalive, and max_s after its
    start; None is never."""

    inactivity_s: float | None = None
    max_s: float | None = None

    def end(self, created_at: float, active_at: float, busy: bool, now: float) -> float | None:
        """When it ends, as things stand at `now` (a busy computer is active now); None when never."""
        ends = []
        if self.max_s is not None:
            ends.append(created_at + self.max_s)
        if self.inactivity_s is not None:
            ends.append((now if busy else active_at) + self.inactivity_s)
        return min(ends, default=None)


@dataclass(eq=False)
class Computer:
    id: str
    desktop: Desktop
    worker: Worker
    frames: FrameSource
    programs: Programs
    xserver: Xvfb | None = None  # the private X server started for it; None for the daemon's own display
    kind: str = "desktop"
    lifetime: Lifetime = Lifetime()
    created_at: float = field(default_factory=time.time)
    kept_alive_at: float = 0.0
    commands: int = 0  # exec's commands running on it: it is in use meanwhile, as while an action runs
    extras: dict[str, Any] = field(default_factory=dict)  # what other features keep on it, by name
    on_close: list[Callable[[], Awaitable]] = field(default_factory=list)  # run once it has halted, before its X server goes
    stopping: bool = False

    @classmethod
    def on(cls, computer_id: str, desktop: Desktop, max_queue: int, batch_timeout_s: float, hold_timeout_s: float,
           **fields) -> "Computer":
        return cls(computer_id, desktop, Worker(desktop, max_queue, batch_timeout_s, hold_timeout_s),
                   FrameSource(desktop), Programs(desktop.display_name), **fields)

    @property
    def last_activity_at(self) -> float:
        return max(self.worker.active_at, self.kept_alive_at, self.created_at)

    def keep_alive(self) -> None:
        self.kept_alive_at = time.time()

    @contextlib.contextmanager
    def running_command(self):
        """A command runs on it: not idle until it ends."""
        self.commands += 1
        try:
            yield
        finally:
            self.commands -= 1
            self.keep_alive()

    def ends_at(self, now: float | None = None) -> float | None:
        busy = self.commands > 0 or not self.worker.idle
        return self.lifetime.end(self.created_at, self.last_activity_at, busy, now or time.time())

    def start(self) -> None:
        self.worker.start()

    async def halt(self) -> None:
        """Stop serving: the running action aborted, the queued failed, everything released; its programs
        (exec's commands too) stopped; its streams end."""
        self.stopping = True
        await asyncio.gather(self.worker.stop(), self.programs.stop_all())
        self.worker.events.wake()  # event viewers end at once, with the events of what was aborted
        await self.frames.close()

    async def close(self) -> None:
        """Halted, then what hangs off it, its connection and its X server gone."""
        if not self.stopping:
            await self.halt()
        for hook in self.on_close:
            try:
                await hook()
            except Exception:
                log.exception("closing computer %s", self.id)
        self.desktop.close()
        if self.xserver is not None:
            await asyncio.to_thread(self.xserver.stop)
