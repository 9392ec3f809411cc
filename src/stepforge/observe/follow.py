"""Reading committed history events into what the observers count: executions, states, tasks.

:class:`Follower` keeps, per running execution, the state visit and task each frame is in, found by
following ``previousEventId`` (every event points at the event before it in its own frame, so
concurrent Parallel branches and Map iterations stay apart). It calls a :class:`Listener` for every
fact it reads. It remembers only what it saw: after a restart, tasks and states that were already
open are not timed (their ends still count, as a task of resource ``unknown``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from stepforge.asl.records import Event
from stepforge.store.records import ExecutionRecord

#: A task's kind as the history names it -> as AWS's metrics name it.
TASK_KINDS = {"Activity": "Activity", "LambdaFunction": "LambdaFunction", "Task": "ServiceIntegration"}
ENDINGS = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionAborted": "ABORTED",
           "ExecutionTimedOut": "TIMED_OUT"}
_TASK_EVENT = re.compile(r"(Activity|LambdaFunction|Task)(Scheduled|Started|Succeeded|Failed|TimedOut|"
                         r"ScheduleFailed|StartFailed|Submitted)")
_MAP_RUN = {"MapRunStarted": "Started", "MapRunSucceeded": "Succeeded", "MapRunFailed": "Failed",
            "MapRunAborted": "Aborted"}
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
UNKNOWN = "unknown"


@dataclass(slots=True)
class StateVisit:
    """A state entered and not yet left; ``parent`` is the Parallel/Map state whose branch it is in."""

    name: str
    type: str
    entered: float
    parent: StateVisit | None = None
    key: int = 0  # its StateEntered event's id


@dataclass(slots=True)
class TaskRun:
    """A task scheduled and not yet ended: ``kind`` is Activity, LambdaFunction or ServiceIntegration."""

    kind: str
    resource: str
    scheduled: float
    state: StateVisit | None = None
    started: float | None = None
    key: int = 0  # its Scheduled event's id


@dataclass(slots=True)
class _Frame:
    state: StateVisit | None = None
    task: TaskRun | None = None
    left: bool = False  # the frame has just left a state (``state`` is then the enclosing one)


@dataclass(slots=True)
class _Execution:
    heads: dict[int, _Frame] = field(default_factory=dict)


class Listener(Protocol):
    """What a follower tells; ``record`` is the execution as the batch saved it."""

    def execution_started(self, record: ExecutionRecord, at: float) -> None: ...

    def execution_ended(self, record: ExecutionRecord, status: str, at: float) -> None: ...

    def execution_redriven(self, record: ExecutionRecord, at: float) -> None: ...

    def state_entered(self, record: ExecutionRecord, visit: StateVisit) -> None: ...

    def state_exited(self, record: ExecutionRecord, visit: StateVisit, at: float) -> None: ...

    def task_scheduled(self, record: ExecutionRecord, task: TaskRun) -> None: ...

    def task_started(self, record: ExecutionRecord, task: TaskRun, at: float) -> None: ...

    def task_ended(self, record: ExecutionRecord, task: TaskRun, outcome: str, at: float) -> None:
        """``outcome``: Succeeded, Failed, TimedOut or HeartbeatTimedOut."""

    def map_run(self, record: ExecutionRecord, phase: str, at: float) -> None:
        """``phase``: Started, Succeeded, Failed or Aborted."""


class Follower:
    """Follows the executions of committed batches, telling its listeners what happened."""

    def __init__(self, listeners: list[Listener], *, max_executions: int = 100_000) -> None:
        self.listeners = listeners
        self.max_executions = max_executions
        self._open: dict[str, _Execution] = {}

    def follow(self, record: ExecutionRecord, events: list[Event]) -> None:
        """Read the events one step appended to ``record``'s history."""
        if not events:
            return
        execution = self._open.get(record.arn)
        if execution is None:
            if len(self._open) >= self.max_executions:
                self._open.pop(next(iter(self._open)))
            execution = self._open[record.arn] = _Execution()
        for event in events:
            self._read(record, execution, event)
        if record.status != "RUNNING":
            self._open.pop(record.arn, None)

    def _read(self, record: ExecutionRecord, execution: _Execution, event: Event) -> None:
        kind = event.type
        if kind.endswith("StateEntered"):
            before = execution.heads.get(event.previous_event_id, _Frame())
            if before.left:  # the same frame goes on; a branch's first state leaves its parent's head
                del execution.heads[event.previous_event_id]
            parent = before.state
            visit = StateVisit(str((event.details or {}).get("name", "")), kind[:-len("StateEntered")],
                               event.timestamp, parent, event.id)
            execution.heads[event.id] = _Frame(visit)
            self._tell("state_entered", record, visit)
            return
        frame = execution.heads.pop(event.previous_event_id, None) or _Frame()
        execution.heads[event.id] = frame
        if kind.endswith("StateExited") and frame.state is not None:
            execution.heads[event.id] = _Frame(frame.state.parent, left=True)
            self._tell("state_exited", record, frame.state, event.timestamp)
        elif (task := _TASK_EVENT.fullmatch(kind)) is not None:
            self._task(record, frame, event, TASK_KINDS[task.group(1)], task.group(2))
        elif kind in ENDINGS:
            self._tell("execution_ended", record, ENDINGS[kind], event.timestamp)
        elif kind == "ExecutionStarted":
            self._tell("execution_started", record, event.timestamp)
        elif kind == "ExecutionRedriven":
            self._tell("execution_redriven", record, event.timestamp)
        elif kind in _MAP_RUN:
            self._tell("map_run", record, _MAP_RUN[kind], event.timestamp)

    def _task(self, record: ExecutionRecord, frame: _Frame, event: Event, kind: str, phase: str) -> None:
        if phase == "Scheduled":
            frame.task = TaskRun(kind, _resource(event), event.timestamp, frame.state, key=event.id)
            self._tell("task_scheduled", record, frame.task)
            return
        task = frame.task or TaskRun(kind, UNKNOWN, event.timestamp, frame.state)
        if phase == "Started":
            task.started = event.timestamp
            self._tell("task_started", record, task, event.timestamp)
        elif phase != "Submitted":
            frame.task = None
            self._tell("task_ended", record, task, _outcome(phase, event), event.timestamp)

    def _tell(self, what: str, *args: object) -> None:
        for listener in self.listeners:
            getattr(listener, what)(*args)


def _resource(event: Event) -> str:
    """The ARN a Scheduled event names: the activity's, the function's, or the integration's."""
    details = event.details or {}
    if "resourceType" in details:
        return f"arn:aws:states:::{details['resourceType']}:{details.get('resource', '')}"
    return str(details.get("resource", UNKNOWN))


def _outcome(phase: str, event: Event) -> str:
    if phase == "TimedOut" and (event.details or {}).get("error") == HEARTBEAT_TIMEOUT:
        return "HeartbeatTimedOut"
    if phase in ("ScheduleFailed", "StartFailed"):
        return "Failed"
    return phase
