"""StartSyncExecution: run an EXPRESS execution and answer with its result (200 even when it fails).

The execution runs on the shared engine like any other (so activities and task integrations work);
the HTTP layer reads :func:`result` (in a worker thread) when the engine's notice says the
execution ended (``engine.notices.execution``), and otherwise only on a slow safety re-check.
"""

from __future__ import annotations

import math
from typing import Any

from stepforge.asl.records import RUNNING, Stop
from stepforge.service import executions
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import StateMachineTypeNotSupported
from stepforge.service.params import optional_str
from stepforge.store.records import ExecutionRecord

#: EXPRESS executions last at most five minutes.
MAX_SECONDS = 300.0


def start(ctx: WriteContext, req: Request) -> str:
    """Start the execution; its ARN is what :func:`result` is polled with."""
    record = executions.new_execution(ctx, req, "express")
    machine = ctx.store.get_state_machine(record.state_machine_arn)
    if machine is None or machine.type != "EXPRESS":
        raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
    ctx.store.insert_execution(record)
    ctx.store.push_signal(record.arn, None)
    ctx.engine.notify()
    return record.arn


def result(ctx: ServiceContext, arn: str, req: Request) -> dict[str, Any] | None:
    """The StartSyncExecution answer once the execution has ended, else None."""
    record = ctx.store.get_execution(arn, with_run=False)
    if record is None or record.status == RUNNING or record.stopped is None:
        return None
    response: dict[str, Any] = {
        "executionArn": record.arn, "stateMachineArn": record.state_machine_arn, "name": record.name,
        "startDate": record.started, "stopDate": record.stopped, "status": record.status,
        "input": record.input, "inputDetails": {"included": True}, "outputDetails": {"included": True},
        "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": _billed(record)},
    }
    for key in ("output", "error", "cause"):
        if getattr(record, key) is not None:
            response[key] = getattr(record, key)
    trace = optional_str(req.params, "traceHeader")
    if trace is not None:
        response["traceHeader"] = trace
    if req.params.get("includedData") == "METADATA_ONLY":
        for key in ("input", "output", "inputDetails", "outputDetails"):
            response.pop(key, None)
    return response


def give_up(ctx: WriteContext, arn: str) -> None:
    """Stop an execution that ran past the EXPRESS limit."""
    ctx.store.push_signal(arn, Stop("States.Timeout", "The execution exceeded the EXPRESS time limit"))
    ctx.engine.notify()


def _billed(record: ExecutionRecord) -> int:
    assert record.stopped is not None
    return max(100, math.ceil((record.stopped - record.started) * 10) * 100)
