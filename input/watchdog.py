"""Bounding the waits on an X server that is alive but does not answer (stopped with SIGSTOP, held in a
debugger, wedged), for the connections used on the event loop's thread.

python-xlib has no timeouts: a round trip to such a server, or opening a connection to it, never returns, and
on the event loop's thread that would freeze the whole daemon, /health included. So:

- Every wait of a watched connection (a reply, an event, or the kernel taking the bytes of a flush: all go
  through its protocol object's send_and_recv) is timed, and a daemon thread shuts the connection's socket
  down once one has waited longer than ANSWER_LIMIT_S. The waiting call then fails with python-xlib's
  ConnectionClosedError, which the connection's owner turns into DisplayUnavailable (a 503) and reopens from.
  Timing a wait costs about 60 ns; a server that answers is never disturbed.
- Opening a connection happens on a thread of its own, waited for at most ANSWER_LIMIT_S. An open given up
  stays out, and succeeds as soon as the server answers again: the next caller takes it over. Actions wait
  for it in the event loop (open_answering_async), up to ANSWER_LIMIT_S again; anything else that must open
  a connection on the loop's thread, while one is out or after a connection was cut off, waits only RECHECK_S
  (the server has been silent for ANSWER_LIMIT_S already), and tries again later (the screencast does).

ANSWER_LIMIT_S is far above any real round trip: a loaded machine delays one by milliseconds, a large
screenshot's by tens of them.
"""

import asyncio
import logging
import socket
import threading
import time
import weakref
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from Xlib import display as xdisplay
from Xlib import error as xerror

from .display import DisplayUnavailable, close_quietly, open_display

log = logging.getLogger(__name__)

ANSWER_LIMIT_S = 5.0
CHECK_EVERY_S = 0.25  # how often the watchdog looks: a silent server is cut off within the limit plus this
RECHECK_S = 0.1  # how long a blocking open waits for one still out (see above)


class _Wait:
    """When the current wait of one connection began (0: none), and the socket to shut if it lasts too long."""

    __slots__ = ("since", "cut", "socket", "display_name", "__weakref__")

    def __init__(self, sock: socket.socket, display_name: str):
        self.since = 0.0
        self.cut = False  # the watchdog shut the socket: the waiting call's failure says why, not "closed by server"
        self.socket = sock
        self.display_name = display_name


_waits: "weakref.WeakSet[_Wait]" = weakref.WeakSet()  # a connection's _Wait lives as long as the connection
_watchdog_lock = threading.Lock()
_watchdog: threading.Thread | None = None
_silent: set[str] = set()  # displays whose connection was cut off, until one to them opens again


def watch(conn: xdisplay.Display, display_name: str) -> xdisplay.Display:
    """Cut the connection off if one of its waits lasts longer than ANSWER_LIMIT_S. Use it from one thread."""
    protocol = conn.display
    wait = _Wait(protocol.socket, display_name)
    unwatched = protocol.send_and_recv  # its keywords, spelled out: a *args/**kwargs wrapper costs 150 ns more

    def send_and_recv(flush=False, event=False, request=None, recv=False):
        wait.since = time.monotonic()
        try:
            return unwatched(flush, event, request, recv)
        except xerror.ConnectionClosedError:
            if wait.cut:
                raise ConnectionError(f"it did not answer for {ANSWER_LIMIT_S:g} s (stopped, or hung?); "
                                      "the connection reopens once it answers") from None
            raise
        finally:
            wait.since = 0.0

    protocol.send_and_recv = send_and_recv  # on this one connection; python-xlib's class is left as it is
    _waits.add(wait)
    _start_watchdog()
    return conn


def _start_watchdog() -> None:
    global _watchdog
    with _watchdog_lock:
        if _watchdog is None:
            _watchdog = threading.Thread(target=_keep_watch, name="xhands-x-watchdog", daemon=True)
            _watchdog.start()


def _keep_watch() -> None:
    while True:
        time.sleep(CHECK_EVERY_S)
        now = time.monotonic()
        for wait in list(_waits):
            since = wait.since
            if since and now - since > ANSWER_LIMIT_S:
                _cut_off(wait, now - since)


def _cut_off(wait: _Wait, waited_s: float) -> None:
    wait.since = 0.0  # once: the waiting call fails now
    wait.cut = True
    _silent.add(wait.display_name)
    log.warning("display %s has not answered for %.1f s: its connection is cut off (it reopens once the server "
                "answers again)", wait.display_name, waited_s)
    try:
        wait.socket.shutdown(socket.SHUT_RDWR)  # the blocked select() wakes, reads end-of-file, and raises
    except OSError:  # closed meanwhile: the wait has ended anyway
        pass


class _Opening:
    """A connection being opened on a thread of its own; its outcome goes to the first caller that takes it."""

    def __init__(self, display_name: str):
        self.outcome: Future = Future()
        threading.Thread(target=self._open, args=(display_name,), name="xhands-x-open", daemon=True).start()

    def _open(self, display_name: str) -> None:
        try:
            conn = open_display(display_name)
        except BaseException as exc:  # handed to the caller, who knows what it means
            self.outcome.set_exception(exc)
        else:
            _silent.discard(display_name)
            self.outcome.set_result(conn)


_opening: dict[str, _Opening] = {}  # per display, an open still out: the server has been silent since it began


def _not_answering(display_name: str, opening: _Opening) -> DisplayUnavailable:
    _opening[display_name] = opening  # the next caller takes it over
    return DisplayUnavailable(f"display {display_name} is not answering (stopped, or hung?)")


def open_answering(display_name: str, watched: bool = True) -> xdisplay.Display:
    """Open a connection to a display from the event loop's thread, waiting at most ANSWER_LIMIT_S for the
    server, or RECHECK_S for an open still out (the server has been silent that long already); watched (see
    watch) unless another thread will wait on it. Raises DisplayUnavailable if the server did not answer, or
    python-xlib's errors if the connection failed."""
    opening = _opening.pop(display_name, None)
    limit_s = RECHECK_S if opening or display_name in _silent else ANSWER_LIMIT_S
    opening = opening or _Opening(display_name)
    try:
        conn = opening.outcome.result(timeout=limit_s)
    except FutureTimeout:
        raise _not_answering(display_name, opening) from None
    return watch(conn, display_name) if watched else conn


async def open_answering_async(display_name: str) -> xdisplay.Display:
    """open_answering for a caller that can wait in the event loop: it waits ANSWER_LIMIT_S in any case."""
    opening = _opening.pop(display_name, None) or _Opening(display_name)
    outcome = asyncio.wrap_future(opening.outcome)
    outcome.add_done_callback(lambda done: done.cancelled() or done.exception())  # one that came too late
    try:
        conn = await asyncio.wait_for(asyncio.shield(outcome), ANSWER_LIMIT_S)
    except TimeoutError:
        raise _not_answering(display_name, opening) from None
    return watch(conn, display_name)


def abandon_opening(display_name: str) -> None:
    """A display's last user is going: an open still out to it is closed once it ends, not handed to a later
    user of the same display number."""
    _silent.discard(display_name)
    opening = _opening.pop(display_name, None)
    if opening is not None:
        opening.outcome.add_done_callback(lambda done: done.exception() or close_quietly(done.result()))
