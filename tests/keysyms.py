"""Keysyms as a test reads them: their names (keysymdef's, U+XXXX for Unicode ones) and the text they type."""

import importlib
import pkgutil
import unicodedata

from Xlib import X

_NAMES: dict[int, str] | None = None


def _keysym_names() -> dict[int, str]:
    global _NAMES
    if _NAMES is None:
        import Xlib.keysymdef as kd

        names: dict[int, str] = {}
        for mod in sorted(pkgutil.iter_modules(kd.__path__), key=lambda m: m.name != "latin1"):
            m = importlib.import_module(f"Xlib.keysymdef.{mod.name}")
            for n, v in vars(m).items():
                if n.startswith("XK_"):
                    names.setdefault(v, n[3:])
        _NAMES = names
    return _NAMES


def keysym_name(keysym: int) -> str:
    if keysym == X.NoSymbol:
        return "NoSymbol"
    name = _keysym_names().get(keysym)
    if name:
        return name
    if keysym & 0xFF000000 == 0x01000000:
        return f"U{keysym & 0xFFFFFF:04X}"
    return f"{keysym:#x}"


# Keypad keysyms that stand for a character.
_KEYPAD = {
    0xFF80: " ", 0xFF89: "\t", 0xFF8D: "\n", 0xFFAA: "*", 0xFFAB: "+", 0xFFAC: ",",
    0xFFAD: "-", 0xFFAE: ".", 0xFFAF: "/", 0xFFBD: "=",
    **{0xFFB0 + i: str(i) for i in range(10)},
}
_SPECIAL = {0xFF0D: "\n", 0xFF09: "\t", 0x13BC: "\u0152", 0x13BD: "\u0153", 0x13BE: "\u0178",
            0x20AC: "\u20ac", 0x4DE: "\u309b", 0x4DF: "\u309c"}
# Legacy 8-bit keysym groups: the low byte is the character in this charset
# (checked against keysymdef.h's U+ comments for every keysym python-xlib names).
_CHARSETS = {1: "iso8859_2", 2: "iso8859_3", 3: "iso8859_4", 4: "shift_jis", 5: "iso8859_6",
             6: "koi8_u", 7: "iso8859_7", 0xC: "iso8859_8", 0xD: "iso8859_11"}


def _legacy(keysym: int) -> str | None:
    hi, lo = keysym >> 8, keysym & 0xFF
    cs = _CHARSETS.get(hi)
    if cs is None or lo < 0xA1 or keysym not in _keysym_names():
        return None
    if hi == 7:  # Greek: only the letters follow ISO 8859-7; final sigma is swapped
        if lo < 0xC1:
            return None
        lo = {0xF2: 0xF3, 0xF3: 0xF2}.get(lo, lo)
    try:
        ch = bytes([lo]).decode(cs)
    except UnicodeDecodeError:
        return None
    if hi == 4:  # JIS X 0201 half-width katakana -> the full-width ones keysymdef means
        ch = unicodedata.normalize("NFKC", ch)
    if hi == 6 and not "\u0400" <= ch <= "\u04ff":
        return None
    if hi == 7 and not "\u0370" <= ch <= "\u03ff":
        return None
    return ch if len(ch) == 1 and ch.isprintable() else None


def keysym_to_text(keysym: int | None) -> str:
    """The character a keysym types, or '' (modifiers, function keys, unknown)."""
    if not keysym:
        return ""
    if 0x20 <= keysym <= 0x7E or 0xA0 <= keysym <= 0xFF:
        return chr(keysym)
    if keysym & 0xFF000000 == 0x01000000:
        cp = keysym & 0xFFFFFF
        return chr(cp) if cp <= 0x10FFFF else ""
    if keysym in _SPECIAL:
        return _SPECIAL[keysym]
    if keysym in _KEYPAD:
        return _KEYPAD[keysym]
    return _legacy(keysym) or ""
