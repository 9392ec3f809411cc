"""Numbers given literally or through a path: task timeouts, Map concurrency and tolerance."""

from __future__ import annotations

from typing import Any

from stepforge.asl import errors
from stepforge.asl.compilation import states as st
from stepforge.asl.errors import StatesError
from stepforge.asl.query.dataflow import select, to_json
from stepforge.asl.query.fields import query_error
from stepforge.asl.scope import Scope


def _queried(source: st.IntOrPath, scope: Scope, *, integer: bool = True) -> float:
    """A JSONata TimeoutSeconds/MaxConcurrency/...: the expression must give a non-negative number."""
    assert source.query is not None
    value = source.query.typed(scope, source.field, "number")
    if (integer and not float(value).is_integer()) or value < 0:
        kind = "a non-negative integer" if integer else "a non-negative number"
        raise query_error(f"The value of the field '{source.field}' must be {kind}, but was: {value}", source.field)
    return float(value)


def seconds(source: st.IntOrPath | None, scope: Scope) -> float | None:
    """TimeoutSeconds(Path) / HeartbeatSeconds(Path): None when absent."""
    if source is None:
        return None
    if source.query is not None:
        return _queried(source, scope)
    if source.path is None:
        return source.value
    value = select(source.path, scope)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise StatesError(
            errors.RUNTIME,
            f"The {source.field} field refers to value \"{_shown(value)}\" which is not a valid integer: "
            f"{source.path.text}",
        )
    return float(value)


def max_concurrency(state: st.MapState, scope: Scope) -> int:
    """MaxConcurrency(Path) for one Map run: 0 means no limit (checked before MapStateStarted)."""
    return _integer(state.max_concurrency, scope) or 0


def tolerance(state: st.MapState, scope: Scope) -> tuple[int | None, float | None]:
    """(ToleratedFailureCount, ToleratedFailurePercentage) for one Map run (checked after MapStateStarted)."""
    count = None if state.tolerated_failure_count is None else _integer(state.tolerated_failure_count, scope)
    if count is not None and count < 0:
        raise StatesError(errors.RUNTIME, "ToleratedFailureCount cannot be negative.")
    percentage = None
    if state.tolerated_failure_percentage is not None:
        percentage = _float(state.tolerated_failure_percentage, scope)
        if not 0 <= percentage <= 100:
            raise StatesError(errors.RUNTIME, "ToleratedFailurePercentage must be between 0 and 100.")
    return count, percentage


def _integer(source: st.IntOrPath, scope: Scope) -> int:
    if source.query is not None:
        return int(_queried(source, scope))
    if source.path is None:
        return int(source.value or 0)
    value = _numeral(select(source.path, scope), int)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _not_valid(source, value, "integer")
    if source.field == "MaxConcurrencyPath" and value < 0:
        raise StatesError(errors.RUNTIME, "MaxConcurrency cannot be negative.")
    return value


def _float(source: st.IntOrPath, scope: Scope) -> float:
    if source.query is not None:
        return _queried(source, scope, integer=False)
    if source.path is None:
        return float(source.value or 0)
    value = _numeral(select(source.path, scope), float)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _not_valid(source, value, "float")
    return float(value)


def _numeral(value: Any, kind: type[int | float]) -> Any:
    """AWS parses a string the path selects as a number (``"1"`` is 1), as Java's parseInt would."""
    if isinstance(value, str):
        try:
            return kind(value.strip()) if value.strip() == value else value
        except ValueError:
            return value
    return value


def _not_valid(source: st.IntOrPath, value: Any, kind: str) -> StatesError:
    assert source.path is not None
    return StatesError(
        errors.RUNTIME,
        f"The {source.field} field refers to value \"{_shown(value)}\" which is not a valid {kind}: "
        f"{source.path.text}",
    )


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value)
