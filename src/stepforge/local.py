"""``stepforge run``: one execution in-process on the memory store, no server."""

from __future__ import annotations

import time
from typing import Any

from stepforge.engine.engine import Engine
from stepforge.service import executions, statemachines
from stepforge.service.context import Request, ServiceContext
from stepforge.service.errors import ApiError
from stepforge.store.memory import MemoryStore

ROLE = "arn:aws:iam::000000000000:role/stepforge-local"


class RunError(Exception):
    """The definition or input was refused; the message says why and where."""


class LocalRunner:
    """Creates the machine, starts one execution, drives the engine until the execution ends."""

    def __init__(self) -> None:
        self.store = MemoryStore()
        self.engine = Engine(self.store)
        self.ctx = ServiceContext(store=self.store, engine=self.engine)

    def run(self, definition: str, input_text: str, *, name: str | None = None,
            timeout: float | None = None) -> dict[str, Any]:
        try:
            machine = statemachines.create(self.ctx, self._req(name="local", definition=definition, roleArn=ROLE))
            params = {"stateMachineArn": machine["stateMachineArn"], "input": input_text}
            if name:
                params["name"] = name
            arn = executions.start(self.ctx, self._req(**params))["executionArn"]
        except ApiError as exc:
            raise RunError(f"{exc.code}: {exc.message}") from None
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.store.get_execution(arn).status == "RUNNING":  # type: ignore[union-attr]
            if deadline is not None and time.monotonic() > deadline:
                raise RunError("the execution did not finish in time")
            if self.engine.run_once(self.engine.clock.now()) == 0:
                due = self.store.next_due()
                if due is None:
                    raise RunError("the execution is waiting for something that cannot happen in-process "
                                   "(an activity or callback); run it with `stepforge serve`")
                time.sleep(max(0.0, min(1.0, due - self.engine.clock.now())))
        result = executions.describe(self.ctx, self._req(executionArn=arn))
        result["events"] = [event.to_api() for event in self.store.get_events(arn)]
        return result

    @staticmethod
    def _req(**params: Any) -> Request:
        return Request(params, "us-east-1")
