"""Times on the wire: RFC 3339 in UTC, to the millisecond, in every dialect (Lightcone's ActionResult and
computer times, Kernel's recording times, the event stream)."""

from datetime import UTC, datetime


def rfc3339(moment: float | None) -> str | None:
    """A time.time() value as `2026-12-04T17:24:59.123Z`; None (a time not reached yet) stays None."""
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
