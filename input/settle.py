"""Waiting until the screen shows what was just done, before a screenshot.

An application draws its answer to input a while after reading it: Chromium draws typed characters tens
of milliseconds after the keys arrive, and 120-200 ms on a busy machine. The X server tells (damage.py)
when anything is drawn, so the wait is: until something is drawn after the input (or the application has
had EXPECT_DRAW_S to start drawing and drew nothing), then until the screen has been quiet for the
caller's quiet time; never longer than the caller's limit. Waiting only for quiet, from the input on,
would expire before a slow application even starts drawing. On a busy machine an application may take
longer than that even to read the input: when it tells that it has handled the last press (handled.py), the
wait for its first drawing counts from then.
"""

import asyncio
import time

from .damage import ScreenWatcher
from .handled import HandledInput

# How long an application may take to start drawing its answer to input: Chromium on a busy 2-core
# machine took up to 200 ms. Input that changes nothing on screen costs this much.
EXPECT_DRAW_S = 0.3
# How long to wait for an application to say it handled the last press, and how often to look.
HANDLED_LIMIT_S = 1.0
HANDLED_POLL_S = 0.005


def wait_left(now: float, input_at: float, changed_at: float, quiet_s: float, deadline: float) -> float:
    """Seconds still to wait before grabbing (0: grab now). Times are monotonic; input_at is when the last
    input was sent (or when the application was seen to have handled it), changed_at when the screen last
    changed."""
    until = max(input_at, changed_at) + quiet_s
    if changed_at <= input_at:  # nothing drawn since the input: give the application time to start
        until = max(until, input_at + EXPECT_DRAW_S)
    return max(0.0, min(until, deadline) - now)


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
    """Wait (in the event loop) until wait_left says grab, or the watcher's display is gone."""
    deadline = time.monotonic() + limit_s
    if time.monotonic() - pressed_at < HANDLED_LIMIT_S:  # a press long ago has had all the time it may take
        input_at = max(input_at, await handled_late(handled, pressed_at, deadline) or 0.0)
    changed = asyncio.Event()
    watcher.listen(changed.set)  # a change may end the wait for a first drawing early
    try:
        while watcher.alive:
            # A watcher that has seen no change yet was opened just now, after the input: it cannot tell
            # whether the application drew meanwhile, so nothing counts as drawn.
            changed_at = watcher.changed_at if watcher.changes else 0.0
            left = wait_left(time.monotonic(), input_at, changed_at, quiet_s, deadline)
            if left <= 0:
                return
            changed.clear()
            try:
                await asyncio.wait_for(changed.wait(), left)
            except TimeoutError:
                pass
    finally:
        watcher.unlisten(changed.set)
