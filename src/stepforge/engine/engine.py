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
from collections import OrderedDict

from stepforge.asl.compiler import compile_definition
from stepforge.asl.interpreter import ExecutionInfo, Interpreter, iso
from stepforge.asl.records import (
    RUNNING,
    CancelWait,
    DispatchTask,
    SetTimer,
    Signal,
    Step,
    TimerFired,
)
from stepforge.engine.clock import Clock, SystemClock
from stepforge.store.base import Store
from stepforge.store.records import ExecutionRecord, TimerRecord
from stepforge.tasks.dispatch import Dispatcher

log = logging.getLogger(__name__)

BATCH = 256
IDLE_WAIT = 1.0


class Engine:
    """Advances executions kept in a store."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.dispatcher = Dispatcher(store)
        self._interpreters: OrderedDict[str, Interpreter] = OrderedDict()
        self._infos: dict[str, ExecutionInfo] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.rng = random.Random()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="stepforge-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def notify(self) -> None:
        """New work is in the store: wake the loop."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                done = self.run_once(self.clock.now())
            except Exception:  # a bug must not kill the engine thread
                log.exception("engine step failed")
                done = 0
            if done == 0:
                self._sleep()

    def _sleep(self) -> None:
        due = self.store.next_due()
        timeout = IDLE_WAIT if due is None else max(0.0, min(IDLE_WAIT, due - self.clock.now()))
        self._wake.wait(timeout)
        self._wake.clear()

    # -- one batch -------------------------------------------------------------------------------

    def run_once(self, now: float) -> int:
        """Fire due timers and process queued signals; returns how many signals were handled."""
        for timer in self.store.due_timers(now, BATCH):
            self.store.push_signal(timer.execution_arn, TimerFired(timer.wait_id, timer.kind))  # type: ignore[arg-type]
        signals = self.store.pop_signals(BATCH)
        with self.store.transaction():
            for arn, signal in signals:
                self._advance(arn, signal, max(now, self.clock.now()))
        return len(signals)

    def _advance(self, arn: str, signal: Signal | None, now: float) -> None:
        record = self.store.get_execution(arn)
        if record is None or record.status != RUNNING:
            return
        interpreter = self.interpreter(record.definition)
        info = self._info(record)
        if signal is None:
            step = interpreter.start(record.run, info, record.input, now, self.rng)
        else:
            step = interpreter.deliver(record.run, info, signal, now, self.rng)
        self._commit(record, step, now)

    def _commit(self, record: ExecutionRecord, step: Step, now: float) -> None:
        record.events.extend(step.events)
        for command in step.commands:
            if isinstance(command, DispatchTask):
                self.dispatcher.dispatch(record.arn, command, now)
            elif isinstance(command, SetTimer):
                self.store.set_timer(TimerRecord(command.due, record.arn, command.wait_id, command.kind))
            elif isinstance(command, CancelWait):
                self.store.cancel_timers(record.arn, [command.wait_id])
                self.store.remove_tasks(record.arn, [command.wait_id])
        run = record.run
        if run.status != RUNNING:
            record.status, record.stopped = run.status, max(now, self.clock.now())
            record.output, record.error, record.cause = run.output, run.error, run.cause
            self.store.cancel_timers(record.arn)
            self.store.remove_tasks(record.arn)
            self._infos.pop(record.arn, None)
        self.store.put_execution(record)

    # -- caches ----------------------------------------------------------------------------------

    def interpreter(self, definition: str) -> Interpreter:
        """The compiled interpreter of a definition, compiled once and kept (LRU)."""
        found = self._interpreters.get(definition)
        if found is None:
            found = Interpreter(compile_definition(definition), self.dispatcher.resolve)
            self._interpreters[definition] = found
            if len(self._interpreters) > 512:
                self._interpreters.popitem(last=False)
        else:
            self._interpreters.move_to_end(definition)
        return found

    def _info(self, record: ExecutionRecord) -> ExecutionInfo:
        info = self._infos.get(record.arn)
        if info is None:
            info = self._infos[record.arn] = ExecutionInfo(
                arn=record.arn, name=record.name, state_machine_arn=record.state_machine_arn,
                state_machine_name=record.state_machine_name, role_arn=record.role_arn,
                start_time=iso(record.started), input=json.loads(record.input),
            )
        return info
