"""StartSyncExecution: run an EXPRESS execution in memory and answer with its result (200 even when it fails).

The API calls :func:`start` with a ``done`` callback — in a worker thread, or on its own thread when
:func:`stepforge.service.express.runs_inline` says the execution cannot keep it long — waits for it,
and answers with :func:`answer`. The execution runs on the engine's :class:`~stepforge.engine.express.ExpressRunner`
(its tasks on the same integrations as every execution), ends TIMED_OUT at the five-minute limit, and
leaves nothing in the store.
"""

from __future__ import annotations

import math
from typing import Any

from stepforge.engine.express import Done
from stepforge.service import executions, express
from stepforge.service.context import Request, ServiceContext
from stepforge.service.errors import StateMachineTypeNotSupported
from stepforge.service.params import optional_str
from stepforge.store.records import ExecutionRecord


def start(ctx: ServiceContext, req: Request, done: Done) -> ExecutionRecord | None:
    """Start the execution (StateMachineTypeNotSupported for a STANDARD machine): its record if it
    ended before this returned, else None and ``done`` gets it at its end. The machine may be as read
    a moment ago (the API's front door)."""
    prepared = executions.prepare(ctx, req, cached=True)
    if not prepared.express:
        raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
    return prepared.record if express.run(ctx, prepared.record, prepared.machine, done) else None


def answer(record: ExecutionRecord, req: Request) -> dict[str, Any]:
    """The StartSyncExecution answer of an ended execution."""
    assert record.stopped is not None
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


def _billed(record: ExecutionRecord) -> int:
    assert record.stopped is not None
    return max(100, math.ceil((record.stopped - record.started) * 10) * 100)
