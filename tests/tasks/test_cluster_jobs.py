"""``.sync`` on EMR on EKS, EKS and Bedrock customization jobs against moto, AWS's poll pace, and
EventBridge Scheduler through ``aws-sdk:scheduler``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from stepforge.tasks import reach
from stepforge.tasks.aws import sync
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.resources import parse
from stepforge.tasks.services import aws_calls
from stepforge.testing import Harness, Result

Aws = Callable[[str], Any]
ROLE = "arn:aws:iam::123456789012:role/job"


def task(moto_url: str, resource: str, params: dict[str, Any]) -> Result:
    harness = Harness(tasks=TaskConfig(inline=True, endpoint_url=moto_url, poll_seconds=0.01))
    return harness.run({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource,
                                                          "Parameters": params, "End": True}}})


def recorded(moto_url: str, resource: str, seen: list[str]) -> sync.Call:
    target = parse(resource)
    assert target is not None
    calls = aws_calls(target, moto_url, "us-east-1")

    def call(operation: str, params: dict[str, Any]) -> Outcome:
        seen.append(operation)
        return calls(operation, params)
    return call


@pytest.fixture
def virtual_cluster(aws: Aws, request: pytest.FixtureRequest) -> str:
    name = f"vc-{request.node.name[:40]}"
    created = aws("emr-containers").create_virtual_cluster(
        name=name, containerProvider={"id": "eks", "type": "EKS", "info": {"eksInfo": {"namespace": name}}})
    return str(created["id"])


def test_delete_virtual_cluster_sync_waits_until_it_is_terminated(moto_url: str, aws: Aws,
                                                                  virtual_cluster: str) -> None:
    result = task(moto_url, "arn:aws:states:::emr-containers:deleteVirtualCluster.sync", {"Id": virtual_cluster})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["VirtualCluster"]["State"] == "TERMINATED"
    assert aws("emr-containers").describe_virtual_cluster(id=virtual_cluster)["virtualCluster"]["state"] == "TERMINATED"


def test_a_job_run_left_waiting_is_cancelled(moto_url: str, aws: Aws, virtual_cluster: str) -> None:
    resource = "arn:aws:states:::emr-containers:startJobRun.sync"
    seen: list[str] = []
    call = recorded(moto_url, resource, seen)
    params = {"Name": "MyJobName", "VirtualClusterId": virtual_cluster, "ExecutionRoleArn": ROLE,
              "ReleaseLabel": "emr-6.2.0-latest",
              "JobDriver": {"SparkSubmitJobDriver": {"EntryPoint": "s3://bucket/jobs/trip-count.py"}}}
    started = call("StartJobRun", params)
    assert started.output["VirtualClusterId"] == virtual_cluster
    polls = iter([True, False])
    outcome = sync.wait(sync.JOBS[("emr-containers", "startJobRun")], call, params, started.output,
                        sync.Waiting(lambda: next(polls), interval=0.01))
    assert outcome.error == "States.TaskFailed"
    assert seen == ["StartJobRun", "DescribeJobRun", "CancelJobRun"]
    run = aws("emr-containers").describe_job_run(id=started.output["Id"], virtualClusterId=virtual_cluster)["jobRun"]
    assert run["state"] == "CANCELLED"


@pytest.fixture
def eks_cluster(moto_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"eks-{request.node.name[:40]}".replace("[", "-").replace("]", "")
    result = task(moto_url, "arn:aws:states:::eks:createCluster.sync", {
        "Name": name, "RoleArn": ROLE, "ResourcesVpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"]}})
    assert result.status == "SUCCEEDED", result.cause
    assert (result.output["Cluster"]["Name"], result.output["Cluster"]["Status"]) == (name, "ACTIVE")
    yield name


def test_eks_node_groups_fargate_profiles_and_clusters_are_created_and_deleted_with_sync(moto_url: str, aws: Aws,
                                                                        eks_cluster: str) -> None:
    group = {"ClusterName": eks_cluster, "NodegroupName": "workers"}
    created = task(moto_url, "arn:aws:states:::eks:createNodegroup.sync", {
        **group, "NodeRole": ROLE, "Subnets": ["subnet-1"]})
    assert created.status == "SUCCEEDED", created.cause
    assert created.output["Nodegroup"]["Status"] == "ACTIVE"
    deleted = task(moto_url, "arn:aws:states:::eks:deleteNodegroup.sync", group)
    assert deleted.status == "SUCCEEDED", deleted.cause
    assert aws("eks").list_nodegroups(clusterName=eks_cluster)["nodegroups"] == []
    profile = {"ClusterName": eks_cluster, "FargateProfileName": "MyFargateProfile"}
    made = task(moto_url, "arn:aws:states:::eks:createFargateProfile.sync", {
        **profile, "PodExecutionRoleArn": ROLE, "Selectors": [{"Namespace": "my-namespace"}]})
    assert (made.status, made.output.get("FargateProfile", {}).get("Status")) == ("SUCCEEDED", "ACTIVE"), made.cause
    unmade = task(moto_url, "arn:aws:states:::eks:deleteFargateProfile.sync", profile)
    assert unmade.status == "SUCCEEDED", unmade.cause
    assert aws("eks").list_fargate_profiles(clusterName=eks_cluster)["fargateProfileNames"] == []
    gone = task(moto_url, "arn:aws:states:::eks:deleteCluster.sync", {"Name": eks_cluster})
    assert gone.status == "SUCCEEDED", gone.cause
    assert gone.output["Cluster"]["Name"] == eks_cluster
    assert eks_cluster not in aws("eks").list_clusters()["clusters"]


def test_an_eks_error_is_named_as_step_functions_names_it(moto_url: str) -> None:
    result = task(moto_url, "arn:aws:states:::eks:deleteCluster.sync", {"Name": "no-such-cluster"})
    assert result.error == "EKS.ResourceNotFoundException"
    assert "(Service: AmazonEKS; Status Code: 404; Error Code: ResourceNotFoundException" in result.cause


def test_a_model_customization_job_left_waiting_is_stopped(moto_url: str, aws: Aws) -> None:
    resource = "arn:aws:states:::bedrock:createModelCustomizationJob.sync"
    seen: list[str] = []
    call = recorded(moto_url, resource, seen)
    params = {"JobName": "tune", "CustomModelName": "tuned", "RoleArn": ROLE, "BaseModelIdentifier": "base",
              "TrainingDataConfig": {"S3Uri": "s3://data/train.jsonl"},
              "OutputDataConfig": {"S3Uri": "s3://data/out/"}, "HyperParameters": {"epochCount": "1"}}
    started = call("CreateModelCustomizationJob", params)
    assert started.output["JobArn"]
    polls = iter([True, False])
    outcome = sync.wait(sync.JOBS[("bedrock", "createModelCustomizationJob")], call, params, started.output,
                        sync.Waiting(lambda: next(polls), interval=0.01))
    assert outcome.error == "States.TaskFailed"
    assert seen == ["CreateModelCustomizationJob", "GetModelCustomizationJob", "StopModelCustomizationJob"]
    assert aws("bedrock").get_model_customization_job(jobIdentifier="tune")["status"] == "Stopped"


def test_a_failed_job_fails_the_task_with_its_description() -> None:
    job = sync.JOBS[("bedrock", "createModelCustomizationJob")]
    answers = iter([{"Status": "InProgress"}, {"Status": "Failed", "FailureMessage": "bad data"}])
    outcome = sync.wait(job, lambda operation, params: Outcome(output=next(answers)), {}, {"JobArn": "arn"},
                        sync.Waiting(interval=0.0))
    assert (outcome.error, outcome.cause) == ("States.TaskFailed", '{"Status":"Failed","FailureMessage":"bad data"}')


@pytest.mark.parametrize(("service", "action", "first", "later"), [
    ("elasticmapreduce", "createCluster", 60.0, 300.0), ("eks", "createCluster", 60.0, 300.0),
    ("glue", "startJobRun", 5.0, 5.0)])
def test_jobs_are_polled_at_aws_documented_pace(service: str, action: str, first: float, later: float) -> None:
    pace = sync.JOBS[(service, action)].pace
    assert (pace(0), pace(599), pace(601)) == (first, first, later)


def test_poll_seconds_overrides_the_pace_and_is_unset_by_default() -> None:
    assert TaskConfig().poll_seconds is None
    waited: list[float] = []

    class Clock:
        def wait(self, seconds: float) -> bool:
            waited.append(seconds)
            return len(waited) > 1

    job = sync.JOBS[("eks", "createCluster")]
    waiting = sync.Waiting(interval=None, closed=Clock())  # type: ignore[arg-type]
    sync.wait(job, lambda operation, params: Outcome(output={"Cluster": {"Status": "CREATING"}}), {"Name": "c"}, {},
              waiting)
    assert waited == [60.0, 60.0]


def test_eventbridge_scheduler_is_reached_through_the_sdk_integration(moto_url: str, aws: Aws) -> None:
    result = task(moto_url, "arn:aws:states:::aws-sdk:scheduler:createSchedule", {
        "Name": "nightly", "ScheduleExpression": "rate(1 day)", "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE, "Input": {"go": True}}})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["ScheduleArn"].endswith(":schedule/default/nightly")
    schedule = aws("scheduler").get_schedule(Name="nightly")
    assert (schedule["ScheduleExpression"], schedule["Target"]["Input"]) == ("rate(1 day)", '{"go":true}')


@pytest.mark.parametrize(("resource", "reached"), [
    ("arn:aws:states:::apigateway:invoke", True), ("arn:aws:states:::eks:call", True),
    ("arn:aws:states:::eks:runJob.sync", True), ("arn:aws:states:::eks:createCluster.sync", False),
    ("arn:aws:states:::elasticmapreduce:createCluster.sync", False), ("arn:aws:states:::bedrock:invokeModel", False)])
def test_which_integrations_need_a_pass_through_endpoint(resource: str, reached: bool) -> None:
    assert reach.reaches(TaskConfig(), resource) is reached
    assert reach.reaches(TaskConfig(endpoints={"emr": "x", "eks": "x", "bedrock-runtime": "x"}), resource) is True


def test_bedrock_invoke_model_needs_the_bedrock_runtime_endpoint() -> None:
    assert reach.reaches(TaskConfig(endpoints={"bedrock": "x"}), "arn:aws:states:::bedrock:invokeModel") is False
    assert reach.reaches(TaskConfig(endpoints={"bedrock": "x"}),
                         "arn:aws:states:::bedrock:createModelCustomizationJob.sync") is True


def test_an_emr_on_eks_error_is_named_for_the_service(moto_url: str) -> None:
    result = task(moto_url, "arn:aws:states:::emr-containers:startJobRun.sync", {
        "Name": "j", "VirtualClusterId": "nope", "ExecutionRoleArn": ROLE, "ReleaseLabel": "emr-6.2.0-latest",
        "JobDriver": {"SparkSubmitJobDriver": {"EntryPoint": "s3://bucket/job.py"}}})
    assert result.error.startswith("EMRContainers.")
    assert "(Service: AmazonEMRContainers; Status Code: " in result.cause
