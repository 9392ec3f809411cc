"""Reading a CloudFormation or SAM template: JSON or YAML with CloudFormation's short forms.

``!Ref x`` reads as ``{"Ref": "x"}``, ``!Condition c`` as ``{"Condition": "c"}``, ``!GetAtt a.b``
as ``{"Fn::GetAtt": ["a", "b"]}`` and every other ``!Name v`` as ``{"Fn::Name": v}``, as
CloudFormation itself reads them; plain scalars by YAML 1.2 as AWS's tools read them
(:mod:`stepforge.asl.validation.yaml12`: ``AWSTemplateFormatVersion: 2010-09-09`` stays a string).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from stepforge.asl.validation.yaml12 import Yaml12Loader
from stepforge.deploy.errors import DeployError

SERVERLESS_TRANSFORM = "AWS::Serverless-2016-10-31"
SECTIONS = frozenset({"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings",
                      "Conditions", "Transform", "Resources", "Outputs", "Globals"})
#: CloudFormation sections stepforge deploy does not evaluate, refused rather than skipped.
UNSUPPORTED_SECTIONS = {"Rules": "parameter assertions are not checked", "Hooks": "hooks need AWS"}
RESOURCE_KEYS = frozenset({"Type", "Properties", "Condition", "DependsOn", "DeletionPolicy",
                           "UpdateReplacePolicy", "Metadata", "UpdatePolicy", "CreationPolicy"})


class _Loader(Yaml12Loader):
    """YAML as CloudFormation reads it: YAML 1.2's plain scalars, and the short-form tags."""


def _short_form(loader: _Loader, suffix: str, node: Any) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _short_form)


@dataclass(frozen=True)
class Template:
    """A template's sections, as read (intrinsic functions not yet resolved)."""

    path: Path
    resources: dict[str, dict[str, Any]]
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    globals: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """Where relative paths in the template (DefinitionUri, DefinitionS3Location) start."""
        return self.path.parent


def load(path: Path) -> Template:
    """Read and check the shape of the template at ``path`` (DeployError if unreadable or malformed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeployError(f"cannot read the template: {exc}") from None
    return parse(text, path)


def parse(text: str, path: Path) -> Template:
    """The template in ``text`` (JSON or YAML); ``path`` locates the files it names."""
    body = read_document(text, str(path))
    if not isinstance(body, dict):
        raise DeployError("a template is a mapping of sections (Resources, Parameters, ...)")
    for section, reason in UNSUPPORTED_SECTIONS.items():
        if section in body:
            raise DeployError(f"the {section} section is not supported by stepforge deploy ({reason})", section)
    unknown = sorted(set(body) - SECTIONS)
    if unknown:
        raise DeployError(f"unknown top-level section {unknown[0]!r}", unknown[0])
    _check_transform(body.get("Transform"))
    resources = _mapping(body, "Resources")
    if not resources:
        raise DeployError("a template needs at least one resource", "Resources")
    for logical_id, resource in resources.items():
        _check_resource(logical_id, resource)
    return Template(path=path, resources=resources, parameters=_mapping(body, "Parameters"),
                    mappings=_mapping(body, "Mappings"), conditions=_mapping(body, "Conditions"),
                    outputs=_mapping(body, "Outputs"), globals=_mapping(body, "Globals"))


def read_document(text: str, where: str) -> Any:
    """JSON or YAML text (with CloudFormation's short forms) as Python values."""
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML flow style, or broken JSON: YAML's error says where
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise DeployError(f"{where} is not valid YAML or JSON: {exc}") from None


def _mapping(body: dict[str, Any], section: str) -> dict[str, Any]:
    value = body.get(section) or {}
    if not isinstance(value, dict):
        raise DeployError("must be a mapping", section)
    return value


def _check_transform(transform: Any) -> None:
    names = transform if isinstance(transform, list) else [] if transform is None else [transform]
    for name in names:
        if name != SERVERLESS_TRANSFORM:
            raise DeployError(f"transform {name!r} is not supported (only {SERVERLESS_TRANSFORM})", "Transform")


def _check_resource(logical_id: str, resource: Any) -> None:
    where = f"Resources/{logical_id}"
    if not isinstance(resource, dict):
        raise DeployError("a resource is a mapping with a Type", where)
    if not isinstance(resource.get("Type"), str):
        raise DeployError("a resource needs a Type (a string)", f"{where}/Type")
    unknown = sorted(set(resource) - RESOURCE_KEYS)
    if unknown:
        raise DeployError(f"unknown resource attribute {unknown[0]!r}", f"{where}/{unknown[0]}")
    if not isinstance(resource.get("Properties", {}), dict):
        raise DeployError("must be a mapping", f"{where}/Properties")
