"""Map Runs: a Distributed Map's items run as child executions, and their end wakes the parent.

Everything here writes with the engine batch's unit of work (``tx``). :func:`start` records the Map Run (its
settings, counts and the parent's wait) with one item row per input, and starts the first children,
up to MaxConcurrency; :func:`on_children_finished` (called in the engine batch that ends children)
records each one's result in its item's row, starts the next pending
items (read in index order, a page at a time), and when the run is over or exceeds its tolerated
failures pushes a :class:`MapRunEnded` signal to the parent. The run's row and its items are the
whole state of the run, so a crash at any point resumes where the last commit left it.

A run with an ItemReader starts with no items, in phase READING: :mod:`stepforge.tasks.maprun_io`
reads them outside the engine's batch and appends them a chunk at a time (:func:`add_items`), each
chunk its own transaction that also starts children. A run whose ResultWriter exports ends in phase
WRITING: the results are written outside the batch, then :func:`written` wakes the parent.
:class:`After` is how this module asks for that work, and for what EXPRESS children need, once the
unit of work commits.

Children of an EXPRESS Map Run (ProcessorConfig ExecutionType EXPRESS) are no stored executions:
as on AWS they keep no history and run in memory (``engine.express``), seen through execution logs.
:func:`_launch` only marks their item RUNNING and asks :meth:`After.launch` to start them after the
commit; their end comes back through :func:`on_children_finished` in a later batch. The item rows
are their durable record: after a crash, the items whose child was RUNNING start again
(:func:`express_child`), so they run at least once, as on AWS.

Items are never all in memory at once, except the results the parent's Map state receives when the
run succeeds without a ResultWriter that exports: that result is one JSON array, so the list is inherent.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from stepforge.asl.errors import EXCEED_TOLERATED_FAILURE_THRESHOLD
from stepforge.asl.execution.distributed import THRESHOLD_CAUSE
from stepforge.asl.records import FAILED, RUNNING, SUCCEEDED, MapRunEnded, RedriveMapRun, StartMapRun, Stop
from stepforge.store.base import Reads, StorageFull, StoreUnavailable, UnitOfWork
from stepforge.store.codec import dumps
from stepforge.store.records import ExecutionRecord, MapRunItem, MapRunRecord
from stepforge.tasks.items import batcher, writer
from stepforge.tasks.items.errors import ItemsError


class After(Protocol):
    """What a Map Run asks for once the unit of work that changed it commits (never before: a rolled
    back batch must start nothing). ``node``: the node whose engine will run the EXPRESS children."""

    node: str

    def later(self, arn: str) -> None:
        """Read this Map Run's items, or write its results."""

    def launch(self, child: ExecutionRecord) -> None:
        """Start this EXPRESS child (in memory; its end comes back to :func:`on_children_finished`)."""

    def stop(self, arn: str) -> None:
        """Stop this running EXPRESS child."""


class Recorder(After, Protocol):
    """The engine batch's :class:`After`, which also takes back ended children it could not record."""

    def again(self, children: list[ExecutionRecord], fault: bool) -> None:
        """Recording these ended children was undone: record them in a later batch. ``fault``: the
        store refused (a storage fault: retry, as the store says), else a bug."""


log = logging.getLogger(__name__)
#: The store's faults: the transaction (here, the savepoint) was undone; the same work may be retried.
_FAULTS = (StoreUnavailable, StorageFull)
#: How many item rows are read at a time.
PAGE = 1000
PENDING = "PENDING"
READING, WRITING = "READING", "WRITING"
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


def start(tx: UnitOfWork, parent: ExecutionRecord, command: StartMapRun, now: float, after: After) -> None:
    """Record a new Map Run and its items, and start the first children (idempotent on the Map Run ARN).

    With an ItemReader the run starts empty, READING; ``after`` reads its items."""
    if tx.get_map_run(command.map_run_arn) is not None:
        return
    definition, express = processor_definition(parent.definition, command.address)
    plan = command.plan
    record = MapRunRecord(
        arn=command.map_run_arn, execution_arn=parent.arn, state_machine_arn=parent.state_machine_arn,
        started=now, max_concurrency=command.max_concurrency,
        tolerated_failure_count=command.tolerated_count or 0,
        tolerated_failure_percentage=float(command.tolerated_percentage or 0.0),
        item_counts=_counts(0), execution_counts=_counts(0),
        parent_wait=command.wait_id, child_machine_arn=child_machine_arn(command.map_run_arn),
        definition=definition, role_arn=parent.role_arn, express=express,
        reader=plan.get("reader"), batcher=plan.get("batcher"), writer=plan.get("writer"),
        selector=plan.get("selector"), address=[list(part) for part in command.address],
        phase=READING if plan.get("reader") else "",
    )
    tx.insert_map_run(record, [])
    if record.phase == READING:
        after.later(record.arn)
        return
    try:
        inputs = [text for _, text in batcher.child_inputs(
            (json.loads(text) for text in command.inputs), lambda _, value: value, record.batcher)]
    except ItemsError as exc:
        _end(tx, record, FAILED, now, after, (exc.error, exc.cause))
        tx.update_map_run(record)
        return
    add_items(tx, record, inputs, now, after, items=len(command.inputs))


def add_items(tx: UnitOfWork, record: MapRunRecord, inputs: list[str], now: float, after: After,
              items: int | None = None) -> None:
    """Append rows (child inputs, JSON text) holding ``items`` items (one each, unless batched) to
    the run, and start what MaxConcurrency allows."""
    tx.add_map_run_items(record.arn, record.execution_counts["total"], inputs)
    for counts, added in ((record.item_counts, len(inputs) if items is None else items),
                          (record.execution_counts, len(inputs))):
        counts["total"] += added
        counts["pending"] += added
    _advance(tx, record, now, after)


def fail(tx: UnitOfWork, record: MapRunRecord, error: str, cause: str, now: float, after: After) -> None:
    """Reading the items failed: the run fails with the reader's error (its children stop). It stays
    in phase READING, so that a redrive reads on from the last committed chunk."""
    if record.status == RUNNING:
        _end(tx, record, FAILED, now, after, (error, cause))
        tx.update_map_run(record)


def written(tx: UnitOfWork, record: MapRunRecord, output: Any, failure: ItemsError | None, now: float) -> None:
    """The ResultWriter exported the results (or failed to): the run ends, the parent wakes."""
    record.phase, status = "", record.outcome
    if failure is not None:
        signal = MapRunEnded(record.parent_wait, FAILED, None, failure.error, failure.cause)
        status = FAILED
    elif status == SUCCEEDED:
        signal = MapRunEnded(record.parent_wait, SUCCEEDED, None, output=output)
    else:
        signal = MapRunEnded(record.parent_wait, FAILED, None, EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE)
    for counts in (record.item_counts, record.execution_counts):
        counts["resultsWritten"] = counts["total"] - counts["pending"] if failure is None else 0
    record.status, record.stopped = status, now
    tx.update_map_run(record)
    tx.push_signal(record.execution_arn, signal)


def _counts(total: int) -> dict[str, int]:
    return {"pending": total, "running": 0, "succeeded": 0, "failed": 0, "timedOut": 0, "aborted": 0,
            "total": total, "resultsWritten": 0}


def child_machine_arn(map_run_arn: str) -> str:
    """The state machine ARN the children show: ``...:stateMachine:MACHINE/LABEL``."""
    return map_run_arn.replace(":mapRun:", ":stateMachine:", 1).rsplit(":", 1)[0]


def on_children_finished(tx: UnitOfWork, children: Iterable[ExecutionRecord], after: Recorder) -> None:
    """Children ended (those of one engine batch): record each result in its item, then move each
    Map Run on once (one read and one write of the run, however many of its children ended).

    Each Map Run is recorded in a savepoint of its own, the runs in ARN order (nodes recording the
    same runs lock their rows in one order: no deadlock). When recording a run fails — the store
    refused (another node held its row past the lock timeout, a deadlock) or a bug — only that run's
    writes are undone, what it asked of ``after`` is dropped, and its children go back to ``after``
    (:meth:`Recorder.again`) for a later batch: a child that ended is never forgotten with its item
    RUNNING while its node lives."""
    by_run: dict[str, list[ExecutionRecord]] = {}
    for child in children:
        if child.map_run_arn is not None:
            by_run.setdefault(child.map_run_arn, []).append(child)
    for arn in sorted(by_run):
        held = _Held(after.node)
        try:
            with tx.savepoint():
                _record_ended(tx, arn, by_run[arn], held)
        except Exception as exc:  # the batch goes on; these children are recorded later
            log.warning("recording %d ended children of the Map Run %s failed (again later): %s: %s",
                        len(by_run[arn]), arn, type(exc).__name__, exc, exc_info=not isinstance(exc, _FAULTS))
            after.again(by_run[arn], isinstance(exc, _FAULTS))
        else:
            held.pass_to(after)


def _record_ended(tx: UnitOfWork, arn: str, children: list[ExecutionRecord], after: After) -> None:
    """Record the ended ``children`` of the Map Run ``arn`` in their items (each once: only while its
    item is RUNNING), then move the run on."""
    record = tx.get_map_run(arn)
    if record is None:
        return
    moment: float | None = None
    for child in children:
        item = tx.map_run_item_of(child.arn)
        if item is None or item.status != RUNNING:
            continue
        item.status, item.stopped = child.status, child.stopped
        item.result = (child.output or "null") if child.status == SUCCEEDED else dumps(
            {"Error": child.error, "Cause": child.cause})
        tx.update_map_run_item(item)
        _count(record, RUNNING, child.status, _size(record, item))
        moment = max(moment or 0.0, child.stopped or record.started)
    if moment is not None:
        _advance(tx, record, moment, after)


class _Held:
    """What recording one Map Run asks of the batch's :class:`After`, passed on only once its
    savepoint holds (a run whose recording is undone must start or stop nothing)."""

    def __init__(self, node: str) -> None:
        self.node = node
        self._asked: list[Callable[[After], None]] = []

    def later(self, arn: str) -> None:
        self._asked.append(lambda after: after.later(arn))

    def launch(self, child: ExecutionRecord) -> None:
        self._asked.append(lambda after: after.launch(child))

    def stop(self, arn: str) -> None:
        self._asked.append(lambda after: after.stop(arn))

    def pass_to(self, after: After) -> None:
        for ask in self._asked:
            ask(after)


def abort(tx: UnitOfWork, arn: str, now: float, after: After) -> None:
    """The parent stopped waiting (aborted, timed out, failed elsewhere): stop the run's children."""
    record = tx.get_map_run(arn)
    if record is None or record.status != RUNNING:
        return
    record.status, record.stopped = "ABORTED", now
    _stop_children(tx, record, after)
    tx.update_map_run(record)


def refill(tx: UnitOfWork, record: MapRunRecord, now: float, after: After) -> None:
    """The run's settings changed (UpdateMapRun): apply them at once."""
    if record.status == RUNNING and record.phase != WRITING:
        _advance(tx, record, now, after)
    else:
        tx.update_map_run(record)


def _advance(tx: UnitOfWork, record: MapRunRecord, now: float, after: After) -> None:
    if record.status == RUNNING and record.phase != WRITING:
        if _failed(record) and not _tolerated(record):
            _end(tx, record, FAILED, now, after)
        else:
            _fill(tx, record, now, after)
            counts = record.execution_counts
            if counts["pending"] == 0 and counts["running"] == 0 and record.phase != READING:
                _end(tx, record, SUCCEEDED, now, after)
    tx.update_map_run(record)


def _count(record: MapRunRecord, was: str, now: str, items: int) -> None:
    """Move one row (one child execution, ``items`` items) from status ``was`` to ``now`` in the counts."""
    for counts, moved in ((record.item_counts, items), (record.execution_counts, 1)):
        counts[_key(was)] -= moved
        counts[_key(now)] += moved


def _size(record: MapRunRecord, item: MapRunItem) -> int:
    """How many items a row holds: one, or its batch's."""
    if record.batcher is None:
        return 1
    found = json.loads(item.input)
    return len(found.get("Items") or []) if isinstance(found, dict) else 1


def _key(status: str) -> str:
    return "pending" if status == PENDING else _COUNTED.get(status, "failed")


def _failed(record: MapRunRecord) -> int:
    counts = record.item_counts
    return counts["failed"] + counts["timedOut"] + counts["aborted"]


def _tolerated(record: MapRunRecord) -> bool:
    failed, total = _failed(record), record.item_counts["total"]
    if failed <= record.tolerated_failure_count:
        return True
    if record.phase == READING and record.tolerated_failure_percentage > 0:
        return True  # a percentage of what is read so far means nothing: judged once every item is read
    return total > 0 and failed * 100.0 / total <= record.tolerated_failure_percentage


def _fill(tx: UnitOfWork, record: MapRunRecord, now: float, after: After) -> None:
    """Start pending items in index order while MaxConcurrency leaves room (0: no limit)."""
    counts = record.execution_counts
    while counts["pending"] and (record.max_concurrency == 0 or counts["running"] < record.max_concurrency):
        room = counts["pending"] if record.max_concurrency == 0 else record.max_concurrency - counts["running"]
        items = tx.map_run_items(record.arn, status=PENDING, after=record.next_pending - 1, limit=min(room, PAGE))
        if not items:
            break
        for item in items:
            _launch(tx, record, item, now, after)
        record.next_pending = items[-1].index + 1


def _launch(tx: UnitOfWork, record: MapRunRecord, item: MapRunItem, now: float, after: After) -> None:
    child = _child(record, item, now)
    if record.express:
        record.node = after.node
        after.launch(child)
    else:
        tx.insert_execution(child)
        tx.push_signal(child.arn, None)
    item.child_arn, item.status, item.started, item.stopped = child.arn, RUNNING, now, None
    tx.update_map_run_item(item)
    _count(record, PENDING, RUNNING, _size(record, item))


def _child(record: MapRunRecord, item: MapRunItem, now: float) -> ExecutionRecord:
    """The child execution that runs ``item`` (its name a UUID derived from the run, the item and the redrive)."""
    run_id = record.arn.rsplit(":", 1)[1]
    attempt = str(item.index) if record.redrive_count == 0 else f"{item.index}/{record.redrive_count}"
    name = str(uuid.uuid5(uuid.UUID(run_id), attempt))
    machine_name = record.child_machine_arn.split(":stateMachine:", 1)[1]
    if record.express:
        arn = f"{record.child_machine_arn.replace(':stateMachine:', ':express:', 1)}:{name}:{run_id}"
    else:
        arn = f"{record.child_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"
    return ExecutionRecord(
        arn=arn, name=name, state_machine_arn=record.child_machine_arn, state_machine_name=machine_name,
        definition=record.definition, role_arn=record.role_arn, input=item.input, started=now,
        map_run_arn=record.arn,
    )


def express_record(record: MapRunRecord, item: MapRunItem) -> ExecutionRecord:
    """An EXPRESS child as its item row records it (it has no row of its own): its ARN, name, machine,
    input, status, result, start and stop (rows written before they kept times: the run's start, or
    its last redrive's, and no stop)."""
    assert item.child_arn is not None
    started = item.started or record.redrive_date or record.started
    child = ExecutionRecord(
        arn=item.child_arn, name=item.child_arn.rsplit(":", 2)[1], state_machine_arn=record.child_machine_arn,
        state_machine_name=record.child_machine_arn.split(":stateMachine:", 1)[1], definition=record.definition,
        role_arn=record.role_arn, input=item.input, started=started, map_run_arn=record.arn)
    child.status, child.stopped = item.status, item.stopped
    if item.status == SUCCEEDED:
        child.output = item.result
    elif item.result is not None and item.status != RUNNING:
        failure = json.loads(item.result)
        child.error, child.cause = failure.get("Error"), failure.get("Cause")
    return child


def adopt(tx: UnitOfWork, node: str, live: set[str], now: float) -> list[ExecutionRecord]:
    """Make ``node`` run the EXPRESS children of the running Map Runs whose node is not ``live`` (it
    stopped or died, and its children with it); returns those children, to start again (at least
    once, as on AWS) under the ARNs their items name."""
    adopted: list[ExecutionRecord] = []
    for record in tx.running_map_runs():
        if record.express and record.node not in live and record.node != node:
            record.node = node
            tx.update_map_run(record)
            adopted += _running_children(tx, record, now)
    return adopted


def _running_children(reads: Reads, record: MapRunRecord, now: float) -> Iterator[ExecutionRecord]:
    """The EXPRESS children this Map Run has in flight (its items RUNNING)."""
    after = -1
    while items := reads.map_run_items(record.arn, status=RUNNING, after=after, limit=PAGE):
        for item in items:
            child = _child(record, item, now)
            child.arn = item.child_arn or child.arn
            yield child
        after = items[-1].index


def redrive(tx: UnitOfWork, command: RedriveMapRun, now: float, after: After) -> None:
    """RedriveExecution of the parent reached this failed Map Run: its failed, timed-out and aborted
    items become PENDING again (items never started still are), and it runs on (reading on where
    its reader stopped, if it had not finished)."""
    record = tx.get_map_run(command.map_run_arn)
    if record is None or record.status == RUNNING:
        return
    record.redrive_count += 1
    record.status, record.stopped, record.redrive_date = RUNNING, None, now
    record.parent_wait, record.next_pending, record.outcome = command.wait_id, 0, ""
    for status in ("FAILED", "TIMED_OUT", "ABORTED"):
        index = -1
        while items := tx.map_run_items(record.arn, status=status, after=index, limit=PAGE):
            for item in items:
                item.status, item.result, item.started, item.stopped = PENDING, None, None, None
                tx.update_map_run_item(item)
                _count(record, status, PENDING, _size(record, item))
            index = items[-1].index
    if record.phase == READING:
        after.later(record.arn)
    record.phase = "" if record.phase == WRITING else record.phase
    _advance(tx, record, now, after)


def _end(tx: UnitOfWork, record: MapRunRecord, status: str, now: float, after: After,
         failure: tuple[str, str | None] = (EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE)) -> None:
    if status != SUCCEEDED:
        _stop_children(tx, record, after)
    if writer.exports(record.writer) and failure[0] == EXCEED_TOLERATED_FAILURE_THRESHOLD:
        record.phase, record.outcome = WRITING, status  # the results are written, then the run ends
        after.later(record.arn)
        return
    record.status, record.stopped = status, now
    if status == SUCCEEDED:
        for counts in (record.item_counts, record.execution_counts):
            counts["resultsWritten"] = counts["succeeded"]
        results = _results(tx, record.arn)
        try:
            output = None if record.writer is None else writer.transform(record.writer, results)
        except ItemsError as exc:
            signal = MapRunEnded(record.parent_wait, FAILED, None, exc.error, exc.cause)
        else:
            signal = MapRunEnded(record.parent_wait, SUCCEEDED, results if output is None else output)
    else:
        signal = MapRunEnded(record.parent_wait, FAILED, None, *failure)
    tx.push_signal(record.execution_arn, signal)


def _results(tx: UnitOfWork, arn: str) -> list[Any]:
    """Every item's result in item order: the Map state's output (the one list of the whole run)."""
    results: list[Any] = []
    while items := tx.map_run_items(arn, after=len(results) - 1, limit=PAGE):
        results += [None if item.result is None else json.loads(item.result) for item in items]
    return results


def _stop_children(tx: UnitOfWork, record: MapRunRecord, after: After) -> None:
    index = -1
    while items := tx.map_run_items(record.arn, status=RUNNING, after=index, limit=PAGE):
        for item in items:
            if item.child_arn is None:
                continue
            if record.express:
                after.stop(item.child_arn)
            else:
                tx.push_signal(item.child_arn, Stop())
        index = items[-1].index
