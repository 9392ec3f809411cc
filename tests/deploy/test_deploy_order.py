"""Deployment order: every resource after what it refers to."""

from __future__ import annotations

import pytest

from stepforge.deploy.errors import DeployError
from stepforge.deploy.graph import order


def test_references_come_first_and_template_order_is_kept_otherwise() -> None:
    resources = {
        "Alias": {"Type": "T", "Properties": {"V": {"Ref": "Version"}}},
        "Version": {"Type": "T", "Properties": {"M": {"Fn::GetAtt": ["Flow", "Arn"]}}},
        "Other": {"Type": "T"},
        "Flow": {"Type": "T", "Properties": {"D": {"Fn::Sub": "${Jobs.Arn} ${!Flow} ${Stage}"}}},
        "Jobs": {"Type": "T"},
        "Last": {"Type": "T", "DependsOn": "Other"},
    }
    assert order(resources) == ["Jobs", "Flow", "Version", "Alias", "Other", "Last"]


def test_a_cycle_is_named() -> None:
    resources = {"A": {"Type": "T", "Properties": {"X": {"Ref": "B"}}},
                 "B": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${A.Arn}"}}}}
    with pytest.raises(DeployError, match="A -> B -> A"):
        order(resources)


def test_depends_on_must_name_a_resource() -> None:
    with pytest.raises(DeployError, match="'Ghost', which is not a resource"):
        order({"A": {"Type": "T", "DependsOn": ["Ghost"]}})


def test_what_a_sam_machine_generates_orders_after_it() -> None:
    resources = {
        "Watcher": {"Type": "T", "Properties": {"Target": {"Ref": "FlowAliaslive"}}},
        "Flow": {"Type": "AWS::Serverless::StateMachine"},
    }
    assert order(resources) == ["Flow", "Watcher"]
