"""Choice state rules in the JSONPath query language: compiled once, then matched against a scope.

:func:`compile_choice_rules` turns a Choice state's ``Choices`` array into a tuple of
:class:`ChoiceRule` (a condition and its ``Next``); :func:`choose` picks the first that matches.
Conditions form a small frozen tree: :class:`Comparison` (operand given as a literal),
:class:`PathComparison` (``...Path`` operators), :class:`TypeTest` (``Is*``), :class:`PresenceTest`
(``IsPresent``) and the combinators :class:`And`, :class:`Or`, :class:`Not`.

Semantics follow AWS: a value of the wrong type never matches (``NumericEquals`` against ``"1"``,
booleans are not numbers, ``1 == 1.0``); strings order by UTF-16 code units (Java's
``String.compareTo``); timestamps are RFC 3339 with an uppercase ``T`` and a ``Z`` or numeric offset
and compare as instants. A ``Variable`` or ``...Path`` that selects nothing fails the execution with
``States.Runtime``, except under ``IsPresent``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Final, Protocol

from stepforge.asl import errors
from stepforge.asl.errors import DefinitionError, StatesError
from stepforge.asl.query.jsonpath import JsonPath, PathNotFound, PathSyntaxError, compile_path
from stepforge.asl.scope import Scope

#: Turns a JSON value into something the relation can compare, or ``None`` when it has the wrong type.
Key = Callable[[Any], Any]
Relation = Callable[[Any, Any], bool]


class Condition(Protocol):
    """A node of the rule tree: a boolean test of the documents in a scope."""

    def matches(self, scope: Scope) -> bool: ...


def _number(value: Any) -> Any:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else None


def _utf16(value: Any) -> bytes | None:
    """Big-endian UTF-16 bytes: their byte order is Java's code-unit order."""
    return value.encode("utf-16-be", "surrogatepass") if isinstance(value, str) else None


_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))", re.ASCII
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def parse_timestamp(value: Any) -> tuple[int, Decimal] | None:
    """The instant of an RFC 3339 timestamp as (epoch seconds, fraction), or ``None`` if not one."""
    match = _TIMESTAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    if int(off_m or 0) > 59:
        return None
    try:
        offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0)) * (-1 if sign == "-" else 1)
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=timezone(offset)
        )
    except ValueError:
        return None
    return (moment - _EPOCH) // timedelta(seconds=1), Decimal(f"0.{fraction or 0}")


_KINDS: Final[dict[str, tuple[Key, str]]] = {
    "Boolean": (_boolean, "a BOOLEAN"),
    "Numeric": (_number, "a NUMBER"),
    "String": (_utf16, "a STRING"),
    "Timestamp": (parse_timestamp, "a valid RFC 3339 timestamp"),
}
_RELATIONS: Final[dict[str, Relation]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
#: Comparison operators (without the ``Path`` suffix): name -> (key, relation, operand description).
COMPARISONS: Final[dict[str, tuple[Key, Relation, str]]] = {
    kind + relation: (key, test, label)
    for kind, (key, label) in _KINDS.items()
    for relation, test in _RELATIONS.items()
    if kind != "Boolean" or relation == "Equals"
}
#: ``Is*`` operators: name -> predicate on a present value.
TYPE_TESTS: Final[dict[str, Callable[[Any], bool]]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": lambda value: _number(value) is not None,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: isinstance(value, bool),
    "IsTimestamp": lambda value: parse_timestamp(value) is not None,
}
_COMBINATORS: Final = frozenset({"And", "Or", "Not"})
OPERATORS: Final = frozenset(
    {*COMPARISONS, *(name + "Path" for name in COMPARISONS), *TYPE_TESTS, "IsPresent", "StringMatches"}
)


def _resolve(path: JsonPath, scope: Scope) -> Any:
    try:
        return path.resolve(scope)
    except PathNotFound:
        raise StatesError(
            errors.RUNTIME,
            f"Invalid path '{path.text}': The choice state's condition path references an invalid value.",
        ) from None


_WILDCARD_TOKEN: Final = re.compile(r"(\\[\\*]|\*)")
_ESCAPES: Final = {"\\*": "*", "\\\\": "\\"}


@dataclass(frozen=True, slots=True)
class Wildcard:
    r"""A ``StringMatches`` pattern: ``*`` is any run of characters (newlines too); ``\*`` and
    ``\\`` are a literal ``*`` and ``\``; the whole string must match, case-sensitively.

    Kept as the literal pieces between the stars, matched without backtracking: the first piece
    must start the string, the last end it, and each middle piece is found, leftmost, after the
    previous one. Taking the leftmost occurrence never loses a match (a star can absorb whatever
    a later occurrence would have left), so the cost is one ``str.find`` per piece — O(n*m) at
    worst — where a backtracking regex (``.*a.*a.*b``) takes time growing as n to the power of the
    number of stars.
    """

    pieces: tuple[str, ...]  # the literals around the stars: len(pieces) == stars + 1

    @classmethod
    def parse(cls, pattern: str) -> Wildcard:
        pieces: list[str] = []
        literal: list[str] = []
        for token in _WILDCARD_TOKEN.split(pattern):
            if token == "*":
                pieces.append("".join(literal))
                literal = []
            else:
                literal.append(_ESCAPES.get(token, token))
        pieces.append("".join(literal))
        return cls(tuple(pieces))

    def fullmatch(self, value: str) -> bool:
        if len(self.pieces) == 1:
            return value == self.pieces[0]
        first, *middle, last = self.pieces
        end = len(value) - len(last)
        if end < len(first) or not value.startswith(first) or not value.endswith(last):
            return False
        position = len(first)
        for piece in middle:
            found = value.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True


@dataclass(frozen=True, slots=True)
class Comparison:
    """``Variable`` compared with a literal ``value`` (``right`` is its comparison key)."""

    variable: JsonPath
    operator: str
    value: Any
    right: Any
    key: Key
    relation: Relation

    def matches(self, scope: Scope) -> bool:
        left = self.key(_resolve(self.variable, scope))
        return left is not None and self.relation(left, self.right)


@dataclass(frozen=True, slots=True)
class PathComparison:
    """``Variable`` compared with the value another path selects (``StringEqualsPath`` and kin)."""

    variable: JsonPath
    operator: str
    operand: JsonPath
    key: Key
    relation: Relation

    def matches(self, scope: Scope) -> bool:
        left = self.key(_resolve(self.variable, scope))
        right = self.key(_resolve(self.operand, scope))
        return left is not None and right is not None and self.relation(left, right)


@dataclass(frozen=True, slots=True)
class StringMatch:
    """``StringMatches``: the ``Variable`` is a string matching a ``*`` wildcard pattern."""

    variable: JsonPath
    pattern: str
    wildcard: Wildcard

    def matches(self, scope: Scope) -> bool:
        value = _resolve(self.variable, scope)
        return isinstance(value, str) and self.wildcard.fullmatch(value)


@dataclass(frozen=True, slots=True)
class TypeTest:
    """An ``Is*`` operator other than ``IsPresent``: whether the value's type is (or is not) one."""

    variable: JsonPath
    operator: str
    expected: bool

    def matches(self, scope: Scope) -> bool:
        return TYPE_TESTS[self.operator](_resolve(self.variable, scope)) is self.expected


@dataclass(frozen=True, slots=True)
class PresenceTest:
    """``IsPresent``: whether the ``Variable`` selects anything; never fails."""

    variable: JsonPath
    expected: bool

    def matches(self, scope: Scope) -> bool:
        try:
            self.variable.resolve(scope)
        except PathNotFound:
            return not self.expected
        return self.expected


@dataclass(frozen=True, slots=True)
class And:
    """True when every nested rule is (evaluated left to right, stopping at the first false)."""

    rules: tuple[Condition, ...]

    def matches(self, scope: Scope) -> bool:
        return all(rule.matches(scope) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class Or:
    """True when any nested rule is (evaluated left to right, stopping at the first true)."""

    rules: tuple[Condition, ...]

    def matches(self, scope: Scope) -> bool:
        return any(rule.matches(scope) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class Not:
    """The negation of one nested rule."""

    rule: Condition

    def matches(self, scope: Scope) -> bool:
        return not self.rule.matches(scope)


@dataclass(frozen=True, slots=True)
class ChoiceRule:
    """A top-level entry of ``Choices``: a condition, the state it leads to, and its ``Assign``."""

    condition: Condition
    next: str
    assign: Any = None
    output: Any = None

    def matches(self, scope: Scope) -> bool:
        """Whether this rule's condition holds; may raise :class:`StatesError` (``States.Runtime``)."""
        return self.condition.matches(scope)


def choose(rules: Iterable[ChoiceRule], scope: Scope) -> str | None:
    """The ``Next`` of the first rule that matches, or ``None`` (the caller applies ``Default``)."""
    rule = first_match(rules, scope)
    return None if rule is None else rule.next


def first_match(rules: Iterable[ChoiceRule], scope: Scope) -> ChoiceRule | None:
    """The first rule that matches, or ``None``."""
    return next((rule for rule in rules if rule.matches(scope)), None)


def compile_choice_rules(choices: Any, path: str) -> tuple[ChoiceRule, ...]:
    """Compile a Choice state's ``Choices`` array; ``path`` is its JSON pointer."""
    if not isinstance(choices, list) or not choices:
        raise DefinitionError("Choices must be a non-empty array of choice rules", path)
    return tuple(_top_rule(rule, f"{path}/{index}") for index, rule in enumerate(choices))


def _top_rule(rule: Any, path: str) -> ChoiceRule:
    if not isinstance(rule, dict):
        raise DefinitionError("A choice rule must be an object", path)
    nxt = rule.get("Next")
    if not isinstance(nxt, str) or not nxt:
        raise DefinitionError("A top-level choice rule must have a string field 'Next'", f"{path}/Next")
    body = {key: value for key, value in rule.items() if key not in ("Next", "Assign")}
    return ChoiceRule(_condition(body, path), nxt, rule.get("Assign"))


def _nested(rule: Any, path: str) -> Condition:
    if not isinstance(rule, dict):
        raise DefinitionError("A choice rule must be an object", path)
    if "Next" in rule:
        raise DefinitionError("A nested choice rule must not have a field 'Next'", f"{path}/Next")
    if "Assign" in rule:
        raise DefinitionError("A nested choice rule must not have a field 'Assign'", f"{path}/Assign")
    return _condition(rule, path)


def _condition(rule: dict[str, Any], path: str) -> Condition:
    fields = [key for key in rule if key not in ("Variable", "Comment")]
    for key in fields:
        if key not in OPERATORS and key not in _COMBINATORS:
            raise DefinitionError(f"Unknown choice rule field '{key}'", f"{path}/{key}")
    if len(fields) != 1:
        found = ", ".join(fields) or "none"
        raise DefinitionError(f"A choice rule must have exactly one operator (found: {found})", path)
    name = fields[0]
    if name in _COMBINATORS:
        if "Variable" in rule:
            raise DefinitionError(f"A rule with '{name}' must not have a 'Variable'", f"{path}/Variable")
        return _combinator(name, rule[name], f"{path}/{name}")
    return _data_test(name, rule, path)


def _combinator(name: str, value: Any, path: str) -> Condition:
    if name == "Not":
        return Not(_nested(value, path))
    if not isinstance(value, list) or not value:
        raise DefinitionError(f"The value for the field '{name}' must be a non-empty array", path)
    rules = tuple(_nested(rule, f"{path}/{index}") for index, rule in enumerate(value))
    return And(rules) if name == "And" else Or(rules)


def _compile_path(value: Any, path: str) -> JsonPath:
    if not isinstance(value, str):
        raise DefinitionError("The value must be a path (a string)", path)
    try:
        return compile_path(value)
    except PathSyntaxError as exc:
        raise DefinitionError(f"Invalid path '{value}': {exc}", path) from None


def _data_test(name: str, rule: dict[str, Any], path: str) -> Condition:
    if "Variable" not in rule:
        raise DefinitionError(f"A rule with '{name}' must have a 'Variable'", f"{path}/Variable")
    variable = _compile_path(rule["Variable"], f"{path}/Variable")
    operand, where = rule[name], f"{path}/{name}"
    if name in TYPE_TESTS or name == "IsPresent":
        if not isinstance(operand, bool):
            raise DefinitionError(f"The value for the field '{name}' must be a BOOLEAN", where)
        return PresenceTest(variable, operand) if name == "IsPresent" else TypeTest(variable, name, operand)
    if name == "StringMatches":
        if not isinstance(operand, str):
            raise DefinitionError("The value for the field 'StringMatches' must be a STRING", where)
        return StringMatch(variable, operand, Wildcard.parse(operand))
    if name.endswith("Path"):
        key, relation, _ = COMPARISONS[name.removesuffix("Path")]
        return PathComparison(variable, name, _compile_path(operand, where), key, relation)
    key, relation, label = COMPARISONS[name]
    right = key(operand)
    if right is None:
        raise DefinitionError(f"The value for the field '{name}' must be {label}", where)
    return Comparison(variable, name, operand, right, key, relation)
