"""Reading a state machine definition from a file: ASL JSON or YAML, or a CloudFormation/SAM template.

    load_definition("machine.asl.json")
    load_definition("template.yaml", resource="OrderFlow")   # the resource's logical id

A deliberately small template reader: the resource's ``Definition`` (an object),
``DefinitionString`` (text, ``Fn::Sub`` or ``Fn::Join``) or ``DefinitionUri`` (a local file), with
``DefinitionSubstitutions``; a ``Ref``/``Fn::GetAtt`` to a function, state machine or activity of the
same template becomes that resource's ARN in the test account (``000000000000``, ``us-east-1``).
Full template support (every intrinsic, parameters, conditions) lives in ``stepforge deploy``.
"""

from __future__ import annotations

import json
import marshal
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from stepforge.asl.validation.yaml12 import Yaml12Loader

MACHINE_TYPES = ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")
REGION, ACCOUNT = "us-east-1", "000000000000"


class DefinitionFileError(ValueError):
    """A file that holds no usable definition; the message names the file and what is wrong."""


class _TemplateLoader(Yaml12Loader):
    """YAML 1.2 with CloudFormation's short intrinsic tags (``!Ref X``, ``!GetAtt X.Arn``, ``!Sub ...``)."""


def _tag(loader: _TemplateLoader, suffix: str, node: Any) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _tag)


def read_document(path: Path) -> Any:
    """The JSON or YAML document of a file (YAML for .yaml/.yml, with CloudFormation's tags)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionFileError(f"{path}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            return yaml.load(text, Loader=_TemplateLoader)
        return json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise DefinitionFileError(f"{path}: not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {exc}") from None


def definition_text(definition: dict[str, Any]) -> str:
    """A definition's JSON text (``json.dumps``), made once per distinct definition: each test loads the
    same ones again, and a 50-state definition takes longer to encode than to run.

    Definitions are told apart by their ``marshal`` form, which keeps every type and value (``1``,
    ``1.0`` and ``True`` differ) and costs a tenth of the encoding; one that marshal cannot hold (a
    dict subclass, say) is encoded every time."""
    try:
        packed = marshal.dumps(definition)
    except ValueError:
        return json.dumps(definition)
    return _text_of(packed)


@lru_cache(maxsize=256)
def _text_of(packed: bytes) -> str:
    return json.dumps(marshal.loads(packed))


def load_definition(source: str | Path | Mapping[str, Any], *, resource: str | None = None) -> dict[str, Any]:
    """A definition (a dict with ``States``) from a file or a parsed document; for a template, the
    state machine ``resource`` names (optional when the template has only one)."""
    base: Path | None = None  # a template's files are relative to it (a dict's: to the working directory)
    if isinstance(source, Mapping):
        document: Any = dict(source)
        where = "the definition"
    else:
        path = Path(source)
        document, where, base = read_document(path), str(path), path.parent
    if not isinstance(document, dict):
        raise DefinitionFileError(f"{where}: expected a JSON object, found {type(document).__name__}")
    if "Resources" in document:
        return _from_template(document, resource, where, base or Path.cwd())
    if "States" not in document:
        raise DefinitionFileError(f"{where}: neither a definition (no 'States') nor a template (no 'Resources')")
    return document


def machine_ids(template: Mapping[str, Any]) -> list[str]:
    """The logical ids of a template's state machines, in the template's order."""
    resources = template.get("Resources") or {}
    return [k for k, v in resources.items() if isinstance(v, dict) and v.get("Type") in MACHINE_TYPES]


def _from_template(template: dict[str, Any], logical_id: str | None, where: str, base: Path) -> dict[str, Any]:
    ids = machine_ids(template)
    if logical_id is None:
        if len(ids) != 1:
            raise DefinitionFileError(f"{where}: name the state machine resource: one of {ids}")
        logical_id = ids[0]
    if logical_id not in ids:
        raise DefinitionFileError(f"{where}: no state machine resource {logical_id!r} (found {ids})")
    properties = template["Resources"][logical_id].get("Properties") or {}
    arns = _arns(template)
    substitutions = {k: _resolve(v, arns) for k, v in (properties.get("DefinitionSubstitutions") or {}).items()}
    raw = _raw_definition(properties, where, logical_id, base)
    definition = _substitute(_resolve(raw, arns) if not isinstance(raw, str) else raw, substitutions)
    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except ValueError as exc:
            raise DefinitionFileError(f"{where}: {logical_id}: DefinitionString is not JSON: {exc}") from None
    if not isinstance(definition, dict) or "States" not in definition:
        raise DefinitionFileError(f"{where}: {logical_id}: the definition has no 'States'")
    return definition


def _raw_definition(properties: Mapping[str, Any], where: str, logical_id: str, base: Path) -> Any:
    if "Definition" in properties:
        return properties["Definition"]
    if "DefinitionString" in properties:
        return _text(properties["DefinitionString"], where, logical_id)
    uri = properties.get("DefinitionUri")
    if isinstance(uri, str):
        document = read_document(base / uri)
        return json.dumps(document)
    raise DefinitionFileError(f"{where}: {logical_id}: no Definition, DefinitionString or local DefinitionUri")


def _text(value: Any, where: str, logical_id: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return str(sub[0] if isinstance(sub, list) else sub)
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(p if isinstance(p, str) else json.dumps(p) for p in parts)
    raise DefinitionFileError(f"{where}: {logical_id}: DefinitionString must be text, Fn::Sub or Fn::Join")


def _arns(template: Mapping[str, Any]) -> dict[str, str]:
    """The ARN each function, state machine and activity of the template gets in the test account."""
    found = {}
    for logical_id, spec in (template.get("Resources") or {}).items():
        kind = spec.get("Type") if isinstance(spec, dict) else None
        properties = (spec.get("Properties") or {}) if isinstance(spec, dict) else {}
        if kind in ("AWS::Lambda::Function", "AWS::Serverless::Function"):
            name = properties.get("FunctionName", logical_id)
            found[logical_id] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        elif kind in MACHINE_TYPES:
            name = properties.get("StateMachineName", logical_id)
            found[logical_id] = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
        elif kind == "AWS::StepFunctions::Activity":
            found[logical_id] = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{properties.get('Name', logical_id)}"
    return found


def _resolve(value: Any, arns: Mapping[str, str]) -> Any:
    """``Ref``/``Fn::GetAtt`` of the template's own resources as ARNs; other values unchanged."""
    if isinstance(value, list):
        return [_resolve(v, arns) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in arns:
        return arns[value["Ref"]]
    if set(value) == {"Fn::GetAtt"} and isinstance(value["Fn::GetAtt"], list) and value["Fn::GetAtt"][0] in arns:
        return arns[value["Fn::GetAtt"][0]]
    return {k: _resolve(v, arns) for k, v in value.items()}


_PLACEHOLDER = re.compile(r"\$\{([^}!][^}]*)\}")


def _substitute(value: Any, substitutions: Mapping[str, Any]) -> Any:
    """``${Name}`` placeholders replaced in every string (unknown ones stay as they are)."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: str(substitutions.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [_substitute(v, substitutions) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, substitutions) for k, v in value.items()}
    return value
