"""``stepforge db check``: verify that every execution's history and frames agree."""

from __future__ import annotations

from dataclasses import dataclass, field

from stepforge.asl.records import RUNNING
from stepforge.store.base import Store
from stepforge.store.records import ExecutionRecord

_CLOSING = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionTimedOut": "TIMED_OUT",
            "ExecutionAborted": "ABORTED"}


@dataclass
class CheckReport:
    executions: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)


def check_store(store: Store) -> CheckReport:
    """Every execution: event ids 1..N with no gap, a status that matches its last event, and a
    RUNNING execution that has something to wait on (a signal, a timer or an activity task)."""
    report = CheckReport()
    for machine in store.list_state_machines():
        for record in store.list_executions(machine.arn):
            report.executions += 1
            report.events += record.event_count
            report.problems += check_execution(store, record)
    return report


def check_execution(store: Store, record: ExecutionRecord) -> list[str]:
    events = store.get_events(record.arn)
    problems: list[str] = []
    ids = [event.id for event in events]
    if ids != list(range(1, len(events) + 1)):
        problems.append(f"{record.arn}: event ids are not 1..{len(events)}")
    if len(events) != record.event_count:
        problems.append(f"{record.arn}: {len(events)} events stored, {record.event_count} counted")
    closing = _CLOSING.get(events[-1].type) if events else None
    if record.status == RUNNING:
        if closing is not None:
            problems.append(f"{record.arn}: RUNNING but its history ends with {events[-1].type}")
        if store.pending_work(record.arn) == 0:
            problems.append(f"{record.arn}: RUNNING with nothing to wait on (lost work)")
    elif closing != record.status:
        problems.append(f"{record.arn}: status {record.status} but history ends with "
                        f"{events[-1].type if events else 'nothing'}")
    return problems

