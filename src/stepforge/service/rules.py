"""EventBridge rules and events: PutRule, DescribeRule, ListRules, DeleteRule, EnableRule,
DisableRule, PutTargets, RemoveTargets, ListTargetsByRule, PutEvents, TestEventPattern (the ``events``
API's names),
and delivering an event to the rules it matches.

A rule matches with an ``EventPattern`` (see :mod:`stepforge.triggers.patterns`) or fires on a
``ScheduleExpression`` (see :mod:`stepforge.service.firing`); its targets are state machines, each
started with the event, ``Input``, ``InputPath`` or ``InputTransformer``. Event buses are names
only (``default`` unless a request names another, by name or ARN).
"""

from __future__ import annotations

import calendar
import json
import time
import uuid
from typing import Any

from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import ValidationException
from stepforge.service.params import optional_str, required_str, store_page
from stepforge.service.triggering import (
    InvalidEventPattern,
    RuleNotFound,
    check_target,
    execution_name,
    start,
)
from stepforge.store.base import Reads
from stepforge.store.trigger_records import RuleRecord, TargetRecord
from stepforge.triggers import patterns, transforms
from stepforge.triggers.expressions import ExpressionError, parse

DEFAULT_BUS = "default"
MAX_ENTRIES = 10
MAX_TARGETS = 5
#: The fields of a rule kept as the API gave them.
FIELDS = ("EventPattern", "ScheduleExpression", "Description", "RoleArn")


def rule_arn(region: str, account: str, bus: str, name: str) -> str:
    path = name if bus == DEFAULT_BUS else f"{bus}/{name}"
    return f"arn:aws:events:{region}:{account}:rule/{path}"


def put_rule(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """PutRule: create the rule or replace its pattern, schedule, state and description."""
    params, bus = req.params, _bus(req.params)
    name = _name(params, "Name")
    body = {key: params[key] for key in FIELDS if params.get(key) is not None}
    _check_rule(body, bus)
    state = optional_str(params, "State") or "ENABLED"
    if state not in ("ENABLED", "DISABLED"):
        raise ValidationException(f"Invalid State {state!r}: must be ENABLED or DISABLED")
    arn = rule_arn(req.region, ctx.account, bus, name)
    found = ctx.store.get_rule(arn)
    record = RuleRecord(arn, bus, name, state, found.created if found else ctx.engine.clock.now(), body)
    _plan(record, ctx.engine.clock.now())
    ctx.store.put_rule(record)
    return {"RuleArn": arn}


def describe_rule(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """DescribeRule."""
    record = _rule(ctx, req, "Name")
    return {**_shape(record), "CreatedBy": ctx.account}


def list_rules(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """ListRules: the bus's rules by name, NamePrefix, NextToken and Limit."""
    bus, prefix = _bus(req.params), optional_str(req.params, "NamePrefix")
    paging = {"nextToken": req.params.get("NextToken"), "maxResults": req.params.get("Limit")}
    found, token = store_page("rules", paging, lambda after, limit: ctx.store.list_rules(
        bus, name_prefix=prefix, after=after, limit=limit), events=True)
    response: dict[str, Any] = {"Rules": [_shape(r) for r in found]}
    if token:
        response["NextToken"] = token
    return response


def delete_rule(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """DeleteRule: refused while the rule has targets, unless Force."""
    try:
        record = _rule(ctx, req, "Name")
    except RuleNotFound:
        return {}  # as EventBridge: deleting a rule that does not exist succeeds
    if ctx.store.list_targets(record.arn) and req.params.get("Force") is not True:
        raise ValidationException("Rule can't be deleted since it has targets.")
    ctx.store.delete_rule(record.arn)
    return {}


def enable_rule(ctx: WriteContext, req: Request) -> dict[str, Any]:
    return _set_state(ctx, req, "ENABLED")


def disable_rule(ctx: WriteContext, req: Request) -> dict[str, Any]:
    return _set_state(ctx, req, "DISABLED")


def _set_state(ctx: WriteContext, req: Request, state: str) -> dict[str, Any]:
    record = _rule(ctx, req, "Name")
    record.state = state
    _plan(record, ctx.engine.clock.now())
    ctx.store.put_rule(record)
    return {}


def put_targets(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """PutTargets: each target that cannot be used is a FailedEntry, as EventBridge answers."""
    record = _rule(ctx, req, "Rule")
    targets = req.params.get("Targets")
    if not isinstance(targets, list) or not 1 <= len(targets) <= 10:
        raise ValidationException("Targets must be a list of 1 to 10 targets")
    failed = []
    for target in targets:
        problem = _target_problem(target) or _over_limit(ctx, record.arn, target["Id"])
        if problem is not None:
            failed.append({"TargetId": str(target.get("Id", "")) if isinstance(target, dict) else "",
                           "ErrorCode": problem[0], "ErrorMessage": problem[1]})
            continue
        ctx.store.put_target(TargetRecord(record.arn, target["Id"], target))
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


def _over_limit(ctx: WriteContext, arn: str, target_id: str) -> tuple[str, str] | None:
    ids = {t.target_id for t in ctx.store.list_targets(arn)}
    if target_id in ids or len(ids) < MAX_TARGETS:
        return None
    return "LimitExceededException", f"The rule has the maximum number of targets ({MAX_TARGETS})."


def remove_targets(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """RemoveTargets."""
    record = _rule(ctx, req, "Rule")
    ids = req.params.get("Ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ValidationException("Ids must be a non-empty list of target ids")
    for target_id in ids:
        ctx.store.delete_target(record.arn, target_id)
    return {"FailedEntryCount": 0, "FailedEntries": []}


def list_targets(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """ListTargetsByRule."""
    record = _rule(ctx, req, "Rule")
    return {"Targets": [t.body for t in ctx.store.list_targets(record.arn)]}


def put_events(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """PutEvents: each entry becomes an event delivered to the matching rules of its bus now, in this
    transaction; a malformed entry is a failed entry (ErrorCode/ErrorMessage), as EventBridge answers."""
    entries = req.params.get("Entries")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_ENTRIES:
        raise ValidationException(f"Entries must be a list of 1 to {MAX_ENTRIES} entries")
    results: list[dict[str, Any]] = []
    for entry in entries:
        try:
            event, bus = _event(ctx, req.region, entry)
        except ValidationException as exc:
            results.append({"ErrorCode": "MalformedDetail" if "Detail" in exc.message else "InvalidArgument",
                            "ErrorMessage": exc.message})
            continue
        deliver(ctx, event, bus)
        results.append({"EventId": event["id"]})
    return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


def test_event_pattern(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """TestEventPattern: whether ``Event`` (JSON text) matches ``EventPattern``."""
    try:
        pattern = patterns.parse(required_str(req.params, "EventPattern"))
    except patterns.PatternError as exc:
        raise InvalidEventPattern(f"Event pattern is not valid. Reason: {exc}") from None
    try:
        event = json.loads(required_str(req.params, "Event"))
    except ValueError:
        raise ValidationException("Parameter Event is not valid: it must be a JSON object.") from None
    if not isinstance(event, dict):
        raise ValidationException("Parameter Event is not valid: it must be a JSON object.")
    return {"Result": patterns.matches(pattern, event)}


def deliver(ctx: WriteContext, event: dict[str, Any], bus: str = DEFAULT_BUS) -> list[str]:
    """Start the targets of every ENABLED rule of ``bus`` whose pattern ``event`` matches; the ARNs started."""
    started: list[str] = []
    for rule in matching_rules(ctx.store, event, bus):
        started += deliver_to(ctx, rule, event)
    return started


def matching_rules(store: Reads, event: dict[str, Any], bus: str) -> list[RuleRecord]:
    """The ENABLED rules of ``bus`` with a pattern that ``event`` matches."""
    found, after = [], None
    while True:
        page = store.list_rules(bus, after=after, limit=100)
        found += [r for r in page.items if r.state == "ENABLED" and "EventPattern" in r.body
                  and patterns.matches(patterns.compiled(r.body["EventPattern"]), event)]
        if page.next is None:
            return found
        after = page.next


def deliver_to(ctx: WriteContext, rule: RuleRecord, event: dict[str, Any]) -> list[str]:
    """Start each target of ``rule`` for ``event`` (once per event and target: the name is fixed by them)."""
    started = []
    for target in ctx.store.list_targets(rule.arn):
        text = transforms.target_input(target.body, event, rule.arn, rule.name)
        name = execution_name(rule.name, rule.arn, _event_time(event), event["id"], target.target_id)
        arn = start(ctx, rule.arn, target.body["Arn"], text, name)
        if arn is not None:
            started.append(arn)
    return started


def _event_time(event: dict[str, Any]) -> float:
    return float(calendar.timegm(time.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")))


def _event(ctx: WriteContext, region: str, entry: Any) -> tuple[dict[str, Any], str]:
    if not isinstance(entry, dict):
        raise ValidationException("Each entry must be an object")
    source, detail_type = entry.get("Source"), entry.get("DetailType")
    if not isinstance(source, str) or not source or not isinstance(detail_type, str) or not detail_type:
        raise ValidationException("Parameter(s) Source, DetailType and Detail must be specified.")
    try:
        detail = json.loads(entry.get("Detail") or "")
    except (TypeError, ValueError):
        raise ValidationException("Detail is malformed: it must be a JSON object.") from None
    if not isinstance(detail, dict):
        raise ValidationException("Detail is malformed: it must be a JSON object.")
    resources = entry.get("Resources") or []
    when = entry.get("Time")
    moment = ctx.engine.clock.now() if not isinstance(when, (int, float)) or isinstance(when, bool) else when
    event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": source,
             "account": ctx.account, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment)),
             "region": region, "resources": resources, "detail": detail}
    return event, _bus(entry)


def _shape(record: RuleRecord) -> dict[str, Any]:
    return {"Name": record.name, "Arn": record.arn, "State": record.state, "EventBusName": record.bus,
            **record.body}


def _rule(ctx: ServiceContext, req: Request, key: str) -> RuleRecord:
    name, bus = _name(req.params, key), _bus(req.params)
    record = ctx.store.get_rule(rule_arn(req.region, ctx.account, bus, name))
    if record is None:
        raise RuleNotFound(f"Rule {name} does not exist on EventBus {bus}.")
    return record


def _bus(params: dict[str, Any]) -> str:
    bus = optional_str(params, "EventBusName") or DEFAULT_BUS
    return bus.rsplit("event-bus/", 1)[-1] if bus.startswith("arn:") else bus


def _name(params: dict[str, Any], key: str) -> str:
    name = required_str(params, key, max_length=64)
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ValidationException(f"Invalid {key} {name!r}: 1-64 characters from [0-9a-zA-Z-_.]")
    return name


def _check_rule(body: dict[str, Any], bus: str) -> None:
    if "EventPattern" not in body and "ScheduleExpression" not in body:
        raise ValidationException("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    if "EventPattern" in body:
        try:
            patterns.parse(required_str(body, "EventPattern"))
        except patterns.PatternError as exc:
            raise InvalidEventPattern(f"Event pattern is not valid. Reason: {exc}") from None
    if "ScheduleExpression" in body:
        if bus != DEFAULT_BUS:
            raise ValidationException("ScheduleExpression is supported only on the default event bus.")
        try:
            parse(required_str(body, "ScheduleExpression"))
        except ExpressionError as exc:
            raise ValidationException(f"Parameter ScheduleExpression is not valid: {exc}") from None


def _plan(record: RuleRecord, now: float) -> None:
    if "ScheduleExpression" not in record.body or record.state != "ENABLED":
        record.next_firing = record.due = None
        return
    record.next_firing = record.due = parse(record.body["ScheduleExpression"], anchor=record.created).next_after(now)


def _target_problem(target: Any) -> tuple[str, str] | None:
    if not isinstance(target, dict) or not isinstance(target.get("Id"), str) or not target["Id"]:
        return "ValidationException", "Each target needs an Id"
    try:
        check_target(target.get("Arn"), f"Target {target['Id']}")
        transforms.check(target)
    except ValidationException as exc:
        return "ValidationException", exc.message
    except transforms.TransformError as exc:
        return "ValidationException", str(exc)
    return None
