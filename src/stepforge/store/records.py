"""The records a store keeps: state machines and their versions and aliases, executions, map runs and
their items, activities, activity tasks, task dispatches, child watches, timers; and a page of a list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from stepforge.asl.records import Run


@dataclass(slots=True)
class StateMachineRecord:
    arn: str
    name: str
    definition: str
    role_arn: str
    type: str
    created: float
    revision_id: str
    status: str = "ACTIVE"
    logging_configuration: dict[str, Any] = field(default_factory=lambda: {"level": "OFF", "includeExecutionData": False})
    tracing_configuration: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    encryption_configuration: dict[str, Any] = field(default_factory=lambda: {"type": "AWS_OWNED_KEY"})
    next_version: int = 1  # version numbers are never reused, even after a version is deleted


@dataclass(slots=True)
class VersionRecord:
    """A published, immutable version of a state machine (``...:stateMachine:NAME:N``)."""

    arn: str
    machine_arn: str
    number: int
    definition: str
    role_arn: str
    type: str
    created: float
    revision_id: str
    description: str = ""
    logging_configuration: dict[str, Any] = field(default_factory=dict)
    tracing_configuration: dict[str, Any] = field(default_factory=dict)
    encryption_configuration: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AliasRecord:
    """An alias routing executions to one or two versions by weight (``...:stateMachine:NAME:ALIAS``)."""

    arn: str
    machine_arn: str
    name: str
    routing: list[dict[str, Any]]  # [{"stateMachineVersionArn": ..., "weight": ...}]
    created: float
    updated: float
    description: str = ""


@dataclass(slots=True)
class MapRunRecord:
    """A Distributed Map's run: its settings and counts (its items are :class:`MapRunItem` rows).

    The counts are kept up to date as items start and end (never recounted from the items):
    ``item_counts`` has AWS's keys (pending, running, succeeded, failed, timedOut, aborted, total,
    resultsWritten); ``execution_counts`` is the same for the child executions.
    """

    arn: str
    execution_arn: str
    state_machine_arn: str
    started: float
    max_concurrency: int = 0
    tolerated_failure_count: int = 0
    tolerated_failure_percentage: float = 0.0
    status: str = "RUNNING"
    stopped: float | None = None
    item_counts: dict[str, int] = field(default_factory=dict)
    execution_counts: dict[str, int] = field(default_factory=dict)
    # how to run the items (see tasks/maprun.py): the parent's wait, the children's machine
    parent_wait: int = 0
    child_machine_arn: str = ""
    definition: str = ""
    role_arn: str = ""
    express: bool = False
    # ItemReader/ItemBatcher/ResultWriter as the Map state evaluated them (see tasks/items/), the
    # Map state's place in the parent's definition and ItemSelector's scope (for items read later)
    reader: dict[str, Any] | None = None
    batcher: dict[str, Any] | None = None
    writer: dict[str, Any] | None = None
    selector: dict[str, Any] | None = None
    address: list[list[Any]] = field(default_factory=list)
    #: READING while items are still being read, WRITING while results are exported, else ""
    phase: str = ""
    read_position: int = 0          # items of the reader consumed by the rows committed so far
    outcome: str = ""               # while WRITING: the status the run ends with once written
    next_pending: int = 0           # no PENDING item has a lower index (where launching looks first)
    redrive_count: int = 0
    redrive_date: float | None = None
    node: str = ""                  # the node whose engine runs its EXPRESS children ("": none yet)
    #: the node that reads or writes it while ``phase`` says so (see ``NodeWrites.claim_map_run``)
    io_node: str = ""


@dataclass(slots=True)
class MapRunItem:
    """One item of a Map Run: its input, then the child execution that runs it and how it ended.

    ``status`` is PENDING until the child starts, then the child's status; ``result`` is the JSON text
    of the child's output (or of ``{"Error": ..., "Cause": ...}``) once it ended. ``started`` and
    ``stopped``: when the child started and ended (an EXPRESS child has no execution row to say so).
    """

    map_run_arn: str
    index: int
    input: str
    child_arn: str | None = None
    status: str = "PENDING"
    result: str | None = None
    started: float | None = None
    stopped: float | None = None


@dataclass(slots=True)
class ExecutionRecord:
    arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    definition: str
    role_arn: str
    input: str
    started: float
    status: str = "RUNNING"
    stopped: float | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    run: Run = field(default_factory=Run)
    event_count: int = 0
    version_arn: str | None = None
    alias_arn: str | None = None
    map_run_arn: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None


@dataclass(slots=True)
class ActivityRecord:
    arn: str
    name: str
    created: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ActivityTaskRecord:
    """A scheduled activity task; ``token`` is what workers send back."""

    token: str
    activity_arn: str
    execution_arn: str
    wait_id: int
    input: str
    scheduled: float
    worker_name: str | None = None
    started: bool = False
    closed: bool = False
    state_name: str = ""


@dataclass(slots=True)
class DispatchRecord:
    """The in-flight work of a task that is no activity (a function, an integration, a callback).

    Open while the task's wait is; a server that stops with it open starts the work again. For a
    ``.waitForTaskToken`` task (``callback``) the token is what SendTaskSuccess/Failure send back.
    """

    token: str
    execution_arn: str
    wait_id: int
    resource: str
    state_name: str
    child_name: str
    input: str          # the task's input, JSON text
    created: float
    callback: bool = False
    closed: bool = False
    owner: str | None = None  # the node whose engine runs the work (None: no node, adoptable by any)


@dataclass(slots=True)
class ChildWatchRecord:
    """A parent's ``.sync`` wait on a child execution: the child's end wakes the parent's wait."""

    child_arn: str
    parent_arn: str
    wait_id: int
    pattern: str        # "sync" or "sync:2"
    created: float
    closed: bool = False


@dataclass(slots=True)
class NodeRecord:
    """A node: one engine (of ``stepforge serve`` or ``stepforge engine``) sharing the store.

    It holds a lease until ``lease_expires`` (seconds since the epoch, by the store's clock), renewed
    while it lives; ``token`` fences it: a node whose lease expired can never renew it, and
    registers again as a new node. ``held`` is computed when read: the open dispatches it owns.
    """

    id: str
    kind: str           # "serve" or "engine"
    host: str
    pid: int
    token: str
    started: float = 0.0
    heartbeat: float = 0.0
    lease_expires: float = 0.0
    advanced: int = 0   # executions it advanced (one per signal or timer handled) since it registered
    held: int = 0


@dataclass(frozen=True, slots=True)
class TimerRecord:
    due: float
    execution_arn: str
    wait_id: int
    kind: str


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, and the cursor after its last item (None: nothing follows).

    A cursor is a store's own text (a keyset position, not an offset): pass it back as ``after`` to
    read the next page. The service wraps it into the API's opaque ``nextToken``.
    """

    items: list[T]
    next: str | None = None
