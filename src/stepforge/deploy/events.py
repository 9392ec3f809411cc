"""The event sources of an ``AWS::Serverless::StateMachine``: what starts its executions.

As SAM translates them: ``Schedule`` is an EventBridge rule with a ``ScheduleExpression``,
``EventBridgeRule`` (and its old name ``CloudWatchEvent``) a rule with an ``EventPattern``, each
with the machine as its target; ``ScheduleV2`` an EventBridge Scheduler schedule; ``Api`` a
stepforge webhook (``POST /webhooks/{name}``, the name being the event's ``Path`` with ``-`` for
``/``), which stands in for API Gateway's StartExecution integration. Each is deployed with the
server's ``events`` / ``scheduler`` / webhook API and named ``{stack}-{machine}{event}`` unless
the template names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stepforge.deploy.changes import Change, Planned, field_changes, unchanged
from stepforge.deploy.clients import Api
from stepforge.deploy.errors import DeployError
from stepforge.deploy.properties import check_known, mapping, optional_string, string
from stepforge.deploy.rules import NAME_LIMIT, Rule, Schedule, copy, pattern_text, schedule_fields
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
NOT_FOUND = ("ResourceNotFoundException",)


@dataclass(frozen=True)
class Webhook:
    """A stepforge webhook that starts the machine (SAM's ``Api`` event)."""

    logical_id: str
    name: str
    machine_arn: str
    notes: tuple[str, ...] = ()
    type: str = "Api (SAM event)"

    def plan(self, api: Api) -> Planned:
        wanted = {"stateMachineArn": self.machine_arn, "mode": "START"}
        current = api.webhook("GetWebhook", NOT_FOUND, name=self.name)
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
    fields: dict[str, Any] = {"ScheduleExpression": string(props.get("Schedule"), f"{where}/Schedule"),
                              "State": state}
    copy(props, fields, ("Description",), where)
    name = optional_string(props, "Name", where) or stack.physical_name(logical_id, NAME_LIMIT)
    return Rule(logical_id, "Schedule (SAM event)", name, "default", fields,
                (_target(logical_id, props, arn, stack, where, ("Input",)),))


def _rule(logical_id: str, props: dict[str, Any], arn: str, stack: Stack, where: str) -> Rule:
    check_known(props, RULE_EVENT_PROPERTIES, where)
    fields = {"EventPattern": pattern_text(props.get("Pattern"), f"{where}/Pattern"),
              "State": optional_string(props, "State", where) or "ENABLED"}
    name = optional_string(props, "RuleName", where) or stack.physical_name(logical_id, NAME_LIMIT)
    bus = optional_string(props, "EventBusName", where) or "default"
    return Rule(logical_id, "EventBridgeRule (SAM event)", name, bus, fields,
                (_target(logical_id, props, arn, stack, where, ("Input", "InputPath", "InputTransformer")),))


def _schedule_v2(logical_id: str, props: dict[str, Any], arn: str, stack: Stack, where: str) -> Schedule:
    check_known(props, SCHEDULE_V2_PROPERTIES, where)
    fields = schedule_fields(props, where)
    target: dict[str, Any] = {"Arn": arn, "RoleArn": optional_string(props, "RoleArn", where)
                              or stack.role_arn(stack.physical_name(logical_id, 59, "Role"))}
    copy(props, target, ("Input", "RetryPolicy", "DeadLetterConfig"), where)
    name = optional_string(props, "Name", where) or stack.physical_name(logical_id, NAME_LIMIT)
    return Schedule(logical_id, "ScheduleV2 (SAM event)", name, optional_string(props, "GroupName", where) or "default",
                    fields, target)


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
    copy(props, target, (*copied, "RetryPolicy", "DeadLetterConfig"), where)
    return target


_BUILDERS: dict[str, Callable[[str, dict[str, Any], str, Stack, str], EventUnit]] = {"Schedule": _schedule, "ScheduleV2": _schedule_v2, "EventBridgeRule": _rule,
             "CloudWatchEvent": _rule, "Api": _api}
