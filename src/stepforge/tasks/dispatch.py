"""The one dispatch seam: what a Task's Resource reaches, and how a scheduled task gets there.

With the engine batch's unit of work, :meth:`Dispatcher.dispatch` only *records* a task: for an activity,
an activity task (the queue entry a worker polls); for every other resource, a dispatch (its
in-flight work, keyed by the task token). After the batch commits, :meth:`flush` starts the
work outside the engine's thread; outcomes come back through :meth:`take`, which the engine drains
into its next batch (so a result commits with the step that handles it). A crash loses in-flight
work but not its dispatch, which names its node: once that node's lease has ended, an engine adopts
the dispatch and :meth:`redispatch` starts it again — tasks are at-least-once, as in AWS.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stepforge.asl import errors
from stepforge.asl.errors import StatesError
from stepforge.asl.execution.task_tokens import new_task_token
from stepforge.asl.records import DispatchTask, Signal, TaskFailed, TaskSucceeded
from stepforge.store.base import Store, UnitOfWork
from stepforge.store.records import ActivityTaskRecord, DispatchRecord, ExecutionRecord
from stepforge.tasks import children, resources, tracecontext
from stepforge.tasks.aws import metadata
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.invoke import Functions
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.maprun_io import ItemWork
from stepforge.tasks.mocks import Mocks
from stepforge.tasks.resources import Target
from stepforge.tasks.runner import Runner
from stepforge.tasks.services import Services

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class Job:
    """A dispatched task, as the integrations see it."""

    execution_arn: str
    wait_id: int
    resource: str
    target: Target
    input: Any
    input_json: str
    token: str
    state_name: str
    child_name: str = ""


class Dispatcher:
    """Resolves resources and hands scheduled tasks to their target."""

    def __init__(self, store: Store, config: TaskConfig | None = None,
                 notify: Callable[[], None] | None = None, now: Callable[[], float] | None = None) -> None:
        self.store = store
        self.config = config or TaskConfig()
        self.notify = notify or (lambda: None)
        self.runner = Runner(self.config.threads, self.config.processes, inline=self.config.inline)
        self.functions = Functions(self.config, self.runner)
        self.services = Services(self.config, self.runner)
        self.mocks = Mocks(self.config.mocks) if self.config.mocks else None
        #: Map Runs reading items or writing results, outside the engine's batch.
        self.items = ItemWork(store, self.config, self.notify, now or time.time)
        self._pending: list[Job] = []
        self._done: deque[tuple[str, Signal]] = deque()
        self._taken: list[tuple[str, Signal]] = []
        self._activities: set[str] = set()
        self._lock = threading.Lock()
        #: How child executions start; the service layer connects it (``service.ports.connect``).
        self.start_execution: children.StartExecution = _unconnected
        #: Ended EXPRESS executions, which have no row (the engine connects its runner's).
        self.ended_elsewhere: children.EndedElsewhere = lambda arn: None
        #: The node whose engine dispatches (recorded on each dispatch; None: no node).
        self.owner: str | None = None
        #: The trace headers of a task's span (``stepforge.observe`` connects it when tracing is on).
        self.trace_headers: tracecontext.TraceHeaders | None = None

    # -- inside the engine's step ------------------------------------------------------------------

    def resolve(self, resource: str, execution_arn: str = "", state_name: str = "") -> str:
        """The kind of ``resource`` ("activity", "lambda", "task") or a StatesError the state fails with.

        Only a resource that is no ARN at all, or an activity that does not exist, fails here; a
        function or service this server cannot reach fails when the task runs, as an ordinary
        task failure (catchable, retryable, with its scheduled/started/failed events)."""
        target = resources.parse(resource)
        if target is None:
            raise StatesError(errors.RUNTIME, f"The resource '{resource}' is not supported by this stepforge "
                                              "server: it is no Lambda, activity or service integration ARN.")
        if (target.kind == "activity" and not self._mocked(execution_arn, state_name)
                and self.store.get_activity(resource) is None):
            raise StatesError(errors.RUNTIME, f"The activity {resource} does not exist.")
        return target.kind

    def dispatch(self, tx: UnitOfWork, execution_arn: str, command: DispatchTask, now: float) -> None:
        """Record a scheduled task with the engine batch's unit of work; :meth:`flush` starts it."""
        target = resources.parse(command.resource) or Target("task")
        token = command.token or new_task_token()
        if target.kind == "activity" and not self._mocked(execution_arn, command.state_name):
            tx.add_activity_task(ActivityTaskRecord(
                token=token, activity_arn=command.resource, execution_arn=execution_arn, wait_id=command.wait_id,
                input=command.input_json, scheduled=now, state_name=command.state_name))
            self._activities.add(command.resource)
            return
        job = self.job(execution_arn, command, token)
        tx.add_dispatch(DispatchRecord(
            token=token, execution_arn=execution_arn, wait_id=command.wait_id, resource=command.resource,
            state_name=job.state_name, child_name=job.child_name, input=command.input_json, created=now,
            callback=target.waits_for_token, owner=self.owner))
        self._pending.append(job)

    def cancel(self, execution_arn: str, wait_id: int) -> None:
        """A wait ended in the same batch that dispatched it: do not start its work."""
        if self._pending:
            self._pending = [j for j in self._pending if (j.execution_arn, j.wait_id) != (execution_arn, wait_id)]

    def finished(self, tx: UnitOfWork, record: ExecutionRecord) -> None:
        """An execution ended (in the engine batch ``tx``): wake a parent waiting with ``.sync``; a
        Map Run's child is recorded in its item at the end of the batch (``ItemWork.take_finished``)."""
        children.on_finished(tx, record)
        if record.map_run_arn is not None:
            self.items.finished(record)
        if self.mocks is not None and "#" in record.arn:
            self.mocks.forget(record.arn)

    # -- after the commit --------------------------------------------------------------------------

    def take_activities(self) -> set[str]:
        """The activities the batch that just committed queued tasks for (and forget them)."""
        found, self._activities = self._activities, set()
        return found

    def flush(self, now: float) -> None:
        """Start the work of every task recorded by the batch that just committed."""
        jobs, self._pending = self._pending, []
        self._taken = []
        self.items.flush()
        for job in jobs:
            traced = (tracecontext.CURRENT.set(self.trace_headers(job.execution_arn, job.state_name))
                      if self.trace_headers is not None else None)
            try:
                self._start(job, now)
            except Exception as exc:  # an integration's bug fails its task, never the engine
                log.exception("starting %s failed", job.resource)
                self._deliver(job, Outcome(error=errors.RUNTIME, cause=f"{type(exc).__name__}: {exc}"))
            finally:
                if traced is not None:
                    tracecontext.CURRENT.reset(traced)

    def discard(self) -> None:
        """The batch rolled back: forget what it dispatched, give back the outcomes it took."""
        self._pending = []
        self._activities = set()
        self.items.discard()
        with self._lock:
            self._done.extendleft(reversed(self._taken))
        self._taken = []

    def answer_now(self, execution_arn: str, state_name: str, wait_id: int) -> TaskSucceeded | TaskFailed | None:
        """The interpreter's ``answer``: a mocked task's outcome, as its signal, the moment it is
        scheduled (then it is never dispatched); None for a task no mock answers."""
        outcome = self.mocks.answer(execution_arn, state_name) if self.mocks is not None else None
        if outcome is None:
            return None
        return TaskFailed(wait_id, outcome.error, outcome.cause) if outcome.failed else TaskSucceeded(wait_id, outcome.output)

    def answer_mocked(self, limit: int) -> list[tuple[str, Signal]]:
        """The signals of up to ``limit`` of the tasks recorded since the last :meth:`flush` that a
        mock answers at once, for the engine to handle in the batch that dispatched them (a batch of
        their own would only add a commit); :meth:`flush` no longer starts them. Other tasks stay for it."""
        if self.mocks is None or not self._pending:
            return []
        answered: list[tuple[str, Signal]] = []
        kept: list[Job] = []
        for job in self._pending:
            outcome = self.mocks.answer(job.execution_arn, job.state_name) if len(answered) < limit else None
            if outcome is None:
                kept.append(job)
            else:
                answered.append((job.execution_arn, _signal(job, outcome)))
        self._pending = kept
        return answered

    def take(self, limit: int) -> list[tuple[str, Signal]]:
        """Up to ``limit`` finished tasks' signals, for the engine's next batch."""
        taken: list[tuple[str, Signal]] = []
        with self._lock:
            while self._done and len(taken) < limit:
                taken.append(self._done.popleft())
        self._taken.extend(taken)
        return taken

    def busy(self) -> bool:
        """Is work of the batch under way waiting for its commit (tasks to start, activities to announce,
        Map Run items to read or write), or are outcomes waiting for the next batch? Then a manual
        clock may not move on within the batch (``Engine.run_jumping``)."""
        with self._lock:
            return bool(self._pending or self._activities or self._done or self.items.asked())

    def has_outcomes(self) -> bool:
        """Are finished tasks' signals (or an inline Map Run's new children) waiting for the engine's
        next batch?"""
        with self._lock:
            return bool(self._done) or self.items.committed()

    def _start(self, job: Job, now: float) -> None:
        def still_waiting() -> bool:
            row = self.store.get_dispatch(job.token)
            return row is not None and not row.closed

        mocked = self.mocks.answer(job.execution_arn, job.state_name) if self.mocks is not None else None
        if mocked is not None:
            self._deliver(job, mocked, submitted=False)
        else:
            self.begin(job, now, lambda outcome: self._deliver(job, outcome), still_waiting)

    def begin(self, job: Job, now: float, deliver: Callable[[Outcome], None],
              still_waiting: Callable[[], bool]) -> None:
        """Start ``job``'s work (a function, a child execution, a service call): ``deliver`` gets its
        outcome, from whichever thread ends it; a ``.sync`` poll asks ``still_waiting`` whether to go on.
        Records nothing: EXPRESS executions, which keep no dispatch rows, start their tasks here."""
        if job.target.service == "lambda":
            self.functions.start(job.target, job.input, job.input_json, deliver, job.resource)
        elif job.target.service == "states" and job.target.action == "startExecution":
            outcome = children.start(self.store, self.start_execution, job.target, job.input, job.child_name,
                                     job.execution_arn, job.wait_id, now, self.ended_elsewhere)
            self.notify()
            if outcome is not None:
                deliver(_with_metadata(outcome) if job.target.pattern == "" else outcome)
        else:
            self.services.start(job.target, job.resource, job.input, deliver, still_waiting)

    @staticmethod
    def job(execution_arn: str, command: DispatchTask, token: str) -> Job:
        """The job of a scheduled task."""
        target = resources.parse(command.resource) or Target("task")
        return Job(execution_arn, command.wait_id, command.resource, target, command.input, command.input_json,
                   token, command.state_name, _child_name(target, command.input))

    def _deliver(self, job: Job, outcome: Outcome, *, submitted: bool = True) -> None:
        if submitted and job.target.waits_for_token and not outcome.failed:
            return  # the work is submitted; SendTaskSuccess/Failure with the token closes the task
        with self._lock:
            self._done.append((job.execution_arn, _signal(job, outcome)))
        self.notify()

    def _mocked(self, execution_arn: str, state_name: str) -> bool:
        return self.mocks is not None and self.mocks.mocks(execution_arn, state_name)

    # -- start-up and shut-down ----------------------------------------------------------------

    def redispatch(self, rows: list[DispatchRecord]) -> None:
        """Start again, once the batch that adopted them commits (:meth:`flush`), the tasks of open
        dispatches whose node stopped or died (tasks are at-least-once, as in AWS)."""
        self._pending.extend(_job_of(row) for row in rows)

    def recover_items(self) -> int:
        """Go on with the Map Runs that were reading items or writing results when the server stopped;
        returns how many."""
        runs = self.items.recover()
        if runs:
            log.warning("going on with %d Map Run(s) that were reading items or writing results", runs)
        return runs

    def close(self) -> None:
        self.items.close()
        self.runner.close()


def _job_of(row: DispatchRecord) -> Job:
    return Job(row.execution_arn, row.wait_id, row.resource, resources.parse(row.resource) or Target("task"),
               json.loads(row.input), row.input, row.token, row.state_name, row.child_name)


def _signal(job: Job, outcome: Outcome) -> TaskSucceeded | TaskFailed:
    """The signal that ends ``job``'s wait with ``outcome``."""
    if outcome.failed:
        return TaskFailed(job.wait_id, outcome.error, outcome.cause)
    return TaskSucceeded(job.wait_id, outcome.output)


def _unconnected(machine_arn: str, input_text: str, name: str) -> str:
    raise children.StartRefused("ServiceUnavailable", "child executions need the service layer "
                                "(stepforge.service.ports.connect)", 503)


def _with_metadata(outcome: Outcome) -> Outcome:
    """A child started without waiting, as the optimized integration reports StartExecution."""
    if outcome.failed or not isinstance(outcome.output, dict):
        return outcome
    return Outcome(output={**outcome.output, **metadata.synthesized(outcome.output)})


def _child_name(target: Target, value: Any) -> str:
    return children.child_name(value) if target.service == "states" and target.action == "startExecution" else ""

