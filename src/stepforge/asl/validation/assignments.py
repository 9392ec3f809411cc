"""The scope rule of workflow variables: an inner scope never assigns a name an outer scope assigns.

A Parallel branch or a Map's item processor is a scope of its own; it reads the variables of the
scopes around it but may not ``Assign`` one of their names (AWS allows no shadowing). The names a
scope assigns come from its states' ``Assign`` blocks, their Choice rules' and their Catchers'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stepforge.asl.compilation.variables import assigned_name
from stepforge.asl.validation.fields import Collector, at_key, is_object


def check_assignment_scopes(out: Collector, machine: Any, top_language: str) -> None:
    """Refuse, at the nested machine's pointer, an inner ``Assign`` of a name an enclosing scope assigns."""
    _check(out, machine, top_language, frozenset(), "")


def _check(out: Collector, machine: Any, top_language: str, outer: frozenset[str], at: str) -> None:
    states = machine.get("States") if is_object(machine) else None
    if not is_object(states):
        return
    mine = frozenset(_assigned(states, top_language))
    clash = sorted(mine & outer)
    if clash:
        out.error(f"The variable '{clash[0]}' is assigned in an outer scope and cannot be assigned in a nested "
                  "Parallel branch or Map iteration", at)
    for name, state in states.items():
        for pointer, inner in _nested(state, at_key(f"{at}/States", name)):
            _check(out, inner, top_language, outer | mine, pointer)


def _assigned(states: Mapping[str, Any], top_language: str) -> Iterator[str]:
    for state in states.values():
        if not is_object(state):
            continue
        language = state.get("QueryLanguage", top_language)
        for block in _assign_blocks(state):
            yield from (assigned_name(key, language) for key in block)


def _assign_blocks(state: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    entries = [state]
    for key in ("Choices", "Catch"):
        found = state.get(key)
        if isinstance(found, list):
            entries += [entry for entry in found if is_object(entry)]
    yield from (entry["Assign"] for entry in entries if is_object(entry.get("Assign")))


def _nested(state: Any, at: str) -> Iterator[tuple[str, Any]]:
    if not is_object(state):
        return
    branches = state.get("Branches")
    if isinstance(branches, list):
        yield from ((f"{at}/Branches/{i}", branch) for i, branch in enumerate(branches))
    for key in ("ItemProcessor", "Iterator"):
        if key in state:
            yield f"{at}/{key}", state[key]
