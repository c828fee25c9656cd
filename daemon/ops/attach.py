"""At start-up the display given must be there: a daemon that listened while every action answered 503 would hide
the mistake. A sidecar started beside its X server may wait for it a while (--wait-for-display). Once started,
the daemon outlives its display: it reconnects on the first action after the server is back."""

import asyncio
import time

from xhands.input.display import DisplayUnavailable, close_quietly, open_drivable

POLL_S = 0.1  # an X server being started is usually ready within a few hundred milliseconds


class NoDisplay(RuntimeError):
    """The display given cannot be driven, and waiting (if asked) did not help."""


async def wait_for_display(name: str, wait_s: float) -> None:
    """Return once `name` opens with the extensions the daemon needs; NoDisplay after wait_s seconds."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            close_quietly(open_drivable(name))
            return
        except DisplayUnavailable as exc:
            if time.monotonic() >= deadline:
                waited = f"after waiting {wait_s:g} s" if wait_s else "give --wait-for-display SECONDS to wait for it"
                raise NoDisplay(f"{exc} ({waited})") from None
        await asyncio.sleep(POLL_S)
