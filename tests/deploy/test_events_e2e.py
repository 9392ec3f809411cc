"""A SAM machine's Events deployed as schedules, rules and webhooks of a real server, which start its executions."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from stepforge.deploy.errors import DeployError
from stepforge.deploy.plan import Outcome
from tests.deploy.conftest import REGION, Deployer
from tests.server_kit import serve

SAM = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Every: {Type: String, Default: rate(1 hour)}
Resources:
  Jobs:
    Type: AWS::StepFunctions::Activity
    Properties: {Name: !Sub "${AWS::StackName}-jobs"}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}
      Events:
        Hourly:
          Type: Schedule
          Properties: {Schedule: !Ref Every, Input: '{"from": "rule"}'}
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 2 * * ? *)
            ScheduleExpressionTimezone: Europe/Paris
            Input: '{"from": "scheduler"}'
        Orders:
          Type: EventBridgeRule
          Properties:
            Pattern: {source: [!Sub "${AWS::StackName}.shop"], detail-type: [Order]}
            InputPath: $.detail
        Hook:
          Type: Api
          Properties: {Path: !Sub "/${AWS::StackName}/orders", Method: post}
Outputs:
  Flow: {Value: !Ref Flow}
"""
EVENTS = ("FlowHourly", "FlowNightly", "FlowOrders", "FlowHook")


def actions(outcome: Outcome) -> dict[str, str]:
    return {change.logical_id: change.action for change in outcome.changes}


@pytest.fixture
def client(endpoint: str) -> Callable[[str], Any]:
    return lambda service: boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                                        aws_access_key_id="testing", aws_secret_access_key="testing")


def inputs(sfn: Any, machine: str, count: int) -> list[Any]:
    """The inputs of the machine's executions, once it has ``count`` of them."""
    deadline = time.monotonic() + 20
    while True:
        found = sfn.list_executions(stateMachineArn=machine)["executions"]
        if len(found) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return sorted((json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in found),
                  key=json.dumps)


def test_schedules_rules_and_webhooks_deploy_redeploy_unchanged_update_and_start_executions(
        deployer: Deployer, client: Callable[[str], Any], endpoint: str) -> None:
    created = deployer.apply(SAM)
    assert actions(created) == {"Jobs": "create", "Flow": "create", **dict.fromkeys(EVENTS, "create")}
    machine, stack = created.outputs["Flow"], deployer.stack

    assert actions(deployer.apply(SAM)) == {"Jobs": "unchanged", "Flow": "unchanged",
                                            **dict.fromkeys(EVENTS, "unchanged")}
    assert deployer.writes == 0

    updated = deployer.apply(SAM, Every="rate(2 hours)")
    assert actions(updated)["FlowHourly"] == "update"
    assert [a for lid, a in actions(updated).items() if lid != "FlowHourly"] == ["unchanged"] * 5
    rule = client("events").describe_rule(Name=f"{stack}-FlowHourly")
    assert (rule["ScheduleExpression"], rule["State"]) == ("rate(2 hours)", "ENABLED")
    [target] = client("events").list_targets_by_rule(Rule=f"{stack}-FlowHourly")["Targets"]
    assert (target["Arn"], target["Input"]) == (machine, '{"from": "rule"}')
    schedule = client("scheduler").get_schedule(Name=f"{stack}-FlowNightly")
    assert (schedule["Target"]["Arn"], schedule["ScheduleExpressionTimezone"]) == (machine, "Europe/Paris")

    sent = client("events").put_events(Entries=[
        {"Source": f"{stack}.shop", "DetailType": "Order", "Detail": '{"n": 1}'},
        {"Source": f"{stack}.shop", "DetailType": "Refund", "Detail": '{"n": 9}'}])
    assert sent["FailedEntryCount"] == 0
    request = urllib.request.Request(f"{endpoint}/webhooks/{stack}-orders", data=b'{"n": 2}', method="POST")
    with urllib.request.urlopen(request) as answer:
        assert json.loads(answer.read())["executionArn"].startswith(machine.replace(":stateMachine:", ":execution:"))
    assert inputs(client("stepfunctions"), machine, 2) == [{"n": 1}, {"n": 2}]


CFN = """
Parameters:
  Second: {Type: String, Default: "yes", AllowedValues: ["yes", "no"]}
Conditions:
  Two: !Equals [!Ref Second, "yes"]
Resources:
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::000000000000:role/flow
      Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}
  Orders:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: !Sub '{"source": ["${AWS::StackName}.orders"]}'
      Targets:
        - {Id: first, Arn: !Ref Flow, RoleArn: arn:aws:iam::000000000000:role/events, InputPath: $.detail}
        - !If
          - Two
          - {Id: second, Arn: !GetAtt Flow.Arn, RoleArn: arn:aws:iam::000000000000:role/events, Input: '{"n": 0}'}
          - !Ref AWS::NoValue
  Daily:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: rate(1 day)
      FlexibleTimeWindow: {Mode: FLEXIBLE, MaximumWindowInMinutes: 15}
      Target: {Arn: !Ref Flow, RoleArn: arn:aws:iam::000000000000:role/scheduler}
Outputs:
  Flow: {Value: !Ref Flow}
  Rule: {Value: !GetAtt Orders.Arn}
"""


def test_cloudformation_rules_and_schedules_own_their_targets(
        deployer: Deployer, client: Callable[[str], Any]) -> None:
    created = deployer.apply(CFN)
    assert actions(created) == {"Flow": "create", "Orders": "create", "Daily": "create"}
    assert created.outputs["Rule"].endswith(f":rule/{deployer.stack}-Orders")
    assert actions(deployer.apply(CFN)) == dict.fromkeys(("Flow", "Orders", "Daily"), "unchanged")
    assert deployer.writes == 0
    schedule = client("scheduler").get_schedule(Name=f"{deployer.stack}-Daily")
    assert schedule["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}

    one = deployer.apply(CFN, Second="no")
    assert actions(one)["Orders"] == "update"
    assert next(c for c in one.changes if c.logical_id == "Orders").details == ("Target second removed",)
    listed = client("events").list_targets_by_rule(Rule=f"{deployer.stack}-Orders")["Targets"]
    assert [t["Id"] for t in listed] == ["first"]

    client("events").put_events(Entries=[{"Source": f"{deployer.stack}.orders", "DetailType": "New",
                                          "Detail": '{"n": 5}'}])
    assert inputs(client("stepfunctions"), created.outputs["Flow"], 1) == [{"n": 5}]


PUBLISHED = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Word: {Type: String, Default: one}
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      AutoPublishAlias: live
      UseAliasAsEventTarget: true
      Definition: {StartAt: P, States: {P: {Type: Pass, Result: !Ref Word, End: true}}}
      Events:
        Orders:
          Type: EventBridgeRule
          Properties: {Pattern: {source: [!Sub "${AWS::StackName}.orders"]}}
Outputs:
  Alias: {Value: !Ref FlowAliaslive}
"""


def test_auto_publish_alias_publishes_each_revision_and_events_start_the_alias(
        deployer: Deployer, client: Callable[[str], Any],
        wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    created = deployer.apply(PUBLISHED)
    assert actions(created) == dict.fromkeys(("Flow", "FlowVersion", "FlowAliaslive", "FlowOrders"), "create")
    alias = created.outputs["Alias"]
    [target] = client("events").list_targets_by_rule(Rule=f"{deployer.stack}-FlowOrders")["Targets"]
    assert target["Arn"] == alias
    assert actions(deployer.apply(PUBLISHED)) == dict.fromkeys(
        ("Flow", "FlowVersion", "FlowAliaslive", "FlowOrders"), "unchanged")
    assert deployer.writes == 0

    updated = deployer.apply(PUBLISHED, Word="two")
    assert actions(updated) == {"Flow": "update", "FlowVersion": "create", "FlowAliaslive": "update",
                                "FlowOrders": "unchanged"}
    sfn = client("stepfunctions")
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    assert [r["stateMachineVersionArn"].rsplit(":", 1)[1] for r in routing] == ["2"]
    client("events").put_events(Entries=[{"Source": f"{deployer.stack}.orders", "DetailType": "x", "Detail": "{}"}])
    machine = alias.rsplit(":", 1)[0]
    [execution] = wait_until_listed(sfn, machine)
    assert json.loads(wait_for_execution(execution["executionArn"])["output"]) == "two"


def wait_until_listed(sfn: Any, machine: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while not (found := sfn.list_executions(stateMachineArn=machine)["executions"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return list(found)


@pytest.fixture
def other_account(tmp_path: Path) -> Iterator[str]:
    """A fresh server whose ARNs carry account 111122223333 (nothing listed yet to learn it from)."""
    with serve(["--data-dir", str(tmp_path / "data"), "--account", "111122223333"],
               log=tmp_path / "stderr.log") as port:
        yield f"http://127.0.0.1:{port}"


def test_targets_carry_the_account_the_server_answers_with(other_account: str, tmp_path: Path) -> None:
    deployer = Deployer(other_account, tmp_path, "accounts")
    created = deployer.apply(PUBLISHED)
    assert created.outputs["Alias"] == "arn:aws:states:us-east-1:111122223333:stateMachine:accounts-Flow:live"
    events = boto3.client("events", endpoint_url=other_account, region_name=REGION, aws_access_key_id="k",
                          aws_secret_access_key="s")
    [target] = events.list_targets_by_rule(Rule="accounts-FlowOrders")["Targets"]
    assert target["Arn"] == created.outputs["Alias"]
    again = deployer.apply(PUBLISHED)
    assert set(actions(again).values()) == {"unchanged"}, again.changes
    assert deployer.writes == 0


def test_an_invalid_event_pattern_is_found_before_anything_is_written(deployer: Deployer) -> None:
    broken = SAM.replace("detail-type: [Order]", "detail-type: [{prefix: 1}]")
    with pytest.raises(DeployError, match="the EventPattern of rule .*-FlowOrders is not valid"):
        deployer.apply(broken)
    assert deployer.writes == 0
