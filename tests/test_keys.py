"""Pure key-name and keymap logic."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from Xlib import XK

from xhands.input.keyboard import split_groups
from xhands.input.keymap import KeyLocation, index_keymap
from xhands.input.keys import UnknownKey, char_to_keysym, keysym_for, parse_combo, split_combo


@pytest.mark.parametrize(
    "combo, names",
    [("Ctrl+Shift+Tab", ["Ctrl", "Shift", "Tab"]), ("+", ["+"]), ("Ctrl++", ["Ctrl", "+"]), ("Ctrl+-", ["Ctrl", "-"]), ("a", ["a"])],
)
def test_split_combo(combo, names):
    assert split_combo(combo) == names


@pytest.mark.parametrize("combo", ["", "Ctrl+", "++", "+a", "Ctrl++Shift", "Nope", "Ctrl+Nope", "ab"])
def test_bad_combos_are_rejected(combo):
    with pytest.raises(UnknownKey):
        parse_combo(combo)


@pytest.mark.parametrize(
    "name, keysym",
    [("ctrl", XK.XK_Control_L), ("Ctrl", XK.XK_Control_L), ("control", XK.XK_Control_L), ("cmd", XK.XK_Super_L),
     ("Enter", XK.XK_Return), ("Esc", XK.XK_Escape), ("PgUp", XK.XK_Prior), ("f5", XK.XK_F5), ("XF86Back", 0x1008FF26),
     ("Cyrillic_ya", XK.XK_Cyrillic_ya), ("A", ord("A")), ("é", 0xE9), ("日", 0x01000000 + ord("日"))],
)
def test_names_aliases_and_characters(name, keysym):
    assert parse_combo(name) == [keysym]


def test_char_to_keysym_rules():
    assert char_to_keysym("\n") == XK.XK_Return and char_to_keysym("\t") == XK.XK_Tab
    assert char_to_keysym("~") == 0x7E and char_to_keysym("ÿ") == 0xFF
    assert char_to_keysym("😀") == 0x01000000 + 0x1F600


def test_index_keymap_finds_columns_and_spares():
    rows = [[0, 0, 0], [ord("a"), ord("A"), 0], [0, 0, 0], [XK.XK_Tab, XK.XK_ISO_Left_Tab, 0]]
    locations, spares = index_keymap(8, rows)
    assert locations[ord("a")] == KeyLocation(9, False) and locations[ord("A")] == KeyLocation(9, True)
    assert locations[XK.XK_ISO_Left_Tab] == KeyLocation(11, True)
    assert spares == [8, 10]


@given(st.lists(st.integers(0, 40), max_size=200), st.integers(1, 18))
def test_split_groups_respects_the_limit_and_keeps_order(keysyms, limit):
    mapped = set(range(0, 40, 3))
    groups = split_groups(keysyms, mapped.__contains__, limit)
    assert [k for group in groups for k in group] == keysyms
    assert all(len({k for k in group if k not in mapped}) <= limit for group in groups)


@pytest.mark.parametrize(
    "name, keysym",
    [("U00E9", 0xE9), ("U+00E9", 0xE9), ("u+20ac", 0x10020AC), ("U1F600", 0x101F600), ("0x61", 0x61), ("0x1008FF26", 0x1008FF26)],
)
def test_numeric_forms_of_xstringtokeysym(name, keysym):
    assert keysym_for(name) == keysym


@pytest.mark.parametrize("name", ["U+0007", "U+D800", "U+110000", "0x0", "0x20000000"])
def test_numeric_forms_outside_the_keysym_space_are_unknown(name):
    with pytest.raises(UnknownKey):
        keysym_for(name)


def test_unicode_names_stay_whole_in_combos():
    assert split_combo("ctrl+U+00E9") == ["ctrl", "U+00E9"]
    assert split_combo("shift+u+a") == ["shift", "u", "a"]


def test_unknown_names_suggest_close_ones():
    with pytest.raises(UnknownKey, match="did you mean Return"):
        keysym_for("Retrun")
