"""``stepforge run``: one execution in-process on the memory store, no server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from stepforge.engine.engine import Engine
from stepforge.service import executions, ports, statemachines
from stepforge.service.context import Request, ServiceContext
from stepforge.service.errors import ApiError
from stepforge.store.memory import MemoryStore
from stepforge.tasks.config import TaskConfig

ROLE = "arn:aws:iam::000000000000:role/stepforge-local"


class RunError(Exception):
    """The definition or input was refused; the message says why and where."""


class LocalRunner:
    """Creates the machine, starts one execution, drives the engine until the execution ends."""

    def __init__(self, tasks: TaskConfig | None = None) -> None:
        self.store = MemoryStore()
        self.engine = Engine(self.store, tasks=tasks)
        self.ctx = ports.connect(ServiceContext(store=self.store, engine=self.engine))

    def run(self, definition: str, input_text: str, *, name: str | None = None,
            timeout: float | None = None, watch: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Run one execution to its end; ``watch`` is called with its ARN a few times a second
        (``stepforge run`` draws its Map Runs' progress bars with it)."""
        try:
            with self.store.transaction() as tx:
                machine = statemachines.create(self.ctx.within(tx), self._req(name="local", definition=definition,
                                                                              roleArn=ROLE))
                params = {"stateMachineArn": machine["stateMachineArn"], "input": input_text}
                if name:
                    params["name"] = name
                arn = executions.start(self.ctx.within(tx), self._req(**params))["executionArn"]
        except ApiError as exc:
            raise RunError(f"{exc.code}: {exc.message}") from None
        deadline = None if timeout is None else time.monotonic() + timeout
        watched = 0.0
        while self.store.get_execution(arn).status == "RUNNING":  # type: ignore[union-attr]
            if deadline is not None and time.monotonic() > deadline:
                raise RunError("the execution did not finish in time")
            if self.engine.run_once(self.engine.clock.now()) == 0:
                self._idle(arn)
            if watch is not None and time.monotonic() - watched > 0.2:
                watch(arn)
                watched = time.monotonic()
        if watch is not None:
            watch(arn)
        result = executions.describe(self.ctx, self._req(executionArn=arn))
        result["events"] = [event.to_api() for event in self.store.get_events(arn)]
        return result

    def _idle(self, arn: str) -> None:
        """Nothing ready: sleep until a timer is due or a function call in flight answers."""
        if self._needs_outside_help(arn):
            raise RunError("the execution is waiting for something that cannot happen in-process "
                           "(an activity worker or a task token); run it with `stepforge serve`")
        due = self.store.next_due()
        pause = 0.01 if due is None else min(0.01, max(0.0, due - self.engine.clock.now()))
        time.sleep(pause)

    def _needs_outside_help(self, arn: str) -> bool:
        """Nothing can move it here: no work at all, or every task it waits on is an activity's."""
        if self.store.pending_work(arn) == 0:
            return True
        record = self.store.get_execution(arn)
        assert record is not None
        tasks = [f.wait for f in record.run.frames.values() if f.wait is not None and f.wait.kind == "task"]
        waiting_on_workers = bool(tasks) and all(w.resource_kind == "activity" for w in tasks)
        return waiting_on_workers and self.store.next_due() is None

    @staticmethod
    def _req(**params: Any) -> Request:
        return Request(params, "us-east-1")
