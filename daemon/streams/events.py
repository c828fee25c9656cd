"""The event stream of actions: GET /computer/events and /computers/{id}/events.

Every action the worker is given, from any route, is published twice: `action_request` when it is accepted
(queued) and `action_response` when it has ended, failed, or was not run. Events go into a bounded ring with
a sequence number, the SSE `id:`; a viewer reads the ring from where it is, so a slow viewer never holds up
the worker, and one that reconnects with Last-Event-ID gets what it missed while the ring still has it.
Typed and clipboard text never goes into an event: only its length does.
"""

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence

from aiohttp import web
from pydantic import BaseModel

from ..errors import ApiError
from ..http.handling import client_gone, computer_of
from ..ops import logs
from ..timestamps import rfc3339
from .sse import HEARTBEAT, HEARTBEAT_S, event_bytes, gone, open_stream, wait_or_gone

RING_SIZE = 1000
LAST_EVENTS_WAIT_S = 0.5  # at shutdown, for the worker to fail what it was running and what waited
PATHS = ("/computer/events", "/computers/{id}/events")
PLAIN = frozenset({int, float, bool, str, list, tuple})  # shown as they are; checked by type, faster than isinstance


def summary(params: BaseModel) -> dict:
    """An action's parameters as an event shows them: text as its length, a drag's path as its ends and
    its number of points, and fields left unset (None, empty) left out."""
    shown = {}
    for name, value in vars(params).items():
        if value is None or value == []:
            continue
        if name == "text":
            shown["text_length"] = len(value)
        elif name == "path":
            shown.update({"from": list(value[0]), "to": list(value[-1]), "path_points": len(value)})
        elif type(value) in PLAIN:
            shown[name] = value
        else:  # a nested model (a screenshot's region, scale_to)
            shown[name] = value.model_dump(exclude_none=True) if isinstance(value, BaseModel) else value
    return shown


class Event:
    __slots__ = ("data", "id", "name")

    def __init__(self, event_id: int, name: str, data: dict):
        self.id, self.name, self.data = event_id, name, data

    def wire(self) -> bytes:
        # The time is kept as a number and written out here, only for the events someone reads.
        data = {**self.data, "timestamp": rfc3339(self.data["timestamp"])}
        return event_bytes(data, self.name, self.id)


class ActionEvents:
    """The ring of the last RING_SIZE events and the signal that wakes the viewers waiting for the next."""

    def __init__(self, size: int = RING_SIZE):
        self.ring: deque[Event] = deque(maxlen=size)
        self.last_id = 0
        self.batches = 0
        self.viewers = 0
        self.signal = asyncio.Event()  # set and replaced by a publish while someone watches
        self.listeners: list[Callable[[Event], None]] = []  # called with each event as it is published (recordings)

    def publish(self, name: str, data: dict) -> None:
        self.last_id += 1
        event = Event(self.last_id, name, data)
        self.ring.append(event)
        for listener in self.listeners:
            listener(event)
        if self.viewers:
            self.wake()

    def wake(self) -> None:
        """Wake every waiting viewer: each waits on the signal it got, and the next wait gets a new one."""
        self.signal.set()
        self.signal = asyncio.Event()

    def since(self, after: int) -> tuple[int, list[Event]]:
        """How many events after `after` the ring has dropped already, and the ones it still has."""
        first = self.ring[0].id if self.ring else self.last_id + 1
        start = max(after + 1, first)
        return start - (after + 1), [self.ring[index] for index in range(start - first, len(self.ring))]

    def batch(self, actions: Sequence, request_ids: Sequence[str] | None = None) -> "BatchEvents":
        self.batches += 1
        return BatchEvents(self, self.batches, actions, request_ids)


class BatchEvents:
    """One run of actions (a request, a WebSocket message, a tool call): its requests published at once, then
    one response per action, in order, as the worker runs them. Each carries the id of the request that sent it,
    or the one a dialect gave that action (Lightcone's request_id), so a caller can match events to its calls."""

    def __init__(self, events: ActionEvents, number: int, actions: Sequence, request_ids: Sequence[str] | None = None):
        self.events = events
        self.answered = 0  # actions with a response
        self.running: int | None = None
        self.started = 0.0
        self.rest: str | None = None  # why the actions after a failed one did not run
        now = time.time()
        request_ids = request_ids or [logs.request_id.get()] * len(actions)
        self.base = [{"request_id": request_id, "batch": number, "index": index, "type": action.type,
                      "params": summary(action.params)} for index, (action, request_id) in enumerate(zip(actions, request_ids))]
        for data in self.base:
            events.publish("action_request", {**data, "timestamp": now})

    def start(self, index: int) -> None:
        self.running = index
        self.started = time.perf_counter()

    def _respond(self, status: str, error: str | None, duration_ms: float | None) -> None:
        data = {**self.base[self.answered], "status": status, "duration_ms": duration_ms, "error": error,
                "timestamp": time.time()}
        self.answered += 1
        self.events.publish("action_response", data)

    def _ran(self, error: str | None) -> None:
        if self.running is None:
            return
        self.running = None
        self._respond("error" if error else "ok", error, round((time.perf_counter() - self.started) * 1000, 3))

    def succeeded(self) -> None:
        """The running action (if any) has ended well."""
        self._ran(None)

    def failed_with(self, message: str, rest: str | None = None) -> None:
        """The running action failed; the rest of the batch will not run, because of it unless `rest` says why."""
        if self.running is not None:
            self.rest = rest or f"action {self.running} failed before it"
        self._ran(message)

    def close(self, reason: str) -> None:
        """Every action still without a response was not run: because an earlier one failed, else `reason`."""
        reason = self.rest or reason
        while self.answered < len(self.base):
            self._respond("not_run", reason, None)


def resume_point(request: web.Request, events: ActionEvents) -> int:
    """The id of the last event the viewer has: Last-Event-ID or ?last_event_id=, else the newest (only what
    comes next). An id beyond the newest was given by an earlier daemon: everything the ring has is newer."""
    given = request.headers.get("Last-Event-ID", request.query.get("last_event_id"))
    if given is None:
        return events.last_id
    if not (given.strip().isascii() and given.strip().isdigit()):  # "²" is a digit to isdigit, not to int
        raise ApiError(400, f"Last-Event-ID must be a whole number, the id of an event received, not {given!r}")
    after = int(given)
    return 0 if after > events.last_id else after


async def send_new(response: web.StreamResponse, events: ActionEvents, after: int) -> int:
    """Write what was published after event `after` (saying first how many the ring dropped); the last id sent."""
    while True:
        missed, pending = events.since(after)
        if not (missed or pending):
            return after
        gap = event_bytes({"missed": missed}, "gap") if missed else b""
        await response.write(gap + b"".join(event.wire() for event in pending))
        after += missed + len(pending)


async def stream(request: web.Request) -> web.StreamResponse:
    worker = computer_of(request).worker
    events: ActionEvents = worker.events
    after = resume_point(request, events)
    response = await open_stream(request)
    events.viewers += 1
    try:
        while True:
            after = await send_new(response, events, after)
            if not await wait_or_gone(request, events.signal, HEARTBEAT_S):
                if gone(request):
                    break
                await response.write(HEARTBEAT)
        if not client_gone(request)():
            # Shutting down: the aborted action's events and those of the actions never run are published after
            # the signal that ends streams, and sent once the worker has stopped.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(worker.stopped.wait(), LAST_EVENTS_WAIT_S)
            await send_new(response, events, after)
    except ConnectionResetError:  # the viewer left while we wrote to it
        pass
    finally:
        events.viewers -= 1
    return response


def add_routes(app: web.Application) -> None:
    for path in PATHS:
        app.router.add_get(path, stream)
