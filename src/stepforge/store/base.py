"""The Store protocol, split by aggregate: what the service and the engine keep, behind one interface.

Transactions are explicit: ``with store.transaction() as tx:`` yields a :class:`UnitOfWork`, the
only thing that writes; the :class:`Store` itself only reads (each read on its own, seeing what is
committed). Code that writes takes the unit of work as a parameter, so which transaction a write
belongs to is visible at the call site (the engine commits a whole batch — frames, history events,
timers, tasks, the API writes that arrived meanwhile — through one). A transaction that raises
leaves nothing behind.

Implementations: memory (tests, ``stepforge run``, EXPRESS), SQLite, PostgreSQL (many nodes on one
database), all to the same contract. ``tests/store`` holds the contract, one module per aggregate, run on every backend.

Lists the API pages take ``after`` (a cursor from the previous :class:`Page`, None for the first
page) and ``limit``, and read one page from the store, never every row. Cursors are keyset
positions: rows inserted after a page was read never shift the pages that follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from stepforge.asl.records import Event, Signal
from stepforge.store.records import (
    ActivityRecord,
    ActivityTaskRecord,
    AliasRecord,
    ChildWatchRecord,
    DispatchRecord,
    ExecutionRecord,
    MapRunItem,
    MapRunRecord,
    NodeRecord,
    Page,
    StateMachineRecord,
    TimerRecord,
    VersionRecord,
)
from stepforge.store.trigger_base import TriggerReads, TriggerWrites


class Conflict(Exception):
    """An insert whose key is already stored (an execution ARN, a task token, a Map Run ARN)."""


class TransactionClosed(RuntimeError):
    """A unit of work used after the ``with store.transaction()`` block that made it ended."""


class StorageFull(Exception):
    """The storage has no room left (a full disk, a size limit): the transaction was rolled back,
    nothing of it is stored, and the same write may succeed once space is freed."""


class StoreUnavailable(Exception):
    """The database cannot be used right now (the connection was lost or refused, the server is shutting
    down or restarting, or the transaction lost a deadlock or serialization conflict to another node's):
    the transaction was rolled back whole, nothing of it is stored, and the same work may be retried."""


class StorageCorrupt(Exception):
    """The database file is damaged (``PRAGMA quick_check`` found problems, or SQLite says so)."""


class NestedTransaction(RuntimeError):
    """``store.transaction()`` called by a thread that already holds an open one: pass that one instead."""


class StateMachineReads(Protocol):
    """State machines, their published versions and their aliases.

    Definitions are kept content-addressed (one copy of each text, however many machines,
    versions and executions use it); that is invisible through this protocol.
    """

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        """The state machine with this ARN, or None."""

    def list_state_machines(self, *, status: str | None = None, name_contains: str | None = None,
                            after: str | None = None, limit: int) -> Page[StateMachineRecord]:
        """State machines (of one ``status`` if given; whose name contains ``name_contains`` if given,
        ASCII letters case-insensitively), oldest first (creation time, then ARN).

        Raises :class:`~stepforge.store.cursors.InvalidCursor` for an ``after`` that no page returned.
        """

    def get_version(self, arn: str) -> VersionRecord | None:
        """The version with this ARN, or None."""

    def list_versions(self, machine_arn: str) -> list[VersionRecord]:
        """A state machine's versions, newest (highest number) first (at most 1,000, as on AWS)."""

    def get_alias(self, arn: str) -> AliasRecord | None:
        """The alias with this ARN, or None."""

    def list_aliases(self, machine_arn: str) -> list[AliasRecord]:
        """A state machine's aliases, oldest first (at most 100, as on AWS)."""


class StateMachineWrites(StateMachineReads, Protocol):
    """What a unit of work writes to state machines, versions and aliases (see :class:`StateMachineReads`)."""

    def put_state_machine(self, record: StateMachineRecord) -> None:
        """Insert a state machine, or replace the one with the same ARN (its ``next_version`` never
        goes down: a write that read the machine before another published a version keeps that number
        counted)."""

    def hold_state_machine(self, arn: str) -> StateMachineRecord | None:
        """The state machine as it is now (None if there is none), held by this unit of work until it
        ends: another unit of work that holds it waits until then, and then reads what this one wrote.
        What a write that numbers a new version reads first, so that two nodes publishing at once take
        turns. (PostgreSQL: the row's lock; SQLite and memory have one writer, so a plain read.)"""

    def delete_state_machine(self, arn: str) -> None:
        """Forget a state machine (its executions stay); nothing happens if there is none."""

    def put_version(self, record: VersionRecord) -> None:
        """Insert a published version (versions never change once published)."""

    def delete_version(self, arn: str) -> None:
        """Forget a version (its number is not reused)."""

    def put_alias(self, record: AliasRecord) -> None:
        """Insert an alias, or replace the one with the same ARN."""

    def delete_alias(self, arn: str) -> None:
        """Forget an alias."""


@dataclass(frozen=True, slots=True)
class ExecutionQuery:
    """Which executions a list shows: those of a state machine, or of a Map Run (every execution when
    neither is given: the console's list of all executions, ``stepforge db check``), narrowed by the
    other fields (``redriven``: True for executions redriven at least once, False for none).

    ``name_contains`` keeps executions whose name contains it, ASCII letters compared
    case-insensitively (as SQLite's ``lower()``; other characters exactly). ``started_from`` and
    ``started_to`` bound the start time, both inclusive. A name search may read many rows but
    never more than it needs for one page; the other filters are read through an index.
    """

    state_machine_arn: str | None = None
    map_run_arn: str | None = None
    status: str | None = None
    version_arn: str | None = None
    alias_arn: str | None = None
    redriven: bool | None = None
    name_contains: str | None = None
    started_from: float | None = None
    started_to: float | None = None


class ExecutionReads(Protocol):
    """Executions (with their frames) and their history."""

    def get_execution(self, arn: str, *, with_run: bool = True) -> ExecutionRecord | None:
        """The execution with this ARN, or None; ``with_run=False`` may skip loading its frames.

        In a unit of work, reading an execution with its frames (to write it back) holds it until the
        transaction ends: another node's transaction that reads it the same way waits (PostgreSQL's
        row lock), so no update of one execution is lost between nodes."""

    def list_executions(self, query: ExecutionQuery, *, after: str | None = None,
                        limit: int) -> Page[ExecutionRecord]:
        """The executions ``query`` selects, newest first (start time, then insertion), without frames.

        Raises :class:`~stepforge.store.cursors.InvalidCursor` for an ``after`` that no page returned.
        """

    def count_open_executions(self) -> int:
        """How many executions are RUNNING (may lag by a second: it guards a quota)."""

    def get_events(self, execution_arn: str, after: int = 0, limit: int | None = None,
                   reverse: bool = False) -> list[Event]:
        """Up to ``limit`` history events after event id ``after``, oldest first.

        With ``reverse``: the events before id ``after`` (0: from the last one), newest first.
        """


class ExecutionWrites(ExecutionReads, Protocol):
    """What a unit of work writes to executions and their history (see :class:`ExecutionReads`)."""

    def insert_execution(self, record: ExecutionRecord) -> None:
        """Insert a new execution; raises :class:`Conflict` if its ARN is stored (callers check first)."""

    def insert_executions(self, records: list[ExecutionRecord]) -> None:
        """Insert new executions whose ARNs this (exclusive) transaction found free: the engine's batch
        stores so the executions it started and took a first step of. A store may send them with its
        next statement, as one."""

    def update_execution(self, record: ExecutionRecord) -> None:
        """Write an execution's status, result, frames, event count and redrive fields."""

    def append_events(self, execution_arn: str, events: list[Event]) -> None:
        """Append history events; their ids continue the execution's sequence 1, 2, 3, ..."""


class TimerSignalReads(Protocol):
    """Timers (due times of waits) and signals (work queued for an execution)."""

    def next_due(self) -> float | None:
        """When the earliest armed timer is due, or None."""


class TimerSignalWrites(TimerSignalReads, Protocol):
    """What a unit of work writes to timers and signals (see :class:`TimerSignalReads`)."""

    def set_timer(self, timer: TimerRecord) -> None:
        """Arm a timer, replacing one of the same (execution, wait, kind)."""

    def cancel_timers(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        """Disarm the timers of these waits (all of the execution's when None)."""

    def due_timers(self, now: float, limit: int) -> list[TimerRecord]:
        """Remove and return up to ``limit`` timers due at ``now``, earliest first.

        The removal commits with the transaction (the engine's batch) that handles them. Only timers
        of executions this transaction holds exclusively until it ends are returned: those of an
        execution another open transaction holds (another node's batch) stay for later. (SQLite and
        memory have one writer, so that is every due timer; PostgreSQL locks the execution rows.)
        """

    def push_signal(self, execution_arn: str, signal: Signal | None) -> None:
        """Queue work for an execution (None: start it)."""

    def pop_signals(self, limit: int) -> list[tuple[str, Signal | None]]:
        """Remove and return up to ``limit`` queued signals, oldest first.

        The removal commits with the transaction (the engine's batch) that handles them, so a
        crash before that commit leaves them queued. As for :meth:`due_timers`, only signals of
        executions this transaction holds exclusively are returned (a signal for an execution that
        does not exist is returned too); the others stay queued for whoever holds them.
        """


class TaskReads(Protocol):
    """Activities and the three kinds of task a wait holds, each in its own table: activity tasks
    (a queue workers poll), dispatches (in-flight work of every other task) and child watches
    (``.sync`` waits on a child execution). Each is open while its wait is; closing keeps the row, so
    a late SendTask* with its token is told the task timed out rather than never existed."""

    def get_activity(self, arn: str) -> ActivityRecord | None:
        """The activity with this ARN, or None."""

    def list_activities(self, *, after: str | None = None, limit: int) -> Page[ActivityRecord]:
        """Activities, oldest first (creation time, then ARN).

        Raises :class:`~stepforge.store.cursors.InvalidCursor` for an ``after`` that no page returned.
        """

    def get_activity_task(self, token: str) -> ActivityTaskRecord | None:
        """The activity task with this token (open or closed), or None if it never existed."""

    def open_activity_tasks(self, limit: int) -> list[ActivityTaskRecord]:
        """Up to ``limit`` open activity tasks, oldest first."""

    def get_dispatch(self, token: str) -> DispatchRecord | None:
        """The dispatch with this token (open or closed), or None if it never existed."""

    def open_dispatches(self, *, after: str | None = None, limit: int) -> Page[DispatchRecord]:
        """Open dispatches, oldest first (with their ``owner``)."""

    def open_callbacks(self, limit: int) -> list[DispatchRecord]:
        """Up to ``limit`` open ``.waitForTaskToken`` dispatches, oldest first."""

    def get_child_watch(self, child_arn: str) -> ChildWatchRecord | None:
        """The watch on this child (open or closed), or None."""

    def open_child_watches(self, parent_arn: str, wait_ids: Iterable[int] | None = None) -> list[ChildWatchRecord]:
        """The open watches of these waits of a parent (all of its waits when None), oldest first."""


class TaskWrites(TaskReads, Protocol):
    """What a unit of work writes to activities and tasks (see :class:`TaskReads`)."""

    def put_activity(self, record: ActivityRecord) -> None:
        """Insert an activity, or replace the one with the same ARN."""

    def delete_activity(self, arn: str) -> None:
        """Forget an activity (its queued tasks stay until their waits end)."""

    def add_activity_task(self, task: ActivityTaskRecord) -> None:
        """Queue a scheduled activity task; raises :class:`Conflict` if its token is stored."""

    def poll_activity_task(self, activity_arn: str, worker_name: str | None) -> ActivityTaskRecord | None:
        """Hand the oldest open, unstarted task of an activity to a worker, marking it started.

        Atomic: two concurrent polls never get the same task.
        """

    def add_dispatch(self, dispatch: DispatchRecord) -> None:
        """Record a task's in-flight work; raises :class:`Conflict` if its token is stored."""

    def add_child_watch(self, watch: ChildWatchRecord) -> None:
        """Record a parent's ``.sync`` wait on a child; a second watch of the same child is ignored."""

    def close_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        """Close the activity tasks, dispatches and child watches of these waits (all of the
        execution's when None): their tokens are refused from then on."""

    def close_task(self, token: str) -> bool:
        """Close the open activity task or callback dispatch of ``token``, as one conditional write:
        True if this call closed it, False if it was closed already (or never existed). Of two
        callers racing to close one token, exactly one gets True."""


class MapRunReads(Protocol):
    """Map Runs of Distributed Map states, and their items (one row each, however many)."""

    def get_map_run(self, arn: str) -> MapRunRecord | None:
        """The Map Run with this ARN, or None."""

    def list_map_runs(self, execution_arn: str, *, after: str | None = None,
                      limit: int) -> Page[MapRunRecord]:
        """The Map Runs an execution started, oldest first.

        Raises :class:`~stepforge.store.cursors.InvalidCursor` for an ``after`` that no page returned.
        """

    def map_run_items(self, map_run_arn: str, *, status: str | None = None, after: int = -1,
                      limit: int) -> list[MapRunItem]:
        """Up to ``limit`` items of a Map Run with index above ``after`` (of one ``status`` if
        given), in index order."""

    def map_run_item_of(self, child_arn: str) -> MapRunItem | None:
        """The item the child execution ``child_arn`` runs, or None."""

    def running_map_runs(self) -> list[MapRunRecord]:
        """Every RUNNING Map Run (at start-up: those still reading items or writing results go on)."""


class MapRunWrites(MapRunReads, Protocol):
    """What a unit of work writes to Map Runs and their items (see :class:`MapRunReads`)."""

    def insert_map_run(self, record: MapRunRecord, inputs: Iterable[str]) -> None:
        """Insert a Map Run and one PENDING item per input (JSON text), indexed 0, 1, 2, ...; raises
        :class:`Conflict` if its ARN is stored."""

    def update_map_run(self, record: MapRunRecord) -> None:
        """Write a Map Run's settings, status and counts."""

    def update_map_run_item(self, item: MapRunItem) -> None:
        """Write an item's child, status, result and times."""

    def add_map_run_items(self, map_run_arn: str, first: int, inputs: Iterable[str]) -> None:
        """Append PENDING items (JSON text) to a Map Run, indexed ``first``, ``first + 1``, ...
        (items read from an ItemReader arrive a chunk at a time)."""


class NodeReads(Protocol):
    """Nodes: the engines sharing the store, each holding a lease with an expiry and a fencing token.

    Every time a method takes is ``now`` by the caller's clock; a store that several machines share
    (PostgreSQL) judges leases by its own clock instead, so that nodes whose clocks disagree still
    agree on which leases have expired. An expired lease never comes back to life: the node must
    register again, as a new node.
    """

    def list_nodes(self) -> list[NodeRecord]:
        """Every registered node (live or expired, not yet forgotten), oldest first, each with the
        number of open dispatches it owns (``held``)."""


class NodeWrites(NodeReads, Protocol):
    """What a unit of work writes to nodes and their leases (see :class:`NodeReads`)."""

    def register_node(self, node: NodeRecord, ttl: float, now: float) -> None:
        """Insert a node (its id, kind, host, pid and token) started at ``now`` with a lease until
        ``now + ttl``; raises :class:`Conflict` if its id is stored."""

    def renew_lease(self, node_id: str, token: str, ttl: float, now: float, advanced: int = 0) -> bool:
        """Extend the lease of ``node_id`` to ``now + ttl`` and add ``advanced`` to its count, as one
        conditional write: only while its token is ``token`` and its lease has not expired at ``now``.
        True if it did; False means the lease is lost and this transaction must not commit (fencing).

        In PostgreSQL the node's row stays locked until the transaction ends, so a node that commits
        with its lease checked is never adopted in the meantime."""

    def release_node(self, node_id: str, now: float) -> None:
        """End the lease of ``node_id`` at ``now`` (a shutdown): its dispatches may be adopted at once."""

    def claim_map_run(self, arn: str, node_id: str, now: float) -> MapRunRecord | None:
        """Claim the reading or writing of a Map Run for node ``node_id``: the run, held by this unit
        of work until it ends and claimed by ``node_id`` (its ``io_node``), unless another node whose
        lease has not expired at ``now`` holds the claim (then None; None too if there is no such
        run). A claim of a node whose lease expired (or that is gone) moves to ``node_id``."""

    def adopt_dispatches(self, node_id: str, now: float, limit: int) -> list[DispatchRecord]:
        """Make ``node_id`` the owner of up to ``limit`` open dispatches that no live node owns (their
        owner's lease expired at ``now``, or they have none), oldest first, and return them: the
        caller starts their work again (tasks are at-least-once). Expired nodes left owning no open
        dispatch are forgotten. Two transactions never adopt the same dispatch."""


class Reads(StateMachineReads, ExecutionReads, TimerSignalReads, TaskReads, MapRunReads, NodeReads,
            TriggerReads, Protocol):
    """Every read of every aggregate: what both a :class:`Store` and a :class:`UnitOfWork` answer."""

    def pending_work(self, execution_arn: str) -> int:
        """How many signals, timers, open tasks and running Map Runs an execution waits on (for
        consistency checks: a RUNNING execution with none is stuck)."""


class UnitOfWork(Reads, StateMachineWrites, ExecutionWrites, TimerSignalWrites, TaskWrites, MapRunWrites,
                 NodeWrites, TriggerWrites, Protocol):
    """One open transaction: every read and write of every aggregate, bound to it.

    Its reads see its own writes. It is valid only inside the ``with store.transaction() as tx:``
    block that made it; any call after the block ends raises :class:`TransactionClosed`.
    """

    #: No other transaction writes while this one is open (SQLite's one writer, the memory store's
    #: lock): what it read stays true until it commits. PostgreSQL's transactions run side by side.
    exclusive: bool

    def savepoint(self) -> AbstractContextManager[None]:
        """A block whose writes are undone alone if it raises (the exception propagates); the
        transaction goes on. Savepoints nest."""


class Store(Reads, Protocol):
    """Everything a deployment keeps: reads on their own, writes only through :meth:`transaction`."""

    def transaction(self) -> AbstractContextManager[UnitOfWork]:
        """Open a transaction and yield its unit of work; commit when the block ends, or undo every
        write if it raises (the exception propagates).

        Transactions do not nest: code that already holds a unit of work receives it as a
        parameter. Opening a second one on a thread whose transaction is open raises
        :class:`NestedTransaction` rather than waiting forever on itself.
        """

    def close(self) -> None:
        """Release connections and files."""
