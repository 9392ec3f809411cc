"""The JSONata functions AWS adds or changes, and guarded versions of a few built-ins.

AWS Step Functions adds ``$partition``, ``$range``, ``$hash``, ``$random`` (with an optional seed),
``$uuid`` and ``$parse``, and makes ``$eval`` unavailable. ``$random``, ``$uuid`` and ``$shuffle``
draw from the execution's injected random source, and ``$now``/``$millis`` read the time the state
was entered, so a replayed step computes the same values.

Built-ins that could run long or allocate a huge value without returning to the evaluator are
replaced by guarded versions (keeping the built-in's signature): ``$pad``, ``$join``, ``$replace``
and ``$split`` reserve their output size against the evaluation's
:class:`~stepforge.asl.query.guard.Budget` before allocating; ``$sort`` sorts a large array in
bounded runs and ``$distinct`` counts its comparisons, checking the deadline as they go; regex
literals run with the time left as their timeout (:class:`BoundedPattern`, the ``regex_engine``
every expression is parsed with).

All of them are bound once in :data:`FUNCTIONS`, a frame shared by every compiled expression;
what varies per evaluation (budget, random source, entry time) is in :data:`CURRENT`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import regex  # type: ignore[import-untyped]
from jsonata import Functions, JException, Jsonata, Utils  # type: ignore[import-untyped]
from jsonata.regex_engine import RegexFlags  # type: ignore[import-untyped]

from stepforge.asl.query.guard import Budget, Exhausted
from stepforge.asl.scope import Scope


class _Current(threading.local):
    """The evaluation running on this thread."""

    budget: Budget = Budget.unbounded()
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
    """``$pad``, refused before it builds a string past the budget."""
    if isinstance(width, (int, float)) and not isinstance(width, bool) and math.isfinite(width):
        CURRENT.budget.reserve(abs(int(width)) * max(1, len(char) if isinstance(char, str) else 1))
    return Functions.pad(text, width, char)


def join(strings: Any = None, separator: Any = None) -> Any:
    """``$join``, refused before it builds a string past the budget."""
    if isinstance(strings, list):
        gap = len(separator) if isinstance(separator, str) else 0
        CURRENT.budget.reserve(sum(len(s) for s in strings if isinstance(s, str)) + gap * len(strings))
    return Functions.join(strings, separator)


def replace(text: Any = None, pattern: Any = None, replacement: Any = None, limit: Any = None) -> Any:
    """``$replace``: a string pattern with a string replacement is replaced in one native call
    (the library loops in Python per occurrence); the output size is reserved first."""
    if isinstance(text, str) and isinstance(replacement, str) and isinstance(pattern, str) and pattern:
        CURRENT.budget.reserve(len(text) + text.count(pattern) * len(replacement))
        if limit is None or (isinstance(limit, (int, float)) and not isinstance(limit, bool) and limit >= 0):
            count = -1 if limit is None or limit >= len(text) else math.ceil(limit)
            return text.replace(pattern, _literal_replacement(pattern, replacement), count)
    elif isinstance(text, str) and isinstance(replacement, str):
        CURRENT.budget.reserve(len(text) * (len(replacement) + 1))
    return Functions.replace(text, pattern, replacement, limit)


def _literal_replacement(pattern: str, replacement: str) -> str:
    """What JSONata substitutes for each match of a string pattern: ``$$`` is ``$``, ``$0`` the
    match; a string pattern has no groups, so any other ``$`` stays as it is."""
    parts: list[str] = []
    position = 0
    while (index := replacement.find("$", position)) != -1:
        parts.append(replacement[position:index])
        following = replacement[index + 1:index + 2]
        parts.append("$" if following == "$" else pattern if following == "0" else "$")
        position = index + (2 if following in ("$", "0") else 1)
    parts.append(replacement[position:])
    return "".join(parts)


def split(text: Any = None, separator: Any = None, limit: Any = None) -> Any:
    """``$split``, refused before it builds more pieces than the budget allows (a regex separator
    charges its pieces one by one, see :class:`BoundedPattern`)."""
    if isinstance(text, str) and isinstance(separator, str):
        if separator:
            pieces = text.count(separator) + 1  # the library splits in full, then truncates to the limit
        else:
            pieces = len(text) if not isinstance(limit, (int, float)) else min(len(text), max(0, int(limit)))
        CURRENT.budget.reserve(64 * pieces)
    return Functions.split(text, separator, limit)


def sort(array: Any = None, comparator: Any = None) -> Any:
    """``$sort``: a large array in the default order is sorted in runs, then the runs are merged
    pairwise, each a native call bounded by its size, the deadline checked between them (the
    result is exactly the one-call sort: both are stable). A comparator function is evaluated,
    so the evaluator's hook bounds it."""
    if comparator is not None or not isinstance(array, list) or len(array) <= _RUN:
        return Functions.sort(array, comparator)
    budget = CURRENT.budget
    values = list(array)  # a plain list: jsonata's lazy [a..b] cannot be sliced
    runs: list[list[Any]] = []
    for start in range(0, len(values), _RUN):
        budget.spend(_RUN)
        runs.append(sorted(values[start:start + _RUN]))
    while len(runs) > 1:
        merged: list[list[Any]] = []
        for index in range(0, len(runs), 2):
            pair = runs[index] + runs[index + 1] if index + 1 < len(runs) else runs[index]
            budget.spend(len(pair))
            merged.append(sorted(pair))  # two sorted runs: the native sort merges them in linear time
        runs = merged
    return runs[0]


_RUN = 32768  # elements sorted in one native call before the deadline is checked again


def distinct(array: Any = None) -> Any:
    """``$distinct``, the library's quadratic scan with its comparisons counted against the budget."""
    if not isinstance(array, list) or len(array) <= 1:
        return Functions.distinct(array)
    budget = CURRENT.budget
    results: list[Any] = Utils.create_sequence() if isinstance(array, Utils.JList) else []
    for item in array:
        budget.spend(len(results))
        if item not in results:
            results.append(item)
    return results


# -- regular expressions ---------------------------------------------------------------------------


class BoundedPattern:
    """A JSONata regex literal (``/.../flags``) whose every use ends by the evaluation's deadline.

    Python's ``re`` backtracks in C, holding the GIL, and cannot be interrupted: ``/^(a+)+$/``
    against 28 characters ran for ten seconds under a one-second limit. Patterns run on the
    ``regex`` package instead, whose matcher takes a ``timeout`` and checks it while backtracking
    (and releases the GIL meanwhile, ``concurrent=True``); each call gets the time the evaluation
    has left, and a time-out is the guard's own time-limit error. We chose a time-bounded engine
    over a linear-time one (RE2, or a translation to a safe subset) because JSONata regexes are
    JavaScript regexes, with lookarounds and backreferences that RE2 refuses, and because
    ``regex`` (in its default ``VERSION0``) is built to match as ``re`` does, so no expression
    that works today changes meaning. A twin compiled with ``re`` keeps ``re``'s compile errors,
    and its replacement-template errors where ``regex`` refuses a template: jsonata-python's
    ``$replace`` parses ``re``'s message to drop references to missing groups.

    ``regex`` counts its timeout in the process's CPU time (C ``clock()``): on a CPU of its own
    that is the wall-clock time left; while other threads of the process are busy it fires
    sooner; on an oversubscribed machine the wall time stretches, but the work stays bounded.

    The library calls only ``search``, ``finditer``, ``sub`` and ``split`` (its ``CompiledPattern``).
    """

    __slots__ = ("_pattern", "_twin")

    def __init__(self, source: str, flags: RegexFlags) -> None:
        twin_flags = (re.IGNORECASE if flags.case_insensitive else 0) | (re.MULTILINE if flags.multiline else 0)
        self._twin = re.compile(source, twin_flags)
        self._pattern = regex.compile(source, (regex.IGNORECASE if flags.case_insensitive else 0)
                                      | (regex.MULTILINE if flags.multiline else 0))

    def search(self, string: str) -> Any:
        try:
            return self._pattern.search(string, timeout=CURRENT.budget.remaining(), concurrent=True)
        except TimeoutError:
            raise Exhausted() from None

    def finditer(self, string: str) -> Iterator[Any]:
        budget = CURRENT.budget
        try:
            for match in self._pattern.finditer(string, timeout=budget.remaining(), concurrent=True):
                budget.reserve(64)
                yield match
        except TimeoutError:
            raise Exhausted() from None

    def sub(self, repl: Any, string: str, count: int = 0) -> str:
        try:
            return str(self._pattern.sub(repl, string, count=count, timeout=CURRENT.budget.remaining(),
                                         concurrent=True))
        except TimeoutError:
            raise Exhausted() from None
        except regex.error:
            if isinstance(repl, str):
                self._twin.sub(repl, "")  # re's error (and message) for the same bad template
            raise

    def split(self, string: str, maxsplit: int = 0) -> list[Any]:
        budget = CURRENT.budget
        pieces: list[Any] = []
        try:
            for piece in self._pattern.splititer(string, maxsplit=maxsplit, timeout=budget.remaining(),
                                                 concurrent=True):
                budget.reserve(64)
                pieces.append(piece)
        except TimeoutError:
            raise Exhausted() from None
        return pieces


def bounded_regex(source: str, flags: RegexFlags) -> BoundedPattern:
    """The ``regex_engine`` every expression is parsed with (see :class:`BoundedPattern`)."""
    return BoundedPattern(source, flags)


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
    added: dict[str, Callable[..., Any]] = {
        "partition": partition, "range": range_, "hash": hash_, "random": random_, "uuid": uuid_,
        "parse": parse, "eval": eval_, "shuffle": shuffle, "now": now, "millis": millis,
    }
    for name, function in added.items():
        frame.bind(name, Jsonata.JLambda(function))
    guarded: dict[str, Callable[..., Any]] = {
        "pad": pad, "join": join, "replace": replace, "split": split, "sort": sort, "distinct": distinct,
    }
    for name, function in guarded.items():
        frame.bind(name, _with_signature_of(name, function))
    return frame


def _with_signature_of(name: str, function: Callable[..., Any]) -> Jsonata.JFunction:
    """``function`` in place of the built-in ``name``, its arguments validated and coerced by the
    built-in's own signature (so ``$s.$pad(3)`` and ``$sort(5)`` behave as before)."""
    builtin = Jsonata.static_frame.lookup(name)
    wrapped = Jsonata.JFunction(Jsonata.JLambda(function), None)
    wrapped.signature = builtin.signature
    wrapped.function_name = name
    return wrapped


#: The frame every compiled expression evaluates under (its parent is jsonata's built-ins).
FUNCTIONS = _frame()

__all__ = ["CURRENT", "FUNCTIONS", "BoundedPattern", "FunctionError", "JException", "bounded_regex"]
