"""Tasks waiting for a token: activity tasks and ``.waitForTaskToken`` callbacks of open executions."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from stepforge.service.context import ServiceContext

MAX_EXECUTIONS = 500
CALLBACK = ".waitForTaskToken"


def tasks(ctx: ServiceContext) -> list[dict[str, Any]]:
    """Every task of an open execution that a SendTaskSuccess/Failure with its token would close."""
    found: list[dict[str, Any]] = []
    for arn in ctx.store.list_open_executions()[:MAX_EXECUTIONS]:
        record = ctx.store.get_execution(arn)
        if record is None:
            continue
        resources = dict(_resources(_document(record.definition)))
        for frame in record.run.frames.values():
            wait = frame.wait
            if wait is None or wait.kind != "task" or not wait.token:
                continue
            resource = resources.get(frame.state, "")
            if wait.resource_kind != "activity" and not resource.endswith(CALLBACK):
                continue
            task = ctx.store.get_task(wait.token)
            found.append({
                "token": wait.token, "executionArn": arn, "executionName": record.name,
                "stateMachineName": record.state_machine_name, "state": frame.state, "resource": resource,
                "kind": "activity" if wait.resource_kind == "activity" else "callback",
                "started": bool(task and task.started), "scheduled": task.scheduled if task else None,
                "input": task.input if task and wait.resource_kind == "activity" else None,
            })
    return found


def _document(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {}


def _resources(machine: Any) -> Iterator[tuple[str, str]]:
    """(state name, Resource) of every Task in a definition, nested ones included."""
    states = machine.get("States") if isinstance(machine, Mapping) else None
    if not isinstance(states, Mapping):
        return
    for name, state in states.items():
        if not isinstance(state, Mapping):
            continue
        if isinstance(state.get("Resource"), str):
            yield name, state["Resource"]
        for branch in state.get("Branches") or []:
            yield from _resources(branch)
        yield from _resources(state.get("ItemProcessor") or state.get("Iterator"))
