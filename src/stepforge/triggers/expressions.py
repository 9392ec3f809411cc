"""EventBridge Scheduler's schedule expressions: ``rate(...)``, ``cron(...)`` and ``at(...)``.

:func:`parse` turns the text into a :class:`Schedule` whose :meth:`~Schedule.next_after` gives the
first firing strictly after a time (epoch seconds), or None when there is none.

- ``rate(N unit)``: every N minutes/hours/days from the schedule's anchor: at its StartDate and every
  N after; without one, N after its creation and every N after (anchor = creation time, which has
  passed by the time anything asks).
- ``cron(min hour day-of-month month day-of-week year)``: AWS's six fields, with ``, - * /`` in all
  numeric fields, ``? L W`` in day-of-month, ``? L #`` in day-of-week (1 = SUN ... 7 = SAT, or
  SUN-SAT), JAN-DEC, years 1970-2199; one of the two day fields must be ``?``. Evaluated in the
  schedule's time zone: a wall time that does not exist (a spring-forward gap) fires at the same
  wall time shifted by the gap; an ambiguous one (fall-back) fires once, at its first occurrence.
- ``at(yyyy-mm-ddThh:mm:ss)``: once, in the schedule's time zone.

Errors are :class:`ExpressionError` with a message naming the offending part.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = {name: i for i, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
MIN_YEAR, MAX_YEAR = 1970, 2199
_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


class ExpressionError(ValueError):
    """A schedule expression or time zone that cannot be used; the message says which part and why."""


class Schedule:
    """A parsed schedule expression."""

    def next_after(self, after: float) -> float | None:
        """The first firing strictly after ``after`` (epoch seconds), None if there is none."""
        raise NotImplementedError


@dataclass(frozen=True)
class Rate(Schedule):
    """``rate(...)``: every ``seconds`` from ``anchor``."""

    seconds: int
    anchor: float

    def next_after(self, after: float) -> float | None:
        if after < self.anchor:
            return self.anchor
        steps = int((after - self.anchor) // self.seconds) + 1
        return self.anchor + steps * self.seconds


@dataclass(frozen=True)
class At(Schedule):
    """``at(...)``: once."""

    when: float

    def next_after(self, after: float) -> float | None:
        return self.when if self.when > after else None


@dataclass(frozen=True)
class Cron(Schedule):
    """``cron(...)``: the six fields, parsed; days are matched per calendar day in ``zone``."""

    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day_of_month: str
    day_of_week: str
    zone: ZoneInfo

    def next_after(self, after: float) -> float | None:
        start = datetime.fromtimestamp(after, self.zone)
        day = start.date()
        if self._day_matches_all(day):  # later today, from the hour it is now
            found = self._first_time(day, after, start.hour - 1)
            if found is not None:
                return found
        day += timedelta(days=1)
        while day.year <= MAX_YEAR:
            if day.year not in self.years:
                day = date(day.year + 1, 1, 1)
            elif day.month not in self.months:
                day = _first_of_next_month(day)
            else:
                found = self._first_time(day, after, -1) if self._day_matches(day) else None
                if found is not None:
                    return found
                day += timedelta(days=1)
        return None

    def _day_matches_all(self, day: date) -> bool:
        return day.year in self.years and day.month in self.months and self._day_matches(day)

    def _first_time(self, day: date, after: float, from_hour: int) -> float | None:
        """The first time of ``day`` after ``after``, trying hours from ``from_hour`` (one hour early, so
        a time that a DST change moves is not missed)."""
        for hour in _sorted(self.hours):
            if hour < from_hour:
                continue
            for minute in _sorted(self.minutes):
                when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone).timestamp()
                if when > after:
                    return when
        return None

    def _day_matches(self, day: date) -> bool:
        if self.day_of_month != "?":
            return _month_day_matches(self.day_of_month, day)
        return _week_day_matches(self.day_of_week, day)


def parse(expression: str, *, timezone: str | None = None, anchor: float = 0.0) -> Schedule:
    """The schedule ``expression`` describes, in ``timezone`` (an IANA name; UTC when None).

    ``anchor`` is where a ``rate()`` counts from (the StartDate, or the creation time).
    """
    zone = zone_of(timezone)
    text = expression.strip()
    rate = _RATE.fullmatch(text)
    if rate:
        return _rate(int(rate.group(1)), rate.group(2), anchor)
    at = _AT.fullmatch(text)
    if at:
        return At(_instant(_at_time(at.group(1)).replace(tzinfo=zone)))
    if text.startswith("cron(") and text.endswith(")"):
        return _cron(text[5:-1], zone)
    raise ExpressionError(f"Invalid Schedule Expression {expression!r}: expected rate(value unit), "
                          "cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)")


def zone_of(name: str | None) -> ZoneInfo:
    """The time zone called ``name`` (UTC when None)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ExpressionError(f"Invalid ScheduleExpressionTimezone {name!r}: not an IANA time zone") from None


def _at_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ExpressionError(f"Invalid Schedule Expression at({text}): not a valid date and time") from None


def _rate(value: int, unit: str, anchor: float) -> Rate:
    singular = unit.rstrip("s")
    if value < 1:
        raise ExpressionError("Invalid Schedule Expression: the rate value must be a positive integer")
    if (value == 1) != (unit == singular):
        raise ExpressionError(f"Invalid Schedule Expression rate({value} {unit}): use '{singular}' for 1 "
                              f"and '{singular}s' for more")
    return Rate(value * _UNITS[singular], anchor)


def _cron(body: str, zone: ZoneInfo) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise ExpressionError(f"Invalid Schedule Expression cron({body}): expected 6 fields "
                              f"(minutes hours day-of-month month day-of-week year), got {len(fields)}")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ExpressionError(f"Invalid Schedule Expression cron({body}): one of day-of-month and day-of-week "
                              "must be '?', and only one")
    _check_month_day(dom)
    _check_week_day(dow)
    return Cron(_values(minute, 0, 59, "minutes"), _values(hour, 0, 23, "hours"),
                _values(month, 1, 12, "month", MONTHS), _values(year, MIN_YEAR, MAX_YEAR, "year"),
                dom, dow.upper(), zone)


def _values(field: str, low: int, high: int, what: str, names: dict[str, int] | None = None) -> frozenset[int]:
    """The values a numeric field (``, - * /``) selects."""
    found: set[int] = set()
    for part in field.split(","):
        found.update(_part(part, low, high, what, names))
    return frozenset(found)


def _part(part: str, low: int, high: int, what: str, names: dict[str, int] | None) -> range:
    base, slash, step_text = part.partition("/")
    step = _number(step_text, what) if slash else 1
    if step < 1:
        raise ExpressionError(f"Invalid cron {what} field {part!r}: the increment must be positive")
    if base == "*":
        first, last = low, high
    elif "-" in base:
        a, _, b = base.partition("-")
        first, last = _value(a, low, high, what, names), _value(b, low, high, what, names)
        if first > last:
            raise ExpressionError(f"Invalid cron {what} field {part!r}: the range runs backwards")
    else:
        first = _value(base, low, high, what, names)
        last = high if slash else first
    return range(first, last + 1, step)


def _value(text: str, low: int, high: int, what: str, names: dict[str, int] | None) -> int:
    value = names.get(text.upper()) if names else None
    if value is None:
        value = _number(text, what)
    if not low <= value <= high:
        raise ExpressionError(f"Invalid cron {what} value {text!r}: must be {low}-{high}")
    return value


def _number(text: str, what: str) -> int:
    if not text.isdigit():
        raise ExpressionError(f"Invalid cron {what} value {text!r}")
    return int(text)


_MONTH_DAY = re.compile(r"L|LW|(\d{1,2})W|L-(\d{1,2})")
_WEEK_DAY = re.compile(r"([1-7A-Z]{1,3})(L|#([1-5]))")


def _check_month_day(field: str) -> None:
    if field in ("?", "*") or _MONTH_DAY.fullmatch(field.upper()):
        return
    _values(field, 1, 31, "day-of-month")


def _check_week_day(field: str) -> None:
    if field in ("?", "*", "L"):
        return
    match = _WEEK_DAY.fullmatch(field.upper())
    if match:
        _value(match.group(1), 1, 7, "day-of-week", DAYS)
        return
    if "#" in field:
        raise ExpressionError(f"Invalid cron day-of-week field {field!r}: '#' takes one day and one instance (1-5)")
    _values(field, 1, 7, "day-of-week", DAYS)


def _month_day_matches(field: str, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    text = field.upper()
    if text == "*":
        return True
    if text == "L":
        return day.day == last
    if text == "LW":
        return day == _nearest_weekday(day.replace(day=last))
    offset = re.fullmatch(r"L-(\d{1,2})", text)
    if offset:
        return day.day == last - int(offset.group(1))
    weekday = re.fullmatch(r"(\d{1,2})W", text)
    if weekday:
        target = min(int(weekday.group(1)), last)
        return day == _nearest_weekday(day.replace(day=target))
    return day.day in _values(field, 1, 31, "day-of-month")


def _nearest_weekday(day: date) -> date:
    """The weekday nearest ``day`` within its month (``W``): Saturday moves to Friday, Sunday to
    Monday, except across the month's edge (the 1st on a Saturday moves to Monday the 3rd)."""
    weekday = day.weekday()  # Monday = 0
    if weekday == 5:
        moved = day - timedelta(days=1)
        return moved if moved.month == day.month else day + timedelta(days=2)
    if weekday == 6:
        moved = day + timedelta(days=1)
        return moved if moved.month == day.month else day - timedelta(days=2)
    return day


def _aws_weekday(day: date) -> int:
    """1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _week_day_matches(field: str, day: date) -> bool:
    text = field.upper()
    if text == "*":
        return True
    if text == "L":
        return _aws_weekday(day) == 7
    match = _WEEK_DAY.fullmatch(text)
    if match:
        wanted = _value(match.group(1), 1, 7, "day-of-week", DAYS)
        if _aws_weekday(day) != wanted:
            return False
        if match.group(2) == "L":
            return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
        return (day.day - 1) // 7 + 1 == int(match.group(3))
    return _aws_weekday(day) in _values(field, 1, 7, "day-of-week", DAYS)


@lru_cache(maxsize=256)
def _sorted(values: frozenset[int]) -> tuple[int, ...]:
    return tuple(sorted(values))


def _first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _instant(local: datetime) -> float:
    """Epoch seconds of a wall time (``fold=0``): a time in a DST gap lands as far past the gap's start
    as it was asked; an ambiguous one is its first occurrence."""
    return local.timestamp()
