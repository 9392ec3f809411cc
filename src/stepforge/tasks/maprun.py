"""Map Runs: a Distributed Map's items run as child executions, and their end wakes the parent.

Everything here writes with the engine batch's unit of work (``tx``). :func:`start` records the Map Run (its
settings, counts and the parent's wait) with one item row per input, and starts the first children,
up to MaxConcurrency; :func:`on_child_finished` (called as a child's end commits, like ``.sync``
children in ``children.on_finished``) records its result in its item's row, starts the next pending
items (read in index order, a page at a time), and when the run is over or exceeds its tolerated
failures pushes a :class:`MapRunEnded` signal to the parent. The run's row and its items are the
whole state of the run, so a crash at any point resumes where the last commit left it.

Items are never all in memory at once, except the results the parent's Map state receives when the
run succeeds: an inline Map result is one JSON array, so that list is inherent.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from stepforge.asl.errors import EXCEED_TOLERATED_FAILURE_THRESHOLD
from stepforge.asl.execution.distributed import THRESHOLD_CAUSE
from stepforge.asl.records import FAILED, RUNNING, SUCCEEDED, MapRunEnded, StartMapRun, Stop
from stepforge.store.base import UnitOfWork
from stepforge.store.codec import dumps
from stepforge.store.records import ExecutionRecord, MapRunItem, MapRunRecord

#: How many item rows are read at a time.
PAGE = 1000
PENDING = "PENDING"
_COUNTED = {"RUNNING": "running", "SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timedOut",
            "ABORTED": "aborted"}


def processor_definition(definition: str, address: tuple[tuple[str, int], ...]) -> tuple[str, bool]:
    """The ItemProcessor at ``address`` as a definition of its own, and whether it runs EXPRESS."""
    node: dict[str, Any] = json.loads(definition)
    language = node.get("QueryLanguage")
    for name, index in address:
        state = node["States"][name]
        node = state["Branches"][index] if state.get("Type") == "Parallel" else (
            state.get("ItemProcessor") or state.get("Iterator"))
    config = node.get("ProcessorConfig") or {}
    processor = {k: v for k, v in node.items() if k != "ProcessorConfig"}
    if language is not None and "QueryLanguage" not in processor:
        processor["QueryLanguage"] = language
    return json.dumps(processor), config.get("ExecutionType") == "EXPRESS"


def start(tx: UnitOfWork, parent: ExecutionRecord, command: StartMapRun, now: float) -> None:
    """Record a new Map Run and its items, and start the first children (idempotent on the Map Run ARN)."""
    if tx.get_map_run(command.map_run_arn) is not None:
        return
    definition, express = processor_definition(parent.definition, command.address)
    total = len(command.inputs)
    counts = {"pending": total, "running": 0, "succeeded": 0, "failed": 0, "timedOut": 0, "aborted": 0,
              "total": total, "resultsWritten": 0}
    record = MapRunRecord(
        arn=command.map_run_arn, execution_arn=parent.arn, state_machine_arn=parent.state_machine_arn,
        started=now, max_concurrency=command.max_concurrency,
        tolerated_failure_count=command.tolerated_count or 0,
        tolerated_failure_percentage=float(command.tolerated_percentage or 0.0),
        item_counts=dict(counts), execution_counts=dict(counts),
        parent_wait=command.wait_id, child_machine_arn=child_machine_arn(command.map_run_arn),
        definition=definition, role_arn=parent.role_arn, express=express,
    )
    tx.insert_map_run(record, command.inputs)
    _advance(tx, record, now)


def child_machine_arn(map_run_arn: str) -> str:
    """The state machine ARN the children show: ``...:stateMachine:MACHINE/LABEL``."""
    return map_run_arn.replace(":mapRun:", ":stateMachine:", 1).rsplit(":", 1)[0]


def on_child_finished(tx: UnitOfWork, child: ExecutionRecord) -> None:
    """A child execution ended: record its result in its item and move the Map Run on."""
    if child.map_run_arn is None:
        return
    item = tx.map_run_item_of(child.arn)
    record = tx.get_map_run(child.map_run_arn)
    if item is None or record is None or item.status != RUNNING:
        return
    item.status = child.status
    item.result = (child.output or "null") if child.status == SUCCEEDED else dumps(
        {"Error": child.error, "Cause": child.cause})
    tx.update_map_run_item(item)
    _count(record, RUNNING, child.status)
    _advance(tx, record, child.stopped or record.started)


def abort(tx: UnitOfWork, arn: str, now: float) -> None:
    """The parent stopped waiting (aborted, timed out, failed elsewhere): stop the run's children."""
    record = tx.get_map_run(arn)
    if record is None or record.status != RUNNING:
        return
    record.status, record.stopped = "ABORTED", now
    _stop_children(tx, record)
    tx.update_map_run(record)


def refill(tx: UnitOfWork, record: MapRunRecord, now: float) -> None:
    """The run's settings changed (UpdateMapRun): apply them at once."""
    if record.status == RUNNING:
        _advance(tx, record, now)
    else:
        tx.update_map_run(record)


def _advance(tx: UnitOfWork, record: MapRunRecord, now: float) -> None:
    if record.status == RUNNING:
        if _failed(record) and not _tolerated(record):
            _end(tx, record, FAILED, now)
        else:
            _fill(tx, record, now)
            if record.item_counts["pending"] == 0 and record.item_counts["running"] == 0:
                _end(tx, record, SUCCEEDED, now)
    tx.update_map_run(record)


def _count(record: MapRunRecord, was: str, now: str) -> None:
    """Move one item from status ``was`` to ``now`` in the run's counts."""
    for counts in (record.item_counts, record.execution_counts):
        counts[_key(was)] -= 1
        counts[_key(now)] += 1


def _key(status: str) -> str:
    return "pending" if status == PENDING else _COUNTED.get(status, "failed")


def _failed(record: MapRunRecord) -> int:
    counts = record.item_counts
    return counts["failed"] + counts["timedOut"] + counts["aborted"]


def _tolerated(record: MapRunRecord) -> bool:
    failed, total = _failed(record), record.item_counts["total"]
    if failed <= record.tolerated_failure_count:
        return True
    return total > 0 and failed * 100.0 / total <= record.tolerated_failure_percentage


def _fill(tx: UnitOfWork, record: MapRunRecord, now: float) -> None:
    """Start pending items in index order while MaxConcurrency leaves room (0: no limit)."""
    counts = record.item_counts
    while counts["pending"] and (record.max_concurrency == 0 or counts["running"] < record.max_concurrency):
        room = counts["pending"] if record.max_concurrency == 0 else record.max_concurrency - counts["running"]
        launched = counts["total"] - counts["pending"]  # items start in index order
        items = tx.map_run_items(record.arn, status=PENDING, after=launched - 1, limit=min(room, PAGE))
        if not items:
            break
        for item in items:
            _launch(tx, record, item, now)


def _launch(tx: UnitOfWork, record: MapRunRecord, item: MapRunItem, now: float) -> None:
    run_id = record.arn.rsplit(":", 1)[1]
    name = str(uuid.uuid5(uuid.UUID(run_id), str(item.index)))
    machine_name = record.child_machine_arn.split(":stateMachine:", 1)[1]
    if record.express:
        arn = f"{record.child_machine_arn.replace(':stateMachine:', ':express:', 1)}:{name}:{run_id}"
    else:
        arn = f"{record.child_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"
    tx.insert_execution(ExecutionRecord(
        arn=arn, name=name, state_machine_arn=record.child_machine_arn, state_machine_name=machine_name,
        definition=record.definition, role_arn=record.role_arn, input=item.input, started=now,
        map_run_arn=record.arn,
    ))
    tx.push_signal(arn, None)
    item.child_arn, item.status = arn, RUNNING
    tx.update_map_run_item(item)
    _count(record, PENDING, RUNNING)


def _end(tx: UnitOfWork, record: MapRunRecord, status: str, now: float) -> None:
    record.status, record.stopped = status, now
    if status == SUCCEEDED:
        for counts in (record.item_counts, record.execution_counts):
            counts["resultsWritten"] = counts["succeeded"]
        signal = MapRunEnded(record.parent_wait, SUCCEEDED, _results(tx, record.arn))
    else:
        _stop_children(tx, record)
        signal = MapRunEnded(record.parent_wait, FAILED, None, EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE)
    tx.push_signal(record.execution_arn, signal)


def _results(tx: UnitOfWork, arn: str) -> list[Any]:
    """Every item's result in item order: the Map state's output (the one list of the whole run)."""
    results: list[Any] = []
    while items := tx.map_run_items(arn, after=len(results) - 1, limit=PAGE):
        results += [None if item.result is None else json.loads(item.result) for item in items]
    return results


def _stop_children(tx: UnitOfWork, record: MapRunRecord) -> None:
    after = -1
    while items := tx.map_run_items(record.arn, status=RUNNING, after=after, limit=PAGE):
        for item in items:
            if item.child_arn is not None:
                tx.push_signal(item.child_arn, Stop())
        after = items[-1].index
