"""Activities and their tasks: create, describe, list, delete, poll, and close by token."""

from __future__ import annotations

from typing import Any

from stepforge.asl.records import TaskFailed, TaskHeartbeat, TaskStarted, TaskSucceeded
from stepforge.engine import notices
from stepforge.service import arns, tags
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import (
    ActivityDoesNotExist,
    InvalidOutput,
    InvalidToken,
    TaskDoesNotExist,
    TaskTimedOut,
)
from stepforge.service.params import answer, optional_str, required_str, store_page, strict_json
from stepforge.store.records import ActivityRecord, ActivityTaskRecord, DispatchRecord

MAX_OUTPUT = 256 * 1024


def create(ctx: WriteContext, req: Request) -> dict[str, Any]:
    name = arns.check_name(required_str(req.params, "name"))
    arn = arns.build(req.region, ctx.account, "activity", name)
    existing = ctx.store.get_activity(arn)
    if existing is not None:
        return {"activityArn": arn, "creationDate": existing.created}
    activity_tags = tags.parse(req.params.get("tags"))
    tags.check_count(arn, activity_tags)
    record = ActivityRecord(arn=arn, name=name, created=ctx.engine.clock.now(), tags=activity_tags)
    ctx.store.put_activity(record)
    return {"activityArn": arn, "creationDate": record.created}


def get(ctx: ServiceContext, arn: str) -> ActivityRecord:
    arns.parse(arn, "activity")
    record = ctx.store.get_activity(arn)
    if record is None:
        raise ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")
    return record


def describe(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    record = get(ctx, required_str(req.params, "activityArn"))
    return {"activityArn": record.arn, "name": record.name, "creationDate": record.created,
            "encryptionConfiguration": {"type": "AWS_OWNED_KEY"}}


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """ListActivities: one page read from the store, oldest first."""
    items, token = store_page("activities", req.params,
                              lambda after, limit: ctx.store.list_activities(after=after, limit=limit))
    return answer("activities", [{"activityArn": r.arn, "name": r.name, "creationDate": r.created}
                                 for r in items], token)


def delete(ctx: WriteContext, req: Request) -> dict[str, Any]:
    arn = required_str(req.params, "activityArn")
    arns.parse(arn, "activity")
    ctx.store.delete_activity(arn)
    return {}


def poll(ctx: WriteContext, req: Request) -> dict[str, Any] | None:
    """One non-blocking look for a task; the HTTP layer repeats it for up to 60 s (long poll), each
    time the engine's notice :func:`notice_key` says a task of the activity has committed."""
    record = get(ctx, required_str(req.params, "activityArn"))
    worker = optional_str(req.params, "workerName", max_length=80)
    task = ctx.store.poll_activity_task(record.arn, worker)
    if task is None:
        return None
    ctx.store.push_signal(task.execution_arn, TaskStarted(task.wait_id, worker))
    ctx.engine.notify()
    return {"taskToken": task.token, "input": task.input}


def notice_key(req: Request) -> str:
    """The engine notice a GetActivityTask long poll waits on: new tasks of its activity."""
    return notices.activity(required_str(req.params, "activityArn"))


def _task(ctx: ServiceContext, req: Request) -> ActivityTaskRecord | DispatchRecord:
    """The activity task or the callback dispatch a task token names, while it is open."""
    token = required_str(req.params, "taskToken", max_length=2048)
    task: ActivityTaskRecord | DispatchRecord | None = ctx.store.get_activity_task(token) or ctx.store.get_dispatch(token)
    if task is None:
        if len(token) > 20:
            raise TaskDoesNotExist("Task Does Not Exist")
        raise InvalidToken("Invalid Token: 'Invalid token'")
    if task.closed:
        raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
    return task


def send_success(ctx: WriteContext, req: Request) -> dict[str, Any]:
    task = _task(ctx, req)
    output = required_str(req.params, "output", max_length=MAX_OUTPUT)
    try:
        value = strict_json(output)
    except ValueError as exc:
        raise InvalidOutput(f"Invalid Output: '{exc}'") from None
    _close(ctx, task, TaskSucceeded(task.wait_id, value))
    return {}


def send_failure(ctx: WriteContext, req: Request) -> dict[str, Any]:
    task = _task(ctx, req)
    error = optional_str(req.params, "error", max_length=256)
    cause = optional_str(req.params, "cause", max_length=32768)
    _close(ctx, task, TaskFailed(task.wait_id, error, cause))
    return {}


def send_heartbeat(ctx: WriteContext, req: Request) -> dict[str, Any]:
    task = _task(ctx, req)
    ctx.store.push_signal(task.execution_arn, TaskHeartbeat(task.wait_id))
    ctx.engine.notify()
    return {}


def _close(ctx: WriteContext, task: ActivityTaskRecord | DispatchRecord,
           signal: TaskSucceeded | TaskFailed) -> None:
    """Close the task and hand its result to the execution, or raise TaskTimedOut if another
    close (an approval link, SendTask*, a timeout) got there first in an earlier write."""
    if not ctx.store.close_task(task.token):  # one conditional update: of two racing closes, one wins
        raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
    ctx.store.push_signal(task.execution_arn, signal)
    ctx.engine.notify()
