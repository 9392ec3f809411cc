"""Firing schedules and scheduled rules when they are due, exactly once per firing.

:func:`fire_due` is one pass at time ``now`` (what tests call with a manual clock); :class:`Firing`
runs passes on a thread of its own for ``serve``, reading the engine's clock.

Each firing starts its execution and moves the schedule to its next firing in one transaction. The
execution's name comes from the schedule and the firing time, so a second node firing the same
schedule finds the name taken and starts nothing.

Missed firings (the server was down): a schedule fires once for the most recent firing due by now,
if that firing is younger than its target's ``RetryPolicy.MaximumEventAgeInSeconds`` (default
86400, as Scheduler's); older ones, and every earlier missed firing, are skipped. A schedule with no
firing left (an ``at()`` that fired, an EndDate passed) stays, without a next firing, or is deleted
if its ActionAfterCompletion is DELETE.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from stepforge.engine.backoff import FailureLog
from stepforge.engine.clock import Clock
from stepforge.service import rules, schedules
from stepforge.service.context import ServiceContext, WriteContext
from stepforge.service.triggering import execution_name, start
from stepforge.store.trigger_records import RuleRecord, ScheduleRecord
from stepforge.triggers.expressions import Schedule, parse

log = logging.getLogger(__name__)

BATCH = 100
DEFAULT_MAX_AGE = 86400
#: How many missed firings a pass walks through to find the latest (a year of minutes is more).
MAX_CATCH_UP = 600_000
IDLE_SECONDS = 1.0
#: When a schedule that failed to fire is tried again.
RETRY_SECONDS = 60.0
R = TypeVar("R", ScheduleRecord, RuleRecord)


def fire_due(ctx: ServiceContext, now: float, limit: int = BATCH) -> int:
    """Fire every schedule and scheduled rule due at ``now`` (at most ``limit`` of each) in one
    transaction; returns how many fired."""
    with ctx.engine.store.transaction() as tx:
        write = ctx.within(tx)
        due_schedules = tx.due_schedules(now, limit)
        for record in due_schedules:
            _guarded(write, record, now, _fire_schedule, tx.put_schedule)
        due_rules = tx.due_rules(now, limit)
        for rule in due_rules:
            _guarded(write, rule, now, _fire_rule, tx.put_rule)
    return len(due_schedules) + len(due_rules)


def _guarded(ctx: WriteContext, record: R, now: float, fire: Callable[[WriteContext, R, float], None],
             put: Callable[[R], None]) -> None:
    """Fire one schedule or rule in a savepoint: one that cannot fire (a bug, a row written by hand) is
    logged and tried again a minute later, and never holds up the others."""
    try:
        with ctx.store.savepoint():
            fire(ctx, record, now)
    except Exception:
        log.exception("%s could not fire; trying again in %ss", record.arn, RETRY_SECONDS)
        record.due = now + RETRY_SECONDS
        put(record)


def latest_missed(expression: Schedule, firing: float, now: float) -> float:
    """The last firing at or before ``now``, counting from ``firing`` (itself at or before ``now``)."""
    for _ in range(MAX_CATCH_UP):
        following = expression.next_after(firing)
        if following is None or following > now:
            return firing
        firing = following
    return firing


def _fire_schedule(ctx: WriteContext, record: ScheduleRecord, now: float) -> None:
    firing = schedules.latest_due(record, now, MAX_CATCH_UP)
    target = record.body["Target"]
    max_age = (target.get("RetryPolicy") or {}).get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
    if now - firing <= max_age:
        name = execution_name(record.name, record.arn, firing)
        start(ctx, record.arn, target["Arn"], schedules.target_input(record.body["Target"], record.arn, firing, name),
              name)
    else:
        log.warning("schedule %s skipped its firing of %s: older than %ss", record.arn, firing, max_age)
    schedules.plan(record, firing)
    if record.next_firing is None and record.body.get("ActionAfterCompletion") == "DELETE":
        ctx.store.delete_schedule(record.arn)
    else:
        ctx.store.put_schedule(record)


def _fire_rule(ctx: WriteContext, rule: RuleRecord, now: float) -> None:
    assert rule.next_firing is not None
    expression = rule_expression(rule)
    firing = latest_missed(expression, rule.next_firing, now)
    if now - firing <= DEFAULT_MAX_AGE:
        rules.deliver_to(ctx, rule, scheduled_event(ctx, rule, firing))
    rule.next_firing = rule.due = expression.next_after(firing)
    ctx.store.put_rule(rule)


def rule_expression(rule: RuleRecord) -> Schedule:
    return parse(rule.body["ScheduleExpression"], anchor=rule.created)


def scheduled_event(ctx: ServiceContext, rule: RuleRecord, firing: float) -> dict[str, Any]:
    """EventBridge's "Scheduled Event" for one firing of a scheduled rule (its id fixed by the firing)."""
    region = rule.arn.split(":")[3]
    return {"version": "0", "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{rule.arn}#{firing!r}")),
            "detail-type": "Scheduled Event", "source": "aws.events", "account": ctx.account,
            "time": _iso(firing), "region": region, "resources": [rule.arn], "detail": {}}


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


class Firing:
    """The firing loop of a server: a thread that calls :func:`fire_due` when something is due."""

    def __init__(self, ctx: ServiceContext, clock: Clock) -> None:
        self.ctx, self.clock = ctx, clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="stepforge-firing", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        """Passes until stopped; a failing pass (a full disk) waits and logs as the engine's loop does."""
        failures = FailureLog(log)
        while not self._stopping.is_set():
            try:
                wait = self._pass()
            except Exception as exc:  # noqa: BLE001 - a full disk or a bug must not end the loop
                wait = failures.record(exc, time.monotonic())
            else:
                failures.clear()
            self._stopping.wait(wait)

    def _pass(self) -> float:
        """One pass; how long to wait before the next (none when it fired: more may be due). Nothing
        due, nothing written: an idle server never takes the writer from the engine."""
        now = self.clock.now()
        due = self.ctx.store.next_trigger_due()
        if due is not None and due <= now and fire_due(self.ctx, now):
            return 0.0
        return IDLE_SECONDS if due is None else min(IDLE_SECONDS, max(0.0, due - now))
