"""Workflow variables: ``Assign`` in both query languages, scopes, and AWS's size limits.

A state's ``Assign`` (also a Choice rule's and a Catcher's) is compiled once into a
:class:`PathAssign` (JSONPath: a payload template whose ``.$`` keys take paths and intrinsics) or a
:class:`QueryAssign` (JSONata: each value a ``{% %}`` expression or a literal). Every value is
evaluated on the variables as they were when the state was entered; the interpreter applies the
new values only once the state's output is known.

Variables live per frame. A Parallel branch or Map iteration reads the variables of the frames
above it (:func:`visible`) but assigns only its own; the validator refuses an inner ``Assign`` of a
name that an outer scope assigns (no shadowing, see :mod:`stepforge.asl.validation.assignments`).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from stepforge.asl import errors
from stepforge.asl.errors import StatesError
from stepforge.asl.query.budget import Budget
from stepforge.asl.query.dataflow import to_json
from stepforge.asl.query.fields import Query, States, compile_query
from stepforge.asl.query.languages import JSONATA, JSONPATH
from stepforge.asl.query.payload import DYNAMIC_SUFFIX, Template, compile_template
from stepforge.asl.records import Frame, Run
from stepforge.asl.scope import Scope

#: AWS's limits: one variable, and everything one Assign sets, in bytes of UTF-8 JSON.
MAX_VARIABLE_BYTES = 256 * 1024
MAX_ASSIGN_BYTES = 256 * 1024
#: What an Assign may build before :func:`check_sizes` judges it exactly: four times the limit, so
#: that the exact check (and its exact error) decides every case short of a runaway template.
MAX_ASSIGN_BUILT = 4 * MAX_ASSIGN_BYTES


class Assign(Protocol):
    """A compiled ``Assign`` block."""

    @property
    def names(self) -> frozenset[str]: ...

    def evaluate(self, scope: Scope, states: States = None) -> dict[str, Any]: ...


def _combined_size_exceeded() -> StatesError:
    return StatesError(errors.DATA_LIMIT_EXCEEDED,
                       "The variables assigned by the state have a combined size exceeding the maximum "
                       "number of bytes service limit.", located=False)


@dataclass(frozen=True, slots=True)
class PathAssign:
    """``Assign`` in a JSONPath state: ``$`` is the state's result (or effective input).

    Built under a payload budget: a template of thousands of ``"kN.$": "$"`` fields is refused once
    what it has built passes :data:`MAX_ASSIGN_BUILT` (plus ``overhead``, the JSON of its own keys),
    before it copies the input thousands of times.
    """

    template: Template
    names: frozenset[str]
    overhead: int

    def evaluate(self, scope: Scope, states: States = None) -> dict[str, Any]:
        try:
            value = self.template.evaluate(scope, Budget("", MAX_ASSIGN_BUILT + self.overhead))
        except StatesError as exc:
            if exc.error == errors.DATA_LIMIT_EXCEEDED:
                raise _combined_size_exceeded() from None
            raise
        assert isinstance(value, dict)
        return value


@dataclass(frozen=True, slots=True)
class QueryAssign:
    """``Assign`` in a JSONata state: ``$states.input``, ``$states.result`` and the variables."""

    fields: tuple[tuple[str, Query], ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.fields)

    def evaluate(self, scope: Scope, states: States = None) -> dict[str, Any]:
        """Each value counted, as it is built, against the combined limit (see :class:`PathAssign`)."""
        budget = Budget("", MAX_ASSIGN_BUILT)
        try:
            return {name: query.evaluate(scope, f"Assign/{name}", states, budget) for name, query in self.fields}
        except StatesError as exc:
            if exc.error == errors.DATA_LIMIT_EXCEEDED:
                raise _combined_size_exceeded() from None
            raise


def compile_assign(value: Mapping[str, Any], pointer: str, language: str) -> Assign | None:
    """Compile an ``Assign`` object the validator accepted; an empty one assigns nothing (None)."""
    if not value:
        return None
    if language == JSONATA:
        return QueryAssign(tuple((key, compile_query(item, f"{pointer}/{key}")) for key, item in value.items()))
    names = [assigned_name(key, language) for key in value]
    overhead = 1 + len(names) + sum(len(name) + 3 for name in names)  # braces, commas, quoted keys, colons
    return PathAssign(compile_template(value, pointer), frozenset(names), overhead)


def assigned_name(key: str, language: str) -> str:
    """The variable an ``Assign`` key sets: a JSONPath key ``name.$`` sets ``name``."""
    return key[: -len(DYNAMIC_SUFFIX)] if language == JSONPATH and key.endswith(DYNAMIC_SUFFIX) else key


def check_sizes(assigned: Mapping[str, Any]) -> dict[str, str]:
    """Each assigned value as JSON (for ``assignedVariables``), refusing values over AWS's limits."""
    shown = {name: to_json(value) for name, value in assigned.items()}
    total = 0
    for name, text in shown.items():
        size = len(text.encode())
        total += size
        if size > MAX_VARIABLE_BYTES:
            raise StatesError(errors.DATA_LIMIT_EXCEEDED,
                              f"The variable '{name}' has a size exceeding the maximum number of bytes "
                              "service limit.", located=False)
    if total > MAX_ASSIGN_BYTES:
        raise _combined_size_exceeded()
    return shown


def visible(run: Run, frame: Frame) -> ChainMap[str, Any]:
    """The variables a frame reads: its own, then each enclosing frame's."""
    scopes = [frame.variables]
    parent = frame.parent
    while parent is not None and parent in run.frames:
        outer = run.frames[parent]
        scopes.append(outer.variables)
        parent = outer.parent
    return ChainMap(*scopes)
