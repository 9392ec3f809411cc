"""Tasks waiting for a token: open activity tasks and ``.waitForTaskToken`` callbacks, for the console.

Read from the task tables (never by decoding executions), oldest first, at most ``limit`` of each kind.
"""

from __future__ import annotations

from typing import Any

from stepforge.service.context import ServiceContext
from stepforge.store.records import ActivityTaskRecord, DispatchRecord

LIMIT = 500


def waiting_tasks(ctx: ServiceContext, limit: int = LIMIT) -> list[dict[str, Any]]:
    """Every open task a SendTaskSuccess/Failure with its token would close, oldest first."""
    shown = [_activity(ctx, task) for task in ctx.store.open_activity_tasks(limit)]
    shown += [_callback(ctx, dispatch) for dispatch in ctx.store.open_callbacks(limit)]
    shown.sort(key=lambda task: task["scheduled"])
    return shown[:limit]


def _activity(ctx: ServiceContext, task: ActivityTaskRecord) -> dict[str, Any]:
    return {**_execution(ctx, task.execution_arn), "token": task.token, "state": task.state_name,
            "resource": task.activity_arn, "kind": "activity", "started": task.started,
            "scheduled": task.scheduled, "input": task.input}


def _callback(ctx: ServiceContext, dispatch: DispatchRecord) -> dict[str, Any]:
    return {**_execution(ctx, dispatch.execution_arn), "token": dispatch.token, "state": dispatch.state_name,
            "resource": dispatch.resource, "kind": "callback", "started": False, "scheduled": dispatch.created,
            "input": None}


def _execution(ctx: ServiceContext, arn: str) -> dict[str, Any]:
    record = ctx.store.get_execution(arn, with_run=False)
    return {"executionArn": arn, "executionName": record.name if record else "",
            "stateMachineName": record.state_machine_name if record else ""}
