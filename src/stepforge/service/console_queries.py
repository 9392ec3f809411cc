"""Reads the web console needs that no single API call answers: searches across machines.

Pure reads, like every Describe/List; the console calls them from a worker thread. Every list reads
one page from the store (keyset paging in SQL, never every row) and answers ``next``: an opaque,
tamper-evident token for the page after it (None on the last page), as the API's ``nextToken``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from stepforge.service import express, versions
from stepforge.service.context import ServiceContext
from stepforge.service.errors import ValidationException
from stepforge.service.params import store_page
from stepforge.store.base import ExecutionQuery
from stepforge.store.records import ExecutionRecord, Page, StateMachineRecord

T = TypeVar("T")

#: The longest page a console list answers.
MAX_PAGE = 200
#: The page length when the console asks for none.
DEFAULT_PAGE = 50


def machines(ctx: ServiceContext, params: Mapping[str, str]) -> dict[str, Any]:
    """One page of state machines whose name contains ``q`` (ASCII case-insensitive), in the order
    ListStateMachines lists them (oldest first), after the page of the token ``next``.

    A machine being deleted shows while executions still run on it, as DescribeStateMachine does;
    one that reads as deleted is left out, so a page may be shorter than ``limit``.
    """
    name = params.get("q") or None
    found, token = _page("console-machines", params, lambda after, limit: ctx.store.list_state_machines(
        name_contains=name, after=after, limit=limit))
    return {"stateMachines": [_machine(m) for m in found if not versions.gone(ctx, m)], "next": token}


def executions(ctx: ServiceContext, params: Mapping[str, str]) -> dict[str, Any]:
    """One page of the executions of one machine (``machine``; all when absent), newest first,
    filtered by ``status``, name (``q``, contains, ASCII case-insensitive) and start time (``from``
    and ``to``, epoch seconds, inclusive), after the page of the token ``next``.

    An EXPRESS machine keeps no execution rows: its list is the executions running here and the
    ones its execution logs showed ending lately (``"source": "logs"``), filtered alike, on one page.
    """
    machine = ctx.store.get_state_machine(params.get("machine") or "") if params.get("machine") else None
    if machine is not None and machine.type == "EXPRESS":
        return _express_executions(ctx, machine, params)
    query = ExecutionQuery(state_machine_arn=params.get("machine") or None, status=params.get("status") or None,
                           name_contains=params.get("q") or None, started_from=_seconds(params, "from"),
                           started_to=_seconds(params, "to"))
    found, token = _page("console-executions", params,
                         lambda after, limit: ctx.store.list_executions(query, after=after, limit=limit))
    return {"executions": [_summary(r) for r in found], "next": token}


def _express_executions(ctx: ServiceContext, machine: StateMachineRecord,
                        params: Mapping[str, str]) -> dict[str, Any]:
    status, name = params.get("status") or None, (params.get("q") or "").lower()
    low, high = _seconds(params, "from"), _seconds(params, "to")
    found = [e for e in express.recent(ctx, machine.arn)
             if (status is None or e.status == status) and name in e.name.lower()
             and (low is None or e.started >= low) and (high is None or e.started <= high)]
    limit = min(_positive(params, "limit") or DEFAULT_PAGE, MAX_PAGE)
    return {"executions": [{
        "executionArn": e.execution_arn, "name": e.name, "status": e.status, "stateMachineArn": machine.arn,
        "stateMachineName": machine.name, "startDate": e.started,
        "stopDate": None if e.status == "RUNNING" else e.stopped, "redriveCount": 0,
    } for e in found[:limit]], "next": None, "source": "logs"}


def _page(kind: str, params: Mapping[str, str], read: Callable[[str | None, int], Page[T]]) -> tuple[list[T], str | None]:
    """The page of ``read`` after the token ``next``, ``limit`` long (1..:data:`MAX_PAGE`), and its token."""
    paging = {"maxResults": min(_positive(params, "limit") or DEFAULT_PAGE, MAX_PAGE),
              "nextToken": params.get("next") or None}
    return store_page(kind, paging, read, DEFAULT_PAGE)


def _positive(params: Mapping[str, str], key: str) -> int | None:
    text = params.get(key) or ""
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValidationException(f"Value at '{key}' must be a positive integer")
    return int(text)


def _seconds(params: Mapping[str, str], key: str) -> float | None:
    text = params.get(key) or ""
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds):
        raise ValidationException(f"Value at '{key}' must be a time in seconds since the epoch")
    return seconds


def _machine(record: StateMachineRecord) -> dict[str, Any]:
    return {"name": record.name, "stateMachineArn": record.arn, "type": record.type,
            "creationDate": record.created, "status": record.status}


def _summary(record: ExecutionRecord) -> dict[str, Any]:
    return {"executionArn": record.arn, "name": record.name, "status": record.status,
            "stateMachineArn": record.state_machine_arn, "stateMachineName": record.state_machine_name,
            "startDate": record.started, "stopDate": record.stopped, "redriveCount": record.redrive_count}


def events(ctx: ServiceContext, arn: str, after: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` history events of an execution after the first ``after``, as the API shows them."""
    return [event.to_api() for event in ctx.store.get_events(arn, after, limit)]
