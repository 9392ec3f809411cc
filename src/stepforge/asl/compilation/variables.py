"""Workflow variables: ``Assign`` in both query languages, scopes, and AWS's size limits.

A state's ``Assign`` (also a Choice rule's and a Catcher's) is compiled once into a
:class:`PathAssign` (JSONPath: a payload template whose ``.$`` keys take paths and intrinsics) or a
:class:`QueryAssign` (JSONata: each value a ``{% %}`` expression or a literal). Every value is
evaluated on the variables as they were when the state was entered; the interpreter applies the
new values only once the state's output is known.

Variables live per frame. A Parallel branch or Map iteration reads the variables of the frames
above it (:func:`visible`) but assigns only its own; :func:`check_scopes` refuses, at definition
time, an inner ``Assign`` of a name that an outer scope assigns (no shadowing).
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from stepforge.asl import errors
from stepforge.asl.compilation import states as st
from stepforge.asl.errors import DefinitionError, StatesError
from stepforge.asl.query.dataflow import to_json
from stepforge.asl.query.fields import Query, States, compile_query
from stepforge.asl.query.payload import DYNAMIC_SUFFIX, Template, compile_template
from stepforge.asl.records import Frame, Run
from stepforge.asl.scope import Scope

#: AWS's limits: one variable, and everything one Assign sets, in bytes of UTF-8 JSON.
MAX_VARIABLE_BYTES = 256 * 1024
MAX_ASSIGN_BYTES = 256 * 1024
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Assign(Protocol):
    """A compiled ``Assign`` block."""

    @property
    def names(self) -> frozenset[str]: ...

    def evaluate(self, scope: Scope, states: States = None) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class PathAssign:
    """``Assign`` in a JSONPath state: ``$`` is the state's result (or effective input)."""

    template: Template
    names: frozenset[str]

    def evaluate(self, scope: Scope, states: States = None) -> dict[str, Any]:
        value = self.template.evaluate(scope)
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
        return {name: query.evaluate(scope, f"Assign/{name}", states) for name, query in self.fields}


def compile_assign(value: Any, pointer: str, language: str) -> Assign | None:
    """Compile an ``Assign`` object; an empty one assigns nothing (None)."""
    if not isinstance(value, dict):
        raise DefinitionError("Assign must be a JSON object", pointer)
    names = []
    for key in value:
        name = key[: -len(DYNAMIC_SUFFIX)] if language == st.JSONPATH and key.endswith(DYNAMIC_SUFFIX) else key
        if not _NAME.match(name) or name == "states":
            raise DefinitionError(f"Invalid variable name '{name}'", f"{pointer}/{key}")
        names.append(name)
    if not value:
        return None
    if language == st.JSONATA:
        return QueryAssign(tuple((key, compile_query(item, f"{pointer}/{key}")) for key, item in value.items()))
    return PathAssign(compile_template(value, pointer), frozenset(names))


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
        raise StatesError(errors.DATA_LIMIT_EXCEEDED,
                          "The variables assigned by the state have a combined size exceeding the maximum "
                          "number of bytes service limit.", located=False)
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


def _assigns(state: st.State) -> Iterator[Assign]:
    if state.assign is not None:
        yield state.assign
    if isinstance(state, st.ChoiceState):
        yield from (rule.assign for rule in state.choices if rule.assign is not None)
    if isinstance(state, st.RecoverableState):
        yield from (catcher.assign for catcher in state.catch if catcher.assign is not None)


def assigned_names(machine: st.StateMachine) -> frozenset[str]:
    """Every variable name the states of one scope (not nested ones) assign."""
    return frozenset(name for state in machine.states.values() for assign in _assigns(state) for name in assign.names)


def check_scopes(machine: st.StateMachine, outer: frozenset[str] = frozenset(), at: str = "") -> None:
    """Refuse an inner-scope ``Assign`` of a name an enclosing scope assigns."""
    mine = assigned_names(machine)
    clash = sorted(mine & outer)
    if clash:
        raise DefinitionError(f"The variable '{clash[0]}' is assigned in an outer scope and cannot be "
                              "assigned in a nested Parallel branch or Map iteration", at or "/")
    for name, state in machine.states.items():
        nested = (state.branches if isinstance(state, st.ParallelState)
                  else (state.processor,) if isinstance(state, st.MapState) else ())
        for index, inner in enumerate(nested):
            where = f"{at}/States/{name}/" + (f"Branches/{index}" if isinstance(state, st.ParallelState)
                                              else "ItemProcessor")
            check_scopes(inner, outer | mine, where)
