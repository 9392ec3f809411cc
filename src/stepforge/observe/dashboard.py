"""The console dashboard's figures: executions over time per state machine, the slowest states, the load.

Kept in memory, per minute, for the last :data:`WINDOW_MINUTES` minutes, from the same committed
batches the metrics count (this node's work since it started; Prometheus and Grafana keep the long
history). Fed on the engine's thread, read by console requests: every access holds the lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from stepforge.engine.observer import BatchDone
from stepforge.observe.follow import Listener, StateVisit
from stepforge.store.records import ExecutionRecord

WINDOW_MINUTES = 60
#: The series the chart draws, and which execution ends count in which.
SERIES = ("started", "succeeded", "failed")
_SERIES_OF = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "failed", "ABORTED": "failed"}
MAX_STATES = 10_000


@dataclass(slots=True)
class _StateTimes:
    count: int = 0
    total: float = 0.0
    longest: float = 0.0


class Dashboard(Listener):
    """Per-minute execution counts per machine, state durations and recent batches (a follow.Listener)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minutes: OrderedDict[int, dict[str, dict[str, int]]] = OrderedDict()
        self._states: dict[tuple[str, str], _StateTimes] = {}
        self._batches: OrderedDict[int, list[int]] = OrderedDict()  # minute -> [batches, work items]
        # this batch's (or EXPRESS step's) state visits and execution counts, merged by ``stepped``
        self._exits: dict[tuple[str, str], _StateTimes] = {}  # (machine, state) -> this batch's visits
        self._counts: dict[tuple[int, str, str], int] = {}  # (minute, machine, series) -> executions

    # -- feeding -------------------------------------------------------------------------------

    def batch(self, done: BatchDone) -> None:
        """The batch's end: its figures, and the executions and state visits it counted, merged under the
        lock at once."""
        with self._lock:
            counts = _bucket(self._batches, int(done.now // 60), lambda: [0, 0])
            counts[0] += 1
            counts[1] += done.size
        self.stepped()

    def stepped(self) -> None:
        """Merge the executions and state visits counted since the last merge (a batch's, or one step's
        of an EXPRESS execution, which has no batch). The caller keeps feeding and merging on one
        thread at a time (the observatory's lock)."""
        exits, self._exits = self._exits, {}
        executions, self._counts = self._counts, {}
        with self._lock:
            for key, visits in exits.items():
                self._time_state(key, visits)
            for (minute, machine, series), count in executions.items():
                machines = _bucket(self._minutes, minute, dict)
                machines.setdefault(machine, dict.fromkeys(SERIES, 0))[series] += count

    def execution_started(self, record: ExecutionRecord, at: float) -> None:
        self._count(record.state_machine_arn, "started", at)

    def execution_ended(self, record: ExecutionRecord, status: str, at: float) -> None:
        self._count(record.state_machine_arn, _SERIES_OF[status], at)

    def state_exited(self, record: ExecutionRecord, visit: StateVisit, at: float) -> None:
        key, seconds = (record.state_machine_arn, visit.name), max(0.0, at - visit.entered)
        times = self._exits.get(key)
        if times is None:
            self._exits[key] = _StateTimes(1, seconds, seconds)
            return
        times.count += 1
        times.total += seconds
        times.longest = max(times.longest, seconds)

    def _time_state(self, key: tuple[str, str], visits: _StateTimes) -> None:
        times = self._states.get(key)
        if times is None:
            if len(self._states) < MAX_STATES:
                self._states[key] = visits
            return
        times.count += visits.count
        times.total += visits.total
        times.longest = max(times.longest, visits.longest)

    def _count(self, machine: str, series: str, at: float) -> None:
        key = (int(at // 60), machine, series)
        self._counts[key] = self._counts.get(key, 0) + 1

    # -- reading ---------------------------------------------------------------------------------

    def snapshot(self, now: float, *, slowest: int = 10) -> dict[str, Any]:
        """What the dashboard page shows, as JSON: ``minutes`` (the window's minute starts, epoch seconds),
        ``machines`` (ARN -> series -> one count per minute), ``slowest`` states (by average seconds)
        and ``load`` (batches and work items in the last minute)."""
        last = int(now // 60)
        minutes = list(range(last - WINDOW_MINUTES + 1, last + 1))
        with self._lock:
            machines: dict[str, dict[str, list[int]]] = {}
            for index, minute in enumerate(minutes):
                for machine, counts in self._minutes.get(minute, {}).items():
                    series = machines.setdefault(machine, {name: [0] * len(minutes) for name in SERIES})
                    for name in SERIES:
                        series[name][index] = counts[name]
            states = sorted(self._states.items(), key=lambda item: item[1].total / item[1].count, reverse=True)
            batches, work = self._batches.get(last, [0, 0])
        return {
            "minutes": [minute * 60 for minute in minutes],
            "machines": machines,
            "slowest": [{"stateMachineArn": machine, "state": name, "count": t.count,
                         "averageSeconds": t.total / t.count, "longestSeconds": t.longest}
                        for (machine, name), t in states[:slowest]],
            "load": {"batchesLastMinute": batches, "workLastMinute": work},
        }


def _bucket(buckets: OrderedDict[int, Any], minute: int, new: Any) -> Any:
    """The bucket of ``minute`` (made if new), dropping those older than the window."""
    found = buckets.get(minute)
    if found is None:
        found = buckets[minute] = new()
        while buckets and next(iter(buckets)) <= minute - WINDOW_MINUTES:
            buckets.popitem(last=False)
    return found
