"""Reading a Server-Sent Events stream in a thread, so a test can run requests and wait for what they sent."""

import contextlib
import json
import socket
import threading
from dataclasses import dataclass
from typing import Self

import httpx


@dataclass
class Event:
    name: str | None
    id: int | None
    data: dict


def hang_up(response: httpx.Response) -> None:
    """Shut the response's socket: a read blocked in another thread ends at once (closing the response does not)."""
    with contextlib.suppress(Exception):
        response.extensions["network_stream"].get_extra_info("socket").shutdown(socket.SHUT_RDWR)


class SseReader:
    """Reads `lines` (an iterator of a response's lines, without their ends) into events and comments.

        with SseReader.open(url + "/computer/events") as stream:
            ... run actions ...
            stream.wait_for(lambda events: len(events) >= 2)
    """

    def __init__(self, lines, close=lambda: None):
        self.events: list[Event] = []
        self.comments: list[str] = []
        self.raw: list[str] = []  # every line, to look for what must never be sent
        self.ended = False  # the server closed the stream
        self._changed = threading.Condition()
        self._close = close
        self._thread = threading.Thread(target=self._read, args=(lines,), daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, url: str, headers: dict | None = None, params: dict | None = None) -> "SseReader":
        """GET the stream; returns once its headers have arrived, so the daemon knows where this viewer starts."""
        client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        context = client.stream("GET", url, headers=headers, params=params)
        response = context.__enter__()
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")

        def close():
            hang_up(response)
            with contextlib.suppress(Exception):
                context.__exit__(None, None, None)
            client.close()

        return cls(response.iter_lines(), close)

    def _read(self, lines) -> None:
        fields: dict[str, str] = {}
        # Ended by the server, or closed under the reader by close(): the stream is over either way.
        with contextlib.suppress(Exception):
            for line in lines:
                with self._changed:
                    self.raw.append(line)
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    elif line:
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
                    elif fields:
                        event_id = fields.get("id")
                        self.events.append(Event(fields.get("event"), int(event_id) if event_id else None,
                                                 json.loads(fields["data"])))
                        fields = {}
                    self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def wait_for(self, predicate, timeout: float = 10.0) -> list[Event]:
        """Wait until predicate(events) holds; the events then."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.events) or self.ended, timeout) \
                    or not predicate(self.events):
                last = [(event.name, str(event.data)[:100]) for event in self.events[-10:]]  # frames are large
                raise AssertionError(f"not seen within {timeout} s (ended: {self.ended}): {last}")
            return list(self.events)

    def wait_ended(self, timeout: float = 10.0) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.ended, timeout), "the stream did not end"

    def close(self) -> None:
        self._close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
