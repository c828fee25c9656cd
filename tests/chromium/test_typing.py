"""Typing fidelity: what Chromium's textarea receives is exactly the text given, byte for byte."""

import random

import pytest

from tests.conftest import action, batch
from tests.xstate import keymap_rows

POOLS = {
    "ascii": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "punctuation": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "latin": "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝąćęłńśźżĄĆĘŁŃŚŹŻčďěňřšťůžČĎĚŇŘŠŤŮŽőűŐŰ",
    "cyrillic": "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ",
    "cjk": "日本語中文漢字東京大阪北京上海広州深圳香港台北ひらがなカタカナ한국어조선말",
    # Outside the BMP (surrogate pairs in the page), plus BMP emoji and a few multi-code-point sequences.
    "emoji": ["😀", "😂", "🥰", "🚀", "🎉", "🧪", "🐍", "🌍", "🔥", "𝄞", "𝕏", "✨", "❤", "⭐", "☕", "✅",
              "❤️", "👍🏽", "👩‍💻", "🇺🇦"],
}
LENGTH = 2000


def corpus(seed: int, length: int = LENGTH) -> str:
    """Words from every pool, separated by spaces, newlines and tabs, cut to exactly `length` code points."""
    rng = random.Random(seed)
    names = list(POOLS)
    parts: list[str] = []
    size = 0
    index = 0
    while size < length:
        pool = POOLS[names[index % len(names)]] if index < len(names) else POOLS[rng.choice(names)]
        index += 1
        word = "".join(rng.choice(pool) for _ in range(rng.randint(1, 7)))
        separator = rng.choices([" ", "\n", "\t", ""], weights=[10, 2, 2, 1])[0]
        parts.append(word + separator)
        size += len(word) + len(separator)
    text = "".join(parts)[:length]
    return text


def test_corpus_covers_every_script():
    text = corpus(1)
    assert len(text) == LENGTH
    for name, pool in POOLS.items():
        assert any(item in text for item in pool), name
    assert any(ord(char) > 0xFFFF for char in text)
    assert "\n" in text and "\t" in text


@pytest.mark.parametrize("delay", [0, 2])
def test_textarea_receives_exactly_the_typed_text(page, client, delay):
    text = corpus(seed=delay + 1)
    before = keymap_rows()
    batch(client, action("click_mouse", **dict(zip("xy", page.at("ta")))))
    page.wait_for("document.activeElement.id === 'ta'")

    batch(client, action("type_text", text=text, delay=delay))

    # The daemon is done once every key is sent; Chromium may still be working through its backlog.
    expected_units = len(text.encode("utf-16-le")) // 2
    received = page.settle("document.getElementById('ta').value", quiet=2.0, timeout=60,
                           done=lambda value: len(value.encode("utf-16-le")) // 2 >= expected_units)
    if received != text:
        at = next((i for i, (a, b) in enumerate(zip(received, text)) if a != b), min(len(received), len(text)))
        pytest.fail(f"textarea differs from the typed text at code point {at}: "
                    f"got {received[max(0, at - 10):at + 10]!r}, typed {text[max(0, at - 10):at + 10]!r} "
                    f"(lengths {len(received)} / {len(text)})")
    assert received.encode("utf-8") == text.encode("utf-8")
    assert keymap_rows() == before
