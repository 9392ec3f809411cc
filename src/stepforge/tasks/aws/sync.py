"""``.sync`` on job services: start the job, then poll its description until it ends, as Step Functions does.

``arn:aws:states:::glue:startJobRun.sync`` (and Athena, Batch, ECS, CodeBuild, DataBrew, EMR
Serverless, SageMaker training/transform/processing jobs)
starts the job, then describes it every ``interval`` seconds: a job that succeeds is the task's
result (its description, e.g. Glue's ``JobRun``), one that fails, stops or times out fails the task
with ``States.TaskFailed`` and the description as the cause. When the task stops waiting (its
timeout, the execution stopped, a failed sibling branch) the job is stopped with the service's own
stop call, as Step Functions does. The poll runs on a runner thread; it ends when the server stops.
"""

from __future__ import annotations

import json
import threading
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
    interval: float = 5.0
    closed: threading.Event = field(default_factory=threading.Event)


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


def _first(items: Any) -> Json:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def _ecs_status(described: Json) -> str | None:
    tasks = described.get("Tasks") or []
    if not tasks or any(task.get("LastStatus") != "STOPPED" for task in tasks):
        return "RUNNING"
    codes = [container.get("ExitCode") for task in tasks for container in task.get("Containers") or []]
    return "SUCCEEDED" if all(code == 0 for code in codes) else "FAILED"


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
        "DescribeTasks", lambda p, r: {"Cluster": p.get("Cluster"),
                                       "Tasks": [t.get("TaskArn") for t in r.get("Tasks") or []]},
        _ecs_status, frozenset({"SUCCEEDED"}), frozenset({"FAILED"})),
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
}


def wait(job: Job, call: Call, value: Any, started: Json, waiting: Waiting) -> Outcome:
    """Poll the started job until it ends (or the task stops waiting, or the server stops)."""
    params = value if isinstance(value, dict) else {}
    request = job.request(params, started)
    while True:
        if not waiting.still_waiting():
            _stop(job, call, params, started)
            return Outcome(error="States.TaskFailed", cause="The task stopped waiting for the job; it was stopped.")
        described = call(job.describe, request)
        if described.failed:
            return described
        status = job.status(described.output)
        if status in job.succeeded:
            return Outcome(output=job.output(described.output))
        if status in job.failed:
            return Outcome(error="States.TaskFailed",
                           cause=json.dumps(job.output(described.output), separators=(",", ":")))
        if waiting.closed.wait(waiting.interval):
            return Outcome(error="States.TaskFailed", cause="The server stopped while the task waited for the job.")


def _stop(job: Job, call: Call, params: Json, started: Json) -> None:
    if job.stop and job.stop_request is not None:
        call(job.stop, job.stop_request(params, started))
