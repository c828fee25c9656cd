"""Human typing rhythm: the strokes always produce the text; pauses follow words and sentences."""

from hypothesis import given, settings
from hypothesis import strategies as st

from xhands.bezier.keystrokes import BACKSPACE, plan_keystrokes


def replay(strokes) -> str:
    typed: list[str] = []
    for char, _ in strokes:
        if char == BACKSPACE:
            typed.pop()
        else:
            typed.append(char)
    return "".join(typed)


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(exclude_characters=BACKSPACE, codec="utf-8"), max_size=80), st.floats(0, 0.10), st.integers(0, 2**32))
def test_strokes_type_exactly_the_text(text, typo_chance, seed):
    strokes = plan_keystrokes(text, typo_chance, seed)
    assert replay(strokes) == text
    assert all(gap >= 0 for _, gap in strokes)
    assert not strokes or strokes[0][1] == 0


def test_same_seed_same_rhythm_and_typos_happen():
    text = "the quick brown fox jumps over the lazy dog. " * 5
    assert plan_keystrokes(text, 0.1, seed=7) == plan_keystrokes(text, 0.1, seed=7)
    assert BACKSPACE in [char for char, _ in plan_keystrokes(text, 0.1, seed=7)]
    assert BACKSPACE not in [char for char, _ in plan_keystrokes(text, 0.0, seed=7)]


def test_pauses_are_longer_between_words_and_after_sentences():
    strokes = plan_keystrokes("abcdefgh ijklmnop. " * 30, seed=1)
    gaps = {"in_word": [], "after_space": [], "after_sentence": []}
    for (previous, _), (_, gap) in zip(strokes, strokes[1:]):
        kind = "after_space" if previous == " " else "after_sentence" if previous == "." else "in_word"
        gaps[kind].append(gap)
    mean = {kind: sum(values) / len(values) for kind, values in gaps.items()}
    assert mean["in_word"] < mean["after_space"] < mean["after_sentence"]
