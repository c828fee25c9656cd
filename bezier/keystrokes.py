"""Human-like typing rhythm: which keys to strike and the pause before each, in pure numpy.

People type in word-sized bursts: quick strokes inside a word, a longer gap
between words, a real pause after a sentence or a line. With `typo_chance`
a letter is sometimes mistyped as a neighbouring key, noticed, erased with
BackSpace ("\\b") and typed again.
"""

from __future__ import annotations

import numpy as np

BACKSPACE = "\b"
# Neighbours on a US QWERTY keyboard, for plausible slips of the finger.
ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
NEIGHBOURS = {
    char: "".join(
        ROWS[r][c2] for r in range(len(ROWS)) for c2 in range(len(ROWS[r]))
        if abs(r - row) <= 1 and abs(c2 - col) <= 1 and (r, c2) != (row, col)
    )
    for row, keys in enumerate(ROWS) for col, char in enumerate(keys)
}
IN_WORD_S = (0.045, 0.35)  # median gap inside a word, and its lognormal spread
BETWEEN_WORDS_S = (0.08, 0.18)  # extra pause after a space, uniform range
AFTER_SENTENCE_S = (0.25, 0.6)  # extra pause after . ! ? or a new line
NOTICE_TYPO_S = (0.15, 0.35)  # how long before a slip is noticed


def plan_keystrokes(text: str, typo_chance: float = 0.0, seed: int | None = None) -> list[tuple[str, float]]:
    """(character, seconds to wait before striking it) for every stroke; the first stroke waits 0.

    Typing the characters in order, with each "\\b" erasing one, yields exactly `text`.
    """
    if not 0.0 <= typo_chance <= 1.0:
        raise ValueError(f"typo_chance must be within 0..1, got {typo_chance}")
    rng = np.random.default_rng(seed)
    strokes: list[tuple[str, float]] = []
    previous = ""
    for char in text:
        gap = _gap_after(previous, rng) if strokes else 0.0
        slip = NEIGHBOURS.get(char.lower())
        if slip and rng.random() < typo_chance:
            wrong = slip[rng.integers(len(slip))]
            strokes.append((wrong.upper() if char.isupper() else wrong, gap))
            strokes.append((BACKSPACE, rng.uniform(*NOTICE_TYPO_S)))
            gap = _gap_after("", rng)
        strokes.append((char, gap))
        previous = char
    return strokes


def _gap_after(previous: str, rng: np.random.Generator) -> float:
    median, spread = IN_WORD_S
    gap = median * float(np.exp(rng.normal(0.0, spread)))
    if previous in (" ", "\t"):
        gap += rng.uniform(*BETWEEN_WORDS_S)
    elif previous in (".", "!", "?", "\n"):
        gap += rng.uniform(*AFTER_SENTENCE_S)
    return gap
