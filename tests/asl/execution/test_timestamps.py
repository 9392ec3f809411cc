"""History timestamps: AWS's ISO-8601 form with milliseconds, exactly as datetime writes it."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from stepforge.asl.execution.interpreter import iso


def by_datetime(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@given(st.floats(min_value=-86_400 * 365, max_value=253_402_300_799.0, allow_nan=False))
def test_a_timestamp_is_written_as_datetime_writes_it(now: float) -> None:
    assert iso(now) == by_datetime(now)


@given(st.integers(min_value=0, max_value=4_102_444_800), st.integers(min_value=0, max_value=999_999))
def test_microseconds_round_half_to_even_then_milliseconds_truncate(seconds: int, micros: int) -> None:
    for now in (seconds + micros / 1e6, seconds + (micros + 0.5) / 1e6, seconds + 0.9999995, seconds + 0.0004995):
        assert iso(now) == by_datetime(now)


def test_the_examples_aws_shows() -> None:
    assert iso(1_700_000_000.123456) == "2023-11-14T22:13:20.123Z"
    assert iso(1_700_000_000.9999996) == "2023-11-14T22:13:21.000Z"
