"""The scope rule of workflow variables: an inner scope never assigns a name an outer scope assigns.

A Parallel branch or a Map's item processor is a scope of its own; it reads the variables of the
scopes around it but may not ``Assign`` one of their names (AWS allows no shadowing). The names a
scope assigns come from its states' ``Assign`` blocks and their Choice rules'. A name an outer scope
assigns only in a Catcher is a WARNING, not an error: AWS accepts a Parallel whose Catcher assigns
the name its branch assigns (recorded: ``PARALLEL_CATCH_ERROR_VARIABLE_SAMPLING``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stepforge.asl.compilation.variables import assigned_name
from stepforge.asl.validation.fields import Collector, at_key, is_object


def check_assignment_scopes(out: Collector, machine: Any, top_language: str) -> None:
    """Refuse, at the nested machine's pointer, an inner ``Assign`` of a name an enclosing scope assigns;
    warn when the enclosing scope assigns it only in a Catcher."""
    _check(out, machine, top_language, _Names(frozenset(), frozenset()), "")


@dataclass(frozen=True)
class _Names:
    """The names a scope (with those around it) assigns: in states and Choice rules, and only in Catchers."""

    strong: frozenset[str]
    caught: frozenset[str]

    def __or__(self, other: _Names) -> _Names:
        return _Names(self.strong | other.strong, (self.caught | other.caught) - self.strong - other.strong)


def _check(out: Collector, machine: Any, top_language: str, outer: _Names, at: str) -> None:
    states = machine.get("States") if is_object(machine) else None
    if not is_object(states):
        return
    mine = _assigned(states, top_language)
    own = mine.strong | mine.caught
    clash = sorted(own & outer.strong)
    if clash:
        out.error(f"The variable '{clash[0]}' is assigned in an outer scope and cannot be assigned in a nested "
                  "Parallel branch or Map iteration", at)
    elif own & outer.caught:
        name = min(own & outer.caught)
        out.warning("VARIABLE_SHADOWS_CATCH", f"The variable '{name}' is assigned here and by a Catcher of an "
                    "outer scope; the Catcher's value replaces it when the error is caught", at)
    for name, state in states.items():
        for pointer, inner in _nested(state, at_key(f"{at}/States", name)):
            _check(out, inner, top_language, outer | mine, pointer)


def _assigned(states: Mapping[str, Any], top_language: str) -> _Names:
    strong: set[str] = set()
    caught: set[str] = set()
    for state in states.values():
        if not is_object(state):
            continue
        language = state.get("QueryLanguage", top_language)
        for key, found in (("", strong), ("Choices", strong), ("Catch", caught)):
            for block in _assign_blocks(state, key):
                found.update(assigned_name(name, language) for name in block)
    return _Names(frozenset(strong), frozenset(caught - strong))


def _assign_blocks(state: Mapping[str, Any], key: str) -> Iterator[Mapping[str, Any]]:
    """The ``Assign`` blocks of the state itself (``key == ""``) or of its Choice rules or Catchers."""
    found = state.get(key) if key else [state]
    entries = [entry for entry in found if is_object(entry)] if isinstance(found, list) else []
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
