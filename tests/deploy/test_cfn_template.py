"""Reading templates: YAML short forms, YAML 1.2 scalars, JSON, and the shape checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepforge.deploy.errors import DeployError
from stepforge.deploy.template import parse

HERE = Path("template.yaml")


def test_short_forms_read_as_their_long_forms() -> None:
    template = parse("""
Resources:
  Flow:
    Type: AWS::StepFunctions::Activity
    Properties:
      Name: !Sub "${AWS::StackName}-x"
      A: !Ref Stage
      B: !GetAtt Other.Arn
      C: !GetAtt [Other, Name]
      D: !Join [",", [a, !Ref Stage]]
      E: !If [IsProd, !Select [0, !Split [",", "a,b"]], !Ref AWS::NoValue]
      F: !Equals [!Condition X, b]
""", HERE)
    props = template.resources["Flow"]["Properties"]
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}-x"}
    assert props["A"] == {"Ref": "Stage"}
    assert props["B"] == {"Fn::GetAtt": ["Other", "Arn"]}
    assert props["C"] == {"Fn::GetAtt": ["Other", "Name"]}
    assert props["D"] == {"Fn::Join": [",", ["a", {"Ref": "Stage"}]]}
    assert props["E"] == {"Fn::If": ["IsProd", {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
                                     {"Ref": "AWS::NoValue"}]}
    assert props["F"] == {"Fn::Equals": [{"Condition": "X"}, "b"]}


def test_scalars_read_as_aws_tools_read_them() -> None:
    template = parse("AWSTemplateFormatVersion: 2010-09-09\nResources:\n  A:\n    Type: T\n    Properties:\n"
                     "      On: yes\n      Time: 1:30\n", HERE)
    assert template.resources["A"]["Properties"] == {"On": "yes", "Time": "1:30"}


def test_json_templates_are_read_too() -> None:
    template = parse('{"Resources": {"A": {"Type": "AWS::StepFunctions::Activity", "Properties": {"Name": "a"}}}}',
                     HERE)
    assert template.resources["A"]["Properties"] == {"Name": "a"}


@pytest.mark.parametrize(("text", "path", "message"), [
    ("Resources: {}", "Resources", "at least one resource"),
    ("Resourcez: {}", "Resourcez", "unknown top-level section"),
    ("Rules: {}\nResources: {A: {Type: T}}", "Rules", "Rules section is not supported"),
    ("Transform: AWS::Include\nResources: {A: {Type: T}}", "Transform", "not supported"),
    ("Resources: {A: {Properties: {}}}", "Resources/A/Type", "needs a Type"),
    ("Resources: {A: {Type: T, Propertes: {}}}", "Resources/A/Propertes", "unknown resource attribute"),
    ("- a list", "", "mapping of sections"),
    ("Resources: {A: [", "", "not valid YAML or JSON"),
])
def test_malformed_templates_are_refused_with_the_place(text: str, path: str, message: str) -> None:
    with pytest.raises(DeployError) as caught:
        parse(text, HERE)
    assert caught.value.path == path
    assert message in caught.value.message
