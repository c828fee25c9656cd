"""When the pointer should be where: durations, sample clocks and easing.

Pure functions of numbers; no randomness, no I/O.
"""

from __future__ import annotations

import math

import numpy as np

# Fitts's law, T = a + b * log2(1 + D / W).  W is the width of a typical
# click target (a button or link, ~20 px).  a and b are picked so a short hop
# of ~10 px takes ~110 ms and a sweep across a 1920 px screen ~780 ms, which is
# what people doing ordinary pointing take (not a fast gamer flick).
FITTS_A_MS = 50.0
FITTS_B_MS = 110.0
FITTS_TARGET_WIDTH_PX = 20.0


def default_duration_ms(distance_px: float, *, minimum: int = 50, maximum: int = 5000) -> int:
    """Human-looking duration for a move of ``distance_px``, clamped to [minimum, maximum].

    Long moves take longer, but logarithmically so (Fitts's law): people cover
    the bulk of a long distance fast and spend their time on the final approach.
    Monotonic non-decreasing in distance.
    """
    if not math.isfinite(distance_px) or distance_px < 0:
        raise ValueError(f"distance_px must be a finite number >= 0, got {distance_px!r}")
    if minimum > maximum:
        raise ValueError(f"minimum {minimum} > maximum {maximum}")
    t = FITTS_A_MS + FITTS_B_MS * math.log2(1.0 + distance_px / FITTS_TARGET_WIDTH_PX)
    return int(min(max(round(t), minimum), maximum))


def sample_count(duration_ms: float, interval_ms: float) -> int:
    """How many samples a motion of ``duration_ms`` gets at one per ~``interval_ms``.

    At least one, so even a zero-length or zero-duration motion lands on its end.
    Rounding (rather than ceil/floor) keeps the real spacing within about
    +-50 % of interval_ms: 8..12.5 ms for the default 10 ms and durations >= 16 ms.
    """
    if not interval_ms > 0:
        raise ValueError(f"interval_ms must be > 0, got {interval_ms!r}")
    return max(1, round(duration_ms / interval_ms))


def uniform_times(n: int) -> np.ndarray:
    """``n`` evenly spaced normalised times in (0, 1], the last exactly 1.0.

    The clock ticks at a steady rate; the human shape of the motion comes from
    the easing applied afterwards, not from uneven event spacing (uneven
    spacing would look like a stuttering mouse, not a hand).
    """
    return np.arange(1, n + 1, dtype=np.float64) / n


def ease_in_out(t: np.ndarray) -> np.ndarray:
    """Minimum-jerk profile s(t) = 10t^3 - 15t^4 + 6t^5, mapping time to curve parameter.

    Reaching movements of a human arm are well described by minimum jerk
    (Flash & Hogan 1985): zero velocity and acceleration at both ends, a
    bell-shaped speed in between. s(0) = 0 and s(1) = 1 exactly.
    """
    t = np.asarray(t, dtype=np.float64)
    return t * t * t * (10.0 + t * (-15.0 + 6.0 * t))


def ms_to_offsets_s(start_ms: float, end_ms: float, fractions: np.ndarray) -> np.ndarray:
    """Offsets in seconds for ``fractions`` of the span [start_ms, end_ms].

    Written as a weighted sum so that fraction 1.0 gives end_ms/1000 exactly,
    which lets the caller promise offsets_s[-1] == duration_ms / 1000.
    """
    f = np.asarray(fractions, dtype=np.float64)
    return (start_ms / 1000.0) * (1.0 - f) + (end_ms / 1000.0) * f
