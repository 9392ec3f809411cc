"""Resources read from resolved properties: what each type accepts, and what it refuses by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stepforge.deploy import activities, events, machines, rules, versions
from stepforge.deploy.clients import CallError, NotServed, client_error
from stepforge.deploy.errors import DeployError
from stepforge.deploy.plan import with_globals
from stepforge.deploy.stack import Stack

STACK = Stack("shop", "us-east-1", "000000000000")
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:shop-Flow"


def test_a_cloudformation_machine_takes_its_definition_from_a_string_with_substitutions() -> None:
    text = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${Word}", "End": ${Flag}}}}'
    machine = machines.from_cfn("Flow", {"DefinitionString": text, "DefinitionSubstitutions": {
        "Word": "bird", "Flag": True}}, STACK, Path("."))
    assert json.loads(machine.definition)["States"]["P"] == {"Type": "Pass", "Result": "bird", "End": True}
    assert (machine.name, machine.arn, machine.machine_type) == ("shop-Flow", MACHINE, "STANDARD")
    assert machine.role_arn == "arn:aws:iam::000000000000:role/shop-Flow-role"


def test_a_sam_machine_reads_its_definition_file_relative_to_the_template(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "flow.asl.json").write_text(json.dumps(PASS))
    machine = machines.from_sam("Flow", {"DefinitionUri": "flows/flow.asl.json", "Name": "orders",
                                         "Type": "EXPRESS", "Tags": {"team": "core"}}, STACK, tmp_path)
    assert json.loads(machine.definition) == PASS
    assert (machine.name, machine.machine_type, machine.tags) == ("orders", "EXPRESS", {"team": "core"})


def test_globals_apply_under_the_resource_s_own_properties() -> None:
    merged = with_globals({"Type": "EXPRESS", "Tags": {"b": "2"}}, {"Type": "STANDARD", "Tags": {"a": "1"},
                                                                    "Tracing": {"Enabled": True}})
    assert merged == {"Type": "EXPRESS", "Tags": {"a": "1", "b": "2"}, "Tracing": {"Enabled": True}}


@pytest.mark.parametrize(("props", "path", "message"), [
    ({"Definition": PASS, "DefinitionString": "{}"}, "Resources/Flow/Properties", "exactly one of"),
    ({"DefinitionS3Location": {"Bucket": "b", "Key": "k"}}, "Resources/Flow/Properties/DefinitionS3Location",
     "local file"),
    ({"DefinitionString": '{"a": ${X}}', "DefinitionSubstitutions": {"X": "not json"}}, "Resources/Flow/Properties",
     "not valid JSON once substituted"),
    ({"Definition": PASS, "StateMachineType": "FAST"}, "Resources/Flow/Properties/StateMachineType",
     "not a state machine type"),
    ({"Definition": PASS, "Tags": {"a": "b"}}, "Resources/Flow/Properties/Tags", "list of {Key, Value}"),
    ({"Definition": PASS, "Colour": "red"}, "Resources/Flow/Properties/Colour", "unknown property 'Colour'"),
])
def test_cloudformation_machine_properties_are_checked(props: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(DeployError, match=message) as caught:
        machines.from_cfn("Flow", props, STACK, Path("."))
    assert caught.value.path == path


def test_sam_publishing_options_need_auto_publish_alias_and_an_all_at_once_preference() -> None:
    with pytest.raises(DeployError, match="UseAliasAsEventTarget requires AutoPublishAlias"):
        versions.auto_publish_alias("Flow", {"UseAliasAsEventTarget": True})
    alias = versions.sam_alias("Flow", "live", f"{MACHINE}:3", {})
    assert (alias.logical_id, alias.routing, alias.arn) == ("FlowAliaslive", ((f"{MACHINE}:3", 100),), f"{MACHINE}:live")
    with pytest.raises(DeployError, match="LINEAR shifts traffic over time") as caught:
        versions.sam_alias("Flow", "live", f"{MACHINE}:3", {"DeploymentPreference": {"Type": "LINEAR"}})
    assert caught.value.path == "Resources/Flow/Properties/DeploymentPreference/Type"


def test_an_activity_without_a_name_gets_the_stack_s() -> None:
    activity = activities.from_cfn("Jobs", {}, STACK)
    assert (activity.name, activity.arn) == ("shop-Jobs", "arn:aws:states:us-east-1:000000000000:activity:shop-Jobs")


def test_gradual_alias_deployments_are_refused() -> None:
    with pytest.raises(DeployError, match="CANARY shifts traffic over time"):
        versions.alias_from_cfn("Live", {"DeploymentPreference": {"Type": "CANARY",
                                                                   "StateMachineVersionArn": f"{MACHINE}:1"}})


def test_sam_events_become_rules_schedules_and_webhooks_named_after_the_stack() -> None:
    units = events.from_sam("Flow", {
        "Tick": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)", "Enabled": False}},
        "Hook": {"Type": "Api", "Properties": {"Path": "/orders/new", "Method": "POST", "RestApiId": "x"}},
    }, MACHINE, STACK)
    rule, hook = units
    assert isinstance(rule, rules.Rule)
    assert isinstance(hook, events.Webhook)
    assert (rule.name, rule.fields) == ("shop-FlowTick", {"ScheduleExpression": "rate(1 minute)", "State": "DISABLED"})
    assert [(t["Arn"], t["Id"]) for t in rule.targets] == [(MACHINE, "FlowTickStepFunctionsTarget")]
    assert hook.name == "orders-new"
    assert hook.notes == ("RestApiId ignored (no API Gateway: the webhook is on the server)",)


@pytest.mark.parametrize(("event", "message"), [
    ({"Type": "SQS", "Properties": {}}, "event type 'SQS' is not supported"),
    ({"Type": "Api", "Properties": {"Path": "/x", "Method": "get"}}, "Method get cannot be served"),
    ({"Type": "Api", "Properties": {"Path": "/x/{id}", "Method": "post"}}, "no path parameters"),
    ({"Type": "Schedule", "Properties": {"Schedule": "rate(1 day)", "State": "ENABLED", "Enabled": True}},
     "State and Enabled cannot both"),
    ({"Type": "EventBridgeRule", "Properties": {"Pattern": {"source": ["x"]}, "Filter": {}}},
     "unknown property 'Filter'"),
])
def test_event_sources_it_cannot_deploy_are_named(event: dict[str, Any], message: str) -> None:
    with pytest.raises(DeployError, match=message):
        events.from_sam("Flow", {"E": event}, MACHINE, STACK)


def test_a_server_without_an_api_is_told_apart_from_a_refused_call() -> None:
    unknown = ClientError({"Error": {"Code": "UnknownOperationException", "Message": "Unknown operation"}},
                          "DescribeRule")
    assert isinstance(client_error("events", "describe_rule", "http://h", unknown), NotServed)
    refused = ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "PutRule")
    error = client_error("events", "put_rule", "http://h", refused)
    assert isinstance(error, CallError) and str(error) == "PutRule: ValidationException: bad"
