"""``stepforge db check``: verify that every execution's history, frames, tasks and Map Runs agree."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from stepforge.asl.records import RUNNING
from stepforge.store.base import ExecutionQuery, StorageCorrupt, Store
from stepforge.store.records import ExecutionRecord, MapRunItem, MapRunRecord, Page
from stepforge.store.sqlite import SqliteStore

T = TypeVar("T")
PAGE = 1000
_CLOSING = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionTimedOut": "TIMED_OUT",
            "ExecutionAborted": "ABORTED"}
_COUNTED = {"PENDING": "pending", "RUNNING": "running", "SUCCEEDED": "succeeded", "FAILED": "failed",
            "TIMED_OUT": "timedOut", "ABORTED": "aborted"}


@dataclass
class CheckReport:
    executions: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)


def check_file(store: SqliteStore) -> CheckReport:
    """:func:`check_store` on a SQLite file, after ``PRAGMA quick_check``: damage is reported as
    problems (the check reads on as far as SQLite can), never raised."""
    damage = [f"{store.path}: quick_check: {line}" for line in store.quick_check(limit=100)]
    try:
        report = check_store(store)
    except (sqlite3.DatabaseError, StorageCorrupt) as exc:
        report = CheckReport(problems=[f"{store.path}: stopped reading: {exc}"])
    report.problems[:0] = damage
    return report


def check_store(store: Store) -> CheckReport:
    """Every execution: event ids 1..N with no gap, a status that matches its last event, a RUNNING
    execution that has something to wait on (a signal, a timer, an open task or a running Map Run),
    an ended one that holds no open task; every Map Run: counts that match its items' rows."""
    report = CheckReport()
    for record in pages(lambda after: store.list_executions(ExecutionQuery(), after=after, limit=PAGE)):
        report.executions += 1
        report.events += record.event_count
        report.problems += check_execution(store, record)
        for run in _map_runs(store, record.arn):
            report.problems += check_map_run(store, run)
    for dispatch in pages(lambda after: store.open_dispatches(after=after, limit=PAGE)):
        report.problems += _held(store, dispatch.execution_arn, f"dispatch {dispatch.token[:12]}...")
    return report


def pages(read: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Every item of a paged list, reading one page at a time."""
    after: str | None = None
    while True:
        page = read(after)
        yield from page.items
        if page.next is None:
            return
        after = page.next


def _map_runs(store: Store, execution_arn: str) -> Iterator[MapRunRecord]:
    return pages(lambda after: store.list_map_runs(execution_arn, after=after, limit=PAGE))


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
    else:
        if closing != record.status:
            problems.append(f"{record.arn}: status {record.status} but history ends with "
                            f"{events[-1].type if events else 'nothing'}")
        if store.open_child_watches(record.arn):
            problems.append(f"{record.arn}: {record.status} but still watches a child execution")
    return problems


def check_map_run(store: Store, run: MapRunRecord) -> list[str]:
    """A Map Run's child execution counts against its items' rows, one row per child (read a page at
    a time); with an ItemBatcher a row holds a batch, so the item counts are larger."""
    tally: Counter[str] = Counter()
    problems: list[str] = []
    for item in pages(lambda after: _items(store, run.arn, after)):
        tally[_COUNTED.get(item.status, "failed")] += 1
        problems.extend(_item_times(run.arn, item))
    counted = {key: run.execution_counts.get(key, 0) for key in _COUNTED.values()}
    stored = {key: tally.get(key, 0) for key in _COUNTED.values()}
    if counted != stored or run.execution_counts.get("total", 0) != sum(tally.values()):
        problems.insert(0, f"{run.arn}: counts {counted} but its items are {stored}")
    return problems


def _item_times(arn: str, item: MapRunItem) -> list[str]:
    """An item's start and stop times against its status: a pending item has neither, a running one
    no stop, and a stop is never before the start. (Items recorded before migration 7 have no times.)"""
    where = f"{arn}: item {item.index} ({item.status})"
    if item.status == "PENDING" and (item.started is not None or item.stopped is not None):
        return [f"{where} has a start or stop time but never started"]
    if item.status == RUNNING and item.stopped is not None:
        return [f"{where} has a stop time"]
    if item.started is not None and item.stopped is not None and item.stopped < item.started:
        return [f"{where} stopped before it started"]
    return []


def _items(store: Store, arn: str, after: str | None) -> Page[MapRunItem]:
    last = -1 if after is None else int(after)
    items = store.map_run_items(arn, after=last, limit=PAGE)
    return Page(list(items), str(items[-1].index) if len(items) == PAGE else None)


def _held(store: Store, execution_arn: str, what: str) -> list[str]:
    record = store.get_execution(execution_arn, with_run=False)
    if record is None or record.status != RUNNING:
        return [f"{execution_arn}: {what} is open but the execution is {record.status if record else 'missing'}"]
    return []
