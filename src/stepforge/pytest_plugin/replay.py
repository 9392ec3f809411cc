"""Replay a recorded execution against a changed definition and say where it diverges.

    report = replay(json.load(open("history.json")), load_definition("machine.v2.asl.json"))
    report.compatible, report.divergence          # None when the new definition takes the same way

The recording is a GetExecutionHistory result (``{"events": [...]}`` or the list), from stepforge or
from AWS. The new definition runs on the manual clock with the recorded input; each Task state
answers with what it answered in the recording, invocation by invocation (results, errors,
timeouts), so the only thing that can change is the definition's own logic. The replay then
compares, state by state in the order the recording entered them: the state entered, then its
input; then, for a finished recording, the final status. A recording of an execution still in
flight (the safety check before updating a machine with executions running) is compatible when
every state it entered replays the same. Parallel branches and Map iterations are compared in the
recording's order, and their tasks' answers are handed out in that order too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stepforge.pytest_plugin.history import Visit, details, read_visits
from stepforge.pytest_plugin.mocking import Response, Return, Throw
from stepforge.pytest_plugin.workbench import StepForge

_FINAL = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionTimedOut": "TIMED_OUT",
          "ExecutionAborted": "ABORTED"}


@dataclass
class Divergence:
    """The first place the replay differs from the recording."""

    kind: str                 # "path", "input" or "status"
    index: int                # position in the recorded path
    event_id: int | None      # the recording's StateEntered event there (None past its end)
    recorded: Any
    replayed: Any

    @property
    def message(self) -> str:
        where = f"at step {self.index + 1}" + (f" (recorded event {self.event_id})" if self.event_id else "")
        if self.kind == "path":
            return f"{where}: the recording entered {self.recorded!r}, the new definition {self.replayed!r}"
        if self.kind == "input":
            return f"{where}: {self.recorded[0]!r} gets another input: {self.recorded[1]!r} recorded, " \
                   f"{self.replayed!r} now"
        return f"{where}: the recording ended {self.recorded}, the replay {self.replayed}"


@dataclass
class ReplayReport:
    """What the replay found: both paths and the first divergence (None: compatible)."""

    recorded_path: list[str]
    replayed_path: list[str]
    recorded_status: str
    replayed_status: str
    divergence: Divergence | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return self.divergence is None


def replay(history: Mapping[str, Any] | list[Mapping[str, Any]], definition: Mapping[str, Any]) -> ReplayReport:
    """Run ``definition`` with the recording's input and task answers; compare the two."""
    events = list(history["events"] if isinstance(history, Mapping) else history)
    recorded = read_visits(events)
    status = next((_FINAL[str(e["type"])] for e in reversed(events) if e["type"] in _FINAL), "RUNNING")
    started = next((details(e) for e in events if e["type"] == "ExecutionStarted"), {})
    bench = StepForge()
    for state, responses in _answers(recorded).items():
        bench.mock(state, *responses)
    run = bench.load(definition, name="replay").start(_json(started.get("input", "{}")))
    notes = []
    try:
        run.finish()
    except AssertionError as exc:
        notes.append(str(exc))
    report = ReplayReport([v.name for v in recorded], run.path, status, run.status, notes=notes)
    report.divergence = _first_divergence(recorded, run.visits, status, run.status)
    bench.close()
    return report


def _answers(visits: list[Visit]) -> dict[str, list[Response]]:
    """Each Task state's recorded answers, invocation by invocation."""
    answers: dict[str, list[Response]] = {}
    for visit in visits:
        if visit.type != "Task":
            continue
        found = answers.setdefault(visit.name, [])
        found += [Throw(error, cause) for error, cause in visit.failures]
        found += [Return(value) for value in visit.results]
    return {state: responses for state, responses in answers.items() if responses}


def _first_divergence(recorded: list[Visit], replayed: list[Visit], recorded_status: str,
                      replayed_status: str) -> Divergence | None:
    for index, old in enumerate(recorded):
        new = replayed[index] if index < len(replayed) else None
        if new is None or new.name != old.name:
            return Divergence("path", index, old.entered_id, old.name, None if new is None else new.name)
        if new.input != old.input:
            return Divergence("input", index, old.entered_id, (old.name, old.input), new.input)
    if recorded_status == "RUNNING":
        return None
    if len(replayed) > len(recorded):
        return Divergence("path", len(recorded), None, None, replayed[len(recorded)].name)
    if replayed_status != recorded_status:
        return Divergence("status", len(recorded), None, recorded_status, replayed_status)
    return None


def _json(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else text
