"""The memory store: the Store protocol in dictionaries, for tests, ``stepforge run`` and EXPRESS."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable
from contextlib import AbstractContextManager

from stepforge.asl.records import Signal
from stepforge.store.records import (
    ActivityRecord,
    ActivityTaskRecord,
    ExecutionRecord,
    StateMachineRecord,
    TimerRecord,
)


class MemoryStore:
    """Everything in process memory; one re-entrant lock makes each call and transaction atomic."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._machines: dict[str, StateMachineRecord] = {}
        self._executions: dict[str, ExecutionRecord] = {}
        self._by_machine: dict[str, list[str]] = {}
        self._activities: dict[str, ActivityRecord] = {}
        self._queues: dict[str, OrderedDict[str, ActivityTaskRecord]] = {}
        self._tasks: dict[str, ActivityTaskRecord] = {}
        self._timers: list[tuple[float, int, TimerRecord]] = []
        self._armed: dict[tuple[str, int, str], int] = {}
        self._sequence = itertools.count()
        self._signals: deque[tuple[str, Signal | None]] = deque()

    def transaction(self) -> AbstractContextManager[None]:
        return self.lock  # type: ignore[return-value]

    # -- state machines --------------------------------------------------------------------------

    def put_state_machine(self, record: StateMachineRecord) -> None:
        with self.lock:
            self._machines[record.arn] = record

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        return self._machines.get(arn)

    def list_state_machines(self) -> list[StateMachineRecord]:
        with self.lock:
            return sorted(self._machines.values(), key=lambda r: (r.created, r.arn))

    def delete_state_machine(self, arn: str) -> None:
        with self.lock:
            self._machines.pop(arn, None)

    # -- executions ------------------------------------------------------------------------------

    def put_execution(self, record: ExecutionRecord) -> None:
        with self.lock:
            if record.arn not in self._executions:
                self._by_machine.setdefault(record.state_machine_arn, []).append(record.arn)
            self._executions[record.arn] = record

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        return self._executions.get(arn)

    def list_executions(self, state_machine_arn: str, status: str | None = None) -> list[ExecutionRecord]:
        with self.lock:
            arns = self._by_machine.get(state_machine_arn, [])
            found = [self._executions[a] for a in reversed(arns)]
        return [r for r in found if status is None or r.status == status]

    # -- activities and tasks --------------------------------------------------------------------

    def put_activity(self, record: ActivityRecord) -> None:
        with self.lock:
            self._activities[record.arn] = record

    def get_activity(self, arn: str) -> ActivityRecord | None:
        return self._activities.get(arn)

    def list_activities(self) -> list[ActivityRecord]:
        with self.lock:
            return sorted(self._activities.values(), key=lambda r: (r.created, r.arn))

    def delete_activity(self, arn: str) -> None:
        with self.lock:
            self._activities.pop(arn, None)

    def add_task(self, task: ActivityTaskRecord) -> None:
        with self.lock:
            self._tasks[task.token] = task
            self._queues.setdefault(task.activity_arn, OrderedDict())[task.token] = task

    def poll_task(self, activity_arn: str, worker_name: str | None) -> ActivityTaskRecord | None:
        with self.lock:
            queue = self._queues.get(activity_arn)
            if not queue:
                return None
            _, task = queue.popitem(last=False)
            task.started, task.worker_name = True, worker_name
            return task

    def get_task(self, token: str) -> ActivityTaskRecord | None:
        return self._tasks.get(token)

    def remove_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        with self.lock:
            wanted = None if wait_ids is None else set(wait_ids)
            for token, task in list(self._tasks.items()):
                if task.execution_arn == execution_arn and (wanted is None or task.wait_id in wanted):
                    del self._tasks[token]
                    self._queues.get(task.activity_arn, OrderedDict()).pop(token, None)

    # -- timers and signals ----------------------------------------------------------------------

    def set_timer(self, timer: TimerRecord) -> None:
        with self.lock:
            sequence = next(self._sequence)
            self._armed[(timer.execution_arn, timer.wait_id, timer.kind)] = sequence
            heapq.heappush(self._timers, (timer.due, sequence, timer))

    def cancel_timers(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        with self.lock:
            wanted = None if wait_ids is None else set(wait_ids)
            for key in [k for k in self._armed if k[0] == execution_arn and (wanted is None or k[1] in wanted)]:
                del self._armed[key]

    def due_timers(self, now: float, limit: int) -> list[TimerRecord]:
        with self.lock:
            due: list[TimerRecord] = []
            while self._timers and self._timers[0][0] <= now and len(due) < limit:
                _, sequence, timer = heapq.heappop(self._timers)
                key = (timer.execution_arn, timer.wait_id, timer.kind)
                if self._armed.get(key) == sequence:
                    del self._armed[key]
                    due.append(timer)
            return due

    def next_due(self) -> float | None:
        with self.lock:
            while self._timers:
                due, sequence, timer = self._timers[0]
                if self._armed.get((timer.execution_arn, timer.wait_id, timer.kind)) == sequence:
                    return due
                heapq.heappop(self._timers)
            return None

    def push_signal(self, execution_arn: str, signal: Signal | None) -> None:
        with self.lock:
            self._signals.append((execution_arn, signal))

    def pop_signals(self, limit: int) -> list[tuple[str, Signal | None]]:
        with self.lock:
            count = min(limit, len(self._signals))
            return [self._signals.popleft() for _ in range(count)]
