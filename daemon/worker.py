"""One worker owns the display and runs requests one at a time, in arrival order."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from xhands.input import ClipboardError, Desktop, DisplayUnavailable, Scope, XRequestFailed

from .actions import warm_up
from .errors import ApiError
from .ops import logs, memory
from .registry import RUNNERS, ComputerAction
from .streams.events import ActionEvents, BatchEvents

log = logging.getLogger(__name__)

# After this long without work, free memory goes back to the system (see memory.py).
IDLE_TRIM_S = 20.0


class QueueFull(ApiError):
    def __init__(self, retry_after_s: int = 1):
        super().__init__(429, "the action queue is full; retry shortly", headers={"Retry-After": str(retry_after_s)})


def failure(index: int | None, exc: BaseException) -> ApiError:
    """The Error answer for an action that failed while running."""
    target = f"actions[{index}]" if index is not None else None
    if isinstance(exc, ApiError):  # the action's own refusal, already worded for the caller
        return exc
    if isinstance(exc, DisplayUnavailable):
        status, code, message = 503, "display_unavailable", str(exc)
    elif isinstance(exc, ClipboardError):
        status, code, message = 500, "clipboard_failed", str(exc)
    elif isinstance(exc, XRequestFailed):
        status, code, message = 500, "x_request_failed", str(exc)
    elif isinstance(exc, TimeoutError):
        status, code, message = 500, "timeout", "the request ran past its time limit"
    else:
        log.exception("action failed", exc_info=exc)
        status, code, message = 500, "action_failed", "the action failed unexpectedly"
    where = f"action {index} ({target}) failed: " if index is not None else ""
    detail = {"code": code, "message": message, **({"target": target} if target else {})}
    return ApiError(status, where + message, [detail], inner=detail)


def action_of(serial: int, first_serials: list[int]) -> int:
    """The index of the action that sent request `serial` (16-bit sequence numbers, counted from the first)."""
    start = first_serials[0]
    offset = (serial - start) % 65536
    return max(index for index, first in enumerate(first_serials) if (first - start) % 65536 <= offset)


def shutting_down() -> ApiError:
    return ApiError(503, "the daemon is shutting down; the action was aborted and everything released", code="shutting_down")


class Worker:
    """Runs jobs one at a time in arrival order.

    A job that arrives while nothing runs or waits is run at once in the
    caller's task (no queue hop, no extra event-loop turns: this is the
    single-action fast path); otherwise it waits in the bounded FIFO queue for
    the worker task. Either way at most one job touches the display at a time.
    """

    def __init__(self, desktop: Desktop, max_queue: int, batch_timeout_s: float, hold_timeout_s: float = 60.0):
        self.desktop = desktop
        self.hold_timeout_s = hold_timeout_s
        self._hold_limit: asyncio.TimerHandle | None = None
        self.batch_timeout_s = batch_timeout_s
        self.max_queue = max_queue
        self.queue: asyncio.Queue = asyncio.Queue()
        self._task: asyncio.Task | None = None
        self._busy = False  # a job is running (inline or on the worker task)
        self._waiting = 0  # jobs queued and not yet started
        self._idle = asyncio.Event()
        self._inline: asyncio.Task | None = None
        self._idle_trim: asyncio.TimerHandle | None = None
        self._ended_at = 0.0  # the event loop's time when the last job ended
        self._stopping = False
        self._warm_up: asyncio.Task | None = None
        self.events = ActionEvents()  # every action accepted and how it ended, for the event stream
        self.stopped = asyncio.Event()  # stop() has failed or aborted every action: their events are out
        self.active_at = time.time()  # when an action last began or ended (a computer's idle timeout counts from it)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="xhands-worker")
        self._schedule_trim()

    async def stop(self) -> None:
        """Abort the running action, fail the queued ones, release everything the daemon pressed."""
        self._stopping = True
        tasks = [task for task in (self._task, self._inline) if task and task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if self._task:
            await asyncio.gather(self._task, return_exceptions=True)
        if self._busy and self._inline in tasks:
            # Until the inline job has ended, not its task: a WebSocket's runs on after answering, until it closes.
            await self._idle.wait()
        self._task = None
        while not self.queue.empty():
            _, future = self.queue.get_nowait()
            if not future.done():
                future.set_exception(shutting_down())
        if self._idle_trim:
            self._idle_trim.cancel()
        if self._hold_limit:
            self._hold_limit.cancel()
        self.desktop.release_scope(Scope.ACROSS_REQUESTS)
        self.stopped.set()

    async def submit(self, job: Callable[[], Awaitable]):
        """Run a job now if the display is free and nobody waits; else queue it (a full queue is answered at once).
        Once stopping has begun, nothing more is taken."""
        if self._stopping:
            raise shutting_down()
        if not self._busy and self._waiting == 0:
            self._begin()
            self._inline = asyncio.current_task()
            try:
                return await job()
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                asyncio.current_task().uncancel()  # answer this request like a queued one: 503, not a dropped connection
                raise shutting_down() from None
            finally:
                self._inline = None
                self._end()
        if self._waiting >= self.max_queue:  # counts a job the worker task holds while an inline one finishes
            raise QueueFull()
        future = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((logs.bind_request_id(job), future))
        self._waiting += 1
        return await future

    @property
    def idle(self) -> bool:
        """Nothing runs and nothing waits."""
        return not self._busy and self._waiting == 0

    @property
    def waiting(self) -> int:
        """Jobs accepted and not yet started."""
        return self._waiting

    def _begin(self) -> None:
        if self._warm_up is None:  # the daemon is in use: load what smooth motion needs, in the background
            self._warm_up = asyncio.get_running_loop().create_task(warm_up(), name="xhands-warm-up")
        self._busy = True
        self.active_at = time.time()
        self._idle.clear()
        if self._hold_limit is not None:
            self._hold_limit.cancel()
            self._hold_limit = None

    def _end(self) -> None:
        self._busy = False
        self.active_at = time.time()
        self._idle.set()
        self._ended_at = asyncio.get_running_loop().time()
        if self._waiting == 0:
            self._schedule_trim()
            if self.desktop.holding:
                self._hold_limit = asyncio.get_running_loop().call_later(self.hold_timeout_s, self._release_holds)

    def _release_holds(self) -> None:
        """A key or button held with no action for --hold-timeout: a caller that died mid-gesture must not
        leave the desktop with a key down for ever. Runs only while no job does (_begin cancels it)."""
        self._hold_limit = None
        log.warning("released %s, held for %g s without an action (--hold-timeout)", self.desktop.held(), self.hold_timeout_s)
        self.desktop.release_scope(Scope.ACROSS_REQUESTS)

    def _schedule_trim(self, after_s: float = IDLE_TRIM_S) -> None:
        if self._idle_trim is None:
            self._idle_trim = asyncio.get_running_loop().call_later(after_s, self._trim)

    def _trim(self) -> None:
        """Trim once IDLE_TRIM_S have passed since the last job ended; the timer is set once, not per job (setting
        and cancelling it cost more than some actions), and put off here while jobs keep coming."""
        self._idle_trim = None
        if self._busy or self._waiting:
            return  # the job's _end sets it again
        idle_s = asyncio.get_running_loop().time() - self._ended_at
        if idle_s < IDLE_TRIM_S:
            self._schedule_trim(IDLE_TRIM_S - idle_s)
        else:
            memory.trim()

    async def _run(self) -> None:
        while True:
            job, future = await self.queue.get()
            try:
                while self._busy:  # an inline job that started before this one was queued
                    await self._idle.wait()
            except asyncio.CancelledError:  # shutdown while it waited here, out of the queue stop() empties
                if not future.done():
                    future.set_exception(shutting_down())
                raise
            self._waiting -= 1
            if future.cancelled():
                if self._waiting == 0 and not self._busy:
                    self._schedule_trim()
                continue
            self._begin()
            try:
                result = await job()
            except asyncio.CancelledError:
                if not future.done():
                    future.set_exception(shutting_down())
                raise
            except BaseException as exc:  # handed to the waiting request, never kills the worker
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)
            finally:
                self._end()

    async def run_actions(self, actions: list[ComputerAction], client_gone: Callable[[], bool] = lambda: False,
                          request_ids: list[str] | None = None) -> list:
        """Run validated actions in order through the queue; stops at the first failure or when the client leaves.
        `request_ids`, one per action, are what their events carry instead of the request's id."""
        events = self.events.batch(actions, request_ids)
        try:
            return await self.submit(lambda: self._perform_all(actions, client_gone, events))
        except ApiError as error:  # refused before it ran (queue full, shutting down) or failed running
            events.close(error.message)
            raise
        finally:
            events.close("the client left")  # answers only what is still unanswered

    async def _perform_all(self, actions: list[ComputerAction], client_gone, events: BatchEvents) -> list:
        """A refusal the X server has reported stops the batch after the action that caused it; one round trip
        at the end makes sure it has reported on everything (one per request, not per action: XTest requests
        have no reply, and a round trip after each of a batch's actions tripled its time)."""
        results = []
        index = None
        last = len(actions) - 1
        first_serials = []  # each action's first request, to tell which action a refused request belonged to
        try:
            async with asyncio.timeout(self.batch_timeout_s):
                if not self.desktop.connection.is_open:  # lost: wait for the server without holding the loop
                    await self.desktop.connection.open()
                for index, action in enumerate(actions):
                    if client_gone():
                        log.info("client disconnected; batch stopped before action %d", index)
                        break
                    events.start(index)
                    with self.desktop.guarded():
                        first_serials.append(self.desktop.connection.next_serial)
                        results.append(await RUNNERS[action.type](self.desktop, action.params))
                        await self.desktop.end_action()  # no key outlives its action, but those held across requests
                        self.desktop.raise_errors()
                    if index < last:  # the last one has ended well once the round trip below says so
                        events.succeeded()
                with self.desktop.guarded():
                    self.desktop.check_errors()
                events.succeeded()
        except asyncio.CancelledError:
            why = shutting_down().message if self._stopping else "the action was cancelled"
            events.failed_with(why, rest=why)
            self.desktop.release_scope(Scope.ACTION)  # stop() releases those held across requests, on shutdown
            raise
        except Exception as exc:
            self.desktop.release_scope(Scope.ACTION)
            # A refused request is the fault of the action that sent it, which may be an earlier one.
            at = action_of(exc.serial, first_serials) if isinstance(exc, XRequestFailed) else index
            error = failure(at, exc)
            events.failed_with(error.message)
            raise error from None
        return results
