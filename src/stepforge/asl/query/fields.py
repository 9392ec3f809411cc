"""JSONata field values: a JSON value whose ``{% ... %}`` strings are expressions.

``Arguments``, ``Output``, ``Assign`` values, ``Items``, ``ItemSelector``, a Choice ``Condition``,
Wait ``Seconds``/``Timestamp``, Fail ``Error``/``Cause`` and the numeric Map/Task fields all take
one. :func:`compile_query` builds a small frozen tree once; :meth:`Query.evaluate` builds a fresh
value, naming the failing field the way AWS does (``Output/result``, ``Arguments/FunctionName``)
in a ``States.QueryEvaluationError``. Given a bounded :class:`~stepforge.asl.query.budget.Budget`,
each piece is counted as it is built and the value refused (``States.DataLimitExceeded``) as soon
as it is known to pass 256 KiB, before the rest is built or serialised.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stepforge.asl import errors
from stepforge.asl.errors import StatesError
from stepforge.asl.jsontypes import json_type as type_name
from stepforge.asl.query.budget import Budget
from stepforge.asl.query.dataflow import to_json
from stepforge.asl.query.jsonata import Expression, QueryError, compile_expression, is_expression
from stepforge.asl.query.payload import copy_json
from stepforge.asl.scope import Scope

States = Mapping[str, Any] | None


def query_error(cause: str, field: str) -> StatesError:
    return StatesError(errors.QUERY_EVALUATION_ERROR, cause, location=field)


class Query(abc.ABC):
    """A compiled JSONata field value."""

    __slots__ = ()

    def evaluate(self, scope: Scope, field: str, states: States = None, budget: Budget | None = None) -> Any:
        """The value for ``scope``; ``field`` is the AWS field path used in error messages; the value
        is refused once it passes ``budget`` (none: no limit here)."""
        return self.build(scope, field, states, Budget.unbounded() if budget is None else budget)

    @abc.abstractmethod
    def build(self, scope: Scope, field: str, states: States, budget: Budget) -> Any:
        """The value for ``scope``, each piece counted against ``budget`` as it is built."""

    def typed(self, scope: Scope, field: str, expected: str, states: States = None) -> Any:
        """Evaluate and require a JSONata type (``array``, ``number``, ``string``, ``boolean``)."""
        value = self.evaluate(scope, field, states)
        if type_name(value) != expected:
            raise query_error(self.unexpected(field, expected, value), field)
        return value

    def unexpected(self, field: str, expected: str, value: Any) -> str:
        return (f"The field '{field}' has an unexpected type. Expected '{expected}', "
                f"but was '{type_name(value)}' for value: {to_json(value)}")

    @property
    def references(self) -> tuple[Expression, ...]:
        """Every expression in the tree (for variable references)."""
        return ()


@dataclass(frozen=True, slots=True)
class Literal(Query):
    """A value without expressions."""

    value: Any

    def build(self, scope: Scope, field: str, states: States, budget: Budget) -> Any:
        return copy_json(budget.take(self.value))


@dataclass(frozen=True, slots=True)
class Dynamic(Query):
    """One ``{% ... %}`` string."""

    expression: Expression

    def build(self, scope: Scope, field: str, states: States, budget: Budget) -> Any:
        text = self.expression.text
        try:
            # The result is counted while it is copied out of the library: it may share one value
            # many times over, and only counting the copy as it grows keeps that copy bounded.
            return self.expression.evaluate(scope, states, count=None if budget.limit is None else budget.add)
        except QueryError as exc:
            prefix = f"The JSONata expression '{text}' specified for the field '{field}'"
            if exc.kind == "undefined":
                raise query_error(f"{prefix} returned nothing (undefined).", field) from None
            if exc.kind == "unsupported":
                raise query_error(f"{prefix} returned an unsupported result type.", field) from None
            raise query_error(f"{prefix} threw an error during evaluation: {exc.detail}", field) from None

    def unexpected(self, field: str, expected: str, value: Any) -> str:
        return (f"The JSONata expression '{self.expression.text}' specified for the field '{field}' returned an "
                f"unexpected result type. Expected '{expected}', but was '{type_name(value)}' for value: "
                f"{to_json(value)}")

    @property
    def references(self) -> tuple[Expression, ...]:
        return (self.expression,)


@dataclass(frozen=True, slots=True)
class ObjectQuery(Query):
    """An object with at least one expression among its values."""

    fields: tuple[tuple[str, Query], ...]

    def build(self, scope: Scope, field: str, states: States, budget: Budget) -> dict[str, Any]:
        budget.add(1 + len(self.fields))  # braces and commas (at least one field)
        result: dict[str, Any] = {}
        for key, query in self.fields:
            budget.add(len(key) + 3)  # quotes and colon
            result[key] = query.build(scope, f"{field}/{key}", states, budget)
        return result

    @property
    def references(self) -> tuple[Expression, ...]:
        return tuple(e for _, query in self.fields for e in query.references)


@dataclass(frozen=True, slots=True)
class ArrayQuery(Query):
    """An array with at least one expression among its items."""

    items: tuple[Query, ...]

    def build(self, scope: Scope, field: str, states: States, budget: Budget) -> list[Any]:
        budget.add(1 + len(self.items))  # brackets and commas (at least one item)
        return [query.build(scope, f"{field}/{index}", states, budget) for index, query in enumerate(self.items)]

    @property
    def references(self) -> tuple[Expression, ...]:
        return tuple(e for query in self.items for e in query.references)


@dataclass(frozen=True, slots=True)
class QueryCondition:
    """A JSONata Choice rule's ``Condition``: an expression (or literal) that must be a boolean."""

    query: Query

    def matches(self, scope: Scope) -> bool:
        return bool(self.query.typed(scope, "Condition", "boolean"))


def compile_query(value: Any, pointer: str) -> Query:
    """Compile a JSONata field value; ``pointer`` is its JSON pointer for definition errors."""
    if is_expression(value):
        return Dynamic(compile_expression(value, pointer))
    if isinstance(value, dict):
        fields = tuple((key, compile_query(item, f"{pointer}/{_escape(key)}")) for key, item in value.items())
        if all(isinstance(query, Literal) for _, query in fields):
            return Literal(value)
        return ObjectQuery(fields)
    if isinstance(value, list):
        items = tuple(compile_query(item, f"{pointer}/{index}") for index, item in enumerate(value))
        if all(isinstance(query, Literal) for query in items):
            return Literal(value)
        return ArrayQuery(items)
    return Literal(value)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
