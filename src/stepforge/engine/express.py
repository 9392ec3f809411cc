"""EXPRESS executions: the same interpreter, in memory, seen only through execution logs.

As on AWS, an EXPRESS execution keeps no history and no frames in the store: :class:`ExpressRunner`
holds its run in memory from start to end, writes its events to the machine's log group
(:mod:`stepforge.engine.logs`), and forgets it when it ends (the log stream and
:meth:`~stepforge.engine.logs.ExecutionLogs.recent` remember it). It lasts at most
:data:`MAX_SECONDS` (five minutes): then it ends TIMED_OUT, as AWS ends it.

Concurrency: each execution is an actor. A signal (its start, a task's outcome, a timer) goes to the
execution's inbox; whichever thread finds it idle drains the inbox, running the interpreter, while
others only enqueue — so a task that answers at once (a mock, a refused child start) never re-enters
the interpreter. Timers wait on one background thread (:meth:`fire_due` with a manual clock in tests).

Durability: none, as on AWS, where Express executions are at-least-once and an asynchronous start
survives nothing: a server that stops forgets its running EXPRESS executions.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from stepforge.asl import errors
from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.compiler import compile_definition
from stepforge.asl.execution.interpreter import ExecutionInfo, Interpreter, iso
from stepforge.asl.records import (
    FAILED,
    RUNNING,
    DispatchTask,
    Event,
    Resume,
    SetTimer,
    Signal,
    StartMapRun,
    Step,
    Stop,
    TaskFailed,
    TaskSucceeded,
    TimerFired,
)
from stepforge.engine.clock import Clock
from stepforge.engine.logs import Ended, ExecutionLogs, Target
from stepforge.store.records import ExecutionRecord
from stepforge.tasks.dispatch import Dispatcher
from stepforge.tasks.lambdas import Outcome

log = logging.getLogger(__name__)

#: Told the events one step of an EXPRESS execution appended (there is no batch: no history is stored).
StepObserver = Callable[[ExecutionRecord, list[Event]], None]

#: EXPRESS executions last at most five minutes.
MAX_SECONDS = 300.0
#: The timer kind that ends an EXPRESS execution at its limit (the interpreter's own execution timeout).
_LIMIT = TimerFired(0, "execution_timeout")
IDLE_WAIT = 0.25
#: Compiled definitions kept (LRU).
CACHE = 512
#: Ended executions :meth:`ExpressRunner.ended` remembers (a ``.sync`` parent may look for its child).
ENDED = 1024
#: Timers kept beyond twice the running executions before those of ended ones are dropped.
COMPACT_AT = 10_000

#: States that neither wait nor fan out: a machine of these alone, without a loop, ends in a few short steps.
QUICK_TYPES = frozenset({"Pass", "Choice", "Succeed", "Fail"})
#: The most states a quick machine (:meth:`ExpressRunner.quick`) has.
QUICK_STATES = 16

#: Called once with the execution's record when it ends (in the thread that ended it).
Done = Callable[[ExecutionRecord], None]


@dataclass(slots=True)
class _Live:
    """One running EXPRESS execution: its record (status, frames), and the signals waiting for it."""

    record: ExecutionRecord
    info: ExecutionInfo
    interpreter: Interpreter
    target: Target | None
    done: Done | None
    remember: bool = False
    inbox: deque[Signal | None] = field(default_factory=deque)
    busy: bool = False
    starting: bool = True  # :meth:`ExpressRunner.start` has not returned yet
    ended: bool = False


class ExpressRunner:
    """Runs EXPRESS executions in memory; ``dispatcher`` starts their tasks, ``logs`` receives their events."""

    def __init__(self, clock: Clock, dispatcher: Dispatcher, logs: ExecutionLogs) -> None:
        self.clock, self.dispatcher, self.logs = clock, dispatcher, logs
        #: Told each step's events as they happen (metrics, traces, the dashboard), as the engine's
        #: observer is told a batch's; on whichever thread ran the step. Must not raise.
        self.observer: StepObserver | None = None
        self.rng = random.Random()
        self._live: dict[str, _Live] = {}
        self._lock = threading.Lock()
        self._interpreters: OrderedDict[str, Interpreter] = OrderedDict()
        self._quick: dict[str, bool] = {}
        self._ended: OrderedDict[str, ExecutionRecord] = OrderedDict()
        self._timers: list[tuple[float, int, str, Signal]] = []
        self._sequence = itertools.count()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------------

    def start_timers(self) -> None:
        """Fire timers on a background thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self._timer_loop, name="stepforge-express-timers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- executions ------------------------------------------------------------------------------

    def start(self, record: ExecutionRecord, target: Target | None, done: Done | None = None, *,
              remember: bool = False) -> bool:
        """Run a new execution as far as it goes without waiting (in this thread). True when it ended
        before this returned (``record`` holds how); else ``done`` is called with it when it ends, from
        whichever thread ends it. ``remember``: keep its record for :meth:`ended` once it ends (a child
        a ``.sync`` parent may look for)."""
        live = _Live(record, _info(record), self.interpreter(record.definition), target, done, remember)
        with self._lock:
            self._live[record.arn] = live  # in start order: what :meth:`fire_due` ends at the limit first
        self._deliver(live, None)
        with self._lock:
            live.starting = False
            return live.ended

    def stop_execution(self, arn: str, error: str | None, cause: str | None) -> bool:
        """Abort a running execution; False when none runs under ``arn``."""
        live = self._find(arn)
        if live is None:
            return False
        self._deliver(live, Stop(error, cause))
        return True

    def ended(self, arn: str) -> ExecutionRecord | None:
        """An execution started with ``remember`` that ended lately (the newest :data:`ENDED`), else None."""
        with self._lock:
            return self._ended.get(arn)

    def running(self) -> list[ExecutionRecord]:
        """The records of the executions running now (a snapshot)."""
        with self._lock:
            return [live.record for live in self._live.values()]

    def fire_due(self, now: float) -> int:
        """Deliver every timer due at ``now``, and end the executions past :data:`MAX_SECONDS`;
        returns how many signals it delivered."""
        fired = 0
        for expired in self._past_limit(now):
            self._deliver(expired, _LIMIT)
            fired += 1
        while True:
            with self._lock:
                if not self._timers or self._timers[0][0] > now:
                    return fired
                _, _, arn, signal = heapq.heappop(self._timers)
                live = self._live.get(arn)
            if live is not None:
                self._deliver(live, signal)
                fired += 1

    def _past_limit(self, now: float) -> list[_Live]:
        """The oldest running executions that started :data:`MAX_SECONDS` or more before ``now``."""
        with self._lock:
            found: list[_Live] = []
            for live in self._live.values():
                if live.record.started + MAX_SECONDS > now:
                    break
                found.append(live)
            return found

    def interpreter(self, definition: str) -> Interpreter:
        """The compiled interpreter of a definition (compiled once, kept LRU)."""
        with self._lock:
            found = self._interpreters.get(definition)
            if found is not None:
                self._interpreters.move_to_end(definition)
                return found
        compiled = Interpreter(compile_definition(definition), self.dispatcher.resolve)
        with self._lock:
            self._interpreters[definition] = compiled
            if len(self._interpreters) > CACHE:
                self._interpreters.popitem(last=False)
        return compiled

    def quick(self, definition: str) -> bool:
        """Whether every execution of ``definition`` ends in a few short steps without waiting: at most
        :data:`QUICK_STATES` states, each of :data:`QUICK_TYPES`, none reachable from itself (no loop),
        and no JSONata (an expression can compute without bound: ``[1..10000000]``). Decided once per
        definition, on its compiled machine (compiled here if not yet: the run needs it anyway)."""
        found = self._quick.get(definition)
        if found is None:
            found = _quick(self.interpreter(definition).machine)
            with self._lock:
                if len(self._quick) >= CACHE:
                    self._quick.clear()
                self._quick[definition] = found
        return found

    # -- the actor -------------------------------------------------------------------------------

    def _find(self, arn: str) -> _Live | None:
        with self._lock:
            return self._live.get(arn)

    def _deliver(self, live: _Live, signal: Signal | None) -> None:
        with self._lock:
            live.inbox.append(signal)
            if live.busy:
                return
            live.busy = True
        while True:
            with self._lock:
                if not live.inbox or live.record.status != RUNNING:
                    live.busy = False
                    return
                next_signal = live.inbox.popleft()
            self._advance(live, next_signal)

    def _advance(self, live: _Live, signal: Signal | None) -> None:
        record, now = live.record, self.clock.now()
        try:
            if signal is None:
                step = live.interpreter.start(record.run, live.info, record.input, now, self.rng)
            else:
                step = live.interpreter.deliver(record.run, live.info, signal, now, self.rng)
            self._apply(live, step, now)
        except Exception as exc:  # a bug fails this one execution, visibly, and never stalls its waiters
            log.exception("internal error advancing %s", record.arn)
            self._fail_internally(live, exc, now)

    def _fail_internally(self, live: _Live, exc: Exception, now: float) -> None:
        run = live.record.run
        cause = f"stepforge internal error: {type(exc).__name__}: {exc}"
        event = Event(run.next_event_id, run.next_event_id - 1, "ExecutionFailed", now, "executionFailedEventDetails",
                      {"error": errors.RUNTIME, "cause": cause})
        run.next_event_id += 1
        run.status, run.error, run.cause, run.output = FAILED, errors.RUNTIME, cause, None
        try:
            self.logs.write(live.target, live.record.arn, [event])
            self._observe(live.record, [event])
        finally:
            self._end(live, now)

    def _apply(self, live: _Live, step: Step, now: float) -> None:
        record = live.record
        self.logs.write(live.target, record.arn, step.events)
        record.event_count += len(step.events)
        self._observe(record, step.events)
        for command in step.commands:
            if isinstance(command, SetTimer):
                self._at(command.due, record.arn, TimerFired(command.wait_id, command.kind))
            elif isinstance(command, DispatchTask):
                self._dispatch(live, command, now)
            elif isinstance(command, StartMapRun):
                live.inbox.append(Stop(errors.RUNTIME, "A Distributed Map cannot run in an EXPRESS execution.",
                                       failed=True))
        if step.more and record.run.status == RUNNING:
            live.inbox.append(Resume())
        if record.run.status != RUNNING:
            self._end(live, now)

    def _observe(self, record: ExecutionRecord, events: list[Event]) -> None:
        if self.observer is not None and events:
            try:
                self.observer(record, events)
            except Exception:  # an observer's bug must not stop the execution
                log.exception("step observer failed")

    def _dispatch(self, live: _Live, command: DispatchTask, now: float) -> None:
        arn = live.record.arn
        job = self.dispatcher.job(arn, command, command.token or "")

        def deliver(outcome: Outcome) -> None:
            signal: Signal = (TaskFailed(job.wait_id, outcome.error, outcome.cause) if outcome.failed
                              else TaskSucceeded(job.wait_id, outcome.output))
            self._deliver(live, signal)

        mocks = self.dispatcher.mocks
        mocked = mocks.answer(arn, command.state_name) if mocks is not None else None
        try:
            if mocked is not None:
                deliver(mocked)
            else:
                self.dispatcher.begin(job, now, deliver, lambda: live.record.status == RUNNING)
        except Exception as exc:  # an integration's bug fails its task, never the runner
            log.exception("starting %s failed", command.resource)
            deliver(Outcome(error=errors.RUNTIME, cause=f"{type(exc).__name__}: {exc}"))

    def _end(self, live: _Live, now: float) -> None:
        record, run = live.record, live.record.run
        record.status, record.stopped = run.status, max(now, record.started)
        record.output, record.error, record.cause = run.output, run.error, run.cause
        run.frames.clear()
        live.inbox.clear()
        with self._lock:
            self._live.pop(record.arn, None)
            if live.remember:
                self._ended[record.arn] = record
                if len(self._ended) > ENDED:
                    self._ended.popitem(last=False)
            live.ended = True
            tell = not live.starting
        self.logs.ended(record.state_machine_arn, Ended(record.arn, record.name, record.status, record.started,
                                                        record.stopped))
        if tell and live.done is not None:
            try:
                live.done(record)
            except Exception:  # the waiter's bug must not stop the runner
                log.exception("end callback failed for %s", record.arn)

    # -- timers ----------------------------------------------------------------------------------

    def _at(self, due: float, arn: str, signal: Signal) -> None:
        with self._lock:
            if len(self._timers) > 2 * len(self._live) + COMPACT_AT:  # most belong to ended executions
                self._timers = [t for t in self._timers if t[2] in self._live]
                heapq.heapify(self._timers)
            heapq.heappush(self._timers, (due, next(self._sequence), arn, signal))
            self._wake.notify()

    def _timer_loop(self) -> None:
        while True:
            self.fire_due(self.clock.now())
            with self._lock:
                if self._stopping:
                    return
                due = self._timers[0][0] if self._timers else None
                if self._live:
                    limit = next(iter(self._live.values())).record.started + MAX_SECONDS
                    due = limit if due is None else min(due, limit)
                pause = IDLE_WAIT if due is None else max(0.0, min(IDLE_WAIT, due - self.clock.now()))
                self._wake.wait(pause)


def _info(record: ExecutionRecord) -> ExecutionInfo:
    return ExecutionInfo(
        arn=record.arn, name=record.name, state_machine_arn=record.state_machine_arn,
        state_machine_name=record.state_machine_name, role_arn=record.role_arn, start_time=iso(record.started),
        input=json.loads(record.input), express=True,
    )


def _quick(machine: st.StateMachine) -> bool:
    states = machine.states
    if len(states) > QUICK_STATES:
        return False
    if any(state.type not in QUICK_TYPES or state.jsonata for state in states.values()):
        return False
    return not _loops(states)


def _loops(states: Mapping[str, st.State]) -> bool:
    """Whether a state can be reached from itself through ``Next``, ``Default`` or a choice's ``Next``."""
    done: set[str] = set()
    path: set[str] = set()

    def visit(name: str) -> bool:
        if name in path:
            return True
        if name in done or name not in states:
            return False
        path.add(name)
        found = any(visit(following) for following in _following(states[name]))
        path.discard(name)
        done.add(name)
        return found

    return any(visit(name) for name in states)


def _following(state: st.State) -> list[str]:
    named = [state.next]
    if isinstance(state, st.ChoiceState):
        named += [state.default, *(rule.next for rule in state.choices)]
    return [name for name in named if name is not None]
