"""Redrive: go on with a failed execution from the top-level state that did not succeed.

The point to resume from is read from the history: the last top-level ``*StateEntered`` event
(states nested in Parallel and Map are skipped by counting their Started/ended events) gives the
state and its input, and the top-level ``assignedVariables`` give the variables it saw. Steps
that succeeded are not run again; of a Parallel or inline Map that failed, only the branches or
iterations that did not succeed run again (see ``redrive_parts``).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from stepforge.asl.compilation import states as st
from stepforge.asl.errors import StatesError
from stepforge.asl.execution import distributed, redrive_parts
from stepforge.asl.execution.interpreter import ExecutionInfo, Interpreter, _Stepper
from stepforge.asl.records import RUNNING, Event, Frame, Run, Step

_OPENS = ("ParallelStateStarted", "MapStateStarted")
_CLOSES = ("ParallelStateSucceeded", "ParallelStateFailed", "ParallelStateAborted", "MapStateSucceeded",
           "MapStateFailed", "MapStateAborted")


@dataclass(slots=True)
class ResumePoint:
    """Where a redriven execution starts again."""

    state: str
    input: Any
    variables: dict[str, Any] = field(default_factory=dict)
    event_id: int = 0  # its StateEntered event


def resume_point(events: list[Event]) -> ResumePoint | None:
    """The top-level state that was running when the execution ended, or None if there is none."""
    depth = 0
    point: ResumePoint | None = None
    variables: dict[str, Any] = {}
    for event in events:
        details = event.details or {}
        if event.type in _OPENS:
            depth += 1
        elif event.type in _CLOSES:
            depth = max(0, depth - 1)
        elif depth == 0 and event.type.endswith("StateEntered"):
            point = ResumePoint(details["name"], json.loads(details["input"]), dict(variables), event.id)
        elif depth == 0 and event.type.endswith("StateExited"):
            variables.update(details.get("assignedVariables") or {})
            point = None
    if point is not None:
        point.variables = {k: json.loads(v) if isinstance(v, str) else v for k, v in point.variables.items()}
    return point


def redrive(interp: Interpreter, run: Run, info: ExecutionInfo, point: ResumePoint, event_count: int,
            now: float, rng: random.Random) -> Step:
    """A fresh run that records ExecutionRedriven and enters ``point.state`` again.

    A Map or Parallel that failed reruns only its iterations or branches that had not succeeded.
    """
    kept = redrive_parts.kept_for(run, point.state, point.event_id)
    run.frames.clear()
    run.status, run.output, run.error, run.cause = RUNNING, None, None, None
    run.next_event_id = event_count + 1
    stepper = _Stepper(interp, run, info, now, rng)
    root = stepper.new_frame((), point.state, point.input, parent=None, index=0)
    root.variables = dict(point.variables)
    event = stepper.emit(None, "ExecutionRedriven", "executionRedrivenEventDetails",
                         {"redriveCount": info.redrive_count})
    root.last_event_id = event.id
    if interp.machine.timeout_seconds is not None:
        stepper.set_timer(0, "execution_timeout", now + interp.machine.timeout_seconds)
    stepper.enter(root, point.state, point.input)
    if kept is not None:
        _relaunch(stepper, root, kept)
    stepper.drain()
    return stepper.step


def _relaunch(stepper: _Stepper, root: Frame, kept: dict[str, Any]) -> None:
    state = stepper.state_of(root)
    if isinstance(state, st.MapState) and state.distributed and kept.get("map_run"):
        stepper.ready.clear()
        distributed.redrive(stepper, root, kept["map_run"], stepper.info.redrive_count)
        return
    if not isinstance(state, (st.ParallelState, st.MapState)) or getattr(state, "distributed", False):
        return
    stepper.ready.clear()
    try:
        if isinstance(state, st.ParallelState):
            stepper.launch_branches(root, state, kept)
        else:
            stepper.launch_map(root, state, kept)
    except StatesError as exc:
        stepper.fail_state(root, state, exc)
