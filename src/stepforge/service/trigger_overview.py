"""What the console shows of schedules, rules and webhooks: their next firings and the executions
each started. Pure reads, run in a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from stepforge.service import firing, rules, schedules, webhooks
from stepforge.service.context import ServiceContext
from stepforge.store.records import Page
from stepforge.store.trigger_records import RuleRecord, ScheduleRecord
from stepforge.triggers.expressions import Schedule

T = TypeVar("T")
#: How many of each the overview lists, how many next firings and recent executions each shows.
LIMIT, FIRINGS, STARTS = 200, 3, 10


def overview(ctx: ServiceContext) -> dict[str, Any]:
    """Schedules (every group), the default bus's rules and the webhooks, with what each started."""
    return {
        "schedules": [_schedule(ctx, s) for s in _first(lambda after, n: ctx.store.list_schedules(after=after, limit=n))],
        "rules": [_rule(ctx, r) for r in _first(lambda after, n: ctx.store.list_rules(rules.DEFAULT_BUS, after=after,
                                                                                        limit=n))],
        "webhooks": [{**webhooks.shape(ctx, w, ctx.default_region),
                      "started": _started(ctx, webhooks.webhook_arn(ctx.default_region, ctx.account, w.name))}
                     for w in ctx.store.list_webhooks()],
    }


def _first(read: Callable[[str | None, int], Page[T]]) -> list[T]:
    return read(None, LIMIT).items


def _schedule(ctx: ServiceContext, record: ScheduleRecord) -> dict[str, Any]:
    body = record.body
    return {"name": record.name, "group": record.group, "arn": record.arn, "state": record.state,
            "expression": body["ScheduleExpression"], "timezone": body.get("ScheduleExpressionTimezone", "UTC"),
            "target": body["Target"]["Arn"], "due": record.due,
            "nextFirings": _firings(schedules.expression(record), record.next_firing, body.get("EndDate"))
            if record.state == "ENABLED" else [],
            "started": _started(ctx, record.arn)}


def _rule(ctx: ServiceContext, record: RuleRecord) -> dict[str, Any]:
    schedule = record.body.get("ScheduleExpression")
    firings = (_firings(firing.rule_expression(record), record.next_firing, None)
               if schedule and record.state == "ENABLED" else [])
    return {"name": record.name, "bus": record.bus, "arn": record.arn, "state": record.state,
            "pattern": record.body.get("EventPattern"), "schedule": schedule, "nextFirings": firings,
            "targets": [t.body.get("Arn") for t in ctx.store.list_targets(record.arn)],
            "started": _started(ctx, record.arn)}


def _firings(expression: Schedule, first: float | None, end: Any) -> list[float]:
    found: list[float] = []
    when = first
    while when is not None and len(found) < FIRINGS and (end is None or when <= float(end)):
        found.append(when)
        when = expression.next_after(when)
    return found


def _started(ctx: ServiceContext, source_arn: str) -> list[dict[str, Any]]:
    shown = []
    for start in ctx.store.trigger_starts(source_arn, limit=STARTS):
        record = ctx.store.get_execution(start.execution_arn, with_run=False)
        if record is not None:
            shown.append({"executionArn": record.arn, "name": record.name, "status": record.status,
                          "startDate": record.started})
    return shown
