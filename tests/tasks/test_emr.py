"""The optimized EMR integration against moto: Step Functions' own actions mapped onto EMR's API.

moto keeps steps RUNNING and has no CancelSteps, ListInstanceFleets or ModifyInstanceFleet: those
mappings are checked by recording the EMR calls :func:`emr.run` makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stepforge.tasks.aws import emr, sync
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.resources import parse
from stepforge.tasks.services import aws_calls
from stepforge.testing import Harness, Result

Aws = Callable[[str], Any]
EMR = "arn:aws:states:::elasticmapreduce:"
CLUSTER = {"Name": "MyWorkflowCluster", "ReleaseLabel": "emr-6.15.0", "ServiceRole": "EMR_DefaultRole",
           "JobFlowRole": "EMR_EC2_DefaultRole", "Applications": [{"Name": "Hive"}],
           "Instances": {"KeepJobFlowAliveWhenNoSteps": True, "InstanceGroups": [
               {"Name": "Main", "InstanceRole": "MASTER", "InstanceType": "m4.large", "InstanceCount": 1},
               {"Name": "MyCoreGroup", "InstanceRole": "CORE", "InstanceType": "m4.large", "InstanceCount": 2}]}}
STEP = {"Name": "The first step", "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["hive-script", "--run-hive-script"]}}


def task(moto_url: str, action: str, params: dict[str, Any]) -> Result:
    harness = Harness(tasks=TaskConfig(inline=True, endpoint_url=moto_url, poll_seconds=0.01))
    return harness.run({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": EMR + action,
                                                          "Parameters": params, "End": True}}})


@pytest.fixture
def cluster(moto_url: str) -> str:
    result = task(moto_url, "createCluster", CLUSTER)
    assert result.status == "SUCCEEDED", result.cause
    return str(result.output["ClusterId"])


def test_create_cluster_sync_answers_the_cluster_id_once_it_waits(moto_url: str, aws: Aws) -> None:
    result = task(moto_url, "createCluster.sync", CLUSTER)
    assert result.status == "SUCCEEDED", result.cause
    assert list(result.output) == ["ClusterId"] and result.output["ClusterId"].startswith("j-")
    described = aws("emr").describe_cluster(ClusterId=result.output["ClusterId"])["Cluster"]
    assert (described["Name"], described["Status"]["State"]) == ("MyWorkflowCluster", "WAITING")


@pytest.mark.parametrize(("change", "field"), [
    ({"Instances": {**CLUSTER["Instances"], "KeepJobFlowAliveWhenNoSteps": False}},  # type: ignore[dict-item]
     "KeepJobFlowAliveWhenNoSteps"),
    ({"Steps": [STEP]}, "'Steps'")])
def test_create_cluster_refuses_what_the_integration_does_not_allow(moto_url: str, aws: Aws,
                                                                    change: dict[str, Any], field: str) -> None:
    before = len(aws("emr").list_clusters()["Clusters"])
    result = task(moto_url, "createCluster", {**CLUSTER, **change})
    assert result.error == "States.Runtime" and field in result.cause
    assert len(aws("emr").list_clusters()["Clusters"]) == before


def test_add_step_sends_one_step_and_answers_its_id(moto_url: str, aws: Aws, cluster: str) -> None:
    result = task(moto_url, "addStep", {"ClusterId": cluster, "Step": STEP})
    assert result.status == "SUCCEEDED", result.cause
    assert list(result.output) == ["StepId"]
    step = aws("emr").describe_step(ClusterId=cluster, StepId=result.output["StepId"])["Step"]
    assert (step["Name"], step["Config"]["Args"]) == ("The first step", ["hive-script", "--run-hive-script"])


def test_add_step_sync_describes_the_step_and_cancels_it_when_the_task_stops_waiting(moto_url: str,
                                                                                  cluster: str) -> None:
    target = parse(EMR + "addStep.sync")
    assert target is not None
    seen: list[tuple[str, dict[str, Any]]] = []
    api_call = emr_calls(moto_url, seen)
    started = emr.run("addStep", api_call, {"ClusterId": cluster, "Step": STEP})
    polls = iter([True, True, False])
    outcome = sync.wait(sync.JOBS[("elasticmapreduce", "addStep")], api_call, {"ClusterId": cluster}, started.output,
                        sync.Waiting(lambda: next(polls), interval=0.01))
    assert outcome.error == "States.TaskFailed"
    step = started.output["StepId"]
    assert seen[1:] == [("DescribeStep", {"ClusterId": cluster, "StepId": step})] * 2 + [
        ("CancelSteps", {"ClusterId": cluster, "StepIds": [step]})]


def test_termination_protection_and_terminate_cluster_sync(moto_url: str, aws: Aws, cluster: str) -> None:
    protect = task(moto_url, "setClusterTerminationProtection", {"ClusterId": cluster, "TerminationProtected": True})
    assert (protect.status, protect.output) == ("SUCCEEDED", {})
    assert aws("emr").describe_cluster(ClusterId=cluster)["Cluster"]["TerminationProtected"] is True
    refused = task(moto_url, "terminateCluster.sync", {"ClusterId": cluster})
    assert refused.error.startswith("EMR.") and "(Service: AmazonElasticMapReduce; Status Code: 400" in refused.cause
    task(moto_url, "setClusterTerminationProtection", {"ClusterId": cluster, "TerminationProtected": False})
    result = task(moto_url, "terminateCluster.sync", {"ClusterId": cluster})
    assert result.status == "SUCCEEDED", result.cause
    assert aws("emr").describe_cluster(ClusterId=cluster)["Cluster"]["Status"]["State"] == "TERMINATED"


def test_modify_instance_group_by_name_finds_the_group_id(moto_url: str, aws: Aws, cluster: str) -> None:
    result = task(moto_url, "modifyInstanceGroupByName", {
        "ClusterId": cluster, "InstanceGroupName": "MyCoreGroup", "InstanceGroup": {"InstanceCount": 8}})
    assert result.status == "SUCCEEDED", result.cause
    groups = {g["Name"]: g["RequestedInstanceCount"] for g in aws("emr").list_instance_groups(ClusterId=cluster)[
        "InstanceGroups"]}
    assert groups == {"Main": 1, "MyCoreGroup": 8}


def test_a_group_that_is_not_there_fails_the_task(moto_url: str, cluster: str) -> None:
    result = task(moto_url, "modifyInstanceGroupByName", {
        "ClusterId": cluster, "InstanceGroupName": "Nope", "InstanceGroup": {"InstanceCount": 8}})
    assert (result.error, result.cause) == ("States.TaskFailed", f"The cluster {cluster} has no InstanceGroup named 'Nope'.")


def test_an_instance_group_id_is_not_allowed() -> None:
    outcome = emr.run("modifyInstanceGroupByName", refuse_calls, {
        "ClusterId": "j-1", "InstanceGroupName": "Core", "InstanceGroup": {"InstanceGroupId": "ig-1"}})
    assert outcome.error == "States.Runtime"


def test_modify_instance_fleet_by_name_looks_the_fleet_up_page_by_page() -> None:
    pages = {None: {"InstanceFleets": [{"Id": "if-1", "Name": "MASTER"}], "Marker": "m2"},
             "m2": {"InstanceFleets": [{"Id": "if-2", "Name": "MyCoreFleet"}]}}
    seen: list[tuple[str, dict[str, Any]]] = []

    def call(operation: str, params: dict[str, Any]) -> Outcome:
        seen.append((operation, params))
        return Outcome(output=pages[params.get("Marker")] if operation == "ListInstanceFleets" else {})

    outcome = emr.run("modifyInstanceFleetByName", call, {
        "ClusterId": "j-1", "InstanceFleetName": "MyCoreFleet",
        "InstanceFleet": {"TargetOnDemandCapacity": 8, "TargetSpotCapacity": 0}})
    assert outcome.output == {}
    assert seen[-1] == ("ModifyInstanceFleet", {"ClusterId": "j-1", "InstanceFleet": {
        "TargetOnDemandCapacity": 8, "TargetSpotCapacity": 0, "InstanceFleetId": "if-2"}})
    assert [op for op, _ in seen] == ["ListInstanceFleets", "ListInstanceFleets", "ModifyInstanceFleet"]


def test_cancel_step_sends_one_step_and_answers_its_info() -> None:
    info = {"StepId": "s-1", "Status": "SUBMITTED", "Reason": ""}
    seen: list[tuple[str, dict[str, Any]]] = []

    def call(operation: str, params: dict[str, Any]) -> Outcome:
        seen.append((operation, params))
        return Outcome(output={"CancelStepsInfoList": [info]})

    outcome = emr.run("cancelStep", call, {"ClusterId": "j-1", "StepId": "s-1"})
    assert seen == [("CancelSteps", {"ClusterId": "j-1", "StepIds": ["s-1"]})]
    assert outcome.output == {"CancelStepsInfo": info}


def test_an_action_the_integration_does_not_have_fails_with_states_runtime() -> None:
    outcome = emr.run("runJobFlow", refuse_calls, {})
    assert outcome.error == "States.Runtime" and "aws-sdk:emr" in outcome.cause


def test_wait_for_task_token_goes_on_when_the_token_comes_back(moto_url: str, aws: Aws, cluster: str) -> None:
    harness = Harness(tasks=TaskConfig(inline=True, endpoint_url=moto_url))
    execution = harness.start({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": EMR + "addStep.waitForTaskToken", "End": True,
        "Parameters": {"ClusterId": cluster, "Step": {**STEP, "HadoopJarStep": {
            "Jar": "command-runner.jar", "Args.$": "States.Array('notify', $$.Task.Token)"}}}}}})
    harness.settle()
    assert harness.result(execution).status == "RUNNING"
    token = aws("emr").list_steps(ClusterId=cluster)["Steps"][0]["Config"]["Args"][1]  # where the job reads it
    harness.succeed(token, {"done": True})
    assert harness.result(execution).output == {"done": True}


def emr_calls(moto_url: str, seen: list[tuple[str, dict[str, Any]]]) -> sync.Call:
    target = parse(EMR + "addStep")
    assert target is not None
    calls = aws_calls(target, moto_url, "us-east-1")

    def call(operation: str, params: dict[str, Any]) -> Outcome:
        seen.append((operation, params))
        return calls(operation, params)
    return call


def refuse_calls(operation: str, params: dict[str, Any]) -> Outcome:
    raise AssertionError(f"no EMR call expected, got {operation}")
