"""Waiting until the screen shows what was just done, before a screenshot.

An application draws its answer to input a while after reading it: Chromium draws typed characters tens
of milliseconds after the keys arrive, and 120-200 ms on a busy machine. The X server tells (damage.py)
when anything is drawn, so the wait is: until something is drawn after the input (or the application has
had EXPECT_DRAW_S to start drawing and drew nothing), then until the screen has been quiet for the
caller's quiet time; never longer than the caller's limit. Waiting only for quiet, from the input on,
would expire before a slow application even starts drawing. On a busy machine an application may take
longer than that even to read the input: when it tells that it has handled the last press (handled.py), the
wait for its first drawing counts from then.

On a loaded machine an application may also simply not get a CPU for hundreds of milliseconds, mid-drawing or
before it: the screen is quiet then, and no fixed quiet time tells that from having finished. Where the
focused application's processes can be seen (starved.py), both times above are counted on its own clock,
which stands still while it waits for a CPU: "quiet for 100 ms" means 100 ms in which it could have drawn.
"""

import asyncio
import bisect
import time

from .damage import ScreenWatcher
from .handled import HandledInput
from .starved import Starvation

# How long an application may take to start drawing its answer to input: Chromium on a busy 2-core
# machine took up to 200 ms. Input that changes nothing on screen costs this much.
EXPECT_DRAW_S = 0.3
# How long to wait for an application to say it handled the last press, and how often to look.
HANDLED_LIMIT_S = 1.0
HANDLED_POLL_S = 0.005
# How often to read how long the application waited for a CPU (a few milliseconds of reading each): waiting
# up to this long before a drawing may be counted after it, making the wait longer on a loaded machine.
SAMPLE_S = 0.05


def wait_left(now: float, input_at: float, changed_at: float, quiet_s: float) -> float:
    """Seconds still to wait before grabbing (0: grab now). input_at is when the last input was sent (or when
    the application was seen to have handled it), changed_at when the screen last changed; all on one clock."""
    until = max(input_at, changed_at) + quiet_s
    if changed_at <= input_at:  # nothing drawn since the input: give the application time to start
        until = max(until, input_at + EXPECT_DRAW_S)
    return max(0.0, until - now)


class AppClock:
    """Monotonic time that stands still while the application waits for a CPU, from readings of how long it
    waited. A reading's waiting is put at the moment the reading ended, never earlier: it may all have come
    after a drawing made in between, and a quiet time measured on this clock is then never too long."""

    def __init__(self, start: float):
        self._at = [start]  # monotonic times at which the readings ended
        self._waited = [0.0]  # seconds waited from start to each reading

    def note(self, at: float, waited_s: float) -> None:
        """A reading that ended at monotonic time `at`: the application waited waited_s since the last one
        (threads waiting side by side count once: never more than the time that passed)."""
        self._waited.append(self._waited[-1] + min(waited_s, max(0.0, at - self._at[-1])))
        self._at.append(at)

    @property
    def read_at(self) -> float:
        """When the last reading ended."""
        return self._at[-1]

    def at(self, moment: float) -> float:
        """The application's time at a monotonic moment."""
        index = bisect.bisect_right(self._at, moment) - 1
        return moment - (self._waited[index] if index >= 0 else 0.0)


async def handled_late(handled: HandledInput, pressed_at: float, deadline: float) -> float | None:
    """When the focused application, which had not yet handled the press made at pressed_at, was seen to have
    handled it; None if it had already (its drawing may be on screen already), does not tell, or did not
    within HANDLED_LIMIT_S."""
    if handled.press_handled(pressed_at) is not False:
        return None
    deadline = min(deadline, time.monotonic() + HANDLED_LIMIT_S)
    while time.monotonic() < deadline:
        await asyncio.sleep(HANDLED_POLL_S)
        if handled.press_handled(pressed_at):
            return time.monotonic()
    return None


async def settle(watcher: ScreenWatcher, handled: HandledInput, input_at: float, pressed_at: float,
                 quiet_s: float, limit_s: float) -> None:
    """Wait (in the event loop) until wait_left, on the application's clock, says grab, or the watcher's
    display is gone; never past limit_s."""
    start = time.monotonic()
    deadline = start + limit_s
    pid = handled.focused_pid()
    starvation = await asyncio.to_thread(Starvation, pid) if pid else None
    clock = AppClock(start)
    if time.monotonic() - pressed_at < HANDLED_LIMIT_S:  # a press long ago has had all the time it may take
        input_at = max(input_at, await handled_late(handled, pressed_at, deadline) or 0.0)
    changed = asyncio.Event()
    watcher.listen(changed.set)  # a change may end the wait for a first drawing early

    def left_at(now: float) -> float:
        # A watcher that has seen no change yet was opened just now, after the input: it cannot tell
        # whether the application drew meanwhile, so nothing counts as drawn.
        changed_at = clock.at(watcher.changed_at) if watcher.changes else 0.0
        return wait_left(clock.at(now), clock.at(input_at), changed_at, quiet_s)

    try:
        while watcher.alive:
            changed.clear()  # a change from here on ends the wait below
            now = time.monotonic()
            if now >= deadline:
                return
            # Grab only on a fresh reading of the application's waiting, and read it every SAMPLE_S meanwhile,
            # so that little waiting before a drawing is counted after it.
            if starvation and (left_at(now) <= 0 or now - clock.read_at >= SAMPLE_S):
                waited = await asyncio.to_thread(starvation.waited)
                now = time.monotonic()
                clock.note(now, waited)
            left = left_at(now)
            if left <= 0:
                return
            try:
                await asyncio.wait_for(changed.wait(), min(left, deadline - now, SAMPLE_S if starvation else left))
            except TimeoutError:
                pass
    finally:
        watcher.unlisten(changed.set)
