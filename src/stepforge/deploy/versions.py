"""``AWS::StepFunctions::StateMachineVersion`` and ``AWS::StepFunctions::StateMachineAlias``.

A version resource stands for the newest published version of its machine: when that version is
not of the revision the template wants (``StateMachineRevisionId``, else the machine's current
one), a new version is published. An alias routes to versions by ``RoutingConfiguration``, or by
a ``DeploymentPreference`` of type ``ALL_AT_ONCE``; the gradual types (``CANARY``, ``LINEAR``)
shift traffic over time under CloudWatch alarms and are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stepforge.deploy.changes import AFTER_DEPLOY, Change, Planned, field_changes, unchanged
from stepforge.deploy.clients import Api
from stepforge.deploy.errors import DeployError
from stepforge.deploy.properties import check_known, mapping, optional_string, string

VERSION_TYPE = "AWS::StepFunctions::StateMachineVersion"
ALIAS_TYPE = "AWS::StepFunctions::StateMachineAlias"
VERSION_PROPERTIES = frozenset({"StateMachineArn", "StateMachineRevisionId", "Description"})
ALIAS_PROPERTIES = frozenset({"Name", "Description", "RoutingConfiguration", "DeploymentPreference"})
MISSING_MACHINE = ("StateMachineDoesNotExist",)


@dataclass(frozen=True)
class Version:
    """A version of ``machine_arn`` of ``revision_id`` (None: the machine's current revision)."""

    logical_id: str
    machine_arn: str
    revision_id: str | None
    description: str | None

    def plan(self, api: Api) -> Planned:
        latest = self._latest(api)
        wanted = self.revision_id or self._current_revision(api)
        if latest is not None and wanted != AFTER_DEPLOY and latest["revisionId"] == wanted:
            arn = str(latest["stateMachineArn"])
            return unchanged(Change(self.logical_id, VERSION_TYPE, _label(arn), "unchanged"), {"Ref": arn, "Arn": arn})
        number = int(str(latest["stateMachineArn"]).rsplit(":", 1)[1]) + 1 if latest else 1
        predicted = f"{self.machine_arn}:{number}"
        change = Change(self.logical_id, VERSION_TYPE, _label(predicted), "create",
                        (f"publishes revision {wanted}",) if wanted != AFTER_DEPLOY else ())
        return Planned(change, {"Ref": predicted, "Arn": predicted}, lambda: self._publish(api))

    def _latest(self, api: Api) -> dict[str, Any] | None:
        listed = api.find("stepfunctions", "list_state_machine_versions", MISSING_MACHINE,
                          stateMachineArn=self.machine_arn, maxResults=1)
        versions = (listed or {}).get("stateMachineVersions", [])
        if not versions:
            return None
        return api.call("stepfunctions", "describe_state_machine",
                        stateMachineArn=versions[0]["stateMachineVersionArn"], includedData="METADATA_ONLY")

    def _current_revision(self, api: Api) -> str:
        current = api.find("stepfunctions", "describe_state_machine", MISSING_MACHINE,
                           stateMachineArn=self.machine_arn, includedData="METADATA_ONLY")
        return AFTER_DEPLOY if current is None else str(current["revisionId"])

    def _publish(self, api: Api) -> dict[str, Any]:
        params: dict[str, Any] = {"stateMachineArn": self.machine_arn}
        if self.revision_id and self.revision_id != AFTER_DEPLOY:
            params["revisionId"] = self.revision_id
        if self.description:
            params["description"] = self.description
        arn = str(api.call("stepfunctions", "publish_state_machine_version", **params)["stateMachineVersionArn"])
        return {"Ref": arn, "Arn": arn}


@dataclass(frozen=True)
class Alias:
    """An alias ``name`` of the machine its versions belong to, routing by ``routing`` (version ARN, weight)."""

    logical_id: str
    name: str
    description: str | None
    routing: tuple[tuple[str, int], ...]

    @property
    def arn(self) -> str:
        return f"{self.routing[0][0].rsplit(':', 1)[0]}:{self.name}"

    def plan(self, api: Api) -> Planned:
        attributes = {"Ref": self.arn, "Arn": self.arn}
        label = _label(self.arn)
        current = api.find("stepfunctions", "describe_state_machine_alias",
                           ("ResourceNotFound", "StateMachineDoesNotExist"), stateMachineAliasArn=self.arn)
        if current is None:
            return Planned(Change(self.logical_id, ALIAS_TYPE, label, "create"), attributes, lambda: self._create(api))
        wanted = self._fields()
        details = field_changes(wanted, {"description": None, **current})
        if not details:
            return unchanged(Change(self.logical_id, ALIAS_TYPE, label, "unchanged"), attributes)

        def update() -> dict[str, Any]:
            api.call("stepfunctions", "update_state_machine_alias", stateMachineAliasArn=self.arn,
                     **{k: v for k, v in wanted.items() if v is not None})
            return attributes

        return Planned(Change(self.logical_id, ALIAS_TYPE, label, "update", details), attributes, update)

    def _fields(self) -> dict[str, Any]:
        return {"routingConfiguration": [{"stateMachineVersionArn": arn, "weight": weight}
                                         for arn, weight in self.routing], "description": self.description}

    def _create(self, api: Api) -> dict[str, Any]:
        fields = {k: v for k, v in self._fields().items() if v is not None}
        arn = str(api.call("stepfunctions", "create_state_machine_alias", name=self.name, **fields)
                  ["stateMachineAliasArn"])
        return {"Ref": arn, "Arn": arn}


def version_from_cfn(logical_id: str, props: dict[str, Any]) -> Version:
    where = f"Resources/{logical_id}/Properties"
    check_known(props, VERSION_PROPERTIES, where)
    if props.get("StateMachineArn") is None:
        raise DeployError("StateMachineArn is required", where)
    return Version(logical_id, string(props["StateMachineArn"], f"{where}/StateMachineArn"),
                   optional_string(props, "StateMachineRevisionId", where), optional_string(props, "Description", where))


def alias_from_cfn(logical_id: str, props: dict[str, Any]) -> Alias:
    where = f"Resources/{logical_id}/Properties"
    check_known(props, ALIAS_PROPERTIES, where)
    if ("RoutingConfiguration" in props) == ("DeploymentPreference" in props):
        raise DeployError("give exactly one of RoutingConfiguration, DeploymentPreference", where)
    if "RoutingConfiguration" in props:
        routing = _routing(props["RoutingConfiguration"], f"{where}/RoutingConfiguration")
    else:
        routing = _preference(mapping(props["DeploymentPreference"], f"{where}/DeploymentPreference"),
                              f"{where}/DeploymentPreference")
    name = optional_string(props, "Name", where) or logical_id
    return Alias(logical_id, name, optional_string(props, "Description", where), routing)


def auto_publish_alias(machine_id: str, props: dict[str, Any]) -> str | None:
    """A SAM machine's ``AutoPublishAlias`` (DeploymentPreference and UseAliasAsEventTarget need one)."""
    where = f"Resources/{machine_id}/Properties"
    name = optional_string(props, "AutoPublishAlias", where)
    for key in ("DeploymentPreference", "UseAliasAsEventTarget"):
        if name is None and props.get(key) is not None:
            raise DeployError(f"{key} requires AutoPublishAlias", f"{where}/{key}")
    return name


def sam_version(machine_id: str, machine_arn: str) -> Version:
    """The version SAM publishes for AutoPublishAlias (logical id ``<machine>Version``)."""
    return Version(f"{machine_id}Version", machine_arn, None, None)


def sam_alias(machine_id: str, name: str, version_arn: str, props: dict[str, Any]) -> Alias:
    """The alias SAM makes for AutoPublishAlias (``<machine>Alias<name>``): its DeploymentPreference,
    ``ALL_AT_ONCE`` by default, to the published version."""
    where = f"Resources/{machine_id}/Properties/DeploymentPreference"
    preference = mapping(props.get("DeploymentPreference") or {"Type": "ALL_AT_ONCE"}, where)
    return Alias(f"{machine_id}Alias{name}", name, None,
                 _preference({**preference, "StateMachineVersionArn": version_arn}, where))


def _label(arn: str) -> str:
    """``machine:qualifier``, how the change set names a version or an alias."""
    return ":".join(arn.split(":")[-2:])


def _routing(value: Any, where: str) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= 2:
        raise DeployError("RoutingConfiguration lists one or two {StateMachineVersionArn, Weight}", where)
    routes = []
    for index, route in enumerate(value):
        route = mapping(route, f"{where}/{index}")
        weight = string(route.get("Weight"), f"{where}/{index}/Weight")
        if not weight.isdigit():
            raise DeployError("a Weight is a whole number from 0 to 100", f"{where}/{index}/Weight")
        routes.append((string(route.get("StateMachineVersionArn"), f"{where}/{index}/StateMachineVersionArn"),
                       int(weight)))
    return tuple(routes)


def _preference(value: dict[str, Any], where: str) -> tuple[tuple[str, int], ...]:
    kind = string(value.get("Type"), f"{where}/Type")
    if kind != "ALL_AT_ONCE":
        raise DeployError(f"DeploymentPreference Type {kind} shifts traffic over time under CloudWatch alarms, "
                          "which stepforge deploy does not do: use ALL_AT_ONCE or RoutingConfiguration", f"{where}/Type")
    return ((string(value.get("StateMachineVersionArn"), f"{where}/StateMachineVersionArn"), 100),)
