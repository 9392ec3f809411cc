"""The Store protocol: everything the service and the engine keep, behind one interface.

Every method is atomic on its own; ``transaction()`` groups several into one commit (the engine
commits a whole step — frames, history events, timers, tasks — as one). Implementations: memory
(tests, ``stepforge run``, EXPRESS); SQLite and PostgreSQL implement the same contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Protocol

from stepforge.asl.records import Event, Signal
from stepforge.store.records import (
    ActivityRecord,
    ActivityTaskRecord,
    AliasRecord,
    ExecutionRecord,
    MapRunRecord,
    StateMachineRecord,
    TimerRecord,
    VersionRecord,
)


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Group the calls made inside into one atomic commit."""

    def savepoint(self) -> AbstractContextManager[None]:
        """Inside a transaction: a block whose writes are undone alone if it raises."""

    # state machines
    def put_state_machine(self, record: StateMachineRecord) -> None:
        """Insert or replace a state machine."""

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        """The state machine with this ARN, or None."""

    def list_state_machines(self) -> list[StateMachineRecord]:
        """Every state machine, oldest first."""

    def delete_state_machine(self, arn: str) -> None:
        """Forget a state machine (its executions stay)."""

    # versions, aliases and map runs
    def put_version(self, record: VersionRecord) -> None:
        """Insert a published version (versions never change once published)."""

    def get_version(self, arn: str) -> VersionRecord | None:
        """The version with this ARN, or None."""

    def list_versions(self, machine_arn: str) -> list[VersionRecord]:
        """A state machine's versions, newest (highest number) first."""

    def delete_version(self, arn: str) -> None:
        """Forget a version (its number is not reused)."""

    def put_alias(self, record: AliasRecord) -> None:
        """Insert or replace an alias."""

    def get_alias(self, arn: str) -> AliasRecord | None:
        """The alias with this ARN, or None."""

    def list_aliases(self, machine_arn: str) -> list[AliasRecord]:
        """A state machine's aliases, oldest first."""

    def delete_alias(self, arn: str) -> None:
        """Forget an alias."""

    def put_map_run(self, record: MapRunRecord) -> None:
        """Insert or replace a Map Run."""

    def get_map_run(self, arn: str) -> MapRunRecord | None:
        """The Map Run with this ARN, or None."""

    def list_map_runs(self, execution_arn: str) -> list[MapRunRecord]:
        """The Map Runs an execution started, oldest first."""

    # executions and their history
    def insert_execution(self, record: ExecutionRecord) -> None:
        """Insert a new execution (the caller checked that its ARN is free)."""

    def update_execution(self, record: ExecutionRecord) -> None:
        """Write an execution's status, result, run and event count."""

    def get_execution(self, arn: str, *, with_run: bool = True) -> ExecutionRecord | None:
        """The execution with this ARN, or None; ``with_run=False`` may skip loading its frames."""

    def list_executions(self, state_machine_arn: str, status: str | None = None) -> list[ExecutionRecord]:
        """Executions of a state machine, newest first, optionally of one status (without their frames)."""

    def count_open_executions(self) -> int:
        """How many executions are RUNNING."""

    def list_open_executions(self) -> list[str]:
        """The ARNs of every RUNNING execution."""

    def append_events(self, execution_arn: str, events: list[Event]) -> None:
        """Append history events (their ids continue the execution's sequence)."""

    def get_events(self, execution_arn: str, offset: int = 0, limit: int | None = None,
                   reverse: bool = False) -> list[Event]:
        """A slice of an execution's history, oldest first (newest first with ``reverse``)."""

    # activities and their tasks
    def put_activity(self, record: ActivityRecord) -> None:
        """Insert an activity."""

    def get_activity(self, arn: str) -> ActivityRecord | None:
        """The activity with this ARN, or None."""

    def list_activities(self) -> list[ActivityRecord]:
        """Every activity, oldest first."""

    def delete_activity(self, arn: str) -> None:
        """Forget an activity."""

    def add_task(self, task: ActivityTaskRecord) -> None:
        """Queue a scheduled activity task."""

    def poll_task(self, activity_arn: str, worker_name: str | None) -> ActivityTaskRecord | None:
        """Hand the oldest unstarted task of an activity to a worker, marking it started."""

    def get_task(self, token: str) -> ActivityTaskRecord | None:
        """The task with this token (open or closed), or None if it never existed."""

    def remove_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        """Close the tasks of these waits (all of the execution's when None): their tokens are then refused."""

    def open_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> list[ActivityTaskRecord]:
        """The open tasks of these waits (all of the execution's when None)."""

    def open_tasks_of(self, activity_prefix: str) -> list[ActivityTaskRecord]:
        """Every open task whose activity ARN starts with ``activity_prefix``, oldest first."""

    # timers and ready signals
    def set_timer(self, timer: TimerRecord) -> None:
        """Arm a timer, replacing one of the same (execution, wait, kind)."""

    def cancel_timers(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        """Disarm the timers of these waits (all of the execution's when None)."""

    def due_timers(self, now: float, limit: int) -> list[TimerRecord]:
        """Remove and return up to ``limit`` timers due at ``now``, earliest first (inside a transaction)."""

    def next_due(self) -> float | None:
        """When the earliest armed timer is due, or None."""

    def push_signal(self, execution_arn: str, signal: Signal | None) -> None:
        """Queue work for an execution (None: start it)."""

    def pending_work(self, execution_arn: str) -> int:
        """How many signals, timers and tasks an execution has waiting (for consistency checks)."""

    def pop_signals(self, limit: int) -> list[tuple[str, Signal | None]]:
        """Remove and return up to ``limit`` queued signals, oldest first.

        Called inside ``transaction()``: the removal commits with the step that handles them, so a
        crash before that commit leaves them queued.
        """

    def close(self) -> None:
        """Release connections and files."""
