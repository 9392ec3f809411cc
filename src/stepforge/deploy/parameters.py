"""A template's parameter values: ``--parameter-overrides`` over ``Default``, checked as CloudFormation does.

A value is a string, or a list of strings for the list types (``CommaDelimitedList``,
``List<Number>``, ``List<...>``). Values that CloudFormation would look up elsewhere (SSM
parameter types) cannot be resolved here and are refused by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from stepforge.deploy.errors import DeployError

Value = str | list[str]


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``["Key=Value", ...]`` (as ``aws cloudformation deploy --parameter-overrides``) as a dict; a
    ``file://params.json`` item reads a JSON file of such strings, a ``{"Key": "Value"}`` object, or
    CloudFormation's ``[{"ParameterKey": ..., "ParameterValue": ...}]``."""
    found: dict[str, str] = {}
    for pair in pairs:
        if pair.startswith("file://"):
            found.update(parse_overrides(_file_pairs(pair[len("file://"):])))
            continue
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DeployError(f"--parameter-overrides takes Key=Value pairs, not {pair!r}")
        found[key] = value
    return found


def _file_pairs(path: str) -> list[str]:
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DeployError(f"cannot read parameter overrides from {path}: {exc}") from None
    if isinstance(value, dict):
        return [f"{k}={v}" for k, v in value.items()]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    if isinstance(value, list) and all(isinstance(item, dict) and "ParameterKey" in item for item in value):
        return [f"{item['ParameterKey']}={item.get('ParameterValue', '')}" for item in value]
    raise DeployError(f"{path}: parameter overrides are a JSON object, a list of \"Key=Value\" strings, or a "
                      "list of {ParameterKey, ParameterValue}")


def resolve(declared: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Value]:
    """Each declared parameter's value (the override, else its Default), checked against its constraints."""
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise DeployError(f"Parameters: {unknown} do not exist in the template")
    values: dict[str, Value] = {}
    missing = []
    for name, spec in declared.items():
        where = f"Parameters/{name}"
        if not isinstance(spec, dict) or not isinstance(spec.get("Type"), str):
            raise DeployError("a parameter is a mapping with a Type", where)
        text = overrides.get(name, _default(spec, where))
        if text is None:
            missing.append(name)
            continue
        values[name] = _checked(spec, text, where)
    if missing:
        raise DeployError(f"Parameters: {missing} must have values (no Default in the template, "
                          "none in --parameter-overrides)")
    return values


def _default(spec: dict[str, Any], where: str) -> str | None:
    default = spec.get("Default")
    if default is None:
        return None
    if isinstance(default, list):
        return ",".join(str(item) for item in default)
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, str | int | float):
        return str(default)
    raise DeployError("a Default is a string, number or list", f"{where}/Default")


def _checked(spec: dict[str, Any], text: str, where: str) -> Value:
    kind = str(spec["Type"])
    if kind.startswith("AWS::SSM::Parameter"):
        raise DeployError(f"type {kind} reads AWS Systems Manager, which stepforge deploy cannot resolve", where)
    if kind == "CommaDelimitedList" or kind.startswith("List<"):
        items = [item.strip() for item in text.split(",")] if text else []
        for item in items:
            _check_one(spec, item, "Number" if kind == "List<Number>" else "String", where)
        return items
    _check_one(spec, text, kind, where)
    return text


def _check_one(spec: dict[str, Any], text: str, kind: str, where: str) -> None:
    allowed = spec.get("AllowedValues")
    if allowed is not None and text not in [str(v) for v in allowed]:
        raise DeployError(f"value {text!r} is not one of the AllowedValues {[str(v) for v in allowed]}", where)
    if kind == "Number":
        _check_number(spec, text, where)
        return
    pattern = spec.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(str(pattern), text):
        raise DeployError(spec.get("ConstraintDescription") or f"value {text!r} does not match the "
                          f"AllowedPattern {pattern!r}", where)
    if "MinLength" in spec and len(text) < int(spec["MinLength"]):
        raise DeployError(f"value {text!r} is shorter than MinLength {spec['MinLength']}", where)
    if "MaxLength" in spec and len(text) > int(spec["MaxLength"]):
        raise DeployError(f"value {text!r} is longer than MaxLength {spec['MaxLength']}", where)


def _check_number(spec: dict[str, Any], text: str, where: str) -> None:
    try:
        number = float(text)
    except ValueError:
        raise DeployError(f"value {text!r} is not a Number", where) from None
    if "MinValue" in spec and number < float(spec["MinValue"]):
        raise DeployError(f"value {text} is less than MinValue {spec['MinValue']}", where)
    if "MaxValue" in spec and number > float(spec["MaxValue"]):
        raise DeployError(f"value {text} is greater than MaxValue {spec['MaxValue']}", where)


def secrets(declared: Mapping[str, Any], values: Mapping[str, Value]) -> list[str]:
    """The values of ``NoEcho`` parameters, which the change set and outputs show as ``****``."""
    found: list[str] = []
    for name, spec in declared.items():
        if isinstance(spec, dict) and str(spec.get("NoEcho", "")).lower() == "true" and name in values:
            value = values[name]
            found += [v for v in ([value] if isinstance(value, str) else value) if v]
    return sorted(found, key=len, reverse=True)
