"""The event sources of an ``AWS::Serverless::StateMachine``: what starts its executions.

As SAM translates them: ``Schedule`` is an EventBridge rule with a ``ScheduleExpression``,
``EventBridgeRule`` (and its old name ``CloudWatchEvent``) a rule with an ``EventPattern``, each
with the machine as its target; ``ScheduleV2`` an EventBridge Scheduler schedule; ``Api`` a
stepforge webhook (``POST /webhooks/{name}``, the name being the event's ``Path`` without
slashes), which stands in for API Gateway's StartExecution integration. Each is deployed with the
server's ``events`` / ``scheduler`` / webhook API and named ``{stack}-{machine}{event}`` unless
the template names it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stepforge.deploy.changes import AFTER_DEPLOY, Change, Planned, field_changes, unchanged
from stepforge.deploy.clients import Api
from stepforge.deploy.errors import DeployError
from stepforge.deploy.properties import check_known, mapping, optional_string, string
from stepforge.deploy.stack import Stack

RULE_EVENT_PROPERTIES = frozenset({"EventBusName", "RuleName", "Pattern", "Input", "InputPath", "InputTransformer",
                                   "DeadLetterConfig", "RetryPolicy", "State", "Target"})
SCHEDULE_PROPERTIES = frozenset({"Schedule", "Input", "Enabled", "State", "Name", "Description",
                                 "DeadLetterConfig", "RetryPolicy", "Target"})
SCHEDULE_V2_PROPERTIES = frozenset({"ScheduleExpression", "ScheduleExpressionTimezone", "FlexibleTimeWindow",
                                    "Name", "GroupName", "State", "Description", "StartDate", "EndDate", "Input",
                                    "RoleArn", "RetryPolicy", "DeadLetterConfig", "KmsKeyArn",
                                    "PermissionsBoundary", "OmitName"})
API_PROPERTIES = frozenset({"Path", "Method", "RestApiId", "Stage", "UnescapeMappingTemplate"})
RULE_NOT_FOUND = ("ResourceNotFoundException",)
NAME_LIMIT = 64


@dataclass(frozen=True)
class Rule:
    """An EventBridge rule (pattern or schedule) whose one target, ``target["Id"]``, starts the machine."""

    logical_id: str
    type: str
    name: str
    bus: str
    fields: dict[str, Any]
    target: dict[str, Any]

    def plan(self, api: Api) -> Planned:
        current = api.find("events", "describe_rule", RULE_NOT_FOUND, Name=self.name, EventBusName=self.bus)
        if current is None:
            attributes = {"Ref": self.name, "Arn": AFTER_DEPLOY}
            return Planned(Change(self.logical_id, self.type, self.name, "create", self._summary()), attributes,
                           lambda: self._put(api, rule=True, target=True))
        attributes = {"Ref": self.name, "Arn": current["Arn"]}
        rule_changes = field_changes(self.fields, _comparable_rule(current, self.fields))
        targets = api.call("events", "list_targets_by_rule", Rule=self.name, EventBusName=self.bus)["Targets"]
        ours: dict[str, Any] = next((t for t in targets if t["Id"] == self.target["Id"]), {})
        target_changes = field_changes(self.target, ours)
        if not rule_changes and not target_changes:
            return unchanged(Change(self.logical_id, self.type, self.name, "unchanged"), attributes)
        change = Change(self.logical_id, self.type, self.name, "update",
                        (*rule_changes, *(f"Target {line}" for line in target_changes)))
        return Planned(change, attributes, lambda: self._put(api, bool(rule_changes), bool(target_changes)))

    def _summary(self) -> tuple[str, ...]:
        shown = self.fields.get("ScheduleExpression") or self.fields.get("EventPattern")
        return (f"{shown} -> {self.target['Arn']}",)

    def _put(self, api: Api, rule: bool, target: bool) -> dict[str, Any]:
        arn = ""
        if rule:
            arn = api.call("events", "put_rule", Name=self.name, EventBusName=self.bus, **self.fields)["RuleArn"]
        if target:
            answer = api.call("events", "put_targets", Rule=self.name, EventBusName=self.bus, Targets=[self.target])
            if answer.get("FailedEntryCount"):
                failed = answer["FailedEntries"][0]
                raise DeployError(f"PutTargets {self.name}: {failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")
        if not arn:
            arn = api.call("events", "describe_rule", Name=self.name, EventBusName=self.bus)["Arn"]
        return {"Ref": self.name, "Arn": arn}


@dataclass(frozen=True)
class Schedule:
    """An EventBridge Scheduler schedule whose target starts the machine."""

    logical_id: str
    name: str
    group: str
    fields: dict[str, Any]
    target: dict[str, Any]
    type: str = "ScheduleV2 (SAM event)"

    def plan(self, api: Api) -> Planned:
        current = api.find("scheduler", "get_schedule", RULE_NOT_FOUND, Name=self.name, GroupName=self.group)
        if current is None:
            summary = (f"{self.fields['ScheduleExpression']} -> {self.target['Arn']}",)
            return Planned(Change(self.logical_id, self.type, self.name, "create", summary),
                           {"Ref": self.name, "Arn": AFTER_DEPLOY}, lambda: self._write(api, "create_schedule"))
        attributes = {"Ref": self.name, "Arn": current["Arn"]}
        details = (*field_changes(_dates(self.fields), _dates(current)),
                   *(f"Target {line}" for line in field_changes(self.target, current.get("Target", {}))))
        if not details:
            return unchanged(Change(self.logical_id, self.type, self.name, "unchanged"), attributes)
        return Planned(Change(self.logical_id, self.type, self.name, "update", details), attributes,
                       lambda: self._write(api, "update_schedule"))

    def _write(self, api: Api, operation: str) -> dict[str, Any]:
        answer = api.call("scheduler", operation, Name=self.name, GroupName=self.group, Target=self.target,
                          **self.fields)
        return {"Ref": self.name, "Arn": answer["ScheduleArn"]}


@dataclass(frozen=True)
class Webhook:
    """A stepforge webhook that starts the machine (SAM's ``Api`` event)."""

    logical_id: str
    name: str
    machine_arn: str
    notes: tuple[str, ...] = field(default=())
    type: str = "Api (SAM event)"

    def plan(self, api: Api) -> Planned:
        wanted = {"stateMachineArn": self.machine_arn, "mode": "START"}
        current = api.webhook("GetWebhook", RULE_NOT_FOUND, name=self.name)
        attributes = {"Ref": self.name, "Url": f"{api.endpoint}/webhooks/{self.name}"}
        summary = (*self.notes, f"POST {attributes['Url']} -> {self.machine_arn}")
        if current is None:
            return Planned(Change(self.logical_id, self.type, self.name, "create", summary), attributes,
                           lambda: self._put(api, wanted, attributes))
        details = field_changes(wanted, current)
        if not details:
            return unchanged(Change(self.logical_id, self.type, self.name, "unchanged", self.notes), attributes)
        return Planned(Change(self.logical_id, self.type, self.name, "update", (*self.notes, *details)), attributes,
                       lambda: self._put(api, wanted, attributes))

    def _put(self, api: Api, wanted: dict[str, Any], attributes: dict[str, Any]) -> dict[str, Any]:
        api.webhook("PutWebhook", (), name=self.name, **wanted)
        return attributes


EventUnit = Rule | Schedule | Webhook


def from_sam(machine_id: str, value: Any, machine_arn: str, stack: Stack) -> list[EventUnit]:
    """One unit per entry of a SAM state machine's ``Events``."""
    if value is None:
        return []
    where = f"Resources/{machine_id}/Properties/Events"
    units: list[EventUnit] = []
    for event_id, event in mapping(value, where).items():
        event = mapping(event, f"{where}/{event_id}")
        kind = event.get("Type")
        props = mapping(event.get("Properties") or {}, f"{where}/{event_id}/Properties")
        if not isinstance(kind, str) or kind not in _BUILDERS:
            raise DeployError(f"event type {kind!r} is not supported by stepforge deploy (it deploys "
                              f"{', '.join(_BUILDERS)})", f"{where}/{event_id}/Type")
        units.append(_BUILDERS[kind](f"{machine_id}{event_id}", props, machine_arn, stack, f"{where}/{event_id}/Properties"))
    return units


def _schedule(logical_id: str, props: dict[str, Any], arn: str, stack: Stack, where: str) -> Rule:
    check_known(props, SCHEDULE_PROPERTIES, where)
    if "State" in props and "Enabled" in props:
        raise DeployError("State and Enabled cannot both be specified", where)
    state = optional_string(props, "State", where) or ("DISABLED" if props.get("Enabled") is False else "ENABLED")
    fields = {"ScheduleExpression": string(props.get("Schedule"), f"{where}/Schedule"), "State": state}
    _copy(props, fields, ("Description",), where)
    name = optional_string(props, "Name", where) or stack.physical_name(logical_id, NAME_LIMIT)
    return Rule(logical_id, "Schedule (SAM event)", name, "default", fields,
                _target(logical_id, props, arn, stack, where, ("Input",)))


def _rule(logical_id: str, props: dict[str, Any], arn: str, stack: Stack, where: str) -> Rule:
    check_known(props, RULE_EVENT_PROPERTIES, where)
    pattern = mapping(props.get("Pattern"), f"{where}/Pattern")
    fields = {"EventPattern": json.dumps(pattern, sort_keys=True), "State": optional_string(props, "State", where)
              or "ENABLED"}
    name = optional_string(props, "RuleName", where) or stack.physical_name(logical_id, NAME_LIMIT)
    bus = optional_string(props, "EventBusName", where) or "default"
    return Rule(logical_id, "EventBridgeRule (SAM event)", name, bus, fields,
                _target(logical_id, props, arn, stack, where, ("Input", "InputPath", "InputTransformer")))


def _schedule_v2(logical_id: str, props: dict[str, Any], arn: str, stack: Stack, where: str) -> Schedule:
    check_known(props, SCHEDULE_V2_PROPERTIES, where)
    fields: dict[str, Any] = {"ScheduleExpression": string(props.get("ScheduleExpression"),
                                                           f"{where}/ScheduleExpression"),
                              "FlexibleTimeWindow": props.get("FlexibleTimeWindow") or {"Mode": "OFF"},
                              "State": optional_string(props, "State", where) or "ENABLED"}
    _copy(props, fields, ("ScheduleExpressionTimezone", "Description", "StartDate", "EndDate", "KmsKeyArn"), where)
    target: dict[str, Any] = {"Arn": arn, "RoleArn": optional_string(props, "RoleArn", where)
                              or stack.role_arn(stack.physical_name(logical_id, 59, "Role"))}
    _copy(props, target, ("Input", "RetryPolicy", "DeadLetterConfig"), where)
    name = optional_string(props, "Name", where) or stack.physical_name(logical_id, NAME_LIMIT)
    return Schedule(logical_id, name, optional_string(props, "GroupName", where) or "default", fields, target)


def _api(logical_id: str, props: dict[str, Any], arn: str, stack: Stack, where: str) -> Webhook:
    check_known(props, API_PROPERTIES, where)
    method = string(props.get("Method"), f"{where}/Method")
    if method.lower() not in ("post", "any"):
        raise DeployError(f"a webhook answers POST: Method {method} cannot be served", f"{where}/Method")
    path = string(props.get("Path"), f"{where}/Path")
    name = "-".join(part for part in path.split("/") if part)
    if not name or any(c in name for c in "{}"):
        raise DeployError(f"Path {path!r} cannot name a webhook (no path parameters; at least one segment)",
                          f"{where}/Path")
    notes = tuple(f"{key} ignored (no API Gateway: the webhook is on the server)" for key in
                  ("RestApiId", "Stage") if key in props)
    return Webhook(logical_id, name, arn, notes)


def _target(logical_id: str, props: dict[str, Any], arn: str, stack: Stack, where: str,
            copied: tuple[str, ...]) -> dict[str, Any]:
    given = mapping(props.get("Target") or {}, f"{where}/Target")
    target: dict[str, Any] = {"Id": optional_string(given, "Id", f"{where}/Target")
                              or f"{logical_id}StepFunctionsTarget"[:64], "Arn": arn,
                              "RoleArn": stack.role_arn(stack.physical_name(logical_id, 59, "Role"))}
    _copy(props, target, (*copied, "RetryPolicy", "DeadLetterConfig"), where)
    return target


def _copy(props: dict[str, Any], into: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if props.get(key) is not None:
            into[key] = props[key] if isinstance(props[key], dict) else string(props[key], f"{where}/{key}")


def _comparable_rule(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    found = dict(current)
    if "EventPattern" in found and "EventPattern" in wanted:
        try:
            found["EventPattern"] = json.dumps(json.loads(found["EventPattern"]), sort_keys=True)
        except ValueError:
            pass
    return found


def _dates(fields: dict[str, Any]) -> dict[str, Any]:
    """StartDate/EndDate as timestamps: boto3 answers datetimes, templates give ISO 8601 text."""
    found = dict(fields)
    for key in ("StartDate", "EndDate"):
        value = found.get(key)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                continue
        if isinstance(value, datetime):
            found[key] = value.timestamp()
    return found


_BUILDERS: dict[str, Callable[[str, dict[str, Any], str, Stack, str], EventUnit]] = {"Schedule": _schedule, "ScheduleV2": _schedule_v2, "EventBridgeRule": _rule,
             "CloudWatchEvent": _rule, "Api": _api}
