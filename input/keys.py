"""Key names to X keysyms: keysym names, xdotool's aliases, single characters, `+` combos.

Pure data and lookup; no X connection. Every name is checked here so that an
unknown key is a 400 before anything is pressed (xdotool silently ignores it).
"""

import difflib
import re
from functools import lru_cache

import Xlib.keysymdef
from Xlib import XK

for _group in Xlib.keysymdef.__all__:
    XK.load_keysym_group(_group)

# xdotool's and common agents' spellings, matched case-insensitively.
ALIASES = {
    "ctrl": "Control_L",
    "control": "Control_L",
    "shift": "Shift_L",
    "alt": "Alt_L",
    "option": "Alt_L",
    "super": "Super_L",
    "meta": "Super_L",
    "cmd": "Super_L",
    "command": "Super_L",
    "win": "Super_L",
    "windows": "Super_L",
    "enter": "Return",
    "return": "Return",
    "esc": "Escape",
    "escape": "Escape",
    "del": "Delete",
    "delete": "Delete",
    "backspace": "BackSpace",
    "bksp": "BackSpace",
    "ins": "Insert",
    "insert": "Insert",
    "pgup": "Prior",
    "pageup": "Prior",
    "page_up": "Prior",
    "pgdn": "Next",
    "pgdown": "Next",
    "pagedown": "Next",
    "page_down": "Next",
    "space": "space",
    "spacebar": "space",
    "tab": "Tab",
    "home": "Home",
    "end": "End",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "arrowup": "Up",
    "arrowdown": "Down",
    "arrowleft": "Left",
    "arrowright": "Right",
    "capslock": "Caps_Lock",
    "printscreen": "Print",
    # The DOM's KeyboardEvent.key names that are no keysym's (Lightcone's keys are DOM names).
    "contextmenu": "Menu",
    "numlock": "Num_Lock",
    "scrolllock": "Scroll_Lock",
    "altgraph": "ISO_Level3_Shift",
}

SPECIAL_CHARS = {"\n": XK.XK_Return, "\r": XK.XK_Return, "\t": XK.XK_Tab, "\b": XK.XK_BackSpace}


class UnknownKey(ValueError):
    """A key name that is no keysym, alias or single character."""


def char_to_keysym(char: str) -> int:
    """The keysym that types `char`: Latin-1 keysyms are the code point, the rest 0x01000000 + code point."""
    if char in SPECIAL_CHARS:
        return SPECIAL_CHARS[char]
    code = ord(char)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code
    return 0x01000000 + code


@lru_cache(maxsize=1)
def _lowercase_names() -> dict[str, str]:
    """Every keysym name and alias, lowercased, to its canonical spelling."""
    names: dict[str, str] = {}
    for attr in vars(XK):
        if attr.startswith("XK_"):
            names.setdefault(attr[3:].lower(), attr[3:])
    for alias in ALIASES:
        names.setdefault(alias, alias)
    return names


@lru_cache(maxsize=1)
def _names_by_keysym() -> dict[int, str]:
    names: dict[int, str] = {}
    for attr, keysym in vars(XK).items():
        if attr.startswith("XK_"):
            names.setdefault(keysym, attr[3:])
    return names


def keysym_name(keysym: int) -> str:
    """A keysym's name as key names are written (Shift_L, a, Return); U+XXXX for one without."""
    return _names_by_keysym().get(keysym) or f"U+{keysym & 0xFFFFFF:04X}"


def _named_keysym(name: str) -> int:
    keysym = XK.string_to_keysym(name)
    if not keysym and name.startswith("XF86") and not name.startswith("XF86_"):
        keysym = XK.string_to_keysym("XF86_" + name[4:])  # python-xlib spells XF86Back as XF86_Back
    return keysym


UNICODE_NAME = re.compile(r"[Uu]\+?([0-9A-Fa-f]{1,6})")
HEX_NAME = re.compile(r"0[xX]([0-9A-Fa-f]{1,8})")
MAX_KEYSYM = 0x1FFFFFFF  # keysyms are 29-bit values


def _numeric_keysym(name: str) -> int:
    """XStringToKeysym's numeric forms: U00E9 (also written U+00E9) for a character, 0x61 for a keysym value."""
    if match := UNICODE_NAME.fullmatch(name):
        code = int(match.group(1), 16)
        if code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000 or code > 0x10FFFF:
            return 0  # control characters, surrogates and beyond Unicode have no keysym
        return char_to_keysym(chr(code))
    if match := HEX_NAME.fullmatch(name):
        value = int(match.group(1), 16)
        return value if 0 < value <= MAX_KEYSYM else 0
    return 0


def _suggestion(name: str) -> str:
    names = _lowercase_names()
    close = difflib.get_close_matches(name.lower(), names, n=3, cutoff=0.75)
    return f"; did you mean {' or '.join(names[match] for match in close)}?" if close else ""


@lru_cache(maxsize=4096)
def keysym_for(name: str) -> int:
    """The keysym of one key name (no `+`). Raises UnknownKey."""
    if len(name) == 1:
        return char_to_keysym(name)
    keysym = _named_keysym(name) or _numeric_keysym(name)
    if keysym:
        return keysym
    canonical = _lowercase_names().get(name.lower())
    if canonical:
        return _named_keysym(ALIASES.get(canonical, canonical))
    raise UnknownKey(f"unknown key {name!r}{_suggestion(name)}")


def split_combo(combo: str) -> list[str]:
    """Split `Ctrl+Shift+Tab` into names; `+` alone and a trailing `++` mean the plus key."""
    if combo == "+":
        return ["+"]
    if combo.endswith("++"):
        return split_combo(combo[:-2]) + ["+"] if len(combo) > 2 else _reject(combo)
    parts = combo.split("+")
    if any(part == "" for part in parts):
        _reject(combo)
    return _join_unicode_names(parts)


def _join_unicode_names(parts: list[str]) -> list[str]:
    """Put `U+20AC` back together: a U followed by four to six hex digits is one key, not two."""
    joined: list[str] = []
    for part in parts:
        if joined and joined[-1] in ("U", "u") and re.fullmatch(r"[0-9A-Fa-f]{4,6}", part):
            joined[-1] += "+" + part
        else:
            joined.append(part)
    return joined


def _reject(combo: str):
    raise UnknownKey(f"malformed key combination {combo!r}")


def parse_combo(combo: str) -> list[int]:
    """Keysyms of a combo in press order. Raises UnknownKey."""
    return [keysym_for(name) for name in split_combo(combo)]
