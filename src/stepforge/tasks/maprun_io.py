"""Map Run I/O: reading a Map Run's items and writing its results, outside the engine's batch.

The engine's batch only records that a Map Run must read (phase READING) or write (WRITING) and
names it to :meth:`ItemWork.later`; after the commit :meth:`ItemWork.flush` hands it to a worker
thread. Reading streams the ItemReader's items through ItemSelector and ItemBatcher and commits
them :data:`CHUNK` rows at a time, each chunk in its own short transaction that also records how
many items it consumed and starts the children MaxConcurrency allows: a 1M-item object never sits
in one transaction nor in memory, and a restart (:meth:`recover`) skips what was committed and goes
on. Writing streams the item rows to the ResultWriter's bucket, then ends the run.

:class:`ItemWork` is also what Map Runs ask for after the engine batch's commit (:class:`maprun.After`):
reading or writing, and starting or stopping EXPRESS children (:attr:`ItemWork.children`).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.compiler import compile_definition
from stepforge.asl.errors import StatesError
from stepforge.asl.execution.distributed import shape
from stepforge.store.base import Store, UnitOfWork
from stepforge.store.records import ExecutionRecord, MapRunItem, MapRunRecord
from stepforge.tasks import maprun
from stepforge.tasks.aws import clients
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.items import batcher, readers, writer
from stepforge.tasks.items.buckets import LocalBuckets, Router, S3Buckets
from stepforge.tasks.items.errors import ItemsError
from stepforge.tasks.maprun_children import ExpressChildren

log = logging.getLogger(__name__)

#: Child inputs committed per transaction while reading.
CHUNK = 2000
#: How many times the end of a Map Run child is recorded before a bug that undoes it each time is given up.
TRIES = 3


@functools.lru_cache(maxsize=64)
def _map_state(definition: str, address: tuple[tuple[str, int], ...]) -> st.MapState:
    machine = compile_definition(definition).child(address[:-1])
    state = machine.states[address[-1][0]]
    assert isinstance(state, st.MapState)
    return state


class _Asked:
    """What one unit of work asked for (:class:`maprun.After`), carried out once it commits."""

    def __init__(self, node: str) -> None:
        self.node = node
        self.arns: list[str] = []
        self.launches: list[ExecutionRecord] = []
        self.stops: list[str] = []

    def later(self, arn: str) -> None:
        self.arns.append(arn)

    def launch(self, child: ExecutionRecord) -> None:
        self.launches.append(child)

    def stop(self, arn: str) -> None:
        self.stops.append(arn)


class ItemWork:
    """Map Runs whose items are being read or whose results are being written, and the EXPRESS
    children of Map Runs (:attr:`children`)."""

    def __init__(self, store: Store, config: TaskConfig, notify: Callable[[], None],
                 now: Callable[[], float]) -> None:
        self.store, self.notify, self.now = store, notify, now
        endpoint = config.endpoint_for("s3")
        self.buckets = Router(LocalBuckets(config.buckets),
                              (lambda: S3Buckets(clients.client("s3", endpoint, config.region))) if endpoint else None)
        self.inline = config.inline
        self._pool = None if config.inline else ThreadPoolExecutor(2, thread_name_prefix="stepforge-items")
        #: This engine's node (the engine sets it as it joins; "": none). It runs the EXPRESS children
        #: started here, and claims a run's reading and writing (``claim_map_run``) — one node at a time,
        #: taken over once that node's lease expires. With no node, runs are read and written unclaimed.
        self.node = ""
        #: The EXPRESS children of Map Runs (the engine connects their runner).
        self.children = ExpressChildren(notify)
        self._asked = _Asked(self.node)
        self._finished: list[ExecutionRecord] = []
        self._retry: list[ExecutionRecord] = []    # ended children to record again (:meth:`again`)
        self._retrying: list[ExecutionRecord] = []  # ... those the batch under way took
        self._tries: dict[str, int] = {}           # failed recordings of a child, after a bug
        self._active: set[str] = set()
        self._again: set[str] = set()
        self._lock = threading.Lock()
        self._committed = False

    def later(self, arn: str) -> None:
        """With the engine batch's unit of work: read or write this Map Run once the batch commits."""
        self._asked.later(arn)

    def launch(self, child: ExecutionRecord) -> None:
        """With the engine batch's unit of work: start this EXPRESS child once the batch commits."""
        self._asked.launch(child)

    def stop(self, arn: str) -> None:
        """With the engine batch's unit of work: stop this EXPRESS child once the batch commits."""
        self._asked.stop(arn)

    def finished(self, child: ExecutionRecord) -> None:
        """With the engine batch's unit of work: a stored child of a Map Run ended."""
        self._finished.append(child)

    def take_finished(self) -> list[ExecutionRecord]:
        """The stored children the batch ended, and the children an earlier batch could not record
        (:meth:`again`), for it to record in their items (and forget them)."""
        found, self._finished = self._finished, []
        self._retrying, self._retry = self._retrying + self._retry, []
        self._tries = {c.arn: self._tries[c.arn] for c in self._retrying if c.arn in self._tries}
        if self._retrying:  # what recording them changes (a run that ends wakes its parent) needs a batch more
            self._committed = True
            self.notify()
        return self._retrying + found

    def again(self, children: list[ExecutionRecord], fault: bool) -> None:
        """With the engine batch's unit of work: recording these ended children was undone; the next
        batch records them. After a storage fault (the store says: retry) however often it happens;
        after a bug, :data:`TRIES` times in all, then the error is logged and their items stay RUNNING
        (an EXPRESS child runs again once its node is taken over or restarts; nothing records a
        stored child's end later)."""
        for child in children:
            tries = self._tries.get(child.arn, 0) + (not fault)
            if tries >= TRIES:
                log.error("gave up recording the end of the Map Run child %s after %d tries", child.arn, tries)
                continue
            self._tries[child.arn] = tries
            self._retry.append(child)

    def asked(self) -> bool:
        """Did the batch under way ask for work that starts once it commits (reading or writing, EXPRESS
        children started or stopped)?"""
        asked = self._asked
        return bool(asked.arns or asked.launches or asked.stops)

    def discard(self) -> None:
        """The batch rolled back: forget what it asked for, give back the ended children it took."""
        self._asked, self._finished = _Asked(self.node), []
        self._retry, self._retrying = self._retrying + self._retry, []
        self.children.give_back()

    def flush(self) -> None:
        """After the commit: start the work the batch asked for."""
        asked, self._asked = self._asked, _Asked(self.node)
        self._retrying = []
        self.children.committed()
        self._carry_out(asked)

    def _carry_out(self, asked: _Asked) -> None:
        for arn in asked.arns:
            self._submit(arn)
        self.children.stop(asked.stops)
        self.children.start(asked.launches)

    def adopt(self, tx: UnitOfWork, now: float) -> int:
        """With the unit of work that adopts dead nodes' work: this node runs again the EXPRESS children
        of the Map Runs whose node is no longer live, once it commits; returns how many."""
        live = {node.id for node in tx.list_nodes() if node.lease_expires > now}
        children = maprun.adopt(tx, self.node, live, now)
        for child in children:
            self._asked.launch(child)
        return len(children)

    def recover(self) -> int:
        """At start-up, and on a shared store whenever nodes may have died: go on with every Map Run
        that is reading or writing and that no live node has claimed; returns how many were found
        reading or writing (those another node holds are skipped when their claim is refused)."""
        found = [r.arn for r in self.store.running_map_runs() if r.phase in (maprun.READING, maprun.WRITING)]
        for arn in found:
            self._submit(arn)
        return len(found)

    def committed(self) -> bool:
        """Did reading or writing commit, or EXPRESS children end, since the last call, or do ended
        children wait to be recorded again (:meth:`again`)? (Inline, the
        engine's caller — a test on a manual clock — must run another batch for them.)"""
        found, self._committed = self._committed, False
        return found or bool(self._retry) or self.children.waiting()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, arn: str) -> None:
        with self._lock:
            if arn in self._active:  # its worker may have looked at its phase already: it looks again
                self._again.add(arn)
                return
            self._active.add(arn)
        if self._pool is None:
            self._run(arn)
        else:
            self._pool.submit(self._run, arn)

    def _run(self, arn: str) -> None:
        """Read, then (if the run ends with an exporting ResultWriter) write: each phase in turn."""
        try:
            for _ in range(3):
                record = self._claim(arn)
                if record is None or record.status != "RUNNING":
                    return
                if record.phase == maprun.READING:
                    self._read(record)
                elif record.phase == maprun.WRITING:
                    self._write(record)
                else:
                    return
        except Exception:  # a bug must not kill the worker; the run resumes at the next start
            log.exception("Map Run %s: reading or writing failed", arn)
        finally:
            with self._lock:
                self._active.discard(arn)
                again = arn in self._again
                self._again.discard(arn)
            self.notify()
            if again:
                self._submit(arn)

    def _claim(self, arn: str) -> MapRunRecord | None:
        """The run, claimed by this node; None if there is none or another live node holds it."""
        if not self.node:
            return self.store.get_map_run(arn)
        with self.store.transaction() as tx:
            return tx.claim_map_run(arn, self.node, self.now())

    def _mine(self, record: MapRunRecord) -> bool:
        """Does this node still hold the run's claim (a node that lost it to another stops)?"""
        return not self.node or record.io_node in ("", self.node)

    # -- reading ---------------------------------------------------------------------------------

    def _read(self, record: MapRunRecord) -> None:
        try:
            chunk: list[str] = []
            start = position = record.read_position
            for position, text in self._inputs(record):
                chunk.append(text)
                if len(chunk) >= CHUNK:
                    if not self._commit(record.arn, chunk, start, position, done=False):
                        return
                    chunk, start = [], position
            self._commit(record.arn, chunk, start, position, done=True)
        except ItemsError as exc:
            self._fail(record.arn, exc.error, exc.cause)
        except StatesError as exc:  # ItemSelector failed on an item
            self._fail(record.arn, exc.error, exc.cause or "")

    def _inputs(self, record: MapRunRecord) -> Iterator[tuple[int, str]]:
        assert record.reader is not None
        items = readers.read(record.reader, self.buckets)
        return batcher.child_inputs(items, self._shape(record), record.batcher, skip=record.read_position)

    def _shape(self, record: MapRunRecord) -> Callable[[int, Any], Any]:
        selector = record.selector
        if selector is None:
            return lambda _, item: item
        parent = self.store.get_execution(record.execution_arn, with_run=False)
        assert parent is not None
        state = _map_state(parent.definition, tuple((str(name), int(index)) for name, index in record.address))
        return lambda index, item: shape(state, selector, index, item)

    def _commit(self, arn: str, inputs: list[str], start: int, position: int, *, done: bool) -> bool:
        """Append a chunk of rows (the reader's items ``start`` to ``position``); False when the run
        no longer reads (aborted, failed)."""
        asked = _Asked(self.node)
        with self.store.transaction() as tx:
            record = tx.get_map_run(arn)
            if (record is None or record.status != "RUNNING" or record.phase != maprun.READING
                    or record.read_position != start or not self._mine(record)):
                return False
            record.read_position = position
            if done:  # and the claim goes: any node may write the results once the children end
                record.phase, record.io_node = "", ""
            maprun.add_items(tx, record, inputs, self.now(), asked, items=position - start)
        self._after_own(asked)
        self._committed = True
        self.notify()
        return True

    def _fail(self, arn: str, error: str, cause: str) -> None:
        asked = _Asked(self.node)
        with self.store.transaction() as tx:
            record = tx.get_map_run(arn)
            if record is not None and record.phase == maprun.READING and self._mine(record):
                maprun.fail(tx, record, error, cause, self.now(), asked)
        self._after_own(asked)
        self._committed = True

    def _after_own(self, asked: _Asked) -> None:
        """After this worker's own commit: children start or stop; a run that must now write its
        results is not submitted again (:meth:`_run` goes on with it)."""
        asked.arns = []
        self._carry_out(asked)

    # -- writing ---------------------------------------------------------------------------------

    def _child(self, record: MapRunRecord, item: MapRunItem) -> ExecutionRecord | None:
        """The child that ran ``item``: a stored execution, or (EXPRESS) as its item row records it."""
        if record.express:
            return maprun.express_record(record, item)
        return self.store.get_execution(item.child_arn or "", with_run=False)

    def _write(self, record: MapRunRecord) -> None:
        assert record.writer is not None
        output: Any = None
        failure: ItemsError | None = None
        try:
            output = writer.export(
                record, record.writer, self.buckets,
                lambda after: self.store.map_run_items(record.arn, after=after, limit=maprun.PAGE),
                lambda item: self._child(record, item))
        except ItemsError as exc:
            failure = exc
        with self.store.transaction() as tx:
            current = tx.get_map_run(record.arn)
            if (current is not None and current.status == "RUNNING" and current.phase == maprun.WRITING
                    and self._mine(current)):
                maprun.written(tx, current, output, failure, self.now())
        self._committed = True
