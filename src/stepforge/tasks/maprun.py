"""Map Runs: a Distributed Map's items run as child executions, and their end wakes the parent.

Everything here runs inside the engine's transaction. :func:`start` records the Map Run (its item
inputs, settings and the parent's wait) and starts the first children, up to MaxConcurrency;
:func:`on_child_finished` (called as a child's end commits, like ``.sync`` children in
``children.on_finished``) records its result, starts the next items, and when the run is over or
exceeds its tolerated failures pushes a :class:`MapRunEnded` signal to the parent. The record is
the whole state of the run, so a crash at any point resumes where the last commit left it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from stepforge.asl.errors import EXCEED_TOLERATED_FAILURE_THRESHOLD
from stepforge.asl.execution.distributed import THRESHOLD_CAUSE
from stepforge.asl.records import FAILED, RUNNING, SUCCEEDED, MapRunEnded, StartMapRun, Stop
from stepforge.store.base import Store
from stepforge.store.records import ExecutionRecord, MapRunRecord

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


def start(store: Store, parent: ExecutionRecord, command: StartMapRun, now: float) -> None:
    """Record a new Map Run and start its first children (idempotent on the Map Run ARN)."""
    if store.get_map_run(command.map_run_arn) is not None:
        return
    definition, express = processor_definition(parent.definition, command.address)
    record = MapRunRecord(
        arn=command.map_run_arn, execution_arn=parent.arn, state_machine_arn=parent.state_machine_arn,
        started=now, max_concurrency=command.max_concurrency,
        tolerated_failure_count=command.tolerated_count or 0,
        tolerated_failure_percentage=float(command.tolerated_percentage or 0.0),
        parent_wait=command.wait_id, child_machine_arn=child_machine_arn(command.map_run_arn),
        definition=definition, role_arn=parent.role_arn, express=express, inputs=list(command.inputs),
        results=[None] * len(command.inputs),
    )
    _advance(store, record, now)


def child_machine_arn(map_run_arn: str) -> str:
    """The state machine ARN the children show: ``...:stateMachine:MACHINE/LABEL``."""
    return map_run_arn.replace(":mapRun:", ":stateMachine:", 1).rsplit(":", 1)[0]


def on_child_finished(store: Store, child: ExecutionRecord) -> None:
    """A child execution ended: record its result and move the Map Run on."""
    if child.map_run_arn is None:
        return
    record = store.get_map_run(child.map_run_arn)
    if record is None or child.arn not in record.children:
        return
    index = record.children.index(child.arn)
    record.statuses[index] = child.status
    if child.status == SUCCEEDED:
        record.results[index] = json.loads(child.output or "null")
    else:
        record.results[index] = {"Error": child.error, "Cause": child.cause}
    _advance(store, record, child.stopped or record.started)


def abort(store: Store, arn: str, now: float) -> None:
    """The parent stopped waiting (aborted, timed out, failed elsewhere): stop the run's children."""
    record = store.get_map_run(arn)
    if record is None or record.status != RUNNING:
        return
    record.status, record.stopped = "ABORTED", now
    _stop_children(store, record)
    _save(store, record)


def refill(store: Store, record: MapRunRecord, now: float) -> None:
    """The run's settings changed (UpdateMapRun): apply them at once."""
    if record.status == RUNNING:
        _advance(store, record, now)
    else:
        _save(store, record)


def _advance(store: Store, record: MapRunRecord, now: float) -> None:
    if record.status == RUNNING:
        if _failed(record) and not _tolerated(record):
            _end(store, record, FAILED, now)
        else:
            _fill(store, record, now)
            if len(record.children) == len(record.inputs) and RUNNING not in record.statuses:
                _end(store, record, SUCCEEDED, now)
    _save(store, record)


def _failed(record: MapRunRecord) -> int:
    return sum(1 for s in record.statuses if s not in (RUNNING, SUCCEEDED))


def _tolerated(record: MapRunRecord) -> bool:
    failed, total = _failed(record), len(record.inputs)
    if failed <= record.tolerated_failure_count:
        return True
    return total > 0 and failed * 100.0 / total <= record.tolerated_failure_percentage


def _fill(store: Store, record: MapRunRecord, now: float) -> None:
    limit, running = record.max_concurrency, record.statuses.count(RUNNING)
    while len(record.children) < len(record.inputs) and (limit == 0 or running < limit):
        _launch(store, record, len(record.children), now)
        running += 1


def _launch(store: Store, record: MapRunRecord, index: int, now: float) -> None:
    run_id = record.arn.rsplit(":", 1)[1]
    name = str(uuid.uuid5(uuid.UUID(run_id), str(index)))
    machine_name = record.child_machine_arn.split(":stateMachine:", 1)[1]
    if record.express:
        arn = f"{record.child_machine_arn.replace(':stateMachine:', ':express:', 1)}:{name}:{run_id}"
    else:
        arn = f"{record.child_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"
    store.insert_execution(ExecutionRecord(
        arn=arn, name=name, state_machine_arn=record.child_machine_arn, state_machine_name=machine_name,
        definition=record.definition, role_arn=record.role_arn, input=record.inputs[index], started=now,
        map_run_arn=record.arn,
    ))
    store.push_signal(arn, None)
    record.children.append(arn)
    record.statuses.append(RUNNING)


def _end(store: Store, record: MapRunRecord, status: str, now: float) -> None:
    record.status, record.stopped = status, now
    if status == SUCCEEDED:
        signal = MapRunEnded(record.parent_wait, SUCCEEDED, list(record.results))
    else:
        _stop_children(store, record)
        signal = MapRunEnded(record.parent_wait, FAILED, None, EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE)
    store.push_signal(record.execution_arn, signal)


def _stop_children(store: Store, record: MapRunRecord) -> None:
    for arn, status in zip(record.children, record.statuses, strict=True):
        if status == RUNNING:
            store.push_signal(arn, Stop())


def _save(store: Store, record: MapRunRecord) -> None:
    counts = {key: 0 for key in ("pending", "running", "succeeded", "failed", "timedOut", "aborted")}
    for status in record.statuses:
        counts[_COUNTED.get(status, "failed")] += 1
    counts["pending"] = len(record.inputs) - len(record.children)
    counts["total"] = len(record.inputs)
    counts["resultsWritten"] = counts["succeeded"] if record.status == SUCCEEDED else 0
    record.item_counts, record.execution_counts = dict(counts), dict(counts)
    store.put_map_run(record)
