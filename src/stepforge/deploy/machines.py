"""State machines: ``AWS::StepFunctions::StateMachine`` and ``AWS::Serverless::StateMachine``.

A machine is found by its physical name (``StateMachineName``/``Name``, else
:meth:`Stack.physical_name`); it is created when absent and updated field by field
(definition, role, logging, tracing, encryption, tags) when it differs. Its type cannot change in
place (AWS replaces the machine): that is an error, not a silent delete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepforge.deploy.changes import (
    AFTER_DEPLOY,
    Change,
    Planned,
    current_tags,
    definition_diff,
    field_changes,
    shaped_tags,
    tag_changes,
    tag_writes,
    unchanged,
)
from stepforge.deploy.clients import Api
from stepforge.deploy.errors import DeployError
from stepforge.deploy.properties import camel, cfn_tags, check_known, sam_tags, string
from stepforge.deploy.stack import Stack
from stepforge.deploy.template import read_document
from stepforge.service.configs import DEFAULT_ENCRYPTION, DEFAULT_LOGGING, DEFAULT_TRACING

CFN_TYPE = "AWS::StepFunctions::StateMachine"
SAM_TYPE = "AWS::Serverless::StateMachine"
CFN_PROPERTIES = frozenset({"StateMachineName", "Definition", "DefinitionString", "DefinitionS3Location",
                            "DefinitionSubstitutions", "RoleArn", "StateMachineType", "LoggingConfiguration",
                            "TracingConfiguration", "EncryptionConfiguration", "Tags"})
SAM_PROPERTIES = frozenset({"Name", "Definition", "DefinitionUri", "DefinitionSubstitutions", "Role", "Type",
                            "Logging", "Tracing", "Tags", "Events", "Policies", "PermissionsBoundary", "RolePath",
                            "AutoPublishAlias", "DeploymentPreference", "UseAliasAsEventTarget"})
#: SAM properties about IAM, which stepforge does not enforce: accepted, and said to be ignored.
SAM_IGNORED = ("Policies", "PermissionsBoundary", "RolePath")
MACHINE_TYPES = ("STANDARD", "EXPRESS")


@dataclass(frozen=True)
class Machine:
    """A state machine as the template wants it (definition text after DefinitionSubstitutions)."""

    logical_id: str
    type: str
    name: str
    arn: str
    definition: str
    role_arn: str
    machine_type: str = "STANDARD"
    logging: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_LOGGING))
    tracing: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_TRACING))
    encryption: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def plan(self, api: Api) -> Planned:
        current = api.find("stepfunctions", "describe_state_machine", ("StateMachineDoesNotExist",),
                           stateMachineArn=self.arn)
        return self._plan_create(api) if current is None else self._plan_update(api, current)

    def _plan_create(self, api: Api) -> Planned:
        self._validate(api)
        change = Change(self.logical_id, self.type, self.name, "create", self.notes,
                        definition_diff(None, self.definition, self.name))
        return Planned(change, self._attributes(self.arn, AFTER_DEPLOY), lambda: self._create(api))

    def _plan_update(self, api: Api, current: dict[str, Any]) -> Planned:
        self._check_replaceable(current)
        tags = current_tags(api, self.arn)
        writes = self._writes(current)
        redefined = "definition" in writes
        if redefined:
            self._validate(api)
        configs = {k: v for k, v in writes.items() if k != "definition"}
        details = (*(("definition",) if redefined else ()), *field_changes(configs, current),
                   *tag_changes(self.tags, tags))
        attributes = self._attributes(self.arn, current["revisionId"])
        if not details:
            return unchanged(Change(self.logical_id, self.type, self.name, "unchanged", self.notes), attributes)
        diff = definition_diff(current["definition"], self.definition, self.name) if redefined else ""
        change = Change(self.logical_id, self.type, self.name, "update", (*self.notes, *details), diff)
        pending = {**attributes, "StateMachineRevisionId": AFTER_DEPLOY} if writes else attributes
        return Planned(change, pending, lambda: self._update(api, writes, tags))

    def _validate(self, api: Api) -> None:
        """DeployError listing the definition's errors, found by the server before anything is written."""
        report = api.call("stepfunctions", "validate_state_machine_definition", definition=self.definition,
                          type=self.machine_type)
        if report["result"] == "OK":
            return
        errors = [f"{d['code']} at {d.get('location') or '/'}: {d['message']}" for d in report["diagnostics"]
                  if d["severity"] == "ERROR"]
        raise DeployError(f"the definition of {self.name} is not valid:\n  " + "\n  ".join(errors),
                          f"Resources/{self.logical_id}/Properties")

    def _writes(self, current: dict[str, Any]) -> dict[str, Any]:
        wanted: dict[str, Any] = {"roleArn": self.role_arn, "loggingConfiguration": self.logging,
                                  "tracingConfiguration": self.tracing}
        if self.encryption is not None:
            wanted["encryptionConfiguration"] = self.encryption
        writes = {k: v for k, v in wanted.items() if v != current.get(k)}
        if json.loads(current["definition"]) != json.loads(self.definition):
            writes["definition"] = self.definition
        return writes

    def _check_replaceable(self, current: dict[str, Any]) -> None:
        if current.get("status") == "DELETING":
            raise DeployError(f"state machine {self.name} is being deleted: deploy again once it is gone",
                              f"Resources/{self.logical_id}")
        if current["type"] != self.machine_type:
            raise DeployError(f"state machine {self.name} is {current['type']}: its type cannot change to "
                              f"{self.machine_type} in place (AWS replaces the machine). Delete it, or give the "
                              "resource another name", f"Resources/{self.logical_id}")

    def _create(self, api: Api) -> dict[str, Any]:
        params: dict[str, Any] = {"name": self.name, "definition": self.definition, "roleArn": self.role_arn,
                                  "type": self.machine_type, "loggingConfiguration": self.logging,
                                  "tracingConfiguration": self.tracing}
        if self.encryption is not None:
            params["encryptionConfiguration"] = self.encryption
        if self.tags:
            params["tags"] = shaped_tags(self.tags)
        arn = api.call("stepfunctions", "create_state_machine", **params)["stateMachineArn"]
        return self._attributes(arn, self._revision(api, arn))

    def _update(self, api: Api, writes: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
        if writes:
            api.call("stepfunctions", "update_state_machine", stateMachineArn=self.arn, **writes)
        tag_writes(api, self.arn, self.tags, tags)
        return self._attributes(self.arn, self._revision(api, self.arn))

    @staticmethod
    def _revision(api: Api, arn: str) -> str:
        described = api.call("stepfunctions", "describe_state_machine", stateMachineArn=arn,
                             includedData="METADATA_ONLY")
        return str(described["revisionId"])

    def _attributes(self, arn: str, revision: str) -> dict[str, Any]:
        return {"Ref": arn, "Arn": arn, "Name": arn.rsplit(":", 1)[1], "StateMachineRevisionId": revision}


def from_cfn(logical_id: str, props: dict[str, Any], stack: Stack, folder: Path) -> Machine:
    """The machine an ``AWS::StepFunctions::StateMachine``'s resolved properties describe."""
    where = f"Resources/{logical_id}/Properties"
    check_known(props, CFN_PROPERTIES, where)
    sources = [k for k in ("Definition", "DefinitionString", "DefinitionS3Location") if k in props]
    if len(sources) != 1:
        raise DeployError("give exactly one of Definition, DefinitionString, DefinitionS3Location", where)
    source = sources[0]
    if source == "Definition":
        text = _definition_text(props["Definition"], f"{where}/Definition")
    elif source == "DefinitionString":
        text = string(props["DefinitionString"], f"{where}/DefinitionString")
    else:
        text = _read_file(props["DefinitionS3Location"], folder, f"{where}/DefinitionS3Location")
    name = _name(props.get("StateMachineName"), logical_id, stack, f"{where}/StateMachineName")
    return Machine(
        logical_id=logical_id, type=CFN_TYPE, name=name, arn=stack.states_arn("stateMachine", name),
        definition=_substituted(text, props.get("DefinitionSubstitutions"), where),
        role_arn=_role(props.get("RoleArn"), name, stack, f"{where}/RoleArn"),
        machine_type=_machine_type(props.get("StateMachineType"), f"{where}/StateMachineType"),
        logging=_config(DEFAULT_LOGGING, props.get("LoggingConfiguration"), f"{where}/LoggingConfiguration"),
        tracing=_config(DEFAULT_TRACING, props.get("TracingConfiguration"), f"{where}/TracingConfiguration"),
        encryption=_encryption(props.get("EncryptionConfiguration"), f"{where}/EncryptionConfiguration"),
        tags=cfn_tags(props.get("Tags"), f"{where}/Tags"),
    )


def from_sam(logical_id: str, props: dict[str, Any], stack: Stack, folder: Path) -> Machine:
    """The machine an ``AWS::Serverless::StateMachine``'s resolved properties describe (its Events aside)."""
    where = f"Resources/{logical_id}/Properties"
    check_known(props, SAM_PROPERTIES, where)
    sources = [k for k in ("Definition", "DefinitionUri") if k in props]
    if len(sources) != 1:
        raise DeployError("give exactly one of Definition, DefinitionUri", where)
    if sources[0] == "Definition":
        text = _definition_text(props["Definition"], f"{where}/Definition")
    else:
        text = _read_file(props["DefinitionUri"], folder, f"{where}/DefinitionUri")
    name = _name(props.get("Name"), logical_id, stack, f"{where}/Name")
    notes = tuple(f"{key} ignored (stepforge does not enforce IAM)" for key in SAM_IGNORED if key in props)
    return Machine(
        logical_id=logical_id, type=SAM_TYPE, name=name, arn=stack.states_arn("stateMachine", name),
        definition=_substituted(text, props.get("DefinitionSubstitutions"), where),
        role_arn=_role(props.get("Role"), name, stack, f"{where}/Role"),
        machine_type=_machine_type(props.get("Type"), f"{where}/Type"),
        logging=_config(DEFAULT_LOGGING, props.get("Logging"), f"{where}/Logging"),
        tracing=_config(DEFAULT_TRACING, props.get("Tracing"), f"{where}/Tracing"),
        tags=sam_tags(props.get("Tags"), f"{where}/Tags"), notes=notes,
    )


def _name(value: Any, logical_id: str, stack: Stack, where: str) -> str:
    return stack.physical_name(logical_id) if value is None else string(value, where)


def _role(value: Any, name: str, stack: Stack, where: str) -> str:
    return stack.role_arn(f"{name}-role") if value is None else string(value, where)


def _machine_type(value: Any, where: str) -> str:
    kind = "STANDARD" if value is None else string(value, where)
    if kind not in MACHINE_TYPES:
        raise DeployError(f"{kind!r} is not a state machine type ({' or '.join(MACHINE_TYPES)})", where)
    return kind


def _config(default: dict[str, Any], value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return dict(default)
    if not isinstance(value, dict):
        raise DeployError("must be a mapping", where)
    return {**default, **camel(value)}


def _encryption(value: Any, where: str) -> dict[str, Any] | None:
    return None if value is None else _config(DEFAULT_ENCRYPTION, value, where)


def _definition_text(value: Any, where: str) -> str:
    if not isinstance(value, dict):
        raise DeployError("a Definition is a mapping (the state machine as YAML or JSON)", where)
    return json.dumps(value, indent=2)


def _read_file(value: Any, folder: Path, where: str) -> str:
    if not isinstance(value, str):
        raise DeployError("stepforge deploy reads the definition from a local file: give its path (as before "
                          "`aws cloudformation package`), not an S3 object", where)
    path = folder / value
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeployError(f"cannot read the definition file {path}: {exc}", where) from None
    return json.dumps(read_document(text, str(path)), indent=2)


def _substituted(text: str, substitutions: Any, where: str) -> str:
    """``${key}`` replaced by each DefinitionSubstitutions value; the result must still be JSON."""
    if substitutions is None:
        result = text
    else:
        if not isinstance(substitutions, dict):
            raise DeployError("must be a mapping", f"{where}/DefinitionSubstitutions")
        result = text
        for key, value in substitutions.items():
            result = result.replace("${" + key + "}", _substitution(value, f"{where}/DefinitionSubstitutions/{key}"))
    try:
        json.loads(result)
    except ValueError as exc:
        raise DeployError(f"the definition is not valid JSON once substituted: {exc}", where) from None
    return result


def _substitution(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise DeployError("a substitution value is a string, number or boolean", where)
