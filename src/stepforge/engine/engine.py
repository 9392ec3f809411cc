"""The engine: takes ready work from the store, advances executions, carries out commands.

The only place that knows about time and threads. ``run_once(now)`` does one batch and is what
tests call with a manual clock; ``start()`` runs it on a background thread, sleeping until the
next timer is due or new work is signalled.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Protocol, TypeVar

from stepforge.asl import errors
from stepforge.asl.compilation.compiler import compile_definition
from stepforge.asl.compilation.states import StateMachine
from stepforge.asl.execution.interpreter import ExecutionInfo, Interpreter, iso
from stepforge.asl.execution.redrive import ResumePoint
from stepforge.asl.execution.redrive import redrive as redrive_step
from stepforge.asl.records import (
    FAILED,
    RUNNING,
    AbortMapRun,
    CancelWait,
    DispatchTask,
    Event,
    RedriveMapRun,
    Resume,
    Run,
    SetTimer,
    Signal,
    StartMapRun,
    Step,
    TimerFired,
)
from stepforge.engine import notices
from stepforge.engine.backoff import FailureLog
from stepforge.engine.clock import Clock, ManualClock, SystemClock
from stepforge.engine.express import ExpressRunner
from stepforge.engine.lease import Lease, LeaseLost, NodeSettings
from stepforge.engine.logs import BatchLog, ExecutionLogs, Target
from stepforge.engine.machine_cache import MachineCache
from stepforge.engine.notices import Notices
from stepforge.engine.observer import BatchDone, BatchObserver
from stepforge.engine.writes import Job, WriteQueue
from stepforge.store.base import Conflict, Store, UnitOfWork
from stepforge.store.records import ExecutionRecord, TimerRecord
from stepforge.tasks import children, maprun
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.dispatch import Dispatcher

log = logging.getLogger(__name__)
T = TypeVar("T")


class ExecutionHook(Protocol):
    """What the layer above does, inside the batch, when an execution starts (its first step) or
    ends (after its record is saved): :mod:`stepforge.service.ports` connects them."""

    def wanted(self, tx: UnitOfWork, record: ExecutionRecord) -> bool:
        """Is there anything to do for ``record``? Reads only: when there is not, the engine neither
        keeps a copy of the record nor opens a savepoint for it."""

    def __call__(self, tx: UnitOfWork, record: ExecutionRecord) -> None:
        """Do it, with the batch's unit of work (in a savepoint: an error undoes only its writes)."""


BATCH = 256
IDLE_WAIT = 0.25
#: The commands that leave something of an execution open (rows its end must close or cancel).
_OPENING = (DispatchTask, SetTimer, StartMapRun, RedriveMapRun)
MAX_HISTORY_EVENTS = 25_000


class Engine:
    """Advances executions kept in a store."""

    def __init__(self, store: Store, clock: Clock | None = None, *,
                 max_history_events: int = MAX_HISTORY_EVENTS, tasks: TaskConfig | None = None,
                 logs: ExecutionLogs | None = None, node: NodeSettings | None = None) -> None:
        """``node`` says how it shares ``store`` with other nodes (see :mod:`stepforge.engine.lease`)."""
        self.store = store
        self.max_history_events = max_history_events
        self.clock = clock or SystemClock()
        self.dispatcher = Dispatcher(store, tasks, self.notify, self.clock.now)
        #: This engine's node and its lease (see :mod:`stepforge.engine.lease`).
        self.lease = Lease(store, self.clock, node or NodeSettings())
        self._rejoin = threading.Event()
        self._interpreters: OrderedDict[str, Interpreter] = OrderedDict()
        self._infos: dict[str, ExecutionInfo] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.writes = WriteQueue(self.notify)
        self.rng = random.Random()
        #: Fired after each commit: activities that got tasks, executions that ended (see ``notices``).
        self.notices = Notices()
        #: Where the keys of :attr:`notices` also go when other nodes share the store (None: nowhere).
        self.relay: notices.Relay | None = None
        #: What the layer above does when an execution ends (``service.ports.connect`` sets it).
        self.on_ended: ExecutionHook | None = None
        #: ... and when one starts running (its first step, in the batch that takes it).
        self.on_started: ExecutionHook | None = None
        self._ended: list[ExecutionRecord] = []
        self._started: list[ExecutionRecord] = []
        #: While a batch runs its API writes: its unit of work, and the executions they stored (see :meth:`queue_start`).
        self._writing: UnitOfWork | None = None
        self._fresh: list[ExecutionRecord] = []
        #: Of those, the ones not written yet, by ARN (see :meth:`insert_start`): the batch inserts each
        #: once, with the state its first step leaves.
        self._unstored: dict[str, ExecutionRecord] = {}
        #: While a batch takes its steps: its unit of work, and the history each step appended (stored
        #: together once the steps are done).
        self._stepping: UnitOfWork | None = None
        self._history: list[tuple[str, list[Event]]] = []
        #: Execution logs (the machines' loggingConfiguration); EXPRESS executions run in ``express``.
        self.logs = logs or ExecutionLogs()
        #: Machines as Start*Execution and execution logs read them (see ``engine.machine_cache``).
        self.machines = MachineCache()
        self._batch_log = BatchLog(self.logs, self.machines)
        self.express = ExpressRunner(self.clock, self.dispatcher, self.logs)
        self.dispatcher.ended_elsewhere = self.express.ended
        self.dispatcher.items.children.connect(self._start_map_run_child,
                                               lambda arn: self.express.stop_execution(arn, None, None))
        self._children_ended = 0
        #: Told after each commit what the batch did (``stepforge.observe`` sets it; None: nobody).
        self.observer: BatchObserver | None = None
        self._done = BatchDone(0.0)
        #: Steps stored by a write that ran in a transaction of its own (no engine thread: a redrive in
        #: tests, in-process use), told to the observer with the next batch's.
        self._outside: list[tuple[ExecutionRecord, list[Event]]] = []
        #: While :meth:`run_jumping` runs: (the execution it runs, the latest time it may jump to).
        self._jumping: tuple[str, float] | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Join as a node, start again the work of dead nodes (at-least-once), and run batches on a
        thread of its own until :meth:`stop`."""
        self.recover(self.clock.now())
        self.lease.start(self._lost)
        self._thread = threading.Thread(target=self._loop, name="stepforge-engine", daemon=True)
        self._thread.start()
        self.express.start_timers()

    def stop(self) -> None:
        """Finish the current batch, then end this node's lease at once (others adopt its work now)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.express.stop()
        self.lease.stop()
        self.dispatcher.close()
        self.logs.close()

    def join(self, now: float) -> None:
        """Register this engine as a new node; the tasks it dispatches from now on are its own."""
        self.dispatcher.owner = self.dispatcher.items.node = self.lease.join(now)

    def recover(self, now: float) -> int:
        """Join (unless joined), adopt the open dispatches no live node owns and start their work
        again; returns how many. On a store nobody shares, that is every task in flight when the
        previous server stopped."""
        if self.lease.node_id is None:
            self.join(now)
        with self.store.transaction() as tx:
            count = self._adopt(tx, now)
        self._adopted(now, count)
        self.dispatcher.flush(now)
        self.dispatcher.recover_items()
        return count

    def _adopt(self, tx: UnitOfWork, now: float) -> int:
        """Adopt up to a batch of dead nodes' dispatches, and the EXPRESS Map Run children they ran, with
        ``tx``; :meth:`Dispatcher.flush` starts them."""
        node_id = self.lease.node_id
        assert node_id is not None
        rows = tx.adopt_dispatches(node_id, now, BATCH)
        self.dispatcher.redispatch(rows)
        return len(rows) + self.dispatcher.items.adopt(tx, now)

    def _adopted(self, now: float, count: int) -> None:
        """After the commit of an adoption: look again at once if it found a full batch."""
        if count:
            log.warning("node %s re-dispatching %d task(s) of stopped nodes", self.lease.node_id, count)
        if count < BATCH:
            self.lease.adopted(now)
        if self.lease.settings.shared:  # and the Map Runs whose reading or writing node died
            self.dispatcher.items.recover()

    def _lost(self) -> None:
        """The lease thread found the lease lost: join again before the next batch."""
        self._rejoin.set()
        self._wake.set()

    def notify(self) -> None:
        """New work is in the store (or queued): wake the loop. Already woken, it is not woken again (a
        start per request would take the event's lock and notify for nothing): the loop clears the
        event before it looks for work, so work put before this look is found by that look."""
        if not self._wake.is_set():
            self._wake.set()

    async def write(self, operation: Callable[[UnitOfWork], T]) -> T:
        """Run an API write with the unit of work of the engine's next batch; returns once it is committed.

        Without a running engine thread (tests, in-process use) it runs in a transaction of its own,
        committed right away.
        """
        if self._thread is None or not self._thread.is_alive():
            with self.store.transaction() as tx:
                return operation(tx)
        result: T = await self.writes.submit(operation)
        return result

    def insert_start(self, tx: UnitOfWork, record: ExecutionRecord) -> None:
        """Store ``record``, a new execution, and queue its first step; raises :class:`Conflict` if its
        ARN is taken (:meth:`unstored` and the store tell by which).

        A start riding in the engine's batch on a store whose transaction is exclusive (no other writer
        between this check and the commit) is not written now: the batch inserts it once its first
        step is taken, with the state that step leaves -- one write where an insert and an update were
        (a Hello World execution ends in that step) -- or before that step writes anything that needs
        its row (a timer, a task, a signal: whatever leaves it running)."""
        if tx is not self._writing or not tx.exclusive:
            tx.insert_execution(record)
            self.queue_start(tx, record)
            return
        if record.arn in self._unstored or tx.get_execution(record.arn, with_run=False) is not None:
            raise Conflict(f"execution {record.arn} exists")
        self._unstored[record.arn] = record
        self._fresh.append(record)

    def unstored(self, arn: str) -> ExecutionRecord | None:
        """The execution of that ARN that the running batch started and has not written yet (see :meth:`insert_start`)."""
        return self._unstored.get(arn)

    def unstored_count(self) -> int:
        """How many executions the running batch started and has not written yet: open ones the store
        cannot count (the open-execution quota adds them)."""
        return len(self._unstored)

    def queue_start(self, tx: UnitOfWork, record: ExecutionRecord) -> None:
        """``record``, a new execution, was just stored with ``tx``: queue its first step.

        A StartExecution riding in the engine's batch (``tx`` is the batch's, while it runs its API
        writes) is taken in that same batch, the record kept in hand (not read back). Any other
        start is a signal in the store, for the next batch."""
        if tx is self._writing:
            self._fresh.append(record)
        else:
            tx.push_signal(record.arn, None)
            self.notify()

    def _run_writes(self, tx: UnitOfWork, jobs: list[Job]) -> list[ExecutionRecord]:
        """Run the batch's API writes; the executions they started. A write that failed (its savepoint
        undid what it stored) starts none and appends no history (a redrive takes a step)."""
        self._writing, fresh = tx, self._fresh
        try:
            for job in jobs:
                mark, history, steps = len(fresh), len(self._history), len(self._done.steps)
                WriteQueue.run(tx, job)
                if not job.ok:
                    for record in fresh[mark:]:
                        self._unstored.pop(record.arn, None)
                    del fresh[mark:], self._history[history:], self._done.steps[steps:]
        finally:
            self._writing, self._fresh = None, []
        return fresh

    def _loop(self) -> None:
        """Batches until stopped. A failing batch (a full disk, a bug) rolled back whole; the loop
        waits and logs as :class:`~stepforge.engine.backoff.FailureLog` says (a full disk must not
        spin the CPU nor write thousands of log lines a second)."""
        failures = FailureLog(log)
        while not self._stopping.is_set():
            self._wake.clear()  # before the batch: a notify during it must not be lost
            try:
                done = self.run_once(self.clock.now())
            except Exception as exc:  # noqa: BLE001 - a bug or a full disk must not kill the engine thread
                self._stopping.wait(failures.record(exc, time.monotonic()))
                continue
            failures.clear()
            if done == 0:
                self._sleep()

    def _sleep(self) -> None:
        due = self.store.next_due()
        timeout = IDLE_WAIT if due is None else max(0.0, min(IDLE_WAIT, due - self.clock.now()))
        self._wake.wait(timeout)

    # -- one batch -------------------------------------------------------------------------------

    def run_once(self, now: float) -> int:
        """Fire due timers and handle queued signals as one transaction; returns how many were handled.

        Everything a batch does — frames, history events, timers, tasks, and the removal of the
        signals and timers it consumed — commits together (group commit), or not at all.
        """
        if self._rejoin.is_set():
            self._rejoin.clear()
            self.join(now)
        jobs = self.writes.take(BATCH)
        try:
            work = self._run_batch(now, jobs)
        except LeaseLost as exc:  # fencing: nothing of the batch is stored; its writes go in the next one
            log.warning("%s; joining again as a new node", exc)
            self.dispatcher.discard()
            self.writes.retry(jobs)
            self.join(now)
            return len(jobs) + 1
        except BaseException as exc:
            self.dispatcher.discard()
            self._batch_log.discard()
            WriteQueue.settle(jobs, exc)
            raise
        WriteQueue.settle(jobs)
        self._batch_log.flush()
        self.lease.counted(len(work))
        self._announce()
        self._report(len(jobs))
        self.dispatcher.flush(now)
        return len(work) + len(jobs) + self._children_ended

    def _run_batch(self, now: float, jobs: list[Job]) -> list[tuple[str, Signal | None]]:
        self._ended, self._started, self._history, self._stepping, self._unstored = [], [], [], None, {}
        done = self._done = BatchDone(now, self._outside)
        self._outside = []
        started = time.perf_counter()
        with self.store.transaction() as tx:
            self._stepping = tx
            fresh = self._run_writes(tx, jobs)
            timers = tx.due_timers(now, BATCH)
            work: list[tuple[str, Signal | None]] = [
                (t.execution_arn, TimerFired(t.wait_id, t.kind))  # type: ignore[arg-type]
                for t in timers
            ]
            done.timers, done.timer_lag = len(timers), max((now - t.due for t in timers), default=0.0)
            work += [(record.arn, None) for record in fresh]
            work += tx.pop_signals(BATCH - len(work))
            work += self.dispatcher.take(BATCH - len(work))
            touched: dict[str, ExecutionRecord] = {record.arn: record for record in fresh}
            self._advance_all(tx, work, now, touched)
            while self._jumping is not None and (more := self._jump(tx, touched, len(work))):
                done.timers += sum(1 for _, signal in more if isinstance(signal, TimerFired))
                work += more
                self._advance_all(tx, more, self.clock.now(), touched)
            inserted = self._insert_unstored(tx, touched)
            self._store_history(tx)
            for record in touched.values():
                if record.arn not in inserted:
                    tx.update_execution(record)
            self._record_map_run_children(tx)
            self._run_hook(tx, self.on_started, self._started, "start")  # each wanted (see ``_advance``)
            self._run_hook(tx, self.on_ended, [r for r in self._ended if self._wanted(tx, self.on_ended, r)], "end")
            adopting = self.lease.node_id is not None and self.lease.adoption_due(now)
            adopted = self._adopt(tx, now) if adopting else 0
            self.lease.hold(tx, max(now, self.clock.now()), wrote=bool(work or jobs or adopted))
            committing = time.perf_counter()
        if adopting:
            self._adopted(now, adopted)
        done.signals = len(work) - done.timers
        done.commit_seconds, done.seconds = time.perf_counter() - committing, time.perf_counter() - started
        return work

    def _insert_unstored(self, tx: UnitOfWork, touched: dict[str, ExecutionRecord]) -> dict[str, ExecutionRecord]:
        """Insert the executions the batch started and has not written yet, as their steps left them
        (before their history: a store may want the execution first); returns them by ARN."""
        unstored, self._unstored = self._unstored, {}
        tx.insert_executions([touched[arn] for arn in unstored])
        return unstored

    def _store_history(self, tx: UnitOfWork) -> None:
        """Append the history events of the batch's steps, step after step (no step of the batch reads
        history: a store may send them as one statement). Steps taken later append their own."""
        history, self._history, self._stepping = self._history, [], None
        for arn, events in history:
            tx.append_events(arn, events)

    def _start_map_run_child(self, child: ExecutionRecord, done: Callable[[ExecutionRecord], None]) -> bool:
        """Run an EXPRESS child of a Map Run in memory, logging as its machine logs (see ``tasks.maprun``)."""
        machine_arn = child.state_machine_arn.rsplit("/", 1)[0]
        machine = self.machines.get(machine_arn, self.clock.now(), self.store.get_state_machine)
        target = Target.of(machine.logging_configuration, machine.arn) if machine is not None else None
        return self.express.start(child, target, done)

    def _record_map_run_children(self, tx: UnitOfWork) -> None:
        """Record in their items the Map Run children that ended: EXPRESS ones (a batch of them at a
        time) and the stored ones this batch ended — each Map Run read and written once per batch."""
        express = self.dispatcher.items.children.take(BATCH)
        self._children_ended = len(express)
        ended = express + self.dispatcher.items.take_finished()
        if not ended:
            return
        try:
            with tx.savepoint():
                maprun.on_children_finished(tx, ended, self.dispatcher.items)
        except Exception:  # a bug must not undo the batch; on_children_finished hands failed runs back
            log.exception("recording %d Map Run children failed", len(ended))

    def run_jumping(self, arn: str, deadline: float) -> int:
        """On a :class:`ManualClock`, run ``arn`` through its timers in one batch: handle the work ready
        now, then move the clock to the next timer due by ``deadline`` and handle its work, and so on
        until ``arn`` ends, nothing more is due, a task's work must start (after the commit, as
        always), an execution started or ended (their hooks see the clock of that moment) or the batch
        is large. What :meth:`run_once` calls between clock moves, without a commit each. Returns
        how many signals it handled (0: none was ready or due)."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("run_jumping moves a ManualClock; this engine reads another clock")
        self._jumping = (arn, deadline)
        try:
            return self.run_once(self.clock.now())
        finally:
            self._jumping = None

    def _jump(self, tx: UnitOfWork, touched: dict[str, ExecutionRecord], handled: int) -> list[tuple[str, Signal | None]]:
        """For :meth:`run_jumping`: the next work of the batch, the clock moved to the timer it waits
        for; none when the batch should end."""
        assert self._jumping is not None and isinstance(self.clock, ManualClock)
        arn, deadline = self._jumping
        ended = arn in touched and touched[arn].status != RUNNING
        if (ended or handled >= 4 * BATCH or self._ended or self._started or self.dispatcher.busy()):
            return []
        now = self.clock.now()
        work: list[tuple[str, Signal | None]] = [
            *((t.execution_arn, TimerFired(t.wait_id, t.kind)) for t in tx.due_timers(now, BATCH)),  # type: ignore[arg-type]
            *tx.pop_signals(BATCH)]
        if work:
            return work
        due = tx.next_due()
        if due is None or due > deadline:
            return []
        self.clock.advance(max(0.0, due - now))
        return [(t.execution_arn, TimerFired(t.wait_id, t.kind))  # type: ignore[arg-type]
                for t in tx.due_timers(self.clock.now(), BATCH)]

    def _advance_all(self, tx: UnitOfWork, work: list[tuple[str, Signal | None]], now: float,
                     touched: dict[str, ExecutionRecord]) -> None:
        """Advance each execution by its signal. The tasks a mock answers at once are answered in this
        batch too, their signals added to ``work`` (up to ``BATCH`` more: a loop of mocked tasks
        goes on in the next batch)."""
        index, limit = 0, len(work) + BATCH
        while index < len(work):
            arn, signal = work[index]
            self._advance(tx, arn, signal, max(now, self.clock.now()), touched)
            index += 1
            if index == len(work) and index < limit:
                work += self.dispatcher.answer_mocked(limit - index)

    def _report(self, writes: int) -> None:
        """After the commit: tell the observer what the batch did (see ``engine.observer``)."""
        done, self._done = self._done, BatchDone(0.0)
        if self.observer is None or done.size + writes == 0:
            return
        done.writes = writes
        try:
            self.observer(done)
        except Exception:  # an observer's bug must not stop the engine
            log.exception("batch observer failed")

    @staticmethod
    def _wanted(tx: UnitOfWork, hook: ExecutionHook | None, record: ExecutionRecord) -> bool:
        if hook is None:
            return False
        try:
            return hook.wanted(tx, record)
        except Exception:  # a bug in the hook must not undo the batch
            log.exception("hook failed to tell what it wants of %s", record.arn)
            return False

    @staticmethod
    def _run_hook(tx: UnitOfWork, hook: ExecutionHook | None, records: list[ExecutionRecord], what: str) -> None:
        if hook is None:
            return
        for record in records:
            try:
                with tx.savepoint():
                    hook(tx, record)
            except Exception:  # a bug in the hook must not undo the batch
                log.exception("%s hook failed for %s", what, record.arn)

    def _announce(self) -> None:
        """After the commit: wake the requests waiting on what this batch committed. With nobody waiting
        here and no other node to tell, no key is made (a request that subscribes after this look
        reads the store after the commit: it misses nothing)."""
        activities, ended, self._ended = self.dispatcher.take_activities(), self._ended, []
        if self.relay is None and not self.notices.waited():
            return
        keys = [notices.activity(arn) for arn in activities]
        keys += [notices.execution(record.arn) for record in ended]
        if keys:
            self.notices.fire(keys)
            self._publish(keys)

    def _publish(self, keys: list[str]) -> None:
        if self.relay is None:
            return
        try:
            self.relay.publish(keys)
        except Exception as exc:  # noqa: BLE001 - a hint lost: the waiters' re-check covers it
            log.warning("could not tell the other nodes about %d notice(s): %s", len(keys), exc)

    def received(self, keys: list[str]) -> None:
        """Keys another node published (from the relay's thread): wake the requests waiting on them
        here, and this engine's loop (the other node may have queued work it cannot claim)."""
        self.notices.fire(keys)
        self.notify()

    def resync(self) -> None:
        """The relay (re)connected and may have missed keys: every waiter and the loop look again."""
        self.notices.wake_all()
        self.notify()

    def _advance(self, tx: UnitOfWork, arn: str, signal: Signal | None, now: float,
                 touched: dict[str, ExecutionRecord]) -> None:
        record = touched.get(arn) or tx.get_execution(arn)
        if record is None or record.status != RUNNING:
            return
        touched[arn] = record
        mark, unstored = len(self._history), arn in self._unstored
        try:
            with tx.savepoint():
                interpreter = self.interpreter(record.definition)
                info = self._info(record)
                if signal is None:
                    step = interpreter.start(record.run, info, record.input, now, self.rng)
                    if self._wanted(tx, self.on_started, record):
                        self._started.append(replace(record))  # as it started, before this step changes it
                else:
                    step = interpreter.deliver(record.run, info, signal, now, self.rng)
                self._commit(tx, record, step, now, fresh=record.event_count == 0)
            if self.observer is not None:
                self._done.steps.append((record, step.events))
        except Exception as exc:  # a bug fails this one execution, visibly, never the whole batch
            log.exception("internal error advancing %s", arn)
            del self._history[mark:]  # the step's savepoint undid what it wrote; its events go too
            if unstored:  # its row too, if the step wrote it: the batch inserts it as it started
                self._unstored[arn] = _as_started(record)
            touched[arn] = self._fail_internally(tx, arn, exc, now)

    def _fail_internally(self, tx: UnitOfWork, arn: str, exc: Exception, now: float) -> ExecutionRecord:
        record = self._unstored.get(arn) or tx.get_execution(arn)
        assert record is not None
        cause = f"stepforge internal error: {type(exc).__name__}: {exc}"
        event = Event(record.event_count + 1, record.event_count, "ExecutionFailed", now,
                      "executionFailedEventDetails", {"error": errors.RUNTIME, "cause": cause})
        record.run.status, record.run.error, record.run.cause = FAILED, errors.RUNTIME, cause
        record.run.frames.clear()
        step = Step(events=[event])
        self._commit(tx, record, step, now)
        if self.observer is not None:
            self._done.steps.append((record, step.events))
        return record

    def _commit(self, tx: UnitOfWork, record: ExecutionRecord, step: Step, now: float, *,
                fresh: bool = False) -> None:
        """Store a step. ``fresh``: the execution's first (no event stored before it), so nothing it
        could have opened (a timer, a task, a child, a Map Run) exists unless this step opens it."""
        self._limit_history(record, step)
        if record.arn in self._unstored and (step.commands or record.run.status == RUNNING):
            tx.insert_execution(self._unstored.pop(record.arn))  # the rows this step writes need its row
        if step.more and record.run.status == RUNNING:
            tx.push_signal(record.arn, Resume())
        if tx is self._stepping:
            self._history.append((record.arn, step.events))
        else:
            tx.append_events(record.arn, step.events)
        record.event_count += len(step.events)
        self._batch_log.add(tx, record, step.events, now)
        for command in step.commands:
            if isinstance(command, DispatchTask):
                self.dispatcher.dispatch(tx, record.arn, command, now)
            elif isinstance(command, SetTimer):
                tx.set_timer(TimerRecord(command.due, record.arn, command.wait_id, command.kind))
            elif isinstance(command, CancelWait):
                tx.cancel_timers(record.arn, [command.wait_id])
                children.stop_watched(tx, record.arn, [command.wait_id])
                tx.close_tasks(record.arn, [command.wait_id])
                self.dispatcher.cancel(record.arn, command.wait_id)
            elif isinstance(command, StartMapRun):
                maprun.start(tx, record, command, now, self.dispatcher.items)
            elif isinstance(command, AbortMapRun):
                maprun.abort(tx, command.map_run_arn, now, self.dispatcher.items)
            elif isinstance(command, RedriveMapRun):
                maprun.redrive(tx, command, now, self.dispatcher.items)
        run = record.run
        if run.status != RUNNING:
            record.status, record.stopped = run.status, max(now, self.clock.now())
            record.output, record.error, record.cause = run.output, run.error, run.cause
            if not fresh or any(isinstance(c, _OPENING) for c in step.commands):
                tx.cancel_timers(record.arn)
                tx.close_tasks(record.arn)
            self._infos.pop(record.arn, None)
            self.dispatcher.finished(tx, record)
            self._ended.append(record)

    def redrive(self, tx: UnitOfWork, record: ExecutionRecord, point: ResumePoint, now: float) -> None:
        """Store the first step of ``record``'s redrive from ``point`` (RedriveExecution), its context
        object built as the engine builds every execution's; the caller updates the record."""
        step = redrive_step(self.interpreter(record.definition), record.run, self._info(record), point,
                            record.event_count, now, self.rng)
        self._commit(tx, record, step, now)
        if self.observer is not None:  # in the batch running this write, or with the next one
            (self._done.steps if tx is self._writing else self._outside).append((record, step.events))

    def _limit_history(self, record: ExecutionRecord, step: Step) -> None:
        """Fail an execution whose history would pass AWS's limit, as AWS does."""
        if not self.max_history_events:
            return
        room = self.max_history_events - record.event_count
        if len(step.events) < room:
            return
        kept = step.events[:max(0, room - 1)]
        last = kept[-1].id if kept else record.event_count
        cause = f"The execution reached the maximum number of history events ({self.max_history_events})."
        kept.append(Event(last + 1, last, "ExecutionFailed", step.events[-1].timestamp,
                          "executionFailedEventDetails", {"error": errors.RUNTIME, "cause": cause}))
        step.events[:] = kept
        step.commands[:] = [c for c in step.commands if isinstance(c, (CancelWait, AbortMapRun))]
        run = record.run
        run.status, run.error, run.cause, run.output = FAILED, errors.RUNTIME, cause, None
        run.frames.clear()

    # -- caches ----------------------------------------------------------------------------------

    def interpreter(self, definition: str) -> Interpreter:
        """The compiled interpreter of a definition, compiled once and kept (LRU)."""
        found = self._interpreters.get(definition)
        if found is None:
            found = Interpreter(compiled(definition), self.dispatcher.resolve, answer=self.dispatcher.answer_now)
            self._interpreters[definition] = found
            if len(self._interpreters) > 512:
                self._interpreters.popitem(last=False)
        else:
            self._interpreters.move_to_end(definition)
        return found

    def _info(self, record: ExecutionRecord) -> ExecutionInfo:
        info = self._infos.get(record.arn)
        if info is None:
            if len(self._infos) >= 4096:
                self._infos.pop(next(iter(self._infos)))
            info = self._infos[record.arn] = ExecutionInfo(
                arn=record.arn, name=record.name, state_machine_arn=record.state_machine_arn,
                state_machine_name=record.state_machine_name, role_arn=record.role_arn,
                start_time=iso(record.started), input=json.loads(record.input),
                redrive_count=record.redrive_count, express=":express:" in record.arn,
            )
        return info


def _as_started(record: ExecutionRecord) -> ExecutionRecord:
    """``record`` as it was before its first step (which changed it in place)."""
    return replace(record, status=RUNNING, stopped=None, output=None, error=None, cause=None, run=Run(),
                   event_count=0)


@lru_cache(maxsize=64)
def compiled(definition: str) -> StateMachine:
    """A stored definition's compiled machine, shared by every engine of the process (a compiled
    machine is immutable): a test suite that starts an engine per test compiles each machine once."""
    return compile_definition(definition)
