"""When a Wait state is over: Seconds, SecondsPath, Timestamp, TimestampPath, with AWS's errors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from stepforge.asl import errors
from stepforge.asl.compilation import states as st
from stepforge.asl.errors import StatesError
from stepforge.asl.query.dataflow import select, to_json
from stepforge.asl.query.fields import query_error
from stepforge.asl.scope import Scope

#: AWS refuses a delay that does not fit a Java int of seconds.
MAX_DELAY_SECONDS = 2**31 - 1

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})\Z"
)


def parse_timestamp(text: str) -> float | None:
    """An ISO-8601 extended offset date-time as seconds since the epoch, or None if invalid."""
    match = _TIMESTAMP.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zone = match.group(7) or "0", match.group(8)
    offset = timedelta(0) if zone == "Z" else _offset(zone)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        return None
    return moment.timestamp() + float(f"0.{fraction}")


def _offset(zone: str) -> timedelta:
    sign = -1 if zone[0] == "-" else 1
    return sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))


def due_time(state: st.WaitState, scope: Scope, now: float) -> float:
    """Seconds since the epoch at which the Wait state is over."""
    if state.seconds_query is not None:
        seconds = state.seconds_query.typed(scope, "Seconds", "number")
        if not float(seconds).is_integer() or seconds < 0:
            raise query_error(f"The Seconds field must be a non-negative integer, but was: {seconds}", "Seconds")
        return _delay(now, int(seconds))
    if state.timestamp_query is not None:
        text = state.timestamp_query.typed(scope, "Timestamp", "string")
        message = f"The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
        if parse_timestamp(text) is None:
            raise query_error(message, "Timestamp")
        return _until(now, text, message)
    if state.seconds is not None:
        return _delay(now, state.seconds)
    if state.seconds_path is not None:
        return _delay(now, _seconds_from(state, scope))
    if state.timestamp is not None:
        return _until(now, state.timestamp, f"The Timestamp field cannot be parsed as an ISO-8601 "
                      f"extended offset date-time format string: {state.timestamp}")
    assert state.timestamp_path is not None
    value = select(state.timestamp_path, scope)
    message = ("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
               f"format string: {state.timestamp_path.text} == {_shown(value)}")
    if not isinstance(value, str):
        raise StatesError(errors.RUNTIME, message)
    return _until(now, value, message)


def _seconds_from(state: st.WaitState, scope: Scope) -> int:
    assert state.seconds_path is not None
    value: Any = select(state.seconds_path, scope)
    shown = f"{state.seconds_path.text} == {_shown(value)}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise StatesError(errors.RUNTIME, f"The SecondsPath parameter cannot be parsed as a long value: {shown}")
    if value < 0:
        raise StatesError(errors.RUNTIME, f"The SecondsPath parameter references a negative value: {shown}")
    return value


def _until(now: float, text: str, message: str) -> float:
    moment = parse_timestamp(text)
    if moment is None:
        raise StatesError(errors.RUNTIME, message)
    if moment - now > MAX_DELAY_SECONDS:
        raise StatesError(errors.RUNTIME, "Wait state delay is too long.")
    return moment


def _delay(now: float, seconds: int) -> float:
    if seconds > MAX_DELAY_SECONDS:
        raise StatesError(errors.RUNTIME, "Wait state delay is too long.")
    return now + seconds


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value)
