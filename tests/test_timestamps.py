"""The one form every dialect writes a time in: RFC 3339, UTC, milliseconds."""

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xhands.daemon.timestamps import rfc3339


def test_a_time_is_utc_to_the_millisecond_and_none_stays_none():
    assert rfc3339(1796405099.123456) == "2026-12-04T17:24:59.123Z"
    assert rfc3339(0) == "1970-01-01T00:00:00.000Z"
    assert rfc3339(None) is None


@given(st.floats(min_value=0, max_value=4e9))
def test_it_reads_back_as_the_same_time_and_sorts_as_time(moment):
    written = rfc3339(moment)
    assert len(written) == len("2026-12-04T17:24:59.123Z")
    assert datetime.fromisoformat(written).timestamp() == pytest.approx(moment, abs=0.001)
    assert written < rfc3339(moment + 0.002)
