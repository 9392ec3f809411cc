"""A test harness for state machines: run executions in-process on a clock you move by hand.

    harness = Harness()
    result = harness.run(definition, {"x": 1})
    assert result.status == "SUCCEEDED" and result.output == {...}

Timers (Wait, Retry back-off, timeouts) fire by moving the manual clock to the next due time, so
a one-year Wait takes no wall-clock time. Activity tasks are answered through ``harness.poll``
and ``harness.succeed``/``fail``, exactly as a worker would through the API; callback tasks
(``.waitForTaskToken``) through ``harness.succeed``/``fail`` with their token. Python functions
given as ``Harness(functions={"name": handler})`` run as Lambda functions, inline (``tasks.inline``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from stepforge.engine.clock import ManualClock
from stepforge.engine.engine import Engine
from stepforge.engine.lease import NodeSettings
from stepforge.engine.logs import ExecutionLogs
from stepforge.service import activities, executions, ports, statemachines
from stepforge.service.context import Request, ServiceContext
from stepforge.store.base import Store, UnitOfWork
from stepforge.store.memory import MemoryStore
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.functions import Handler

ROLE = "arn:aws:iam::000000000000:role/stepforge-test"


@dataclass
class Result:
    """How an execution ended, with its history."""

    arn: str
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def event_types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def details(self, event_type: str) -> list[dict[str, Any]]:
        """The details of every event of one type, in order."""
        return [next(v for k, v in e.items() if k.endswith("EventDetails")) for e in self.events
                if e["type"] == event_type and any(k.endswith("EventDetails") for k in e)]


T = TypeVar("T")


def write(store: Store, operation: Callable[[UnitOfWork], T]) -> T:
    """Run ``operation`` with a unit of work of its own and commit it; returns what it returned.

    For tests that set up or change stored state directly: ``write(store, lambda tx: tx.push_signal(arn, None))``.
    """
    with store.transaction() as tx:
        return operation(tx)


class Harness:
    """One in-memory deployment with a manual clock."""

    def __init__(self, start: float = 1_700_000_000.0, *, store: Store | None = None,
                 functions: Mapping[str, Handler] | None = None, tasks: TaskConfig | None = None,
                 logs: ExecutionLogs | None = None, clock: ManualClock | None = None,
                 node: NodeSettings | None = None) -> None:
        """``clock`` and ``node`` make several harnesses over one ``store`` the nodes of one deployment."""
        self.clock = clock or ManualClock(start)
        self.store = store or MemoryStore()
        self.tasks = tasks or TaskConfig(inline=True)
        for name, handler in (functions or {}).items():
            self.tasks.functions.add(name, handler)
        self.engine = Engine(self.store, self.clock, tasks=self.tasks, logs=logs, node=node)
        self.ctx = ports.connect(ServiceContext(store=self.store, engine=self.engine))
        self._machines = 0

    def close(self) -> None:
        """Stop the engine's task work and untie the engine from its parts: a closed harness is freed
        by reference counting at once, not left for Python's cyclic collector.

        The engine's parts call it back (the dispatcher's ``notify``, the service layer's hooks, the
        Express runner's end hook), so the engine, its dispatcher and everything they hold form
        reference cycles; once those two objects drop their attributes none is left. The harness is
        unusable after this."""
        dispatcher = self.engine.dispatcher
        dispatcher.close()
        vars(self.engine).clear()
        vars(dispatcher).clear()

    def call(self, operation: Any, **params: Any) -> Any:
        """Run a service operation (a read or a write) with a unit of work of its own, committed
        when it returns — as ``engine.write`` runs API writes when no engine thread runs."""
        with self.store.transaction() as tx:
            return operation(self.ctx.within(tx), Request(params, "us-east-1"))

    def create(self, definition: dict[str, Any] | str) -> str:
        self._machines += 1
        text = definition if isinstance(definition, str) else json.dumps(definition)
        created = self.call(statemachines.create, name=f"m{self._machines}", definition=text, roleArn=ROLE)
        return str(created["stateMachineArn"])

    def start(self, definition: dict[str, Any] | str, value: Any = None, *, name: str | None = None) -> str:
        params: dict[str, Any] = {"stateMachineArn": self.create(definition), "input": json.dumps({} if value is None else value)}
        if name:
            params["name"] = name
        return str(self.call(executions.start, **params)["executionArn"])

    def settle(self) -> None:
        """Process queued work until nothing is ready now (timers in the future stay armed)."""
        while self.engine.run_once(self.clock.now()) or self.engine.dispatcher.has_outcomes():
            pass

    def advance(self, seconds: float) -> None:
        """Move the clock forward and process whatever became due."""
        self.clock.advance(seconds)
        self.settle()

    def run_through(self, arn: str, *, max_seconds: float = 10 * 365 * 86400) -> None:
        """Settle, then jump the clock from timer to timer (for at most ``max_seconds``) while that moves
        the execution on, a batch per stretch without commits between (``Engine.run_jumping``); returns
        when it ends, or waits on something no timer ends (or one due too late)."""
        deadline = self.clock.now() + max_seconds
        while self._running(arn) and (self.engine.run_jumping(arn, deadline) or self.engine.dispatcher.has_outcomes()):
            self.settle()  # run_jumping handles the work ready now first: no settling before it

    def _running(self, arn: str) -> bool:
        record = self.store.get_execution(arn, with_run=False)
        return record is not None and record.status == "RUNNING"

    def run_until_done(self, arn: str, *, max_seconds: float = 10 * 365 * 86400) -> Result:
        """Settle, then jump the clock from timer to timer until the execution ends."""
        start = self.clock.now()
        self.run_through(arn, max_seconds=max_seconds)
        while self.result(arn).status == "RUNNING":
            due = self.store.next_due()
            if due is None or due - start > max_seconds:
                raise AssertionError(f"execution still RUNNING with nothing due: {self.result(arn).event_types}")
            self.clock.advance(max(0.0, due - self.clock.now()))
            self.settle()
        return self.result(arn)

    def run(self, definition: dict[str, Any] | str, value: Any = None) -> Result:
        return self.run_until_done(self.start(definition, value))

    def result(self, arn: str) -> Result:
        record = self.store.get_execution(arn)
        assert record is not None
        output = None if record.output is None else json.loads(record.output)
        return Result(arn, record.status, output, record.error, record.cause,
                      [e.to_api() for e in self.store.get_events(arn)])

    # -- activities, as a worker sees them -------------------------------------------------------

    def create_activity(self, name: str) -> str:
        return str(self.call(activities.create, name=name)["activityArn"])

    def poll(self, activity_arn: str, worker: str = "worker") -> tuple[str, Any] | None:
        """Take the next task of an activity: (token, input), or None if there is none."""
        task = self.call(activities.poll, activityArn=activity_arn, workerName=worker)
        self.settle()
        return None if task is None else (task["taskToken"], json.loads(task["input"]))

    def succeed(self, token: str, output: Any) -> None:
        self.call(activities.send_success, taskToken=token, output=json.dumps(output))
        self.settle()

    def fail(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        params = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        self.call(activities.send_failure, taskToken=token, **params)
        self.settle()

    def heartbeat(self, token: str) -> None:
        self.call(activities.send_heartbeat, taskToken=token)
        self.settle()
