"""Whether the X server answers, asked on a connection and a thread of their own, within a time limit.

python-xlib has no timeouts: a round trip to a server that is alive but not answering (stopped with SIGSTOP,
held in a debugger) never returns. The health check asks here, so such a server is a prompt "not answering"
and the event loop never waits on it. One question is out at a time: while the server does not answer, the
thread that asked waits for it (a daemon thread, which never holds up the daemon's exit) and later checks
wait for that answer instead of starting more threads.
"""

import asyncio
import threading

from .display import CONNECTION_ERRORS, DisplayUnavailable, close_quietly, open_display


class DisplayProbe:
    def __init__(self, display_name: str, timeout_s: float = 1.0):
        self.display_name = display_name
        self.timeout_s = timeout_s
        self._conn = None  # used by one probe thread at a time
        self._answer: asyncio.Future | None = None

    async def screen_size(self) -> tuple[int, int]:
        """The screen's size as the server has it now (one round trip). Raises DisplayUnavailable if the server
        is gone, TimeoutError if it does not answer within timeout_s."""
        if self._answer is None or self._answer.done():
            loop = asyncio.get_running_loop()
            self._answer = answer = loop.create_future()
            answer.add_done_callback(_retrieved)  # an answer that came after its check timed out is no error
            threading.Thread(target=self._ask, args=(loop, answer), name="xhands-probe", daemon=True).start()
        return await asyncio.wait_for(asyncio.shield(self._answer), self.timeout_s)

    def _ask(self, loop: asyncio.AbstractEventLoop, answer: asyncio.Future) -> None:
        try:
            outcome, failed = self._round_trip(), False
        except DisplayUnavailable as exc:
            outcome, failed = exc, True
        try:
            loop.call_soon_threadsafe(_settle, answer, outcome, failed)
        except RuntimeError:  # the loop closed while the server kept us waiting
            pass

    def _round_trip(self) -> tuple[int, int]:
        try:
            if self._conn is None:
                self._conn = open_display(self.display_name)
            geometry = self._conn.screen().root.get_geometry()
            return geometry.width, geometry.height
        except CONNECTION_ERRORS as exc:
            self._drop()
            raise DisplayUnavailable(f"display {self.display_name} went away: {exc}") from None

    def close(self) -> None:
        """Close the connection, unless a question is still out on it (its thread ends with the process)."""
        if self._answer is None or self._answer.done():
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            close_quietly(self._conn)
            self._conn = None


def _retrieved(answer: asyncio.Future) -> None:
    if not answer.cancelled():
        answer.exception()


def _settle(answer: asyncio.Future, outcome, failed: bool) -> None:
    if answer.done():  # the loop is closing
        return
    if failed:
        answer.set_exception(outcome)
    else:
        answer.set_result(outcome)
