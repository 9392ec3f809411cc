"""Schedule expressions: AWS's documented cron examples, L/W/#, time zones, rate() and at()."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from stepforge.triggers.expressions import ExpressionError, parse


def ts(text: str, zone: str = "UTC") -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def firings(expression: str, after: str, count: int, zone: str | None = None) -> list[str]:
    schedule = parse(expression, timezone=zone)
    found, moment = [], ts(after)
    for _ in range(count):
        nxt = schedule.next_after(moment)
        assert nxt is not None
        found.append(datetime.fromtimestamp(nxt, ZoneInfo(zone or "UTC")).strftime("%Y-%m-%d %H:%M %a"))
        moment = nxt
    return found


# AWS's examples (EventBridge "Cron expressions reference"): expression, a start, the firings after it.
AWS_EXAMPLES = [
    ("cron(0 10 * * ? *)", "2024-03-04T11:00", ["2024-03-05 10:00 Tue", "2024-03-06 10:00 Wed"]),  # 10:00 daily
    ("cron(15 12 * * ? *)", "2024-03-04T11:00", ["2024-03-04 12:15 Mon", "2024-03-05 12:15 Tue"]),  # 12:15 daily
    ("cron(0 18 ? * MON-FRI *)", "2024-03-08T19:00",  # 6 pm Monday to Friday
     ["2024-03-11 18:00 Mon", "2024-03-12 18:00 Tue"]),
    ("cron(0 8 1 * ? *)", "2024-01-15T00:00", ["2024-02-01 08:00 Thu", "2024-03-01 08:00 Fri"]),  # 8 am on the 1st
    ("cron(0/15 * * * ? *)", "2024-03-04T10:07", ["2024-03-04 10:15 Mon", "2024-03-04 10:30 Mon",
                                                  "2024-03-04 10:45 Mon", "2024-03-04 11:00 Mon"]),
    ("cron(0/10 * ? * MON-FRI *)", "2024-03-08T23:55", ["2024-03-11 00:00 Mon", "2024-03-11 00:10 Mon"]),
    ("cron(0/5 8-17 ? * MON-FRI *)", "2024-03-04T17:54", ["2024-03-04 17:55 Mon", "2024-03-05 08:00 Tue"]),
    ("cron(0 9 ? * 2#1 *)", "2024-03-04T10:00", ["2024-04-01 09:00 Mon", "2024-05-06 09:00 Mon"]),  # 1st Monday
    ("cron(0 0 ? * 3#2 *)", "2024-03-01T00:00", ["2024-03-12 00:00 Tue"]),  # "3#2": the second Tuesday
    ("cron(0 12 L * ? *)", "2024-02-01T00:00", ["2024-02-29 12:00 Thu", "2024-03-31 12:00 Sun"]),  # last day
    ("cron(0 12 3W * ? *)", "2024-08-01T00:00", ["2024-08-02 12:00 Fri", "2024-09-03 12:00 Tue"]),  # weekday near 3rd
    ("cron(0 12 1W * ? *)", "2024-06-01T00:00", ["2024-06-03 12:00 Mon"]),  # 1st on a Saturday: Monday the 3rd
    ("cron(0 12 ? * 6L *)", "2024-03-01T00:00", ["2024-03-29 12:00 Fri", "2024-04-26 12:00 Fri"]),  # last Friday
    ("cron(0 0 1 JAN,JUL ? 2025-2026)", "2024-03-01T00:00",
     ["2025-01-01 00:00 Wed", "2025-07-01 00:00 Tue", "2026-01-01 00:00 Thu", "2026-07-01 00:00 Wed"]),
]


@pytest.mark.parametrize(("expression", "after", "expected"), AWS_EXAMPLES, ids=[e[0] for e in AWS_EXAMPLES])
def test_cron_fires_as_aws_documents(expression: str, after: str, expected: list[str]) -> None:
    assert firings(expression, after, len(expected)) == expected


def test_a_year_field_that_has_passed_never_fires_again() -> None:
    assert parse("cron(0 0 1 1 ? 2024)").next_after(ts("2024-06-01T00:00")) is None


def test_cron_runs_in_the_schedule_time_zone() -> None:
    assert firings("cron(0 9 * * ? *)", "2024-03-04T00:00", 1, zone="America/New_York") == ["2024-03-04 09:00 Mon"]
    nine_in_new_york = parse("cron(0 9 * * ? *)", timezone="America/New_York").next_after(ts("2024-03-04T00:00"))
    assert nine_in_new_york == datetime(2024, 3, 4, 14, 0, tzinfo=UTC).timestamp()


def test_a_wall_time_skipped_by_daylight_saving_fires_after_the_gap_once() -> None:
    # 2024-03-10 02:30 does not exist in New York: it fires at 03:30 EDT, and the next day at 02:30 again.
    assert firings("cron(30 2 * * ? *)", "2024-03-09T12:00", 2, zone="America/New_York") == [
        "2024-03-10 03:30 Sun", "2024-03-11 02:30 Mon"]


def test_rate_counts_from_its_anchor() -> None:
    schedule = parse("rate(5 minutes)", anchor=1000.0)
    assert [schedule.next_after(t) for t in (0.0, 1000.0, 1299.0, 1300.0)] == [1000.0, 1300.0, 1300.0, 1600.0]
    assert parse("rate(1 day)", anchor=0.0).next_after(0.0) == 86400.0


def test_at_fires_once_in_its_time_zone() -> None:
    schedule = parse("at(2030-01-02T03:04:05)", timezone="Europe/Paris")
    assert schedule.next_after(0.0) == datetime(2030, 1, 2, 2, 4, 5, tzinfo=UTC).timestamp()
    assert schedule.next_after(datetime(2030, 1, 2, 2, 4, 5, tzinfo=UTC).timestamp()) is None


@pytest.mark.parametrize("expression", [
    "rate(0 minutes)", "rate(1 minutes)", "rate(2 minute)", "rate(5 seconds)", "cron(0 10 * * * *)",
    "cron(0 10 ? * ? *)", "cron(0 10 * *)", "cron(60 10 * * ? *)", "cron(0 24 * * ? *)", "cron(0 0 32 * ? *)",
    "cron(0 0 ? * 8 *)", "cron(0 0 ? * 2#6 *)", "cron(0 0 1 13 ? *)", "cron(0 0 1 * ? 1969)", "at(2030-13-01T00:00:00)",
    "every day", "cron(0/0 * * * ? *)", "cron(5-1 * * * ? *)",
])
def test_invalid_expressions_are_refused_with_a_reason(expression: str) -> None:
    with pytest.raises(ExpressionError, match=r"\S"):
        parse(expression)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ExpressionError, match="Mars/Olympus"):
        parse("rate(1 hour)", timezone="Mars/Olympus")
