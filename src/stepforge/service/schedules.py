"""EventBridge Scheduler's schedules: CreateSchedule, GetSchedule, UpdateSchedule, ListSchedules,
DeleteSchedule (parameters in the Scheduler API's names), and when each fires next.

A schedule is a row; :mod:`stepforge.service.firing` starts its executions when they are due.
A schedule belongs to a group (``default`` unless a request names another; see ``schedule_groups``).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from stepforge.service import schedule_groups
from stepforge.service.arns import DEFAULT_REGION
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import ValidationException
from stepforge.service.params import optional_int, optional_str, required_str, store_page, strict_json
from stepforge.service.triggering import Conflicting, ResourceNotFound, check_target
from stepforge.store.trigger_records import ScheduleRecord
from stepforge.triggers.expressions import ExpressionError, Schedule, parse

DEFAULT_GROUP = "default"
STATES = ("ENABLED", "DISABLED")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
#: The fields of a schedule kept as the API gave them.
FIELDS = ("ScheduleExpression", "ScheduleExpressionTimezone", "StartDate", "EndDate", "Description", "Target",
          "FlexibleTimeWindow", "ActionAfterCompletion", "KmsKeyArn")


def arn_of(region: str, account: str, group: str, name: str) -> str:
    return f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}"


def create(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """CreateSchedule: ConflictException if the group already has a schedule of that name."""
    name, group = _name(req.params), _group(req.params)
    if not schedule_groups.exists(ctx, group):
        raise ResourceNotFound(f"Schedule group {group} does not exist.")
    arn = arn_of(req.region, ctx.account, group, name)
    if ctx.store.get_schedule(arn) is not None:
        raise Conflicting(f"Schedule {name} already exists.")
    now = ctx.engine.clock.now()
    record = ScheduleRecord(arn, group, name, _state(req.params), now, now, _body(req.params))
    ctx.store.put_schedule(plan(record, now))
    return {"ScheduleArn": arn}


def update(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """UpdateSchedule: replaces every field (as AWS does: omitted optional fields are cleared)."""
    record = _get(ctx, req)
    now = ctx.engine.clock.now()
    record.body, record.state, record.modified = _body(req.params), _state(req.params), now
    record.next_firing = record.due = None
    ctx.store.put_schedule(plan(record, now))
    return {"ScheduleArn": record.arn}


def delete(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """DeleteSchedule."""
    ctx.store.delete_schedule(_get(ctx, req).arn)
    return {}


def get(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """GetSchedule."""
    record = _get(ctx, req)
    return {"Arn": record.arn, "Name": record.name, "GroupName": record.group, "State": record.state,
            "CreationDate": record.created, "LastModificationDate": record.modified, **record.body}


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """ListSchedules: by name; filters ScheduleGroup, NamePrefix, State; NextToken/MaxResults."""
    params = req.params
    group, prefix = optional_str(params, "ScheduleGroup"), optional_str(params, "NamePrefix")
    state = optional_str(params, "State")
    paging = {"nextToken": params.get("NextToken"),
              "maxResults": optional_int(params, "MaxResults", minimum=1, maximum=100)}
    found, token = store_page("schedules", paging, lambda after, limit: ctx.store.list_schedules(
        group=group, name_prefix=prefix, state=state, after=after, limit=limit), events=True)
    response: dict[str, Any] = {"Schedules": [summary(r) for r in found]}
    if token:
        response["NextToken"] = token
    return response


def summary(record: ScheduleRecord) -> dict[str, Any]:
    return {"Arn": record.arn, "Name": record.name, "GroupName": record.group, "State": record.state,
            "CreationDate": record.created, "LastModificationDate": record.modified,
            "Target": {"Arn": record.body["Target"]["Arn"]}}


def expression(record: ScheduleRecord) -> Schedule:
    """The record's parsed expression (a ``rate()`` counts from StartDate, else from creation)."""
    body = record.body
    return parse(body["ScheduleExpression"], timezone=body.get("ScheduleExpressionTimezone"),
                 anchor=float(body.get("StartDate", record.created)))


def plan(record: ScheduleRecord, after: float) -> ScheduleRecord:
    """``record`` with its next firing strictly after ``after`` (within StartDate..EndDate) and when it is due."""
    start = record.body.get("StartDate")
    since = after if start is None else max(after, float(start) - 1e-6)
    schedule = expression(record)
    firing = _within_end(record, schedule.next_after(since))
    record.next_firing = firing
    record.due = None if firing is None else due_of(record, schedule, firing)
    return record


def latest_due(record: ScheduleRecord, now: float, limit: int = 600_000) -> float:
    """The last firing due by ``now``, walking from ``record.next_firing`` (itself due): the firings a
    stopped server missed coalesce into the latest of them (at most ``limit`` are walked)."""
    assert record.next_firing is not None
    schedule, firing = expression(record), record.next_firing
    for _ in range(limit):
        following = _within_end(record, schedule.next_after(firing))
        if following is None or due_of(record, schedule, following) > now:
            break
        firing = following
    return firing


def _within_end(record: ScheduleRecord, firing: float | None) -> float | None:
    end = record.body.get("EndDate")
    return None if firing is None or (end is not None and firing > float(end)) else firing


def due_of(record: ScheduleRecord, schedule: Schedule, firing: float) -> float:
    """When ``firing`` is due: a FLEXIBLE window delays it by an amount fixed by the schedule and the
    firing (the same on every node), less than the window and less than the gap to the next firing
    (so firings stay in order and never overlap)."""
    window = record.body.get("FlexibleTimeWindow") or {}
    if window.get("Mode") != "FLEXIBLE":
        return firing
    following = schedule.next_after(firing)
    seconds = int(window["MaximumWindowInMinutes"]) * 60
    if following is not None:
        seconds = min(seconds, int(following - firing))
    if seconds < 1:
        return firing
    digest = hashlib.sha256(f"{record.arn}\n{firing!r}".encode()).digest()
    return firing + float(int.from_bytes(digest[:8], "big") % seconds)


def target_input(target: dict[str, Any], arn: str, firing: float, name: str) -> str:
    """The target's Input for one firing, Scheduler's context attributes filled in ("{}" without an Input)."""
    text = str(target.get("Input", "{}"))
    values = {"schedule-arn": arn, "scheduled-time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(firing)),
              "execution-id": name, "attempt-number": "1"}
    for key, value in values.items():
        text = text.replace(f"<aws.scheduler.{key}>", value)
    return text


def _get(ctx: ServiceContext, req: Request) -> ScheduleRecord:
    name, group = _name(req.params), _group(req.params)
    record = ctx.store.get_schedule(arn_of(req.region or DEFAULT_REGION, ctx.account, group, name))
    if record is None:
        raise ResourceNotFound(f"Schedule {name} does not exist.")
    return record


def _name(params: dict[str, Any]) -> str:
    name = required_str(params, "Name")
    if not 1 <= len(name) <= 64 or not set(name) <= _NAME_CHARS:
        raise ValidationException(f"Invalid Name {name!r}: 1-64 characters from [0-9a-zA-Z-_.]")
    return name


def _group(params: dict[str, Any]) -> str:
    return schedule_groups.check_name(optional_str(params, "GroupName") or DEFAULT_GROUP)


def _state(params: dict[str, Any]) -> str:
    state = optional_str(params, "State") or "ENABLED"
    if state not in STATES:
        raise ValidationException(f"Invalid State {state!r}: must be ENABLED or DISABLED")
    return state


def _body(params: dict[str, Any]) -> dict[str, Any]:
    """The checked fields of a CreateSchedule/UpdateSchedule request."""
    body = {key: params[key] for key in FIELDS if params.get(key) is not None}
    required_str(body, "ScheduleExpression", max_length=256)
    for key in ("ScheduleExpressionTimezone", "Description", "ActionAfterCompletion", "KmsKeyArn"):
        optional_str(body, key, max_length=2048)
    _check_window(body.get("FlexibleTimeWindow"))
    _check_target(body.get("Target"))
    for key in ("StartDate", "EndDate"):
        if key in body and (isinstance(body[key], bool) or not isinstance(body[key], (int, float))):
            raise ValidationException(f"Invalid {key}: expected a timestamp")
    if "StartDate" in body and "EndDate" in body and body["EndDate"] <= body["StartDate"]:
        raise ValidationException("The EndDate must be after the StartDate.")
    if body.get("ActionAfterCompletion", "NONE") not in ("NONE", "DELETE"):
        raise ValidationException("Invalid ActionAfterCompletion: must be NONE or DELETE")
    try:
        parse(body["ScheduleExpression"], timezone=body.get("ScheduleExpressionTimezone"))
    except ExpressionError as exc:
        raise ValidationException(str(exc)) from None
    return body


def _check_window(window: Any) -> None:
    if not isinstance(window, dict) or window.get("Mode") not in ("OFF", "FLEXIBLE"):
        raise ValidationException("FlexibleTimeWindow.Mode must be OFF or FLEXIBLE")
    minutes = window.get("MaximumWindowInMinutes")
    if window["Mode"] == "FLEXIBLE" and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                         or not 1 <= minutes <= 1440):
        raise ValidationException("FlexibleTimeWindow.MaximumWindowInMinutes must be 1-1440 when Mode is FLEXIBLE")


def _check_target(target: Any) -> None:
    if not isinstance(target, dict):
        raise ValidationException("1 validation error detected: Value null at 'Target' failed to satisfy "
                                  "constraint: Member must not be null")
    check_target(target.get("Arn"), "Target.Arn")
    required_str(target, "RoleArn", max_length=1600)
    if target.get("Input") is not None:
        required_str(target, "Input", max_length=8192)
        try:
            strict_json(target_input(target, "arn:aws:scheduler:::schedule/g/n", 0.0, "n"))
        except ValueError:
            raise ValidationException("Target.Input must be JSON (with <aws.scheduler.*> placeholders filled in) "
                                      "to start a state machine") from None
    retry = target.get("RetryPolicy")
    if retry is not None and not isinstance(retry, dict):
        raise ValidationException("Target.RetryPolicy must be an object")
    optional_int(retry or {}, "MaximumEventAgeInSeconds", minimum=60, maximum=86400)
    optional_int(retry or {}, "MaximumRetryAttempts", minimum=0, maximum=185)
