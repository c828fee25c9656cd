"""One worker owns the display and runs requests one at a time, in arrival order."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from input import ClipboardError, Desktop, DisplayUnavailable

from . import memory
from .actions import ACTIONS
from .errors import ApiError
from .models import ComputerAction

log = logging.getLogger(__name__)

# After this long without work, free memory goes back to the system (see memory.py).
IDLE_TRIM_S = 20.0


class QueueFull(ApiError):
    def __init__(self, retry_after_s: int = 1):
        super().__init__(429, "the action queue is full; retry shortly", headers={"Retry-After": str(retry_after_s)})


def failure(index: int | None, exc: BaseException) -> ApiError:
    """The Error answer for an action that failed while running."""
    target = f"actions[{index}]" if index is not None else None
    if isinstance(exc, DisplayUnavailable):
        status, code, message = 503, "display_unavailable", str(exc)
    elif isinstance(exc, ClipboardError):
        status, code, message = 500, "clipboard_failed", str(exc)
    elif isinstance(exc, TimeoutError):
        status, code, message = 500, "timeout", "the request ran past its time limit"
    else:
        log.exception("action failed", exc_info=exc)
        status, code, message = 500, "action_failed", "the action failed unexpectedly"
    where = f"action {index} ({target}) failed: " if index is not None else ""
    detail = {"code": code, "message": message, **({"target": target} if target else {})}
    return ApiError(status, where + message, [detail], inner=detail)


class Worker:
    def __init__(self, desktop: Desktop, max_queue: int, batch_timeout_s: float):
        self.desktop = desktop
        self.batch_timeout_s = batch_timeout_s
        self.queue: asyncio.Queue = asyncio.Queue(max_queue)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="xhands-worker")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.desktop.release_all()

    async def submit(self, job: Callable[[], Awaitable]):
        """Queue a job and wait for its result; a full queue is answered at once."""
        future = asyncio.get_running_loop().create_future()
        try:
            self.queue.put_nowait((job, future))
        except asyncio.QueueFull:
            raise QueueFull() from None
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        idle_trim = None
        while True:
            if self.queue.empty():
                idle_trim = loop.call_later(IDLE_TRIM_S, memory.trim)
            job, future = await self.queue.get()
            if idle_trim is not None:
                idle_trim.cancel()
                idle_trim = None
            if future.cancelled():
                continue
            try:
                result = await job()
            except asyncio.CancelledError:
                future.cancel()
                raise
            except BaseException as exc:  # handed to the waiting request, never kills the worker
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)

    async def run_actions(self, actions: list[ComputerAction], client_gone: Callable[[], bool] = lambda: False) -> list:
        """Run validated actions in order through the queue; stops at the first failure or when the client leaves."""
        return await self.submit(lambda: self._perform_all(actions, client_gone))

    async def _perform_all(self, actions: list[ComputerAction], client_gone) -> list:
        results = []
        index = None
        try:
            async with asyncio.timeout(self.batch_timeout_s):
                for index, action in enumerate(actions):
                    if client_gone():
                        log.info("client disconnected; batch stopped before action %d", index)
                        break
                    with self.desktop.guarded():
                        results.append(await ACTIONS[action.type](self.desktop, action.params))
                        self.desktop.keyboard.release_all()  # no key outlives its action
        except asyncio.CancelledError:
            self.desktop.release_all()
            raise
        except Exception as exc:
            self.desktop.release_all()
            raise failure(index, exc) from None
        return results
