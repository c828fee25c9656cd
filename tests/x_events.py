"""One input event as the recorder received it, and a readable dump of a list of them."""

from __future__ import annotations

from dataclasses import dataclass

from tests.keysyms import keysym_name, keysym_to_text


@dataclass(frozen=True)
class Event:
    kind: str  # key_press key_release button_press button_release motion focus_in focus_out mapping
    keycode: int | None  # key events; for 'mapping' (keyboard) the first changed keycode
    keysym: int | None  # key events: resolved at receipt (0 = NoSymbol)
    button: int | None
    x: int | None  # root coordinates
    y: int | None
    state: int  # modifier/button mask from the event
    server_ms: int  # X server timestamp (0 for events without one)
    t: float  # time.monotonic() when the recorder thread read it
    count: int | None = None  # 'mapping': number of keycodes changed
    request: int | None = None  # 'mapping': X.MappingModifier/MappingKeyboard/MappingPointer
    stale: bool = False  # key events: keycode re-mapped again before the map could be fetched
    synthetic: bool = False  # came from SendEvent (many real clients ignore those), not the server

    def __str__(self) -> str:
        parts = [f"{self.t:.4f}", self.kind]
        if self.kind == "mapping":
            req = {0: "modifier", 1: "keyboard", 2: "pointer"}.get(self.request, self.request)
            parts.append(f"{req}")
            if self.keycode is not None:
                parts.append(f"keycodes={self.keycode}..{self.keycode + (self.count or 1) - 1}")
            return " ".join(parts)
        if self.keycode is not None:
            parts.append(f"kc={self.keycode}")
        if self.keysym is not None:
            txt = keysym_to_text(self.keysym)
            parts.append(f"{keysym_name(self.keysym)}" + (f" {txt!r}" if txt else ""))
        if self.button is not None:
            parts.append(f"button={self.button}")
        if self.x is not None:
            parts.append(f"@({self.x},{self.y})")
        if self.state:
            parts.append(f"state={self.state:#x}")
        if self.server_ms:
            parts.append(f"srv={self.server_ms}")
        if self.stale:
            parts.append("MAYBE-STALE")
        if self.synthetic:
            parts.append("SYNTHETIC")
        return " ".join(parts)


def format_events(events: list[Event], limit: int = 200) -> str:
    if not events:
        return "  (no events)"
    lines = [f"  {e}" for e in events[-limit:]]
    if len(events) > limit:
        lines.insert(0, f"  ... {len(events) - limit} earlier events omitted")
    return "\n".join(lines)
