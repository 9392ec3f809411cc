"""Executions: start, describe, stop, list, history."""

from __future__ import annotations

import json
import uuid
from typing import Any

from stepforge.asl.records import RUNNING, Event, Stop
from stepforge.service import arns, statemachines
from stepforge.service.context import Request, ServiceContext
from stepforge.service.errors import (
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionLimitExceeded,
    InvalidExecutionInput,
    ValidationException,
)
from stepforge.service.params import optional_bool, optional_str, page, page_of, required_str
from stepforge.store.records import ExecutionRecord

MAX_INPUT = 256 * 1024
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


def start(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    machine = statemachines.get(ctx, required_str(req.params, "stateMachineArn"))
    name = arns.check_name(optional_str(req.params, "name") or str(uuid.uuid4()))
    text = optional_str(req.params, "input", max_length=MAX_INPUT)
    text = "{}" if text is None else text
    try:
        json.loads(text)
    except ValueError as exc:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{exc}'") from None
    arn = arns.build(req.region, ctx.account, "execution", machine.name, name)
    with ctx.store.transaction():
        existing = ctx.store.get_execution(arn, with_run=False)
        if existing is not None:
            if existing.status == RUNNING and existing.input == text:
                return {"executionArn": arn, "startDate": existing.started}
            raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
        record = ExecutionRecord(
            arn=arn, name=name, state_machine_arn=machine.arn, state_machine_name=machine.name,
            definition=machine.definition, role_arn=machine.role_arn, input=text, started=ctx.engine.clock.now(),
        )
        if ctx.store.count_open_executions() >= ctx.max_open_executions:
            raise ExecutionLimitExceeded(f"Execution Limit Exceeded: '{ctx.max_open_executions}' open executions")
        ctx.store.insert_execution(record)
        ctx.store.push_signal(arn, None)
    ctx.engine.notify()
    return {"executionArn": arn, "startDate": record.started}


def get(ctx: ServiceContext, arn: str) -> ExecutionRecord:
    """An execution's record without its frames (what the API shows)."""
    arns.parse(arn, "execution")
    record = ctx.store.get_execution(arn, with_run=False)
    if record is None:
        raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
    return record


def describe(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    record = get(ctx, required_str(req.params, "executionArn"))
    response: dict[str, Any] = {
        "executionArn": record.arn, "stateMachineArn": record.state_machine_arn, "name": record.name,
        "status": record.status, "startDate": record.started, "input": record.input,
        "inputDetails": {"included": True}, "redriveCount": 0,
        "redriveStatus": "NOT_REDRIVABLE" if record.status in (RUNNING, "SUCCEEDED") else "REDRIVABLE",
    }
    if record.stopped is not None:
        response["stopDate"] = record.stopped
    if record.output is not None:
        response["output"] = record.output
        response["outputDetails"] = {"included": True}
    for key in ("error", "cause"):
        if getattr(record, key) is not None:
            response[key] = getattr(record, key)
    return response


def stop(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    record = get(ctx, required_str(req.params, "executionArn"))
    error = optional_str(req.params, "error", max_length=256)
    cause = optional_str(req.params, "cause", max_length=32768)
    if record.status == RUNNING:
        ctx.store.push_signal(record.arn, Stop(error, cause))
        ctx.engine.notify()
    return {"stopDate": ctx.engine.clock.now()}


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    machine = statemachines.get(ctx, required_str(req.params, "stateMachineArn"))
    status = optional_str(req.params, "statusFilter")
    if status is not None and status not in STATUSES:
        raise ValidationException(f"Value '{status}' at 'statusFilter' failed to satisfy constraint: "
                                  f"Member must satisfy enum value set: [{', '.join(STATUSES)}]")
    items, token = page(ctx.store.list_executions(machine.arn, status), req.params)
    response: dict[str, Any] = {"executions": [_summary(r) for r in items]}
    if token:
        response["nextToken"] = token
    return response


def _summary(record: ExecutionRecord) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "executionArn": record.arn, "stateMachineArn": record.state_machine_arn, "name": record.name,
        "status": record.status, "startDate": record.started, "redriveCount": 0,
    }
    if record.stopped is not None:
        summary["stopDate"] = record.stopped
    return summary


def history(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    record = get(ctx, required_str(req.params, "executionArn"))
    reverse = optional_bool(req.params, "reverseOrder")
    items, token = page_of(record.event_count, req.params,
                           lambda start, size: ctx.store.get_events(record.arn, start, size, reverse))
    include_data = req.params.get("includeExecutionData", True) is not False
    response: dict[str, Any] = {"events": [_shaped(e, include_data) for e in items]}
    if token:
        response["nextToken"] = token
    return response


def _shaped(event: Event, include_data: bool) -> dict[str, Any]:
    shaped = event.to_api()
    if not include_data and event.details_key is not None and event.details:
        shaped[event.details_key] = {
            k: v for k, v in event.details.items() if k not in ("input", "output", "parameters")
        }
    return shaped
