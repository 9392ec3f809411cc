"""``stepforge deploy`` against a real server over HTTP: create, re-deploy unchanged, update, run."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from stepforge.deploy.errors import DeployError
from stepforge.deploy.plan import Outcome
from tests.deploy.conftest import Deployer

SAM = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: hello, AllowedValues: [hello, hi]}
Conditions:
  Short: !Equals [!Ref Greeting, hi]
Resources:
  Jobs:
    Type: AWS::StepFunctions::Activity
    Properties:
      Name: !Sub "${AWS::StackName}-jobs"
      Tags: [{Key: greeting, Value: !Ref Greeting}]
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Policies: [AWSLambdaRole]
      Definition:
        StartAt: Work
        States:
          Work:
            Type: Task
            Resource: ${JobsArn}
            ResultPath: $.work
            Next: Greet
          Greet:
            Type: Pass
            Parameters:
              greeting: ${Greeting}
              short: !If [Short, true, false]
              work.$: $.work
            End: true
      DefinitionSubstitutions:
        JobsArn: !Ref Jobs
        Greeting: !Ref Greeting
      Tags: {team: core}
Outputs:
  FlowArn: {Value: !Ref Flow}
  JobsArn: {Value: !GetAtt Jobs.Arn}
"""


def actions(outcome: Outcome) -> dict[str, str]:
    return {change.logical_id: change.action for change in outcome.changes}


def run(sfn: Any, wait: Callable[..., dict[str, Any]], outcome: Outcome, answer: dict[str, Any]) -> Any:
    """Start the Flow, answer its activity task with ``answer``, and return the execution's output."""
    started = sfn.start_execution(stateMachineArn=outcome.outputs["FlowArn"], input="{}")
    task = sfn.get_activity_task(activityArn=outcome.outputs["JobsArn"], workerName="deploy-test")
    sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps(answer))
    described = wait(started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    return json.loads(described["output"])


def test_a_sam_template_deploys_redeploys_unchanged_updates_and_runs(
        deployer: Deployer, sfn: Any, wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    created = deployer.apply(SAM)
    assert actions(created) == {"Jobs": "create", "Flow": "create"}
    assert run(sfn, wait_for_execution, created, {"n": 1}) == {"greeting": "hello", "short": False, "work": {"n": 1}}

    again = deployer.apply(SAM)
    assert actions(again) == {"Jobs": "unchanged", "Flow": "unchanged"}
    assert deployer.writes == 0

    updated = deployer.apply(SAM, Greeting="hi")
    assert actions(updated) == {"Jobs": "update", "Flow": "update"}
    flow = next(change for change in updated.changes if change.logical_id == "Flow")
    assert '-        "greeting": "hello",' in flow.diff.splitlines()
    assert '+        "greeting": "hi",' in flow.diff.splitlines()
    assert run(sfn, wait_for_execution, updated, {"n": 2}) == {"greeting": "hi", "short": True, "work": {"n": 2}}
    tags = sfn.list_tags_for_resource(resourceArn=updated.outputs["JobsArn"])["tags"]
    assert tags == [{"key": "greeting", "value": "hi"}]


def test_a_dry_run_shows_the_change_set_and_writes_nothing(deployer: Deployer, sfn: Any) -> None:
    planned = deployer.preview(SAM)
    assert actions(planned) == {"Jobs": "create", "Flow": "create"}
    assert deployer.writes == 0
    flow = next(change for change in planned.changes if change.logical_id == "Flow")
    assert f"arn:aws:states:us-east-1:000000000000:activity:{deployer.stack}-jobs" in flow.diff
    assert "Policies ignored (stepforge does not enforce IAM)" in flow.details
    names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    assert f"{deployer.stack}-Flow" not in names


VERSIONED = """
Parameters:
  Value: {Type: String, Default: one}
Resources:
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::000000000000:role/flow
      DefinitionString: !Sub '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${Value}", "End": true}}}'
  Version:
    Type: AWS::StepFunctions::StateMachineVersion
    Properties:
      StateMachineArn: !Ref Flow
      StateMachineRevisionId: !GetAtt Flow.StateMachineRevisionId
      Description: !Sub "value ${Value}"
  Live:
    Type: AWS::StepFunctions::StateMachineAlias
    Properties:
      Name: live
      RoutingConfiguration:
        - StateMachineVersionArn: !Ref Version
          Weight: 100
Outputs:
  Live: {Value: !Ref Live}
  Version: {Value: !Ref Version}
"""


def test_a_new_revision_is_published_as_a_version_and_the_alias_follows(
        deployer: Deployer, sfn: Any, wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    first = deployer.apply(VERSIONED)
    assert actions(first) == {"Flow": "create", "Version": "create", "Live": "create"}
    assert first.outputs["Version"].endswith(f"{deployer.stack}-Flow:1")
    assert first.outputs["Live"].endswith(f"{deployer.stack}-Flow:live")

    assert actions(deployer.apply(VERSIONED)) == {"Flow": "unchanged", "Version": "unchanged", "Live": "unchanged"}
    assert deployer.writes == 0

    preview = deployer.preview(VERSIONED, Value="two")
    assert actions(preview) == {"Flow": "update", "Version": "create", "Live": "update"}
    second = deployer.apply(VERSIONED, Value="two")
    assert second.outputs["Version"].endswith(f"{deployer.stack}-Flow:2")
    alias = sfn.describe_state_machine_alias(stateMachineAliasArn=second.outputs["Live"])
    assert alias["routingConfiguration"] == [{"stateMachineVersionArn": second.outputs["Version"], "weight": 100}]
    started = sfn.start_execution(stateMachineArn=second.outputs["Live"])
    assert json.loads(wait_for_execution(started["executionArn"])["output"]) == "two"


def test_a_cloudformation_machine_from_a_local_file_with_its_configuration(
        deployer: Deployer, sfn: Any, wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    deployer.write('StartAt: P\nStates:\n  P: {Type: Pass, Result: "${Word}", End: true}\n', "flow.asl.yaml")
    template = f"""
Resources:
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: {deployer.stack}-named
      StateMachineType: STANDARD
      RoleArn: arn:aws:iam::000000000000:role/flow
      DefinitionS3Location: flow.asl.yaml
      DefinitionSubstitutions: {{Word: bird}}
      LoggingConfiguration:
        Level: ALL
        IncludeExecutionData: true
        Destinations: [{{CloudWatchLogsLogGroup: {{LogGroupArn: "arn:aws:logs:us-east-1:000000000000:log-group:x:*"}}}}]
      TracingConfiguration: {{Enabled: true}}
      Tags: [{{Key: owner, Value: ana}}]
Outputs:
  Arn: {{Value: !GetAtt Flow.Arn}}
"""
    arn = deployer.apply(template).outputs["Arn"]
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["name"], described["type"]) == (f"{deployer.stack}-named", "STANDARD")
    assert described["loggingConfiguration"]["level"] == "ALL"
    assert described["tracingConfiguration"] == {"enabled": True}
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "owner", "value": "ana"}]
    started = sfn.start_execution(stateMachineArn=arn)
    assert json.loads(wait_for_execution(started["executionArn"])["output"]) == "bird"
    assert actions(deployer.apply(template)) == {"Flow": "unchanged"}
    assert deployer.writes == 0


def test_an_unsupported_resource_type_is_named_and_nothing_is_deployed(deployer: Deployer, sfn: Any) -> None:
    template = SAM.replace("Outputs:", "  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {}\nOutputs:")
    with pytest.raises(DeployError, match="resource type AWS::Lambda::Function is not supported") as caught:
        deployer.apply(template)
    assert caught.value.path == "Resources/Fn/Type"
    assert deployer.writes == 0
    names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    assert f"{deployer.stack}-Flow" not in names


def test_a_machine_type_cannot_change_in_place(deployer: Deployer) -> None:
    template = ("Resources:\n  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
                "      Type: {kind}\n      Definition: {{StartAt: P, States: {{P: {{Type: Pass, End: true}}}}}}\n")
    deployer.apply(template.format(kind="STANDARD"))
    with pytest.raises(DeployError, match="type cannot change to EXPRESS in place"):
        deployer.preview(template.format(kind="EXPRESS"))


WITH_IAM_AND_LAMBDA = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {RoleName: !Sub "${AWS::StackName}-runner", AssumeRolePolicyDocument: {}}
  Resize:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: resize, Runtime: python3.12, Handler: app.handler}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Role: !GetAtt Role.Arn
      Definition:
        StartAt: Resize
        States: {Resize: {Type: Task, Resource: !GetAtt Resize.Arn, End: true}}
Outputs:
  Flow: {Value: !Ref Flow}
"""


def test_ignored_types_are_shown_and_their_arns_resolve(deployer: Deployer, sfn: Any) -> None:
    with pytest.raises(DeployError, match="AWS::IAM::Role is not supported.*--ignore-type AWS::IAM::Role"):
        deployer.preview(WITH_IAM_AND_LAMBDA)
    ignore = ("AWS::IAM::Role", "AWS::Serverless::Function")
    deployed = deployer.apply(WITH_IAM_AND_LAMBDA, ignore=ignore)
    assert actions(deployed) == {"Role": "ignored", "Resize": "ignored", "Flow": "create"}
    described = sfn.describe_state_machine(stateMachineArn=deployed.outputs["Flow"])
    assert described["roleArn"] == f"arn:aws:iam::000000000000:role/{deployer.stack}-runner"
    task = json.loads(described["definition"])["States"]["Resize"]
    assert task["Resource"] == "arn:aws:lambda:us-east-1:000000000000:function:resize"
    assert actions(deployer.apply(WITH_IAM_AND_LAMBDA, ignore=ignore))["Flow"] == "unchanged"
    assert deployer.writes == 0


def test_an_invalid_definition_is_found_before_anything_is_written(deployer: Deployer, sfn: Any) -> None:
    broken = SAM.replace("Next: Greet", "Next: Nowhere")
    with pytest.raises(DeployError, match="MISSING_TRANSITION_TARGET at /States/Work/Next") as caught:
        deployer.apply(broken)
    assert caught.value.path == "Resources/Flow/Properties"
    assert deployer.writes == 0
    activities = [a["name"] for a in sfn.list_activities()["activities"]]
    assert f"{deployer.stack}-jobs" not in activities
