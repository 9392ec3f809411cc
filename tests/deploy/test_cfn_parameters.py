"""Parameter values: overrides over defaults, CloudFormation's constraints, list types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stepforge.deploy.errors import DeployError
from stepforge.deploy.parameters import parse_overrides, resolve

DECLARED: dict[str, Any] = {
    "Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
    "Size": {"Type": "Number", "Default": 3, "MinValue": 1, "MaxValue": 10},
    "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
    "Owner": {"Type": "String", "AllowedPattern": "[a-z]+", "MaxLength": 8},
}


def test_overrides_win_over_defaults_and_lists_split() -> None:
    values = resolve(DECLARED, parse_overrides(["Stage=prod", "Owner=ana", "Zones=x,y,z"]))
    assert values == {"Stage": "prod", "Size": "3", "Zones": ["x", "y", "z"], "Owner": "ana"}


def test_a_parameter_without_default_or_override_is_named() -> None:
    with pytest.raises(DeployError, match=r"\['Owner'\] must have values"):
        resolve(DECLARED, {})


def test_an_override_of_no_parameter_is_named() -> None:
    with pytest.raises(DeployError, match=r"\['Nope'\] do not exist"):
        resolve(DECLARED, {"Owner": "a", "Nope": "1"})


@pytest.mark.parametrize(("override", "message"), [
    ("Stage=test", "not one of the AllowedValues"),
    ("Size=11", "greater than MaxValue"),
    ("Size=ten", "not a Number"),
    ("Owner=Ana", "does not match the AllowedPattern"),
    ("Owner=abcdefghij", "longer than MaxLength"),
])
def test_values_break_constraints_by_name(override: str, message: str) -> None:
    overrides = {"Owner": "ana", **parse_overrides([override])}
    with pytest.raises(DeployError, match=message) as caught:
        resolve(DECLARED, overrides)
    assert caught.value.path == f"Parameters/{override.split('=')[0]}"


def test_overrides_are_key_value_pairs() -> None:
    assert parse_overrides(["Url=http://x?a=b"]) == {"Url": "http://x?a=b"}
    with pytest.raises(DeployError, match="Key=Value"):
        parse_overrides(["Stage"])


def test_ssm_parameter_types_cannot_resolve_here() -> None:
    with pytest.raises(DeployError, match="Systems Manager"):
        resolve({"P": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/x"}}, {})


@pytest.mark.parametrize("content", [
    '{"Stage": "prod", "Owner": "ana"}',
    '["Stage=prod", "Owner=ana"]',
    '[{"ParameterKey": "Stage", "ParameterValue": "prod"}, {"ParameterKey": "Owner", "ParameterValue": "ana"}]',
])
def test_overrides_read_from_a_json_file(tmp_path: Path, content: str) -> None:
    (tmp_path / "params.json").write_text(content)
    overrides = parse_overrides([f"file://{tmp_path / 'params.json'}", "Size=4"])
    assert overrides == {"Stage": "prod", "Owner": "ana", "Size": "4"}


def test_an_unreadable_overrides_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="cannot read parameter overrides from"):
        parse_overrides([f"file://{tmp_path / 'missing.json'}"])
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(DeployError, match="a JSON object, a list of"):
        parse_overrides([f"file://{tmp_path / 'bad.json'}"])
