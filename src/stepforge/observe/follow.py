"""Reading committed history events into what the observers count: executions, states, tasks.

:class:`Follower` keeps, per running execution, the state visit and task each frame is in, found by
following ``previousEventId`` (every event points at the event before it in its own frame, so
concurrent Parallel branches and Map iterations stay apart). It calls a :class:`Listener` for every
fact it reads. It remembers only what it saw: after a restart, tasks and states that were already
open are not timed (their ends still count, as a task of resource ``unknown``).
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from stepforge.asl.compilation.states import MapState, ParallelState, StateMachine, TaskState
from stepforge.asl.records import Event
from stepforge.engine.engine import compiled
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
#: Executions followed at once (about 0.4 KB each while one waits); past it the longest-followed is
#: forgotten: its states are no longer timed, its tasks' later events count under resource ``unknown``.
MAX_EXECUTIONS = 50_000


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


_NOWHERE = _Frame()
#: Per execution: the frame each event id leads, for the next event that points back at it.
_Heads = dict[int, _Frame]


class Listener:
    """What a follower tells, each a no-op here: a listener overrides what it counts (the follower calls
    only the methods a listener overrides). ``record`` is the execution as the batch saved it."""

    def execution_started(self, record: ExecutionRecord, at: float) -> None: ...

    def execution_ended(self, record: ExecutionRecord, status: str, at: float) -> None:
        """``status``: SUCCEEDED, FAILED, ABORTED or TIMED_OUT."""

    def execution_redriven(self, record: ExecutionRecord, at: float) -> None: ...

    def state_entered(self, record: ExecutionRecord, visit: StateVisit) -> None: ...

    def state_exited(self, record: ExecutionRecord, visit: StateVisit, at: float) -> None: ...

    def task_scheduled(self, record: ExecutionRecord, task: TaskRun) -> None: ...

    def task_started(self, record: ExecutionRecord, task: TaskRun, at: float) -> None: ...

    def task_ended(self, record: ExecutionRecord, task: TaskRun, outcome: str, at: float) -> None:
        """``outcome``: Succeeded, Failed, TimedOut or HeartbeatTimedOut."""

    def map_run(self, record: ExecutionRecord, phase: str, at: float) -> None:
        """``phase``: Started, Succeeded, Failed or Aborted."""


_FACTS = ("execution_started", "execution_ended", "execution_redriven", "state_entered", "state_exited",
          "task_scheduled", "task_started", "task_ended", "map_run")


#: The event types of states entered and exited seen so far (filled by :func:`_kind`).
_STATE_EVENTS: set[str] = set()
_TYPE = operator.attrgetter("type")


@functools.cache
def _kind(event_type: str) -> tuple[str, str]:
    """What an event type means here: (``entered``, state type), (``exited``, ""), (``task:<kind>``, phase),
    (``ended``, status), (``started``|``redriven``, ""), (``map_run``, phase) or (``other``, "")."""
    if event_type.endswith("StateEntered"):
        _STATE_EVENTS.add(event_type)
        return "entered", event_type[:-len("StateEntered")]
    if event_type.endswith("StateExited"):
        _STATE_EVENTS.add(event_type)
        return "exited", ""
    task = _TASK_EVENT.fullmatch(event_type)
    if task is not None:
        return f"task:{TASK_KINDS[task.group(1)]}", task.group(2)
    if event_type in ENDINGS:
        return "ended", ENDINGS[event_type]
    if event_type == "ExecutionStarted":
        return "started", ""
    if event_type == "ExecutionRedriven":
        return "redriven", ""
    if event_type in _MAP_RUN:
        return "map_run", _MAP_RUN[event_type]
    return "other", ""


@functools.lru_cache(maxsize=512)
def _quiet(definition: str) -> bool:
    """Can no execution of ``definition`` write a task's or a Map Run's event? Told once per definition, from
    the machine the engine compiled to run it (:func:`~stepforge.engine.engine.compiled`, shared)."""
    return _quiet_machine(compiled(definition))


def _quiet_machine(machine: StateMachine) -> bool:
    """No Task state and no distributed Map in ``machine``, its Parallel branches and Map processors."""
    for state in machine.states.values():
        if isinstance(state, TaskState) or isinstance(state, MapState) and state.distributed:
            return False
        nested = (state.branches if isinstance(state, ParallelState)
                  else (state.processor,) if isinstance(state, MapState) else ())
        if not all(map(_quiet_machine, nested)):
            return False
    return True


class Follower:
    """Follows the executions of committed batches, telling its listeners what happened."""

    def __init__(self, listeners: list[Listener], *, max_executions: int = MAX_EXECUTIONS,
                 sample_every: float = 0.0, sampled_events_per_second: float = math.inf) -> None:
        self.listeners = listeners
        self.max_executions = max_executions
        #: States are followed (entered, exited, timed) in an execution first seen (its first step's time)
        #: at least this many seconds after the last one whose states are followed (0: in all); tasks in all.
        self.sample_every = sample_every
        #: ... and while the events read in sampled executions stay within this many a second (a second's
        #: worth at once): a sampled execution whose step overdraws it is followed no further, and none is
        #: sampled until the overdraft is paid back. Reading an event costs about 1.4 us, so this bounds what
        #: following states costs, whatever the size of the executions (inf: no bound).
        self.sampled_events_per_second = sampled_events_per_second
        self._sampled_at = -math.inf  # the first step's time of the last execution whose states are followed
        self._allowance = sampled_events_per_second  # events that may still be read (negative: overdrawn)
        self._allowed_at = -math.inf  # the time the allowance was last refilled to
        self._open: dict[str, _Heads] = {}
        self._with_states: set[str] = set()
        self._on: dict[str, list[Callable[..., None]]] = {
            fact: [getattr(listener, fact) for listener in listeners
                   if getattr(type(listener), fact) is not getattr(Listener, fact)]
            for fact in _FACTS}

    def follow(self, record: ExecutionRecord, events: list[Event]) -> None:
        """Read the events one step appended to ``record``'s history."""
        if not events:
            return
        heads = self._open.get(record.arn)
        if heads is None:
            if self._whole(record, events):
                return
            heads = self._start(record.arn, events[0].timestamp)
        if record.arn in self._with_states:
            for event in events:
                self._read(record, heads, event, *_kind(event.type), True)
            self._allowance -= len(events)
            if self._allowance < 0:  # its later steps' states are not followed (tasks still are)
                self._with_states.discard(record.arn)
        elif _quiet(record.definition):  # not sampled, no task: only the step's first and last events tell
            self._ends(record, events[0], events[-1])
        else:  # not sampled: its states' events are skipped unread (only tasks need their frames)
            for event in [event for event in events if event.type not in _STATE_EVENTS]:
                kind, detail = _kind(event.type)
                if kind != "entered" and kind != "exited":  # a state type not seen before
                    self._read(record, heads, event, kind, detail, False)
        # Told by the step's own last event, not by ``record``: a batch may hold several steps of one
        # execution (timers jumped on a manual clock, a start advanced in its own batch), and the record
        # it reports is the one saved after the last of them.
        if _kind(events[-1].type)[0] == "ended":
            self._open.pop(record.arn, None)
            self._with_states.discard(record.arn)

    def _whole(self, record: ExecutionRecord, events: list[Event]) -> bool:
        """Tell at once an execution this one step started and ended, not sampled, of a machine with no task
        and no Map Run (or with states only in this step), without following it; False for any other (the
        general path)."""
        first, last = events[0], events[-1]
        if (first.type != "ExecutionStarted" or last.type not in ENDINGS or self._sample_due(first.timestamp)
                or not (_quiet(record.definition)  # without reading thousands of events (a loop of Choices)
                        or _STATE_EVENTS.issuperset(map(_TYPE, events[1:-1])))):  # C's loop, no generator's frames
            return False
        self._ends(record, first, last)
        return True

    def _ends(self, record: ExecutionRecord, first: Event, last: Event) -> None:
        """Tell what a step's first event (the execution started, or was redriven) and last (it ended) say."""
        if first.type == "ExecutionStarted":
            self._tell("execution_started", record, first.timestamp)
        elif first.type == "ExecutionRedriven":
            self._tell("execution_redriven", record, first.timestamp)
        if last.type in ENDINGS:
            self._tell("execution_ended", record, ENDINGS[last.type], last.timestamp)

    def _sample_due(self, at: float) -> bool:
        """Are the states of an execution first seen at ``at`` followed (:attr:`sample_every`, within
        :attr:`sampled_events_per_second`; a clock set back samples at once, with a full allowance)?"""
        if at < self._sampled_at or at < self._allowed_at:
            self._allowance, self._allowed_at = self.sampled_events_per_second, at
            return True
        if at - self._sampled_at < self.sample_every:
            return False
        if at > self._allowed_at:
            rate = self.sampled_events_per_second
            self._allowance = min(rate, self._allowance + (at - self._allowed_at) * rate)
            self._allowed_at = at
        return self._allowance > 0

    def _start(self, arn: str, at: float) -> _Heads:
        if len(self._open) >= self.max_executions:
            self._with_states.discard(oldest := next(iter(self._open)))
            del self._open[oldest]
        if self._sample_due(at):
            self._with_states.add(arn)
            self._sampled_at = at
        heads: _Heads = {}
        self._open[arn] = heads
        return heads

    def _read(self, record: ExecutionRecord, heads: _Heads, event: Event, kind: str, detail: str,
              states: bool) -> None:
        """One event of kind ``kind`` (see :func:`_kind`); ``states``: the execution's states are followed
        (without, no state event is read at all)."""
        previous = event.previous_event_id
        if kind == "entered":
            before = heads.get(previous, _NOWHERE)
            visit = StateVisit(str((event.details or {}).get("name", "")), detail, event.timestamp, before.state,
                               event.id)
            if before.left or before.state is None and before.task is None and before is not _NOWHERE:
                del heads[previous]  # the same frame goes on (a branch's first state keeps its parent's head)
                before.state, before.left = visit, False
                heads[event.id] = before
            else:
                heads[event.id] = _Frame(visit)
            for call in self._on["state_entered"]:
                call(record, visit)
            return
        found = heads.pop(previous, None)
        if kind.startswith("task:"):
            frame = heads[event.id] = found or _Frame()
            self._task(record, frame, event, kind[5:], detail)
            if frame.task is None and not states:
                del heads[event.id]  # the task ended and no state is followed: nothing is open in this frame
            return
        if found is not None:  # a frame goes on only where something is open in it
            heads[event.id] = found
        if kind == "exited":
            left = found.state if found is not None else None
            if found is not None and left is not None:
                found.state, found.left = left.parent, True
                for call in self._on["state_exited"]:
                    call(record, left, event.timestamp)
        elif kind == "ended":
            self._tell("execution_ended", record, detail, event.timestamp)
        elif kind == "started":
            self._tell("execution_started", record, event.timestamp)
        elif kind == "redriven":
            self._tell("execution_redriven", record, event.timestamp)
        elif kind == "map_run":
            self._tell("map_run", record, detail, event.timestamp)

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

    def _tell(self, fact: str, *args: object) -> None:
        for call in self._on[fact]:
            call(*args)


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
