"""EventBridge rules and EventBridge Scheduler schedules: ``AWS::Events::Rule``, ``AWS::Scheduler::Schedule``,
and the units SAM's ``Schedule``, ``EventBridgeRule`` and ``ScheduleV2`` events deploy as.

A rule owns its targets, as in CloudFormation: targets the template does not list are removed.
Both are found by name (rules on their event bus, schedules in their group) and written with the
server's ``events`` and ``scheduler`` APIs, in AWS's shapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stepforge.deploy.changes import AFTER_DEPLOY, Change, Planned, field_changes, unchanged
from stepforge.deploy.clients import Api, CallError
from stepforge.deploy.errors import DeployError
from stepforge.deploy.properties import check_known, mapping, optional_string, string
from stepforge.deploy.stack import Stack

RULE_TYPE = "AWS::Events::Rule"
SCHEDULE_TYPE = "AWS::Scheduler::Schedule"
RULE_PROPERTIES = frozenset({"Name", "Description", "EventBusName", "EventPattern", "ScheduleExpression", "State",
                             "Targets", "RoleArn"})
SCHEDULE_PROPERTIES = frozenset({"Name", "GroupName", "Description", "ScheduleExpression",
                                 "ScheduleExpressionTimezone", "FlexibleTimeWindow", "StartDate", "EndDate", "State",
                                 "KmsKeyArn", "Target"})
TARGET_FIELDS = ("Id", "Arn", "RoleArn", "Input", "InputPath", "InputTransformer", "RetryPolicy", "DeadLetterConfig")
NOT_FOUND = ("ResourceNotFoundException",)
#: An event in EventBridge's envelope, for TestEventPattern (which checks the pattern, whatever the result).
SAMPLE_EVENT = {"id": "00000000-0000-0000-0000-000000000000", "detail-type": "stepforge deploy check",
                "source": "stepforge.deploy", "account": "000000000000", "time": "2026-01-01T00:00:00Z",
                "region": "us-east-1", "resources": [], "detail": {}}
NAME_LIMIT = 64


@dataclass(frozen=True)
class Rule:
    """An EventBridge rule (``fields``: EventPattern or ScheduleExpression, State, ...) and its targets."""

    logical_id: str
    type: str
    name: str
    bus: str
    fields: dict[str, Any]
    targets: tuple[dict[str, Any], ...]

    def plan(self, api: Api) -> Planned:
        current = api.find("events", "describe_rule", NOT_FOUND, Name=self.name, EventBusName=self.bus)
        pattern = self.fields.get("EventPattern")
        if pattern is not None and (current is None or pattern != _comparable_rule(current).get("EventPattern")):
            self._check_pattern(api, pattern)
        if current is None:
            summary = tuple(f"{self._shown()} -> {t['Arn']}" for t in self.targets)
            return Planned(Change(self.logical_id, self.type, self.name, "create", summary),
                           {"Ref": self.name, "Arn": AFTER_DEPLOY},
                           lambda: self._write(api, True, list(self.targets), []))
        attributes = {"Ref": self.name, "Arn": current["Arn"]}
        rule_changes = field_changes(self.fields, _comparable_rule(current))
        listed = api.call("events", "list_targets_by_rule", Rule=self.name, EventBusName=self.bus)["Targets"]
        found = {t["Id"]: t for t in listed}
        changed = [t for t in self.targets if field_changes(t, found.get(t["Id"], {}))]
        removed = [i for i in found if i not in {t["Id"] for t in self.targets}]
        details = (*rule_changes, *(f"Target {t['Id']} -> {t['Arn']}" for t in changed),
                   *(f"Target {i} removed" for i in removed))
        if not details:
            return unchanged(Change(self.logical_id, self.type, self.name, "unchanged"), attributes)
        return Planned(Change(self.logical_id, self.type, self.name, "update", details), attributes,
                       lambda: self._write(api, bool(rule_changes), changed, removed))

    def _check_pattern(self, api: Api, pattern: str) -> None:
        """DeployError for a pattern the server refuses (TestEventPattern), before anything is written."""
        try:
            api.call("events", "test_event_pattern", EventPattern=pattern, Event=json.dumps(SAMPLE_EVENT))
        except CallError as exc:
            if exc.code != "InvalidEventPatternException":
                raise
            raise DeployError(f"the EventPattern of rule {self.name} is not valid: {exc}",
                              f"Resources/{self.logical_id}") from None

    def _shown(self) -> str:
        return str(self.fields.get("ScheduleExpression") or self.fields.get("EventPattern"))

    def _write(self, api: Api, rule: bool, targets: list[dict[str, Any]], removed: list[str]) -> dict[str, Any]:
        where = {"EventBusName": self.bus}
        if rule:
            api.call("events", "put_rule", Name=self.name, **where, **self.fields)
        if targets:
            _check_entries(api.call("events", "put_targets", Rule=self.name, **where, Targets=targets), "PutTargets")
        if removed:
            _check_entries(api.call("events", "remove_targets", Rule=self.name, **where, Ids=removed), "RemoveTargets")
        return {"Ref": self.name, "Arn": api.call("events", "describe_rule", Name=self.name, **where)["Arn"]}


@dataclass(frozen=True)
class Schedule:
    """An EventBridge Scheduler schedule (``fields``: expression, window, state, dates, ...) and its target."""

    logical_id: str
    type: str
    name: str
    group: str
    fields: dict[str, Any]
    target: dict[str, Any]

    def plan(self, api: Api) -> Planned:
        current = api.find("scheduler", "get_schedule", NOT_FOUND, Name=self.name, GroupName=self.group)
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


def rule_from_cfn(logical_id: str, props: dict[str, Any], stack: Stack) -> Rule:
    """The rule an ``AWS::Events::Rule``'s resolved properties describe."""
    where = f"Resources/{logical_id}/Properties"
    check_known(props, RULE_PROPERTIES, where)
    if ("EventPattern" in props) == ("ScheduleExpression" in props):
        raise DeployError("give exactly one of EventPattern, ScheduleExpression", where)
    fields: dict[str, Any] = {"State": optional_string(props, "State", where) or "ENABLED"}
    if "EventPattern" in props:
        fields["EventPattern"] = pattern_text(props["EventPattern"], f"{where}/EventPattern")
    copy(props, fields, ("ScheduleExpression", "Description", "RoleArn"), where)
    targets = props.get("Targets") or []
    if not isinstance(targets, list):
        raise DeployError("Targets is a list", f"{where}/Targets")
    return Rule(logical_id, RULE_TYPE, optional_string(props, "Name", where) or
                stack.physical_name(logical_id, NAME_LIMIT), optional_string(props, "EventBusName", where)
                or "default", fields, tuple(_target(t, f"{where}/Targets/{i}") for i, t in enumerate(targets)))


def schedule_from_cfn(logical_id: str, props: dict[str, Any], stack: Stack) -> Schedule:
    """The schedule an ``AWS::Scheduler::Schedule``'s resolved properties describe."""
    where = f"Resources/{logical_id}/Properties"
    check_known(props, SCHEDULE_PROPERTIES, where)
    fields = schedule_fields(props, where)
    target = mapping(props.get("Target"), f"{where}/Target")
    for key in ("Arn", "RoleArn"):
        string(target.get(key), f"{where}/Target/{key}")
    name = optional_string(props, "Name", where) or stack.physical_name(logical_id, NAME_LIMIT)
    return Schedule(logical_id, SCHEDULE_TYPE, name, optional_string(props, "GroupName", where) or "default",
                    fields, target)


def schedule_fields(props: dict[str, Any], where: str) -> dict[str, Any]:
    """A schedule's own fields (all but Name, GroupName and Target), with the API's defaults."""
    fields: dict[str, Any] = {
        "ScheduleExpression": string(props.get("ScheduleExpression"), f"{where}/ScheduleExpression"),
        "FlexibleTimeWindow": mapping(props.get("FlexibleTimeWindow") or {"Mode": "OFF"},
                                      f"{where}/FlexibleTimeWindow"),
        "State": optional_string(props, "State", where) or "ENABLED"}
    copy(props, fields, ("ScheduleExpressionTimezone", "Description", "StartDate", "EndDate", "KmsKeyArn"), where)
    return fields


def pattern_text(value: Any, where: str) -> str:
    """An event pattern (a mapping, or its JSON text) as canonical JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise DeployError("an EventPattern is a mapping or its JSON text", where) from None
    return json.dumps(mapping(value, where), sort_keys=True)


def copy(props: dict[str, Any], into: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    """The ``keys`` of ``props`` that are set, into ``into`` (strings checked, mappings as they are)."""
    for key in keys:
        if props.get(key) is not None:
            into[key] = props[key] if isinstance(props[key], dict) else string(props[key], f"{where}/{key}")


def _target(value: Any, where: str) -> dict[str, Any]:
    target = mapping(value, where)
    check_known(target, frozenset(TARGET_FIELDS), where)
    for key in ("Id", "Arn"):
        string(target.get(key), f"{where}/{key}")
    return target


def _check_entries(answer: dict[str, Any], operation: str) -> None:
    if answer.get("FailedEntryCount"):
        failed = answer["FailedEntries"][0]
        raise CallError(f"{operation} {failed.get('TargetId')}: {failed.get('ErrorCode')}: "
                        f"{failed.get('ErrorMessage')}", str(failed.get("ErrorCode")))


def _comparable_rule(current: dict[str, Any]) -> dict[str, Any]:
    found = dict(current)
    if isinstance(found.get("EventPattern"), str):
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
