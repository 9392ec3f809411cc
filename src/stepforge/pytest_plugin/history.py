"""What an execution history says, state by state: the visits, in the order they began.

Works on GetExecutionHistory events (AWS's shape, from stepforge or from AWS): every event's
``previousEventId`` points to the previous event *of the same frame* (the execution, a Parallel
branch, a Map iteration), so walking back from any event finds the state visit it belongs to, and a
``...StateEntered`` whose previous event is a ``...StateExited`` names the transition between them.

    visits = read_visits(events)
    [v.name for v in visits]              # the path
    visits[2].failures, visits[2].caught  # [("Busy", "cause"), ...], "Busy" (or None)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Events that start one attempt of a state's work.
ATTEMPT_EVENTS = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled",
                            "ParallelStateStarted", "MapStateStarted"})
#: Events that end an execution (never a state's own failure).
EXECUTION_EVENTS = frozenset({"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted", "ExecutionSucceeded"})


@dataclass
class Visit:
    """One entry into a state: its input and output, each attempt's failure, where it went next."""

    name: str
    type: str
    entered_id: int
    input: Any = None
    output: Any = None
    exited: bool = False
    attempts: int = 0
    failures: list[tuple[str, str | None]] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    caught: str | None = None
    previous: Visit | None = None
    next: Visit | None = None
    parent: Visit | None = None
    last_event_type: str = ""

    @property
    def retries(self) -> int:
        """How many times a Retry clause ran the state's work again."""
        return max(0, self.attempts - 1)

    @property
    def error(self) -> str | None:
        """The last error the state's work raised (caught, retried or not), if any."""
        return self.failures[-1][0] if self.failures else None


def details(event: Mapping[str, Any]) -> dict[str, Any]:
    """An event's ``...EventDetails`` (empty when it has none)."""
    found = next((v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, dict)), None)
    return dict(found) if found else {}


def is_failure(event: Mapping[str, Any]) -> bool:
    """A state's work failed or timed out (a task, a Parallel, a Map): the event names an error."""
    kind = str(event["type"])
    return (kind.endswith(("Failed", "TimedOut")) and kind not in EXECUTION_EVENTS
            and kind not in ("MapIterationFailed", "MapRunFailed"))


def read_visits(events: Iterable[Mapping[str, Any]]) -> list[Visit]:
    """Every state visit of a history, in the order of their ``...StateEntered`` events."""
    by_id: dict[int, Mapping[str, Any]] = {}
    owner: dict[int, Visit | None] = {}
    visits: list[Visit] = []
    for event in sorted(events, key=lambda e: int(e["id"])):
        event_id, previous = int(event["id"]), by_id.get(int(event.get("previousEventId") or 0))
        by_id[event_id] = event
        kind = str(event["type"])
        if kind.endswith("StateEntered"):
            entered = _enter(event, previous, owner)
            visits.append(entered)
            owner[event_id] = entered
            continue
        visit = _owner(kind, previous, owner)
        owner[event_id] = visit
        if visit is not None:
            _record(visit, event, previous)
    return visits


def unlink(visits: Iterable[Visit]) -> None:
    """Drop the visits' links to each other (``previous``, ``next``, ``parent``): what a reader no
    longer needs is then freed by reference counting."""
    for visit in visits:
        visit.previous = visit.next = visit.parent = None


def _owner(kind: str, previous: Mapping[str, Any] | None, owner: Mapping[int, Visit | None]) -> Visit | None:
    """The visit an event that is no ``...StateEntered`` belongs to.

    A Parallel's or Map's own events after its branches ran follow the last event of the branch
    that ended last: they belong to the nearest Parallel or Map visit around that event."""
    if previous is None:
        return None
    before = owner.get(int(previous["id"]))
    after_exit = str(previous["type"]).endswith("StateExited")
    if not kind.startswith(_GROUP_EVENTS):
        return None if after_exit else before
    visit = before.parent if after_exit and before is not None else before
    while visit is not None and visit.type not in ("Parallel", "Map"):
        visit = visit.parent
    return visit


_GROUP_EVENTS = ("ParallelState", "MapState", "MapIteration")


def _enter(event: Mapping[str, Any], previous: Mapping[str, Any] | None,
           owner: Mapping[int, Visit | None]) -> Visit:
    info = details(event)
    visit = Visit(str(info.get("name", "")), str(event["type"])[: -len("StateEntered")], int(event["id"]),
                  _json(info.get("input")))
    if previous is None:
        return visit
    before = owner.get(int(previous["id"]))
    if str(previous["type"]).endswith("StateExited") and before is not None:
        visit.previous, before.next, visit.parent = before, visit, before.parent
    else:
        visit.parent = before
    return visit


def _record(visit: Visit, event: Mapping[str, Any], previous: Mapping[str, Any] | None) -> None:
    kind = str(event["type"])
    info = details(event)
    if kind in ATTEMPT_EVENTS:
        visit.attempts += 1
    elif kind.endswith("StateExited"):
        visit.exited, visit.output = True, _json(info.get("output"))
        if previous is not None and is_failure(previous) and visit.failures:
            visit.caught = visit.failures[-1][0]
    elif is_failure(event):
        if "error" not in info and previous is not None and is_failure(previous):
            info = details(previous)  # a Parallel or Map fails with its branch's error
        visit.failures.append((str(info.get("error", "")), info.get("cause")))
    elif kind.endswith("Succeeded") and "output" in info:
        visit.results.append(_json(info.get("output")))
    visit.last_event_type = kind


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
