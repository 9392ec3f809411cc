"""What test runs exercised of each state machine: states, Choice rules, Retry and Catch clauses, transitions.

A definition has *items*, each with an id:

==================  ====================================================================
``state:S``         the state S was entered
``next:S``          S left through its ``Next``; ``end:S`` it ended its machine or branch
``choice:S:i``      Choice S took its rule i; ``default:S`` its ``Default``
``retry:S:i``       S's retrier i ran the state's work again
``catch:S:i``       S's catcher i handled an error
==================  ====================================================================

:class:`Coverage` counts the items each run's history hits (read with
:mod:`stepforge.pytest_plugin.history`), per machine; it merges (pytest-xdist workers) and dumps
to JSON. Which Choice rule a run took is read from the state it went to; when several rules (or the
Default) lead there, the rules are evaluated again on the state's recorded input.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.choice import first_match
from stepforge.asl.execution.interpreter import _matches
from stepforge.asl.query.dataflow import select
from stepforge.asl.scope import Scope
from stepforge.engine.engine import compiled
from stepforge.pytest_plugin.history import Visit, read_visits

#: Item kinds by report column, in the order the report shows them.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "states": ("state",), "transitions": ("next", "end"), "choices": ("choice", "default"),
    "retries": ("retry",), "catches": ("catch",),
}


def walk_states(definition: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(name, state) for every state of a definition, nested branches and processors included."""
    for name, state in (definition.get("States") or {}).items():
        if not isinstance(state, Mapping):
            continue
        yield name, state
        for branch in state.get("Branches") or []:
            yield from walk_states(branch)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if isinstance(processor, Mapping):
            yield from walk_states(processor)


def items(definition: Mapping[str, Any]) -> list[str]:
    """Every coverage item of a definition, in the order of its states."""
    found: list[str] = []
    for name, state in walk_states(definition):
        found.append(f"state:{name}")
        if isinstance(state.get("Next"), str):
            found.append(f"next:{name}")
        if state.get("End") is True or state.get("Type") == "Succeed":
            found.append(f"end:{name}")
        found += [f"choice:{name}:{i}" for i in range(len(state.get("Choices") or []))]
        if state.get("Type") == "Choice" and isinstance(state.get("Default"), str):
            found.append(f"default:{name}")
        found += [f"retry:{name}:{i}" for i in range(len(state.get("Retry") or []))]
        found += [f"catch:{name}:{i}" for i in range(len(state.get("Catch") or []))]
    return found


def hits(definition: Mapping[str, Any], events: list[dict[str, Any]]) -> list[str]:
    """The items one history hits (an item once per time it was hit)."""
    raw = dict(walk_states(definition))
    compiled = _compiled_states(definition)
    found: list[str] = []
    for visit in read_visits(events):
        state = raw.get(visit.name)
        if state is None:
            continue
        found.append(f"state:{visit.name}")
        found += _exits(visit, state, compiled.get(visit.name))
        retriers = compiled.get(visit.name)
        if isinstance(retriers, st.RecoverableState):
            for error, _ in visit.failures[: visit.retries]:
                index = next((i for i, r in enumerate(retriers.retry) if _matches(r.error_equals, error)), None)
                if index is not None:
                    found.append(f"retry:{visit.name}:{index}")
            if visit.caught is not None:
                index = next((i for i, c in enumerate(retriers.catch) if _matches(c.error_equals, visit.caught)),
                             None)
                if index is not None:
                    found.append(f"catch:{visit.name}:{index}")
    return found


def _exits(visit: Visit, state: Mapping[str, Any], compiled: st.State | None) -> list[str]:
    if not visit.exited or visit.caught is not None:
        return []
    name, target = visit.name, visit.next.name if visit.next is not None else None
    if state.get("Type") == "Choice":
        return [_choice(visit, state, compiled)] if target is not None else []
    if target is None:
        return [f"end:{name}"] if state.get("End") is True or state.get("Type") == "Succeed" else []
    return [f"next:{name}"] if state.get("Next") == target else []


def _choice(visit: Visit, state: Mapping[str, Any], compiled: st.State | None) -> str:
    """The rule (or Default) a Choice visit took."""
    target = visit.next.name if visit.next is not None else None
    rules = state.get("Choices") or []
    candidates = [f"choice:{visit.name}:{i}" for i, rule in enumerate(rules) if rule.get("Next") == target]
    if state.get("Default") == target:
        candidates.append(f"default:{visit.name}")
    if len(candidates) > 1 and isinstance(compiled, st.ChoiceState):
        try:
            scope = Scope(visit.input)
            rule = first_match(compiled.choices, scope if compiled.jsonata else
                               scope.with_input(select(compiled.input_path, scope)))
        except Exception:  # noqa: BLE001 - a rule that needs variables or context: keep the first candidate
            return candidates[0]
        return f"default:{visit.name}" if rule is None else f"choice:{visit.name}:{compiled.choices.index(rule)}"
    return candidates[0] if candidates else f"default:{visit.name}"


def _compiled_states(definition: Mapping[str, Any]) -> dict[str, st.State]:
    found: dict[str, st.State] = {}

    def collect(machine: st.StateMachine) -> None:
        for name, state in machine.states.items():
            found[name] = state
            for child in (state.branches if isinstance(state, st.ParallelState) else
                          (state.processor,) if isinstance(state, st.MapState) else ()):
                collect(child)

    with contextlib.suppress(Exception):  # the engine ran it; a report never fails on it
        collect(compiled(json.dumps(definition)))  # the text the workbench stored: compiled once
    return found


@dataclass
class MachineCoverage:
    """One machine's items and how often runs hit each."""

    name: str
    definition: dict[str, Any]
    runs: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for item in items(self.definition):
            self.counts.setdefault(item, 0)

    def add(self, events: list[dict[str, Any]]) -> None:
        self.runs += 1
        for item in hits(self.definition, events):
            if item in self.counts:
                self.counts[item] += 1

    def category(self, name: str) -> tuple[int, int]:
        """(covered, total) of one category of :data:`CATEGORIES`."""
        kinds = CATEGORIES[name]
        chosen = [c for item, c in self.counts.items() if item.split(":", 1)[0] in kinds]
        return sum(1 for c in chosen if c), len(chosen)

    @property
    def covered(self) -> int:
        return sum(1 for c in self.counts.values() if c)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / len(self.counts) if self.counts else 100.0

    @property
    def missed(self) -> list[str]:
        return [item for item, c in self.counts.items() if not c]


class Coverage:
    """Coverage of every machine the tests ran, keyed by machine name (and definition, if it changed)."""

    def __init__(self) -> None:
        self.machines: dict[str, MachineCoverage] = {}

    def record(self, machine: str, definition: dict[str, Any], events: list[dict[str, Any]]) -> None:
        self._entry(machine, definition).add(events)

    def _entry(self, machine: str, definition: dict[str, Any]) -> MachineCoverage:
        key = machine
        found = self.machines.get(key)
        if found is not None and found.definition != definition:
            key = f"{machine} ({_digest(definition)})"
            found = self.machines.get(key)
        if found is None:
            found = self.machines[key] = MachineCoverage(key, definition)
        return found

    def total(self) -> tuple[int, int]:
        return (sum(m.covered for m in self.machines.values()), sum(len(m.counts) for m in self.machines.values()))

    @property
    def percent(self) -> float:
        covered, total = self.total()
        return 100.0 * covered / total if total else 100.0

    def dump(self) -> str:
        return json.dumps([{"name": m.name, "definition": m.definition, "runs": m.runs, "counts": m.counts}
                           for m in self.machines.values()])

    def merge(self, text: str) -> None:
        """Add the counts of a :meth:`dump` (a pytest-xdist worker's)."""
        for data in json.loads(text):
            entry = self._entry(data["name"], data["definition"])
            entry.runs += data["runs"]
            for item, count in data["counts"].items():
                entry.counts[item] = entry.counts.get(item, 0) + count


def _digest(definition: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:8]
