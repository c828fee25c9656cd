"""The 1,000-character mixed text the typing benchmark types: ASCII prose, accented
Latin, Greek and Cyrillic, CJK and Hangul, emoji (non-BMP, skin tones, ZWJ
sequences, flags) and newlines. No tabs: Tab moves focus out of a textarea.
"""

SEGMENTS = [
    "Hello, world! The quick brown fox jumps over the lazy dog 0123456789 times; ",
    "naïve café, crème brûlée, Ångström, São Paulo, Zürich, Øresund, Łódź, Ærø. ",
    "ÉCOLE ÀÇÈÌÒÙ ñandú güero straße ſ œuvre. ",
    "Привет, мир! Съешь ещё этих булок. Γειά σου κόσμε, αβγδε. ",
    "東京都渋谷区で会いましょう。我能吞下玻璃而不伤身体。한국어 타자 연습입니다. ",
    "Emoji: 😀 🎉 👍🏽 🚀 ❤️ 👨‍👩‍👧 🇫🇷 ✅ 🤖. ",
    "Symbols: € £ ¥ © ® ™ ± × ÷ ≤ ≥ ∞ → ← ° µ § ¶ • … “quoted” ‘single’ «guillemets» — dash.\n",
    "Code: if (a[i] >= b) { return x*2 + y/3 - z % 4; } // ~`!@#$^&|\\\"' <tag/>?\n",
]


def mixed_text(length: int = 1000) -> str:
    """Cycle through the segments until `length` code points; never ends inside a ZWJ sequence."""
    text = ""
    index = 0
    while len(text) < length:
        text += SEGMENTS[index % len(SEGMENTS)]
        index += 1
    text = text[:length]
    while text and (text[-1] in "\u200d\ufe0f" or 0x1F3FB <= ord(text[-1]) <= 0x1F3FF):
        text = text[:-1] + "x"
    return text


def composition(text: str) -> dict:
    kinds = {"ascii": 0, "latin/greek/cyrillic": 0, "cjk/hangul": 0, "emoji & other non-BMP/symbols": 0}
    for char in text:
        code = ord(char)
        if code < 0x80:
            kinds["ascii"] += 1
        elif code < 0x2000:
            kinds["latin/greek/cyrillic"] += 1
        elif 0x3000 <= code < 0xA000 or 0xAC00 <= code < 0xD7B0:
            kinds["cjk/hangul"] += 1
        else:
            kinds["emoji & other non-BMP/symbols"] += 1
    return kinds


MIXED = mixed_text()
assert len(MIXED) == 1000
