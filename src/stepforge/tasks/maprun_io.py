"""Map Run I/O: reading a Map Run's items and writing its results, outside the engine's batch.

The engine's batch only records that a Map Run must read (phase READING) or write (WRITING) and
names it to :meth:`ItemWork.later`; after the commit :meth:`ItemWork.flush` hands it to a worker
thread. Reading streams the ItemReader's items through ItemSelector and ItemBatcher and commits
them :data:`CHUNK` rows at a time, each chunk in its own short transaction that also records how
many items it consumed and starts the children MaxConcurrency allows: a 1M-item object never sits
in one transaction nor in memory, and a restart (:meth:`recover`) skips what was committed and goes
on. Writing streams the item rows to the ResultWriter's bucket, then ends the run.
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
from stepforge.store.base import Store
from stepforge.store.records import MapRunRecord
from stepforge.tasks import maprun
from stepforge.tasks.aws import clients
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.items import batcher, readers, writer
from stepforge.tasks.items.buckets import LocalBuckets, Router, S3Buckets
from stepforge.tasks.items.errors import ItemsError

log = logging.getLogger(__name__)

#: Child inputs committed per transaction while reading.
CHUNK = 2000


@functools.lru_cache(maxsize=64)
def _map_state(definition: str, address: tuple[tuple[str, int], ...]) -> st.MapState:
    machine = compile_definition(definition).child(address[:-1])
    state = machine.states[address[-1][0]]
    assert isinstance(state, st.MapState)
    return state


class ItemWork:
    """Map Runs whose items are being read or whose results are being written."""

    def __init__(self, store: Store, config: TaskConfig, notify: Callable[[], None],
                 now: Callable[[], float]) -> None:
        self.store, self.notify, self.now = store, notify, now
        endpoint = config.endpoint_for("s3")
        self.buckets = Router(LocalBuckets(config.buckets),
                              (lambda: S3Buckets(clients.client("s3", endpoint, config.region))) if endpoint else None)
        self.inline = config.inline
        self._pool = None if config.inline else ThreadPoolExecutor(2, thread_name_prefix="stepforge-items")
        self._pending: list[str] = []
        self._active: set[str] = set()
        self._lock = threading.Lock()
        self._committed = False
        #: This engine's node (the engine sets it as it joins): a run's reading and writing are claimed
        #: by one node at a time (``claim_map_run``), and taken over once that node's lease expires.
        #: None (no node): runs are read and written unclaimed.
        self.node: str | None = None

    def later(self, arn: str) -> None:
        """With the engine batch's unit of work: read or write this Map Run once the batch commits."""
        self._pending.append(arn)

    def discard(self) -> None:
        """The batch rolled back: forget what it asked for."""
        self._pending = []

    def flush(self) -> None:
        """After the commit: start the work the batch asked for."""
        arns, self._pending = self._pending, []
        for arn in arns:
            self._submit(arn)

    def recover(self) -> int:
        """At start-up, and on a shared store whenever nodes may have died: go on with every Map Run
        that is reading or writing and that no live node has claimed; returns how many were found
        reading or writing (those another node holds are skipped when their claim is refused)."""
        found = [r.arn for r in self.store.running_map_runs() if r.phase in (maprun.READING, maprun.WRITING)]
        for arn in found:
            self._submit(arn)
        return len(found)

    def committed(self) -> bool:
        """Did reading or writing commit since the last call? (Inline, the engine's caller — a test on
        a manual clock — must run another batch for the children it started.)"""
        found, self._committed = self._committed, False
        return found

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, arn: str) -> None:
        with self._lock:
            if arn in self._active:
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
            self.notify()

    def _claim(self, arn: str) -> MapRunRecord | None:
        """The run, claimed by this node; None if there is none or another live node holds it."""
        if self.node is None:
            return self.store.get_map_run(arn)
        with self.store.transaction() as tx:
            return tx.claim_map_run(arn, self.node, self.now())

    def _mine(self, record: MapRunRecord) -> bool:
        """Does this node still hold the run's claim (a node that lost it to another stops)?"""
        return self.node is None or record.io_node in ("", self.node)

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
        with self.store.transaction() as tx:
            record = tx.get_map_run(arn)
            if (record is None or record.status != "RUNNING" or record.phase != maprun.READING
                    or record.read_position != start or not self._mine(record)):
                return False
            record.read_position = position
            if done:  # and the claim goes: any node may write the results once the children end
                record.phase, record.io_node = "", ""
            maprun.add_items(tx, record, inputs, self.now(), _in_this_worker, items=position - start)
        self._committed = True
        self.notify()
        return True

    def _fail(self, arn: str, error: str, cause: str) -> None:
        with self.store.transaction() as tx:
            record = tx.get_map_run(arn)
            if record is not None and record.phase == maprun.READING and self._mine(record):
                maprun.fail(tx, record, error, cause, self.now(), _in_this_worker)
        self._committed = True

    # -- writing ---------------------------------------------------------------------------------

    def _write(self, record: MapRunRecord) -> None:
        assert record.writer is not None
        output: Any = None
        failure: ItemsError | None = None
        try:
            output = writer.export(
                record, record.writer, self.buckets,
                lambda after: self.store.map_run_items(record.arn, after=after, limit=maprun.PAGE),
                lambda arn: self.store.get_execution(arn, with_run=False))
        except ItemsError as exc:
            failure = exc
        with self.store.transaction() as tx:
            current = tx.get_map_run(record.arn)
            if (current is not None and current.status == "RUNNING" and current.phase == maprun.WRITING
                    and self._mine(current)):
                maprun.written(tx, current, output, failure, self.now())
        self._committed = True


def _in_this_worker(arn: str) -> None:
    """A run this worker reads ended and must write its results: :meth:`ItemWork._run` goes on with it."""
