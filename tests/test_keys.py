"""Pure key-name and keymap logic."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from Xlib import XK

from input.keyboard import split_groups
from input.keymap import KeyLocation, index_keymap
from input.keys import UnknownKey, char_to_keysym, parse_combo, split_combo


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
