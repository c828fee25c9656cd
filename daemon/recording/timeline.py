"""A recording's timeline: the action batches that ran while it recorded and the callers' marks, each at its
offset from the start of the video. Pure functions over the event ring's data (streams/events.py), so the
same entries become the MP4's chapters and the JSON of GET /recording/timeline.

A batch is placed where its first action began to run (its response's time less its duration), else where
it was accepted. Its name lists its actions' types, a typed text as its length only, never the text itself:
`click_mouse, type_text (12 chars)`.
"""

from dataclasses import dataclass, field

MAX_TITLE = 200  # characters of a chapter's title, as Kernel bounds a mark's name
START_TITLE = "recording started"


@dataclass
class Batch:
    number: int
    request_id: str | None
    accepted_at: float
    started_at: float | None = None
    actions: list[dict] = field(default_factory=list)


def action_label(action_type: str, params: dict) -> str:
    """`type_text (12 chars)`; other actions by their type alone."""
    if "text_length" in params:
        return f"{action_type} ({params['text_length']} chars)"
    return action_type


def title(labels: list[str]) -> str:
    text = ", ".join(labels)
    return text if len(text) <= MAX_TITLE else text[:MAX_TITLE - 1] + "…"


class Collector:
    """Receives the event ring's events while a recording runs and keeps what its timeline needs."""

    def __init__(self):
        self.batches: dict[int, Batch] = {}

    def __call__(self, event) -> None:
        data = event.data
        if event.name == "action_request":
            batch = self.batches.setdefault(data["batch"], Batch(data["batch"], data["request_id"], data["timestamp"]))
            batch.actions.append({"type": data["type"], "params": data["params"], "status": None, "duration_ms": None})
        elif event.name == "action_response" and (batch := self.batches.get(data["batch"])):
            if data["index"] < len(batch.actions):
                batch.actions[data["index"]].update(status=data["status"], duration_ms=data["duration_ms"])
            if data["index"] == 0 and data["duration_ms"] is not None:
                batch.started_at = data["timestamp"] - data["duration_ms"] / 1000


def offset_ms(moment: float, started_at: float) -> int:
    return max(0, round((moment - started_at) * 1000))


def entries(batches: list[Batch], marks: list[tuple[str, float]], started_at: float, finished_at: float) -> list[dict]:
    """The timeline in time order: {offset_ms, kind ("action" or "mark"), name, ...}; an action's entry has
    its request_id and its actions (type, parameters as events show them, status, duration_ms)."""
    timeline = []
    for batch in batches:
        moment = batch.started_at if batch.started_at is not None else batch.accepted_at
        if moment > finished_at:
            continue
        labels = [action_label(action["type"], action["params"]) for action in batch.actions]
        timeline.append({"offset_ms": offset_ms(moment, started_at), "kind": "action", "name": title(labels),
                         "request_id": batch.request_id, "batch": batch.number, "actions": batch.actions})
    for name, moment in marks:
        timeline.append({"offset_ms": offset_ms(moment, started_at), "kind": "mark", "name": name})
    return sorted(timeline, key=lambda entry: entry["offset_ms"])


def chapters(timeline: list[dict], duration_ms: int) -> list[tuple[int, int, str]]:
    """(start, end, title) in ms: each entry runs until the next one begins, the last until the end. MP4's
    chapters follow each other from 0, so what comes before the first entry is a chapter of its own."""
    titled = [(min(entry["offset_ms"], duration_ms), entry["name"]) for entry in timeline]
    if not titled or titled[0][0] > 0:
        titled.insert(0, (0, START_TITLE))
    ends = [start for start, _ in titled[1:]] + [duration_ms]
    return [(start, max(start, end), name) for (start, name), end in zip(titled, ends)]
