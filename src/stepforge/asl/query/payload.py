"""Payload templates: ``Parameters``, ``ItemSelector``, ``ResultSelector`` (and a legacy Map's ``Parameters``).

A template is a JSON value in which an object key ending in ``.$`` takes a path (``$.x``, ``$$.x``,
``$var.x``) or an intrinsic call (``States.Format(...)``), and the output key drops the ``.$``.
``compile_template`` turns it into a small tree once; every problem is a :class:`DefinitionError`
with the JSON pointer of the offending field.

Ownership: :meth:`Template.evaluate` always returns a value the caller owns. Constant sub-trees are
precomputed at compile time and structurally copied per evaluation (containers only; strings,
numbers, booleans and null are immutable and shared); values selected by a path or returned by an
intrinsic are copied as well, so the result never aliases the input, the context or the template.
Callers may therefore mutate a result without affecting anything else.

Size: given a bounded :class:`~stepforge.asl.query.budget.Budget`, an evaluation counts each piece
before copying it in and stops with ``States.DataLimitExceeded`` as soon as the result is known to
pass 256 KiB, so a template cannot amplify its input into gigabytes.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Final

from stepforge.asl import errors
from stepforge.asl.errors import DefinitionError, StatesError
from stepforge.asl.query.budget import Budget
from stepforge.asl.query.intrinsics import Intrinsic, compact_json, compile_intrinsic, is_intrinsic
from stepforge.asl.query.jsonpath import JsonPath, PathNotFound, PathSyntaxError, compile_path
from stepforge.asl.scope import Scope

DYNAMIC_SUFFIX: Final = ".$"


def copy_json(value: Any) -> Any:
    """A structural copy of a JSON value: new dicts and lists, shared scalars."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def evaluate_path_field(path: JsonPath, scope: Scope, field_name: str) -> Any:
    """Resolve ``path`` for the field ``field_name`` (``'value.$'``, ``'ErrorPath'``).

    A path that selects nothing fails with ``States.Runtime`` and AWS's cause, which quotes the
    document the path was evaluated on: the context object for ``$$`` paths, else the input.
    """
    try:
        return path.resolve(scope)
    except PathNotFound:
        document = scope.context if path.root == "context" else scope.input
        raise StatesError(
            errors.RUNTIME,
            f"The JSONPath '{path.text}' specified for the field '{field_name}' "
            f"could not be found in the input '{compact_json(document)}'",
        ) from None


class Template(abc.ABC):
    """A compiled payload template; :meth:`evaluate` builds a new JSON value from a scope."""

    __slots__ = ()

    def evaluate(self, scope: Scope, budget: Budget | None = None) -> Any:
        """The template's value for ``scope``; raises :class:`StatesError` for a missing path, and
        ``States.DataLimitExceeded`` once the value passes ``budget`` (none: no limit here)."""
        return self.build(scope, Budget.unbounded() if budget is None else budget)

    @abc.abstractmethod
    def build(self, scope: Scope, budget: Budget) -> Any:
        """The value for ``scope``, each piece counted against ``budget`` before it is copied in."""

    @property
    def is_constant(self) -> bool:
        """Whether the value is the same for every scope."""
        return False


@dataclass(frozen=True, slots=True)
class Constant(Template):
    """A sub-tree without any ``.$`` field, kept as its JSON value."""

    value: Any

    def build(self, scope: Scope, budget: Budget) -> Any:
        return copy_json(budget.take(self.value))

    @property
    def is_constant(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class PathField(Template):
    """The value of a ``"key.$": "$.path"`` field."""

    field: str
    path: JsonPath

    def build(self, scope: Scope, budget: Budget) -> Any:
        return copy_json(budget.take(evaluate_path_field(self.path, scope, self.field)))


@dataclass(frozen=True, slots=True)
class IntrinsicField(Template):
    """The value of a ``"key.$": "States.X(...)"`` field."""

    field: str
    intrinsic: Intrinsic

    def build(self, scope: Scope, budget: Budget) -> Any:
        return copy_json(budget.take(self.intrinsic.evaluate(scope)))


@dataclass(frozen=True, slots=True)
class ObjectTemplate(Template):
    """An object with at least one dynamic field; ``fields`` are (output key, template) pairs."""

    fields: tuple[tuple[str, Template], ...]

    def build(self, scope: Scope, budget: Budget) -> dict[str, Any]:
        budget.add(1 + len(self.fields))  # braces and commas (at least one field)
        result: dict[str, Any] = {}
        for key, template in self.fields:
            budget.add(len(key) + 3)  # quotes and colon
            result[key] = template.build(scope, budget)
        return result


@dataclass(frozen=True, slots=True)
class ArrayTemplate(Template):
    """An array with at least one dynamic element."""

    items: tuple[Template, ...]

    def build(self, scope: Scope, budget: Budget) -> list[Any]:
        budget.add(1 + len(self.items))  # brackets and commas (at least one item)
        return [item.build(scope, budget) for item in self.items]


def compile_template(value: Any, path: str) -> Template:
    """Compile the JSON ``value`` of a template field; ``path`` is its JSON pointer (``/States/P/Parameters``)."""
    if isinstance(value, dict):
        return _object(value, path)
    if isinstance(value, list):
        items = tuple(compile_template(item, f"{path}/{index}") for index, item in enumerate(value))
        if all(item.is_constant for item in items):
            return Constant([_constant_value(item) for item in items])
        return ArrayTemplate(items)
    return Constant(value)


def _object(value: dict[str, Any], path: str) -> Template:
    fields: list[tuple[str, Template]] = []
    for key, item in value.items():
        if not isinstance(key, str):
            raise DefinitionError(f"Object keys must be strings, found {key!r}", path)
        pointer = f"{path}/{_escape(key)}"
        if key.endswith(DYNAMIC_SUFFIX):
            fields.append((key[: -len(DYNAMIC_SUFFIX)], compile_dynamic(key, item, pointer)))
        else:
            fields.append((key, compile_template(item, pointer)))
    if all(template.is_constant for _, template in fields):
        return Constant({key: _constant_value(template) for key, template in fields})
    return ObjectTemplate(tuple(fields))


def compile_dynamic(field: str, value: Any, pointer: str) -> Template:
    """Compile the value of one ``.$`` field: a path or an intrinsic call given as a string."""
    if not isinstance(value, str):
        raise DefinitionError(_not_dynamic(field), pointer)
    if is_intrinsic(value):
        return IntrinsicField(field, compile_intrinsic(value, path=pointer))
    if not value.startswith("$"):
        raise DefinitionError(_not_dynamic(field), pointer)
    try:
        return PathField(field, compile_path(value))
    except PathSyntaxError as exc:
        raise DefinitionError(f"{_not_dynamic(field)}: {exc}", pointer) from None


def _not_dynamic(field: str) -> str:
    return f"The value for the field '{field}' must be a valid JSONPath or a valid intrinsic function call"


def _constant_value(template: Template) -> Any:
    if not isinstance(template, Constant):
        raise TypeError(f"not a constant template: {template!r}")
    return template.value


def _escape(key: str) -> str:
    """A key as a JSON pointer token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")
