"""Intrinsic functions resolved locally, against parameters, pseudo parameters, conditions and resources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stepforge.deploy.errors import DeployError
from stepforge.deploy.intrinsics import Resolver
from stepforge.deploy.stack import Stack
from stepforge.deploy.template import parse

TEMPLATE = """
Parameters:
  Stage: {Type: String}
  Zones: {Type: CommaDelimitedList}
Mappings:
  Sizes:
    prod: {Memory: 4096}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [a, a]]
  Either: !Or [!Condition IsProd, !Condition IsDev]
  Loop: !Not [!Condition Loop]
Resources:
  Flow: {Type: AWS::StepFunctions::StateMachine}
  Later: {Type: AWS::StepFunctions::Activity}
"""
STACK = Stack("shop", "eu-west-1", "123456789012")
FLOW_ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:shop-Flow"


def resolver(stage: str = "prod") -> Resolver:
    found = Resolver(parse(TEMPLATE, Path("t.yaml")), {"Stage": stage, "Zones": ["a", "b"]}, STACK.pseudo())
    found.attributes["Flow"] = {"Ref": FLOW_ARN, "Arn": FLOW_ARN, "Name": "shop-Flow"}
    return found


def value(text: str, stage: str = "prod") -> Any:
    template = parse(f"Resources:\n  X:\n    Type: T\n    Properties:\n      V: {text}\n", Path("t.yaml"))
    return resolver(stage).resolve(template.resources["X"]["Properties"]["V"], "V")


@pytest.mark.parametrize(("text", "expected"), [
    ("!Ref Stage", "prod"),
    ("!Ref AWS::Region", "eu-west-1"),
    ("!Ref AWS::AccountId", "123456789012"),
    ("!Ref Flow", FLOW_ARN),
    ("!GetAtt Flow.Name", "shop-Flow"),
    ("!Sub '${AWS::StackName}-${Stage}-${Flow.Name}'", "shop-prod-shop-Flow"),
    ("!Sub ['${A}/${Flow}', {A: !Ref Stage}]", f"prod/{FLOW_ARN}"),
    ("!Sub 'keep ${!Literal} as is'", "keep ${Literal} as is"),
    ("!Join ['-', [a, !Ref Stage, !Select [1, !Ref Zones]]]", "a-prod-b"),
    ("!Split [',', 'x,y']", ["x", "y"]),
    ("!FindInMap [Sizes, !Ref Stage, Memory]", 4096),
    ("!Base64 hi", "aGk="),
    ("!If [IsProd, big, small]", "big"),
    ("[a, !If [IsDev, b, !Ref AWS::NoValue], c]", ["a", "c"]),
    ("{Keep: 1, Drop: !If [IsDev, 2, !Ref AWS::NoValue]}", {"Keep": 1}),
])
def test_functions_resolve(text: str, expected: Any) -> None:
    assert value(text) == expected


def test_conditions_combine() -> None:
    prod, dev = resolver("prod"), resolver("dev")
    assert [prod.condition(n, "") for n in ("IsProd", "IsDev", "Both", "Either")] == [True, False, True, True]
    assert [dev.condition(n, "") for n in ("IsProd", "IsDev", "Both", "Either")] == [False, True, False, True]


def test_a_condition_that_needs_itself_is_an_error() -> None:
    with pytest.raises(DeployError, match="depends on itself"):
        resolver().condition("Loop", "")


@pytest.mark.parametrize(("text", "message"), [
    ("!Ref Nothing", "'Nothing' is not a parameter, pseudo parameter or resource"),
    ("!GetAtt Flow.Colour", "has no attribute 'Colour' (it has: Arn, Name)"),
    ("!Ref Later", "not deployed by this template"),
    ("!ImportValue shared", "Fn::ImportValue needs AWS"),
    ("!GetAZs ''", "Fn::GetAZs needs AWS"),
    ("!Select [5, [a]]", "index 5 is not in a list of 1"),
    ("!If [Nope, a, b]", "no condition named 'Nope'"),
    ("!Sub '${Zones}'", "is not a string"),
])
def test_what_cannot_resolve_is_named(text: str, message: str) -> None:
    with pytest.raises(DeployError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        value(text)
