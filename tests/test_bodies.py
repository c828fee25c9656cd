"""bodies.py, the one reader of every dialect's request bodies: whatever the bytes, an ApiError or the model."""

import pytest

from xhands.daemon import models as m
from xhands.daemon.http.bodies import decode, validated
from xhands.daemon.errors import ApiError

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("body, said", [
    ('{"path": ' + DEEP + "}", "recursion limit exceeded"),
    (b'{"path": [[1, 1], [2, 2]], "button": "\xff"}', "invalid unicode"),
    (b"\xc3\x28", "Invalid JSON"),
    ("[]", "Input should be an object"),
    ('{"path": [[1, 1], [2, 2]]} trailing', "trailing characters"),
    ('{"path": [["1", 1], [2, 2]]}', "path[0][0]: Input should be a valid integer"),
    ('{"path": [[true, 1], [2, 2]]}', "path[0][0]: Input should be a valid integer"),
])
def test_any_bad_body_is_a_400_naming_what_is_wrong(body, said):
    with pytest.raises(ApiError) as error:
        validated(m.DragMouseRequest, body)
    assert error.value.status == 400 and said in error.value.message, error.value.message


def test_decoded_data_is_validated_as_its_json_so_arrays_are_tuples():
    assert validated(m.DragMouseRequest, {"path": [[1, 2], [3, 4]]}).path == [(1, 2), (3, 4)]


def test_data_nested_deeper_than_json_can_hold_is_a_400():
    deep = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(ApiError) as error:
        validated(m.DragMouseRequest, {"path": deep})
    assert error.value.status == 400


@pytest.mark.parametrize("text", [DEEP, "NaN", "\udcff", "{", ""])
def test_decode_refuses_what_is_not_plain_json(text):
    with pytest.raises(ApiError) as error:
        decode(text)
    assert error.value.status == 400 and error.value.message.startswith("invalid JSON")


def test_a_combo_has_at_most_100_keys():
    assert validated(m.PressKeyRequest, {"keys": ["+".join(["a"] * 100)]})
    for combo in ("+".join(["a"] * 101), "a" + "++" * 2000):
        with pytest.raises(ApiError) as error:
            validated(m.PressKeyRequest, {"keys": [combo]})
        assert "at most 100 keys" in error.value.message
