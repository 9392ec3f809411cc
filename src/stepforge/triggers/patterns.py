"""EventBridge event patterns: :func:`check` refuses a malformed pattern, :func:`matches` tests an event.

A pattern is a JSON object whose keys name event fields; an object value descends into the field,
an array value lists matchers of which one must match (OR), and every key must match (AND). A
matcher is a literal (string, number compared numerically, boolean, null) or one of
``{"prefix"}``, ``{"suffix"}`` (both also with ``{"equals-ignore-case": ...}``),
``{"equals-ignore-case"}``, ``{"wildcard"}``, ``{"anything-but"}`` (a literal, a list of literals, or
a prefix/suffix/equals-ignore-case/wildcard matcher), ``{"numeric": [op, n, ...]}``,
``{"exists": bool}``. ``"$or": [pattern, ...]`` at any level matches if one of its patterns does.
An event field that is an array matches when one of its elements does.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

_NUMERIC_OPS = {"<", "<=", "=", ">=", ">"}
_STRING_OPS = ("prefix", "suffix", "equals-ignore-case", "wildcard")
MAX_PATTERN = 4096


class PatternError(ValueError):
    """A pattern EventBridge refuses (InvalidEventPatternException); the message says where."""


def parse(text: str) -> dict[str, Any]:
    """The pattern in ``text``, checked."""
    if len(text) > MAX_PATTERN:
        raise PatternError(f"Event pattern is longer than {MAX_PATTERN} characters")
    try:
        pattern = json.loads(text)
    except ValueError as exc:
        raise PatternError(f"Event pattern is not valid JSON: {exc}") from None
    check(pattern)
    return pattern  # type: ignore[no-any-return]


@lru_cache(maxsize=4096)
def compiled(text: str) -> dict[str, Any]:
    """The stored (already checked) pattern ``text``, parsed once: rules are matched against every
    event, and their patterns change rarely. The result is shared: never modify it."""
    pattern: dict[str, Any] = json.loads(text)
    return pattern


def check(pattern: Any, path: str = "") -> None:
    """Raise :class:`PatternError` naming the first malformed part of ``pattern``."""
    if not isinstance(pattern, dict) or not pattern:
        raise PatternError(f"Event pattern{_at(path)} must be a non-empty JSON object")
    for key, rule in pattern.items():
        where = f"{path}.{key}" if path else key
        if key == "$or":
            if not isinstance(rule, list) or len(rule) < 2:
                raise PatternError(f"'$or' at {where} must be an array of at least two patterns")
            for i, option in enumerate(rule):
                check(option, f"{where}[{i}]")
        elif isinstance(rule, dict):
            check(rule, where)
        elif isinstance(rule, list) and rule:
            for matcher in rule:
                _check_matcher(matcher, where)
        else:
            raise PatternError(f"Event pattern field {where} must be an object or a non-empty array")


def _at(path: str) -> str:
    return f" at {path}" if path else ""


def _check_matcher(matcher: Any, where: str) -> None:
    if not isinstance(matcher, dict):
        if isinstance(matcher, list):
            raise PatternError(f"Match value at {where} must be a string, number, boolean, null or object")
        return
    if len(matcher) != 1:
        raise PatternError(f"Matcher at {where} must have exactly one key, got {sorted(matcher)}")
    (op, arg), = matcher.items()
    if op in ("prefix", "suffix"):
        ok = isinstance(arg, str) or (isinstance(arg, dict) and list(arg) == ["equals-ignore-case"]
                                      and isinstance(arg["equals-ignore-case"], str))
    elif op in ("equals-ignore-case", "wildcard"):
        ok = isinstance(arg, str)
    elif op == "exists":
        ok = isinstance(arg, bool)
    elif op == "numeric":
        ok = _numeric_ok(arg)
    elif op == "anything-but":
        ok = _anything_but_ok(arg)
    else:
        raise PatternError(f"Unrecognized match type {op} at {where}")
    if not ok:
        raise PatternError(f"Invalid value for {op} match at {where}: {json.dumps(arg)[:200]}")


def _numeric_ok(arg: Any) -> bool:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        return False
    pairs = list(zip(arg[::2], arg[1::2], strict=True))
    return all(op in _NUMERIC_OPS and _is_number(n) for op, n in pairs) and (len(pairs) == 1 or "=" not in arg)


def _anything_but_ok(arg: Any) -> bool:
    if isinstance(arg, dict):
        return len(arg) == 1 and next(iter(arg)) in _STRING_OPS and isinstance(next(iter(arg.values())), str)
    if isinstance(arg, list):
        return bool(arg) and all(not isinstance(a, (dict, list)) for a in arg)
    return True


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether ``event`` (a JSON value, usually the whole event object) matches ``pattern``."""
    for key, rule in pattern.items():
        if key == "$or":
            if not any(matches(option, event) for option in rule):
                return False
            continue
        present = isinstance(event, dict) and key in event
        value = event.get(key) if present else None
        if isinstance(rule, dict):
            if not present or not _object_matches(rule, value):
                return False
        elif not _field_matches(rule, present, value):
            return False
    return True


def _object_matches(rule: dict[str, Any], value: Any) -> bool:
    if isinstance(value, list):
        return any(isinstance(v, dict) and matches(rule, v) for v in value)
    return isinstance(value, dict) and matches(rule, value)


def _field_matches(matchers: list[Any], present: bool, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for matcher in matchers:
        if isinstance(matcher, dict) and "exists" in matcher:
            if matcher["exists"] == (present and not isinstance(value, dict)):
                return True
        elif present and any(_one(matcher, v) for v in values):
            return True
    return False


def _one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        return _equal(matcher, value)
    (op, arg), = matcher.items()
    if op == "numeric":
        return _is_number(value) and _numeric(arg, value)
    if op == "anything-but":
        return not _anything_but_hits(arg, value)
    return isinstance(value, str) and _string(op, arg, value)


def _anything_but_hits(arg: Any, value: Any) -> bool:
    if isinstance(arg, dict):
        (op, text), = arg.items()
        return isinstance(value, str) and _string(op, text, value)
    options = arg if isinstance(arg, list) else [arg]
    return any(_equal(option, value) for option in options)


def _string(op: str, arg: Any, value: str) -> bool:
    if isinstance(arg, dict):  # {"prefix": {"equals-ignore-case": "x"}}
        wanted, value = str(arg["equals-ignore-case"]).casefold(), value.casefold()
    else:
        wanted = str(arg)
    if op == "prefix":
        return value.startswith(wanted)
    if op == "suffix":
        return value.endswith(wanted)
    if op == "equals-ignore-case":
        return value.casefold() == wanted.casefold()
    return _wildcard(wanted).fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _wildcard(text: str) -> re.Pattern[str]:
    """``*`` matches any run of characters; ``\\*`` is a literal star."""
    parts = re.split(r"(\\\*|\*)", text)
    return re.compile("".join(".*" if p == "*" else re.escape("*" if p == "\\*" else p) for p in parts), re.DOTALL)


def _numeric(arg: list[Any], value: float) -> bool:
    return all(_compare(op, value, float(bound)) for op, bound in zip(arg[::2], arg[1::2], strict=True))


def _compare(op: str, value: float, bound: float) -> bool:
    return {"<": value < bound, "<=": value <= bound, "=": value == bound, ">=": value >= bound,
            ">": value > bound}[op]


def _equal(expected: Any, value: Any) -> bool:
    if _is_number(expected) and _is_number(value):
        return bool(expected == value)
    return type(expected) is type(value) and bool(expected == value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
