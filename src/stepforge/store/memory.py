"""The memory store: the Store protocol in dictionaries, for tests, ``stepforge run`` and EXPRESS."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext

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
        self._armed: dict[str, dict[tuple[int, str], int]] = {}
        self._task_tokens: dict[str, set[str]] = {}
        self._sequence = itertools.count()
        self._signals: deque[tuple[str, Signal | None]] = deque()
        self._events: dict[str, list[Event]] = {}
        self._open: set[str] = set()
        self._versions: dict[str, VersionRecord] = {}
        self._aliases: dict[str, AliasRecord] = {}
        self._map_runs: dict[str, MapRunRecord] = {}

    def transaction(self) -> AbstractContextManager[None]:
        return self.lock  # type: ignore[return-value]

    def savepoint(self) -> AbstractContextManager[None]:
        return nullcontext()

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

    # -- versions, aliases and map runs ----------------------------------------------------------

    def put_version(self, record: VersionRecord) -> None:
        with self.lock:
            self._versions[record.arn] = record

    def get_version(self, arn: str) -> VersionRecord | None:
        return self._versions.get(arn)

    def list_versions(self, machine_arn: str) -> list[VersionRecord]:
        with self.lock:
            found = [r for r in self._versions.values() if r.machine_arn == machine_arn]
        return sorted(found, key=lambda r: -r.number)

    def delete_version(self, arn: str) -> None:
        with self.lock:
            self._versions.pop(arn, None)

    def put_alias(self, record: AliasRecord) -> None:
        with self.lock:
            self._aliases[record.arn] = record

    def get_alias(self, arn: str) -> AliasRecord | None:
        return self._aliases.get(arn)

    def list_aliases(self, machine_arn: str) -> list[AliasRecord]:
        with self.lock:
            found = [r for r in self._aliases.values() if r.machine_arn == machine_arn]
        return sorted(found, key=lambda r: (r.created, r.arn))

    def delete_alias(self, arn: str) -> None:
        with self.lock:
            self._aliases.pop(arn, None)

    def put_map_run(self, record: MapRunRecord) -> None:
        with self.lock:
            self._map_runs[record.arn] = record

    def get_map_run(self, arn: str) -> MapRunRecord | None:
        return self._map_runs.get(arn)

    def list_map_runs(self, execution_arn: str) -> list[MapRunRecord]:
        with self.lock:
            found = [r for r in self._map_runs.values() if r.execution_arn == execution_arn]
        return sorted(found, key=lambda r: (r.started, r.arn))

    # -- executions and history ------------------------------------------------------------------

    def insert_execution(self, record: ExecutionRecord) -> None:
        with self.lock:
            self._by_machine.setdefault(record.state_machine_arn, []).append(record.arn)
            self._executions[record.arn] = record
            self._events[record.arn] = []
            if record.status == "RUNNING":
                self._open.add(record.arn)

    def update_execution(self, record: ExecutionRecord) -> None:
        with self.lock:
            self._executions[record.arn] = record
            if record.status != "RUNNING":
                self._open.discard(record.arn)

    def count_open_executions(self) -> int:
        return len(self._open)

    def list_open_executions(self) -> list[str]:
        with self.lock:
            return sorted(self._open)

    def append_events(self, execution_arn: str, events: list[Event]) -> None:
        with self.lock:
            self._events[execution_arn].extend(events)

    def get_events(self, execution_arn: str, offset: int = 0, limit: int | None = None,
                   reverse: bool = False) -> list[Event]:
        with self.lock:
            events = self._events.get(execution_arn, [])
            ordered = events[::-1] if reverse else events
            return ordered[offset:] if limit is None else ordered[offset:offset + limit]

    def get_execution(self, arn: str, *, with_run: bool = True) -> ExecutionRecord | None:
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
            self._task_tokens.setdefault(task.execution_arn, set()).add(task.token)
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

    def open_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> list[ActivityTaskRecord]:
        with self.lock:
            wanted = None if wait_ids is None else set(wait_ids)
            tokens = self._task_tokens.get(execution_arn, set())
            tasks = [self._tasks[token] for token in tokens]
            return sorted((t for t in tasks if wanted is None or t.wait_id in wanted), key=lambda t: t.scheduled)

    def open_tasks_of(self, activity_prefix: str) -> list[ActivityTaskRecord]:
        with self.lock:
            tasks = [self._tasks[token] for tokens in self._task_tokens.values() for token in tokens]
            return sorted((t for t in tasks if t.activity_arn.startswith(activity_prefix)), key=lambda t: t.scheduled)

    def remove_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        with self.lock:
            wanted = None if wait_ids is None else set(wait_ids)
            tokens = self._task_tokens.get(execution_arn, set())
            for token in list(tokens):
                task = self._tasks[token]
                if wanted is None or task.wait_id in wanted:
                    task.closed = True
                    tokens.discard(token)
                    self._queues.get(task.activity_arn, OrderedDict()).pop(token, None)
            if not tokens:
                self._task_tokens.pop(execution_arn, None)

    # -- timers and signals ----------------------------------------------------------------------

    def set_timer(self, timer: TimerRecord) -> None:
        with self.lock:
            sequence = next(self._sequence)
            self._armed.setdefault(timer.execution_arn, {})[(timer.wait_id, timer.kind)] = sequence
            heapq.heappush(self._timers, (timer.due, sequence, timer))

    def cancel_timers(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        with self.lock:
            armed = self._armed.get(execution_arn)
            if armed is None:
                return
            if wait_ids is None:
                armed.clear()
            else:
                wanted = set(wait_ids)
                for key in [k for k in armed if k[0] in wanted]:
                    del armed[key]
            if not armed:
                del self._armed[execution_arn]

    def _is_armed(self, timer: TimerRecord, sequence: int) -> bool:
        return self._armed.get(timer.execution_arn, {}).get((timer.wait_id, timer.kind)) == sequence

    def due_timers(self, now: float, limit: int) -> list[TimerRecord]:
        with self.lock:
            due: list[TimerRecord] = []
            while self._timers and self._timers[0][0] <= now and len(due) < limit:
                _, sequence, timer = heapq.heappop(self._timers)
                if self._is_armed(timer, sequence):
                    armed = self._armed[timer.execution_arn]
                    del armed[(timer.wait_id, timer.kind)]
                    if not armed:
                        del self._armed[timer.execution_arn]
                    due.append(timer)
            return due

    def next_due(self) -> float | None:
        with self.lock:
            while self._timers:
                due, sequence, timer = self._timers[0]
                if self._is_armed(timer, sequence):
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

    def pending_work(self, execution_arn: str) -> int:
        with self.lock:
            signals = sum(1 for arn, _ in self._signals if arn == execution_arn)
            timers = len(self._armed.get(execution_arn, {}))
            tasks = len(self._task_tokens.get(execution_arn, ()))
            return signals + timers + tasks

    def close(self) -> None:
        pass
