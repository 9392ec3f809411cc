"""The JSONata functions AWS adds or changes, and guarded versions of a few built-ins.

AWS Step Functions adds ``$partition``, ``$range``, ``$hash``, ``$random`` (with an optional seed),
``$uuid`` and ``$parse``, and makes ``$eval`` unavailable. ``$random``, ``$uuid`` and ``$shuffle``
draw from the execution's injected random source, and ``$now``/``$millis`` read the time the state
was entered, so a replayed step computes the same values.

Built-ins that can allocate a huge value in one native call (``$pad``, ``$join``, ``$replace``) are
wrapped to check the projected size against the evaluation's :class:`~stepforge.asl.query.guard.Budget`
first.

All of them are bound once in :data:`FUNCTIONS`, a frame shared by every compiled expression;
what varies per evaluation (budget, random source, entry time) is in :data:`CURRENT`.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from jsonata import Functions, JException, Jsonata, Utils  # type: ignore[import-untyped]

from stepforge.asl.query.guard import Budget, Limits
from stepforge.asl.scope import Scope


class _Current(threading.local):
    """The evaluation running on this thread."""

    budget: Budget = Budget(Limits(), float("inf"))
    scope: Scope = Scope(None)


CURRENT = _Current()

# jsonata-python raises the process-wide recursion limit to 10000 when imported, deeper than an
# engine thread's C stack may safely go, and changing how all other code meets deep input. Put
# Python's default back: the guard's depth limit (Limits.max_depth) stays below it.
if sys.getrecursionlimit() == 10000:
    sys.setrecursionlimit(1000)

_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


class FunctionError(Exception):
    """An AWS function refused its arguments; the message becomes the QueryEvaluationError cause."""


def _number(value: Any, name: str, position: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FunctionError(f"The {position} argument of {name} must be a number")
    return value


def _integer(value: Any, name: str, position: str) -> int:
    number = _number(value, name, position)
    if not float(number).is_integer():
        raise FunctionError(f"The {position} argument of {name} must be an integer")
    return int(number)


def partition(array: Any = None, size: Any = None) -> Any:
    """``$partition(array, size)``: consecutive chunks of at most ``size`` elements."""
    if not isinstance(array, list):
        raise FunctionError("The first argument of $partition must be an array")
    chunk = _integer(size, "$partition", "second")
    if chunk <= 0:
        raise FunctionError("The second argument of $partition must be a positive integer")
    return [list(array[i:i + chunk]) for i in range(0, len(array), chunk)]


def range_(start: Any = None, end: Any = None, step: Any = None) -> Any:
    """``$range(start, end, step)``: from start to end inclusive; a sequence, as AWS returns it."""
    first = _integer(start, "$range", "first")
    last = _integer(end, "$range", "second")
    stride = _integer(step, "$range", "third")
    if stride == 0:
        raise FunctionError("The third argument of $range must not be zero")
    count = max(0, (last - first) // stride + 1)
    CURRENT.budget.reserve(64 * count)
    return Utils.create_sequence_from_iter(range(first, last + (1 if stride > 0 else -1), stride))


def hash_(data: Any = None, algorithm: Any = None) -> str:
    """``$hash(data, algorithm)``: the hex digest of a string (MD5, SHA-1, SHA-256/384/512)."""
    if not isinstance(data, str):
        raise FunctionError("The first argument of $hash must be a string")
    name = _HASHES.get(algorithm) if isinstance(algorithm, str) else None
    if name is None:
        raise FunctionError(f"The second argument of $hash must be one of {', '.join(_HASHES)}")
    return hashlib.new(name, data.encode()).hexdigest()


def random_(seed: Any = None) -> float:
    """``$random()`` from the execution's random source; ``$random(seed)`` is repeatable."""
    if seed is None:
        return CURRENT.scope.random.random()
    import random

    return random.Random(_integer(seed, "$random", "first")).random()


def uuid_() -> str:
    """``$uuid()``: a version 4 UUID from the execution's random source."""
    return str(uuid.UUID(int=CURRENT.scope.random.getrandbits(128), version=4))


def parse(text: Any = None) -> Any:
    """``$parse(json)``: a JSON text as a value (``-0`` is ``0``)."""
    if not isinstance(text, str):
        raise FunctionError("The argument of $parse must be a string")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise FunctionError(f"The argument of $parse is not valid JSON: {exc}") from None
    if isinstance(value, float) and value == 0:
        return 0
    return Utils.NULL_VALUE if value is None else value


def eval_(*args: Any) -> Any:
    raise FunctionError("The function $eval is not supported")


def pad(text: Any = None, width: Any = None, char: Any = None) -> Any:
    if isinstance(width, (int, float)) and not isinstance(width, bool) and math.isfinite(width):
        CURRENT.budget.reserve(abs(int(width)) * max(1, len(char) if isinstance(char, str) else 1))
    return Functions.pad(text, width, char)


def join(strings: Any = None, separator: Any = None) -> Any:
    if isinstance(strings, list):
        gap = len(separator) if isinstance(separator, str) else 0
        CURRENT.budget.reserve(sum(len(s) for s in strings if isinstance(s, str)) + gap * len(strings))
    return Functions.join(strings, separator)


def replace(text: Any = None, pattern: Any = None, replacement: Any = None, limit: Any = None) -> Any:
    if isinstance(text, str) and isinstance(replacement, str) and isinstance(pattern, str) and pattern:
        CURRENT.budget.reserve(len(text) + text.count(pattern) * len(replacement))
    elif isinstance(text, str) and isinstance(replacement, str):
        CURRENT.budget.reserve(len(text) * (len(replacement) + 1))
    return Functions.replace(text, pattern, replacement, limit)


def shuffle(array: Any = None) -> Any:
    if not isinstance(array, list):
        return array
    result = list(array)
    CURRENT.scope.random.shuffle(result)
    return result


def now(picture: Any = None, timezone: Any = None) -> Any:
    """``$now()``: when the state was entered (recorded), formatted like JSONata."""
    entered = CURRENT.scope.context.get("State", {}).get("EnteredTime")
    if not entered:
        return Functions.now(picture, timezone)
    if picture is None and timezone is None:
        return entered
    return Functions.datetime_from_millis(millis(), picture, timezone)


def millis() -> int:
    entered = CURRENT.scope.context.get("State", {}).get("EnteredTime")
    if not entered:
        return int(Functions.millis())
    return int(datetime.fromisoformat(entered).timestamp() * 1000)


def _frame() -> Jsonata.Frame:
    frame = Jsonata.Frame(Jsonata.static_frame)
    bound: dict[str, Callable[..., Any]] = {
        "partition": partition, "range": range_, "hash": hash_, "random": random_, "uuid": uuid_,
        "parse": parse, "eval": eval_, "pad": pad, "join": join, "replace": replace,
        "shuffle": shuffle, "now": now, "millis": millis,
    }
    for name, function in bound.items():
        frame.bind(name, Jsonata.JLambda(function))
    return frame


#: The frame every compiled expression evaluates under (its parent is jsonata's built-ins).
FUNCTIONS = _frame()

__all__ = ["CURRENT", "FUNCTIONS", "FunctionError", "JException"]
