"""``.sync`` on job services: start the job, then poll its description until it ends, as Step Functions does.

``arn:aws:states:::glue:startJobRun.sync`` (and Athena, Batch, ECS, CodeBuild, DataBrew, EMR
Serverless, SageMaker training/transform/processing jobs, EMR clusters and steps, EMR on EKS job runs
and virtual clusters, EKS clusters and node groups, Bedrock model customization jobs)
starts the job, then describes it: a job that succeeds is the task's result (its description, e.g.
Glue's ``JobRun``, ECS's stopped task; for EMR the integration's own start result), one that fails, stops or times out
fails the task with ``States.TaskFailed`` and the description as the cause. A deletion (EKS clusters
and node groups) ends when the description answers ``ResourceNotFoundException``. When the task stops
waiting (its timeout, the execution stopped, a failed sibling branch) the job is stopped with the
service's own stop call, as Step Functions does (never a cluster: AWS leaves those running).

Polls come at AWS's documented pace (EMR and EKS: every 60 seconds for the first 10 minutes, then
every 300), else every 5 seconds; ``[passthrough] poll_seconds`` overrides it for every service. The
poll runs on a runner thread; it ends when the server stops.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stepforge.tasks.lambdas import Outcome

Json = dict[str, Any]
Call = Callable[[str, Json], Outcome]


@dataclass(frozen=True, slots=True)
class Waiting:
    """How a ``.sync`` task waits: is its state still waiting, how often to poll, is the server stopping."""

    still_waiting: Callable[[], bool] = lambda: True
    interval: float | None = None     # None: the service's documented pace (:attr:`Job.pace`)
    closed: threading.Event = field(default_factory=threading.Event)


def every_five_seconds(waited: float) -> float:
    """The pace of jobs whose service's documentation names none."""
    return 5.0


def minute_then_five(waited: float) -> float:
    """EMR's and EKS's documented pace: every 60 seconds for the first 10 minutes, then every 300."""
    return 60.0 if waited < 600 else 300.0


@dataclass(frozen=True, slots=True)
class Job:
    """How one service's job is described and stopped (members in Step Functions' PascalCase)."""

    describe: str
    request: Callable[[Json, Json], Json]        # (task parameters, start result) -> describe parameters
    status: Callable[[Json], str | None]         # describe result -> the job's status
    succeeded: frozenset[str]
    failed: frozenset[str]
    stop: str = ""
    stop_request: Callable[[Json, Json], Json] | None = None
    output: Callable[[Json], Any] = lambda described: described
    pace: Callable[[float], float] = every_five_seconds  # seconds waited -> seconds to the next describe
    keeps_start: bool = False     # the result is the start call's (EMR), not the last description
    deletes: bool = False         # the job deletes its resource: "not found" is its success


def _first(items: Any) -> Json:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def _ecs_status(described: Json) -> str | None:
    tasks = described.get("Tasks") or []
    if not tasks or any(task.get("LastStatus") != "STOPPED" for task in tasks):
        return "RUNNING"
    codes = [container.get("ExitCode") for task in tasks for container in task.get("Containers") or []]
    return "SUCCEEDED" if all(code == 0 for code in codes) else "FAILED"


def _emr_state(described: Json, member: str) -> str | None:
    return str(((described.get(member) or {}).get("Status") or {}).get("State") or "") or None


def _member(name: str, status: str = "Status") -> Callable[[Json], str | None]:
    return lambda described: (described.get(name) or {}).get(status)


def _nodegroup(params: Json, started: Json) -> Json:
    return {"ClusterName": params.get("ClusterName"), "NodegroupName": params.get("NodegroupName")}


def _fargate_profile(params: Json, started: Json) -> Json:
    return {"ClusterName": params.get("ClusterName"), "FargateProfileName": params.get("FargateProfileName")}


JOBS: dict[tuple[str, str], Job] = {
    ("glue", "startJobRun"): Job(
        "GetJobRun", lambda p, r: {"JobName": p.get("JobName"), "RunId": r.get("JobRunId")},
        lambda d: (d.get("JobRun") or {}).get("JobRunState"), frozenset({"SUCCEEDED"}),
        frozenset({"FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"}), "BatchStopJobRun",
        lambda p, r: {"JobName": p.get("JobName"), "JobRunIds": [r.get("JobRunId")]},
        lambda d: d.get("JobRun")),
    ("athena", "startQueryExecution"): Job(
        "GetQueryExecution", lambda p, r: {"QueryExecutionId": r.get("QueryExecutionId")},
        lambda d: ((d.get("QueryExecution") or {}).get("Status") or {}).get("State"), frozenset({"SUCCEEDED"}),
        frozenset({"FAILED", "CANCELLED"}), "StopQueryExecution",
        lambda p, r: {"QueryExecutionId": r.get("QueryExecutionId")}),
    ("batch", "submitJob"): Job(
        "DescribeJobs", lambda p, r: {"Jobs": [r.get("JobId")]}, lambda d: _first(d.get("Jobs")).get("Status"),
        frozenset({"SUCCEEDED"}), frozenset({"FAILED"}), "TerminateJob",
        lambda p, r: {"JobId": r.get("JobId"), "Reason": "The Step Functions task stopped waiting."},
        lambda d: _first(d.get("Jobs"))),
    ("ecs", "runTask"): Job(
        "DescribeTasks", lambda p, r: {"Cluster": _first(r.get("Tasks")).get("ClusterArn") or p.get("Cluster"),
                                       "Tasks": [t.get("TaskArn") for t in r.get("Tasks") or []]},
        _ecs_status, frozenset({"SUCCEEDED"}), frozenset({"FAILED"}), output=lambda d: _first(d.get("Tasks"))),
    ("codebuild", "startBuild"): Job(
        "BatchGetBuilds", lambda p, r: {"Ids": [(r.get("Build") or {}).get("Id")]},
        lambda d: _first(d.get("Builds")).get("BuildStatus"), frozenset({"SUCCEEDED"}),
        frozenset({"FAILED", "FAULT", "STOPPED", "TIMED_OUT"}), "StopBuild",
        lambda p, r: {"Id": (r.get("Build") or {}).get("Id")}, lambda d: {"Build": _first(d.get("Builds"))}),
    ("databrew", "startJobRun"): Job(
        "DescribeJobRun", lambda p, r: {"Name": p.get("Name"), "RunId": r.get("RunId")}, lambda d: d.get("State"),
        frozenset({"SUCCEEDED"}), frozenset({"FAILED", "STOPPED", "TIMEOUT"}), "StopJobRun",
        lambda p, r: {"Name": p.get("Name"), "RunId": r.get("RunId")}),
    ("emr-serverless", "startJobRun"): Job(
        "GetJobRun", lambda p, r: {"ApplicationId": r.get("ApplicationId"), "JobRunId": r.get("JobRunId")},
        lambda d: (d.get("JobRun") or {}).get("State"), frozenset({"SUCCESS"}), frozenset({"FAILED", "CANCELLED"}),
        "CancelJobRun", lambda p, r: {"ApplicationId": r.get("ApplicationId"), "JobRunId": r.get("JobRunId")}),
    ("sagemaker", "createTransformJob"): Job(
        "DescribeTransformJob", lambda p, r: {"TransformJobName": p.get("TransformJobName")},
        lambda d: d.get("TransformJobStatus"), frozenset({"Completed"}), frozenset({"Failed", "Stopped"}),
        "StopTransformJob", lambda p, r: {"TransformJobName": p.get("TransformJobName")}),
    ("sagemaker", "createProcessingJob"): Job(
        "DescribeProcessingJob", lambda p, r: {"ProcessingJobName": p.get("ProcessingJobName")},
        lambda d: d.get("ProcessingJobStatus"), frozenset({"Completed"}), frozenset({"Failed", "Stopped"}),
        "StopProcessingJob", lambda p, r: {"ProcessingJobName": p.get("ProcessingJobName")}),
    ("sagemaker", "createTrainingJob"): Job(
        "DescribeTrainingJob", lambda p, r: {"TrainingJobName": p.get("TrainingJobName")},
        lambda d: d.get("TrainingJobStatus"), frozenset({"Completed"}), frozenset({"Failed", "Stopped"}),
        "StopTrainingJob", lambda p, r: {"TrainingJobName": p.get("TrainingJobName")}),
    ("elasticmapreduce", "createCluster"): Job(
        "DescribeCluster", lambda p, r: {"ClusterId": r.get("ClusterId")}, lambda d: _emr_state(d, "Cluster"),
        frozenset({"WAITING"}), frozenset({"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"}),
        pace=minute_then_five, keeps_start=True),
    ("elasticmapreduce", "terminateCluster"): Job(
        "DescribeCluster", lambda p, r: {"ClusterId": p.get("ClusterId")}, lambda d: _emr_state(d, "Cluster"),
        frozenset({"TERMINATED"}), frozenset({"TERMINATED_WITH_ERRORS"}), pace=minute_then_five,
        keeps_start=True),
    ("elasticmapreduce", "addStep"): Job(
        "DescribeStep", lambda p, r: {"ClusterId": p.get("ClusterId"), "StepId": r.get("StepId")},
        lambda d: _emr_state(d, "Step"), frozenset({"COMPLETED"}), frozenset({"CANCELLED", "FAILED", "INTERRUPTED"}),
        "CancelSteps", lambda p, r: {"ClusterId": p.get("ClusterId"), "StepIds": [r.get("StepId")]},
        pace=minute_then_five, keeps_start=True),
    ("emr-containers", "startJobRun"): Job(
        "DescribeJobRun", lambda p, r: {"Id": r.get("Id"), "VirtualClusterId": r.get("VirtualClusterId")},
        _member("JobRun", "State"), frozenset({"COMPLETED"}), frozenset({"FAILED", "CANCELLED"}), "CancelJobRun",
        lambda p, r: {"Id": r.get("Id"), "VirtualClusterId": r.get("VirtualClusterId")}, pace=minute_then_five),
    ("emr-containers", "deleteVirtualCluster"): Job(
        "DescribeVirtualCluster", lambda p, r: {"Id": p.get("Id")}, _member("VirtualCluster", "State"),
        frozenset({"TERMINATED"}), frozenset({"ARRESTED"}), pace=minute_then_five),
    ("eks", "createCluster"): Job(
        "DescribeCluster", lambda p, r: {"Name": p.get("Name")}, _member("Cluster"), frozenset({"ACTIVE"}),
        frozenset({"FAILED"}), pace=minute_then_five),
    ("eks", "deleteCluster"): Job(
        "DescribeCluster", lambda p, r: {"Name": p.get("Name")}, _member("Cluster"), frozenset(),
        frozenset({"FAILED"}), deletes=True, pace=minute_then_five),
    ("eks", "createNodegroup"): Job(
        "DescribeNodegroup", _nodegroup, _member("Nodegroup"), frozenset({"ACTIVE"}), frozenset({"CREATE_FAILED", "DEGRADED"}), pace=minute_then_five),
    ("eks", "deleteNodegroup"): Job(
        "DescribeNodegroup", _nodegroup, _member("Nodegroup"), frozenset(), frozenset({"DELETE_FAILED"}), deletes=True, pace=minute_then_five),
    ("eks", "createFargateProfile"): Job(
        "DescribeFargateProfile", _fargate_profile, _member("FargateProfile"), frozenset({"ACTIVE"}),
        frozenset({"CREATE_FAILED"}), pace=minute_then_five),
    ("eks", "deleteFargateProfile"): Job(
        "DescribeFargateProfile", _fargate_profile, _member("FargateProfile"), frozenset(),
        frozenset({"DELETE_FAILED"}), deletes=True, pace=minute_then_five),
    ("bedrock", "createModelCustomizationJob"): Job(
        "GetModelCustomizationJob", lambda p, r: {"JobIdentifier": p.get("JobName")},
        lambda d: d.get("Status"),
        frozenset({"Completed"}), frozenset({"Failed", "Stopped"}), "StopModelCustomizationJob",
        lambda p, r: {"JobIdentifier": p.get("JobName")}),
}




def wait(job: Job, call: Call, value: Any, started: Json, waiting: Waiting) -> Outcome:
    """Poll the started job until it ends (or the task stops waiting, or the server stops)."""
    params = value if isinstance(value, dict) else {}
    request = job.request(params, started)
    began = time.monotonic()
    while True:
        if not waiting.still_waiting():
            _stop(job, call, params, started)
            return Outcome(error="States.TaskFailed", cause="The task stopped waiting for the job; it was stopped.")
        described = call(job.describe, request)
        if described.failed:
            gone = job.deletes and str(described.error).endswith(".ResourceNotFoundException")
            return Outcome(output=started) if gone else described
        status = job.status(described.output)
        if status in job.succeeded:
            return Outcome(output=started if job.keeps_start else job.output(described.output))
        if status in job.failed:
            return Outcome(error="States.TaskFailed",
                           cause=json.dumps(job.output(described.output), separators=(",", ":")))
        interval = waiting.interval if waiting.interval is not None else job.pace(time.monotonic() - began)
        if waiting.closed.wait(interval):
            return Outcome(error="States.TaskFailed", cause="The server stopped while the task waited for the job.")


def _stop(job: Job, call: Call, params: Json, started: Json) -> None:
    if job.stop and job.stop_request is not None:
        call(job.stop, job.stop_request(params, started))
