"""RedriveExecution: restart a FAILED, TIMED_OUT or ABORTED execution where it stopped."""

from __future__ import annotations

from typing import Any

from stepforge.asl.execution.redrive import ResumePoint, resume_point
from stepforge.asl.records import RUNNING
from stepforge.service import arns
from stepforge.service.context import Request, WriteContext
from stepforge.service.errors import ExecutionDoesNotExist, ExecutionNotRedrivable
from stepforge.service.params import optional_str, required_str
from stepforge.store.records import ExecutionRecord

REDRIVE_DAYS = 14
MAX_REDRIVES = 1000


def status(record: ExecutionRecord, now: float | None = None) -> tuple[str, str | None]:
    """(redriveStatus, redriveStatusReason) as DescribeExecution reports them."""
    if ":express:" in record.arn:
        return "NOT_REDRIVABLE", "Execution is of an EXPRESS state machine and cannot be redriven"
    if record.status in (RUNNING, "SUCCEEDED"):
        return "NOT_REDRIVABLE", f"Execution is {record.status} and cannot be redriven"
    if now is not None and record.stopped is not None and now - record.stopped > REDRIVE_DAYS * 86400:
        return "NOT_REDRIVABLE", f"Execution ended more than {REDRIVE_DAYS} days ago and cannot be redriven"
    if record.redrive_count >= MAX_REDRIVES:
        return "NOT_REDRIVABLE", f"Execution was redriven {MAX_REDRIVES} times and cannot be redriven again"
    return "REDRIVABLE", None


def redrive_execution(ctx: WriteContext, req: Request) -> dict[str, Any]:
    arn = required_str(req.params, "executionArn")
    arns.parse(arn, "execution")
    token = optional_str(req.params, "clientToken")
    now = ctx.engine.clock.now()
    record = ctx.store.get_execution(arn)
    if record is None:
        raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
    if token is not None and record.status == RUNNING and record.redrive_count > 0:
        return {"redriveDate": record.redrive_date}  # the same request again: already redriven
    state, reason = status(record, now)
    if state != "REDRIVABLE":
        raise ExecutionNotRedrivable(f"Execution is not redrivable: {reason}")
    point = resume_point(ctx.store.get_events(arn))
    if point is None:
        raise ExecutionNotRedrivable("Execution is not redrivable: it has no state to redrive from")
    _restart(ctx, record, point, now)
    ctx.engine.notify()
    return {"redriveDate": now}


def _restart(ctx: WriteContext, record: ExecutionRecord, point: ResumePoint, now: float) -> None:
    record.redrive_count += 1
    record.redrive_date = now
    record.status, record.stopped, record.output, record.error, record.cause = RUNNING, None, None, None, None
    ctx.engine.redrive(ctx.store, record, point, now)
    ctx.store.update_execution(record)
