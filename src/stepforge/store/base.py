"""The Store protocol: everything the service and the engine keep, behind one interface.

Every method is atomic on its own; ``transaction()`` groups several into one commit (the engine
commits a whole step — frames, history events, timers, tasks — as one). Implementations: memory
(tests, ``stepforge run``, EXPRESS); SQLite and PostgreSQL implement the same contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Protocol

from stepforge.asl.records import Signal
from stepforge.store.records import (
    ActivityRecord,
    ActivityTaskRecord,
    ExecutionRecord,
    StateMachineRecord,
    TimerRecord,
)


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Group the calls made inside into one atomic commit."""

    # state machines
    def put_state_machine(self, record: StateMachineRecord) -> None:
        """Insert or replace a state machine."""

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        """The state machine with this ARN, or None."""

    def list_state_machines(self) -> list[StateMachineRecord]:
        """Every state machine, oldest first."""

    def delete_state_machine(self, arn: str) -> None:
        """Forget a state machine (its executions stay)."""

    # executions
    def put_execution(self, record: ExecutionRecord) -> None:
        """Insert or replace an execution, its run and its history."""

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        """The execution with this ARN, or None."""

    def list_executions(self, state_machine_arn: str, status: str | None = None) -> list[ExecutionRecord]:
        """Executions of a state machine, newest first, optionally of one status."""

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
        """The live task with this token, or None."""

    def remove_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        """Drop the tasks of these waits (all of the execution's when None)."""

    # timers and ready signals
    def set_timer(self, timer: TimerRecord) -> None:
        """Arm a timer, replacing one of the same (execution, wait, kind)."""

    def cancel_timers(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        """Disarm the timers of these waits (all of the execution's when None)."""

    def due_timers(self, now: float, limit: int) -> list[TimerRecord]:
        """Remove and return up to ``limit`` timers due at ``now``, earliest first."""

    def next_due(self) -> float | None:
        """When the earliest armed timer is due, or None."""

    def push_signal(self, execution_arn: str, signal: Signal | None) -> None:
        """Queue work for an execution (None: start it)."""

    def pop_signals(self, limit: int) -> list[tuple[str, Signal | None]]:
        """Remove and return up to ``limit`` queued signals, oldest first."""
