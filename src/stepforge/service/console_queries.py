"""Reads the web console needs that no single API call answers: searches across machines.

Pure reads, like every Describe/List; the console calls them from a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stepforge.service import versions
from stepforge.service.context import ServiceContext
from stepforge.store.base import ExecutionQuery
from stepforge.store.records import ExecutionRecord

MAX_PAGE = 200
#: The most machines or executions one console list reads from the store.
CONSOLE_ROWS = 10_000


def machines(ctx: ServiceContext, query: str) -> list[dict[str, Any]]:
    """State machines whose name contains ``query`` (case-insensitive), newest first; a machine
    being deleted shows while executions still run on it, as DescribeStateMachine does."""
    found = [m for m in ctx.store.list_state_machines(limit=CONSOLE_ROWS).items
             if query.lower() in m.name.lower() and not versions.gone(ctx, m)]
    found.sort(key=lambda m: m.created, reverse=True)
    return [{"name": m.name, "stateMachineArn": m.arn, "type": m.type, "creationDate": m.created,
             "status": m.status} for m in found]


def executions(ctx: ServiceContext, params: Mapping[str, str]) -> dict[str, Any]:
    """Executions of one machine (or all), filtered by status, name (``q``) and start time
    (``from``/``to``), newest first, one page of them (``offset``, ``limit``)."""
    machine = params.get("machine") or None
    status = params.get("status") or None
    query = ExecutionQuery(state_machine_arn=machine, status=status)
    found = [r for r in ctx.store.list_executions(query, limit=CONSOLE_ROWS).items if _matches(r, params)]
    offset = max(int(params.get("offset") or 0), 0)
    limit = min(max(int(params.get("limit") or 50), 1), MAX_PAGE)
    return {"total": len(found), "offset": offset, "limit": limit,
            "executions": [_summary(r) for r in found[offset:offset + limit]]}


def _matches(record: ExecutionRecord, params: Mapping[str, str]) -> bool:
    query = (params.get("q") or "").lower()
    since, until = params.get("from"), params.get("to")
    return (query in record.name.lower() and (not since or record.started >= float(since))
            and (not until or record.started <= float(until)))


def _summary(record: ExecutionRecord) -> dict[str, Any]:
    return {"executionArn": record.arn, "name": record.name, "status": record.status,
            "stateMachineArn": record.state_machine_arn, "stateMachineName": record.state_machine_name,
            "startDate": record.started, "stopDate": record.stopped, "redriveCount": record.redrive_count}


def events(ctx: ServiceContext, arn: str, after: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` history events of an execution after the first ``after``, as the API shows them."""
    return [event.to_api() for event in ctx.store.get_events(arn, after, limit)]
