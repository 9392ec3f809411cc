"""Activities: ``AWS::StepFunctions::Activity``, found by Name; only their tags can change in place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stepforge.deploy.changes import (
    Change,
    Planned,
    current_tags,
    shaped_tags,
    tag_changes,
    tag_writes,
    unchanged,
)
from stepforge.deploy.clients import Api
from stepforge.deploy.properties import camel, cfn_tags, check_known, mapping, string
from stepforge.deploy.stack import Stack

TYPE = "AWS::StepFunctions::Activity"
PROPERTIES = frozenset({"Name", "Tags", "EncryptionConfiguration"})


@dataclass(frozen=True)
class Activity:
    """An activity as the template wants it."""

    logical_id: str
    name: str
    arn: str
    tags: dict[str, str] = field(default_factory=dict)
    encryption: dict[str, Any] | None = None

    def plan(self, api: Api) -> Planned:
        attributes = {"Ref": self.arn, "Arn": self.arn, "Name": self.name}
        current = api.find("stepfunctions", "describe_activity", ("ActivityDoesNotExist",), activityArn=self.arn)
        if current is None:
            return Planned(Change(self.logical_id, TYPE, self.name, "create"), attributes, lambda: self._create(api))
        tags = current_tags(api, self.arn)
        details = tag_changes(self.tags, tags)
        if not details:
            return unchanged(Change(self.logical_id, TYPE, self.name, "unchanged"), attributes)

        def update() -> dict[str, Any]:
            tag_writes(api, self.arn, self.tags, tags)
            return attributes

        return Planned(Change(self.logical_id, TYPE, self.name, "update", details), attributes, update)

    def _create(self, api: Api) -> dict[str, Any]:
        params: dict[str, Any] = {"name": self.name}
        if self.tags:
            params["tags"] = shaped_tags(self.tags)
        if self.encryption is not None:
            params["encryptionConfiguration"] = self.encryption
        arn = str(api.call("stepfunctions", "create_activity", **params)["activityArn"])
        return {"Ref": arn, "Arn": arn, "Name": self.name}


def from_cfn(logical_id: str, props: dict[str, Any], stack: Stack) -> Activity:
    """The activity an ``AWS::StepFunctions::Activity``'s resolved properties describe."""
    where = f"Resources/{logical_id}/Properties"
    check_known(props, PROPERTIES, where)
    name = stack.physical_name(logical_id) if props.get("Name") is None else string(props["Name"], f"{where}/Name")
    encryption = props.get("EncryptionConfiguration")
    return Activity(logical_id, name, stack.states_arn("activity", name), cfn_tags(props.get("Tags"), f"{where}/Tags"),
                    None if encryption is None else camel(mapping(encryption, f"{where}/EncryptionConfiguration")))
