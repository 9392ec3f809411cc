"""The durable shape of a running execution, and what one interpreter step hands the engine.

Everything here is plain data that serialises to JSON: a :class:`Run` (the frames of one
execution plus its counters), the :class:`Event` s a step appends to the history, the
:class:`Signal` s that wake an execution up, and the :class:`Command` s a step asks the engine
to carry out (dispatch a task, set a timer). Python's call stack never holds durable state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

RUNNING: Literal["RUNNING"] = "RUNNING"
SUCCEEDED: Literal["SUCCEEDED"] = "SUCCEEDED"
FAILED: Literal["FAILED"] = "FAILED"
TIMED_OUT: Literal["TIMED_OUT"] = "TIMED_OUT"
ABORTED: Literal["ABORTED"] = "ABORTED"


@dataclass(slots=True)
class Children:
    """Progress of the branches (Parallel) or iterations (Map) a frame is waiting on."""

    total: int
    inputs: list[Any]            # one input per branch / item value per iteration
    results: list[Any]
    launched: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    max_concurrency: int = 0     # 0: unlimited
    tolerated_count: int | None = None
    tolerated_percentage: float | None = None
    selector_input: Any = None   # the Map state's effective input, for ItemSelector
    map_run: str | None = None   # Distributed Map: the ARN of the Map Run running the items
    done: list[int] = field(default_factory=list)  # indexes that succeeded (their results are final)
    kept: list[int] = field(default_factory=list)  # after a redrive: indexes whose results were kept


@dataclass(slots=True)
class Wait:
    """What a frame is blocked on. ``id`` is unique in the execution; stale signals carry old ids."""

    id: int
    kind: Literal["task", "timer", "retry", "children"]
    resource_kind: str = ""      # for tasks: "activity", "lambda", "task"
    started: bool = False
    token: str = ""              # for tasks: the task token (``$$.Task.Token``, SendTask*), fixed at dispatch
    map_run_arn: str = ""        # for a Distributed Map's children: the Map Run running the items


@dataclass(slots=True)
class Frame:
    """One line of control: the top level, a Parallel branch, or a Map iteration."""

    id: int
    address: tuple[tuple[str, int], ...]  # which nested machine (see StateMachine.child)
    state: str
    input: Any
    parent: int | None = None
    index: int = 0
    entered_event_id: int = 0
    entered_time: str = ""
    last_event_id: int = 0
    attempts: dict[int, int] = field(default_factory=dict)
    retry_count: int = 0
    wait: Wait | None = None
    children: Children | None = None
    variables: dict[str, Any] = field(default_factory=dict)  # this scope's workflow variables (Assign)


@dataclass(slots=True)
class Run:
    """The interpreter's whole durable state for one execution."""

    frames: dict[int, Frame] = field(default_factory=dict)
    next_frame_id: int = 0
    next_event_id: int = 1
    next_wait_id: int = 1
    status: str = RUNNING
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    #: the top-level Map/Parallel that failed the execution: its entered event, results and done
    #: indexes, so that a redrive reruns only the iterations/branches that did not succeed
    failed_children: dict[str, Any] | None = None


@dataclass(slots=True)
class Event:
    """A history event in AWS's shape; ``details_key`` is e.g. ``stateEnteredEventDetails``.

    Immutable (``Final`` fields, which mypy enforces) without ``frozen=True``, whose ``__init__`` sets
    each field through ``object.__setattr__``: a run writes an event or more per state."""

    id: Final[int]
    previous_event_id: Final[int]
    type: Final[str]
    timestamp: Final[float]  # seconds since the epoch
    details_key: Final[str | None] = None
    details: Final[dict[str, Any] | None] = None

    def to_api(self) -> dict[str, Any]:
        shaped: dict[str, Any] = {
            "timestamp": self.timestamp, "type": self.type, "id": self.id, "previousEventId": self.previous_event_id,
        }
        if self.details_key is not None:
            shaped[self.details_key] = self.details or {}
        return shaped


# -- signals: what wakes an execution -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskStarted:
    wait_id: int
    worker_name: str | None = None


@dataclass(frozen=True, slots=True)
class TaskSubmitted:
    """A ``.sync`` integration's job was accepted (e.g. the child execution started); the task goes on."""

    wait_id: int
    output: Any


@dataclass(frozen=True, slots=True)
class TaskSucceeded:
    wait_id: int
    output: Any


@dataclass(frozen=True, slots=True)
class TaskFailed:
    wait_id: int
    error: str | None
    cause: str | None


@dataclass(frozen=True, slots=True)
class TaskHeartbeat:
    wait_id: int


@dataclass(frozen=True, slots=True)
class TimerFired:
    wait_id: int
    kind: Literal["wait", "retry", "timeout", "heartbeat", "execution_timeout"]


@dataclass(frozen=True, slots=True)
class Resume:
    """Go on with frames that were ready when the previous step reached its size limit."""


@dataclass(frozen=True, slots=True)
class Stop:
    """End the execution now: ABORTED (StopExecution), or FAILED when ``failed`` (DeleteStateMachine)."""

    error: str | None = None
    cause: str | None = None
    failed: bool = False


@dataclass(frozen=True, slots=True)
class MapRunEnded:
    """A Distributed Map's Map Run ended: its results in item order, or why it failed."""

    wait_id: int
    status: str
    results: list[Any] | None = None
    error: str | None = None
    cause: str | None = None
    output: Any = None  # with a ResultWriter: the Map state's result instead of ``results``


Signal = TaskStarted | TaskSubmitted | TaskSucceeded | TaskFailed | TaskHeartbeat | TimerFired | Resume | Stop | MapRunEnded


# -- commands: what a step asks the engine to do -----------------------------------------------


@dataclass(frozen=True, slots=True)
class DispatchTask:
    wait_id: int
    resource: str
    resource_kind: str
    input: Any
    input_json: str
    timeout_seconds: float | None
    heartbeat_seconds: float | None
    token: str = ""
    state_name: str = ""


@dataclass(frozen=True, slots=True)
class SetTimer:
    wait_id: int
    kind: Literal["wait", "retry", "timeout", "heartbeat", "execution_timeout"]
    due: float  # seconds since the epoch


@dataclass(frozen=True, slots=True)
class CancelWait:
    """Forget the task and timers of a wait that no longer matters (its frame moved on or ended)."""

    wait_id: int


@dataclass(frozen=True, slots=True)
class StartMapRun:
    """Start a Distributed Map's Map Run: one child execution per item input (JSON text)."""

    wait_id: int
    map_run_arn: str
    address: tuple[tuple[str, int], ...]  # the Map state's ItemProcessor (see StateMachine.child)
    inputs: list[str]
    max_concurrency: int
    tolerated_count: int | None
    tolerated_percentage: float | None
    #: ItemReader/ItemBatcher/ResultWriter as evaluated ("reader", "batcher", "writer"), and what
    #: ItemSelector needs to shape items read later ("selector": input, context, variables)
    plan: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AbortMapRun:
    """The Map state stopped waiting for its Map Run (aborted, timed out): stop its children."""

    map_run_arn: str


@dataclass(frozen=True, slots=True)
class RedriveMapRun:
    """A redriven execution resumes at a Distributed Map whose Map Run failed: run that Map Run's
    failed, aborted and never-started items again, and wake ``wait_id`` when it ends."""

    wait_id: int
    map_run_arn: str


Command = DispatchTask | SetTimer | CancelWait | StartMapRun | AbortMapRun | RedriveMapRun


@dataclass(slots=True)
class Step:
    """What one interpreter step produced, to be committed together."""

    events: list[Event] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    more: bool = False  # stopped at the size limit with frames still ready: deliver Resume next

