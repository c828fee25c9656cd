"""The computers a daemon serves, by id: `local` (its own display) and those POST /computers started, at most
--max-computers of them, each on a private X server of its own size, ended by DELETE, by their lifetime
(computer.Lifetime) and at shutdown."""

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from xhands.input import Desktop

from .computer import Computer, Lifetime
from .errors import ApiError
from .ops.xvfb import Xvfb, XvfbError
from .shell import Slots

log = logging.getLogger(__name__)

LOCAL = "local"
DEPTH = 24


@dataclass(frozen=True)
class NewComputer:
    """What a new computer is made of: its screen, its lifetime, the program started on it (if any), and what
    else its kind needs before anyone can reach it (a browser computer's Chromium)."""

    width: int
    height: int
    lifetime: Lifetime
    command: str | None = None
    prepare: Callable[[Computer], Awaitable[None]] | None = None


def refused_at_the_limit(limit: int) -> ApiError:
    if limit == 0:
        why = "this daemon serves only its own display (id local); start it with --max-computers N to create computers"
    else:
        why = f"{limit} computers are running, the most --max-computers allows; delete one first"
    return ApiError(429, why, code="too_many_computers", headers={"x-should-retry": "false"})


class Computers:
    def __init__(self, local: Computer, settings):
        self.local = local
        self.settings = settings
        self.exec_slots = Slots(settings.max_exec)
        self._by_id: dict[str, Computer] = {LOCAL: local}
        self._starting = 0
        self._ends: dict[str, asyncio.Task] = {}
        self._being_closed: set[asyncio.Future] = set()  # deleted ones still closing: shutdown waits for them
        self._closing = False

    def __iter__(self):
        return iter(list(self._by_id.values()))

    def get(self, computer_id: str) -> Computer | None:
        return self._by_id.get(computer_id)

    def named(self, computer_id: str) -> Computer:
        """The computer of that id; a 404 naming the ones there are when there is none."""
        if computer := self._by_id.get(computer_id):
            return computer
        raise ApiError(404, f"no computer {computer_id!r}: it was deleted, expired, or never made; "
                       f"GET /computers lists the {len(self._by_id)} there are", code="computer_not_found")

    async def create(self, new: NewComputer) -> Computer:
        """Start a computer, or refuse with nothing left behind: a server that started without the rest is stopped."""
        if self._closing:
            raise ApiError(503, "the daemon is shutting down", code="shutting_down")
        if len(self._by_id) - 1 + self._starting >= self.settings.max_computers:
            raise refused_at_the_limit(self.settings.max_computers)
        self._starting += 1
        xserver = Xvfb(f"{new.width}x{new.height}x{DEPTH}", server=self.settings.xserver)
        computer = None
        try:
            display = await asyncio.to_thread(xserver.start)
            desktop = await asyncio.to_thread(Desktop, display, self.settings.clipboard_timeout_s)
            computer = Computer.on(self._new_id(), desktop, self.settings.max_queue, self.settings.batch_timeout_s,
                                   self.settings.hold_timeout_s, xserver=xserver, lifetime=new.lifetime)
            for command in filter(None, (self.settings.computer_command, new.command)):
                await computer.programs.start(command)
            if new.prepare is not None:
                await new.prepare(computer)
        except BaseException as exc:
            if computer is not None:
                await computer.close()  # the programs started so far too
            await asyncio.to_thread(xserver.stop)
            if isinstance(exc, XvfbError):
                raise ApiError(500, str(exc), code="xserver_failed") from None
            raise
        finally:
            self._starting -= 1
        if self._closing:  # shutdown began while it started
            await computer.close()
            raise ApiError(503, "the daemon is shutting down", code="shutting_down")
        self._by_id[computer.id] = computer
        computer.start()
        if new.lifetime.inactivity_s is not None or new.lifetime.max_s is not None:
            self._ends[computer.id] = asyncio.create_task(self._end_in_time(computer), name=f"xhands-end-{computer.id}")
        log.info("computer %s started on %s (%dx%d)", computer.id, display, new.width, new.height)
        return computer

    def _new_id(self) -> str:
        return secrets.token_hex(8)

    async def delete(self, computer_id: str) -> Computer:
        """End a computer started by create: its actions aborted, its programs and X server gone."""
        computer = self.named(computer_id)
        if computer is self.local:
            raise ApiError(400, "the daemon's own display (local) is not deleted; DELETE releases what it holds")
        del self._by_id[computer_id]
        ending = self._ends.pop(computer_id, None)
        if ending is not None and ending is not asyncio.current_task():
            ending.cancel()
        closing = asyncio.ensure_future(computer.close())
        self._being_closed.add(closing)
        closing.add_done_callback(self._being_closed.discard)
        await asyncio.shield(closing)  # a caller that leaves does not leave its X server running
        log.info("computer %s ended", computer_id)
        return computer

    async def _end_in_time(self, computer: Computer) -> None:
        """Sleep until the computer's lifetime is over, looking again after each sleep (it may have been used)."""
        while (end := computer.ends_at()) is not None and (wait := end - time.time()) > 0:
            await asyncio.sleep(wait)
        log.info("computer %s expired (idle or past its lifetime)", computer.id)
        with contextlib.suppress(ApiError):
            await self.delete(computer.id)

    async def halt(self) -> None:
        """At shutdown: every computer stops serving, at once, so no request waits on one."""
        self._closing = True
        for ending in self._ends.values():
            ending.cancel()
        await asyncio.gather(*(computer.halt() for computer in self))

    async def close(self) -> None:
        """Once the last request has ended: every computer's programs and X server gone, in parallel, those
        being deleted too."""
        await asyncio.gather(*(computer.close() for computer in self), *self._being_closed)
