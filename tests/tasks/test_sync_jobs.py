"""``.sync`` on job services against moto: the task waits for the job's end, and stops a job it leaves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from stepforge.tasks import passthrough
from stepforge.tasks.aws import emr, sync
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.resources import Target, parse
from stepforge.testing import Harness

Aws = Callable[[str], Any]
START_JOB = "arn:aws:states:::glue:startJobRun.sync"


@pytest.fixture
def glue_job(moto_url: str, aws: Aws, request: pytest.FixtureRequest) -> str:
    """A Glue job whose runs go STARTING -> RUNNING -> ... one state per three descriptions."""
    name = f"job-{request.node.name[-40:]}".replace("[", "-").replace("]", "")
    aws("glue").create_job(Name=name, Role="role", Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"})
    httpx.post(f"{moto_url}/moto-api/state-manager/set-transition",
               json={"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 3}})
    return name


def recording(api: passthrough.Api, seen: list[str]) -> sync.Call:
    def call(action: str, params: dict[str, Any]) -> Outcome:
        seen.append(action)
        answer = api.call(action, params)
        return answer if answer.failed else Outcome(output=answer.output["result"])
    return call


def test_a_sync_glue_task_polls_until_the_job_run_succeeds(moto_url: str, glue_job: str) -> None:
    harness = Harness(tasks=TaskConfig(inline=True, endpoint_url=moto_url, poll_seconds=0.01))
    result = harness.run({"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": START_JOB, "Parameters": {"JobName": glue_job}, "End": True}}})
    assert result.status == "SUCCEEDED", result.cause
    assert (result.output["JobName"], result.output["JobRunState"]) == (glue_job, "SUCCEEDED")


def test_the_job_is_described_until_it_ends(moto_url: str, glue_job: str) -> None:
    target = parse(START_JOB)
    assert target is not None
    api = passthrough.Api(target, moto_url, "us-east-1")
    seen: list[str] = []
    started = api.call("startJobRun", {"JobName": glue_job}).output["result"]
    outcome = sync.wait(sync.JOBS[("glue", "startJobRun")], recording(api, seen), {"JobName": glue_job}, started,
                        sync.Waiting(interval=0.01))
    assert outcome.output["JobRunState"] == "SUCCEEDED"
    assert len(seen) > 1 and set(seen) == {"GetJobRun"}


def test_a_task_that_stops_waiting_stops_its_job(moto_url: str, glue_job: str) -> None:
    target = parse(START_JOB)
    assert target is not None
    api = passthrough.Api(target, moto_url, "us-east-1")
    seen: list[str] = []
    started = api.call("startJobRun", {"JobName": glue_job}).output["result"]
    polls = iter([True, False])
    outcome = sync.wait(sync.JOBS[("glue", "startJobRun")], recording(api, seen), {"JobName": glue_job}, started,
                        sync.Waiting(lambda: next(polls), interval=0.01))
    assert outcome.error == "States.TaskFailed"
    assert seen == ["GetJobRun", "BatchStopJobRun"]


def test_a_stopping_server_ends_the_wait(moto_url: str, glue_job: str) -> None:
    target = parse(START_JOB)
    assert target is not None
    waiting = sync.Waiting(interval=60)
    waiting.closed.set()
    outcome = passthrough.call(target, {"JobName": glue_job}, moto_url, "us-east-1", waiting)
    assert (outcome.error, outcome.cause) == ("States.TaskFailed",
                                              "The server stopped while the task waited for the job.")


@pytest.mark.parametrize(("codes", "status"), [([0, 0], "SUCCEEDED"), ([0, 1], "FAILED")])
def test_an_ecs_task_succeeds_when_every_container_exits_with_zero(codes: list[int], status: str) -> None:
    described = {"Tasks": [{"LastStatus": "STOPPED", "Containers": [{"ExitCode": code} for code in codes]}]}
    assert sync.JOBS[("ecs", "runTask")].status(described) == status
    assert sync.JOBS[("ecs", "runTask")].status({"Tasks": [{"LastStatus": "RUNNING"}]}) == "RUNNING"


def test_an_ecs_sync_result_is_the_stopped_task_and_it_is_described_in_its_cluster() -> None:
    job = sync.JOBS[("ecs", "runTask")]
    task = {"TaskArn": "arn:task/1", "ClusterArn": "arn:cluster/main", "LastStatus": "STOPPED"}
    assert job.output({"Tasks": [task], "Failures": []}) == task
    assert job.request({"Cluster": "main"}, {"Tasks": [task]}) == {"Cluster": "arn:cluster/main", "Tasks": ["arn:task/1"]}


@pytest.mark.parametrize(("service", "action"), sorted(sync.JOBS))
def test_every_sync_job_names_operations_and_members_its_service_has(service: str, action: str) -> None:
    import botocore.session

    job = sync.JOBS[(service, action)]
    model = botocore.session.get_session().get_service_model(passthrough.client_name(Target("task", service, action)))
    if service == "elasticmapreduce":
        assert action in emr.ACTIONS          # Step Functions' own action, over EMR's API
    else:
        model.operation_model(action[:1].upper() + action[1:])
    calls = [(job.describe, job.request({}, {}))]
    if job.stop_request is not None:
        calls.append((job.stop, job.stop_request({}, {})))
    for operation, params in calls:
        members = {name.lower() for name in model.operation_model(operation).input_shape.members}
        assert {key.lower() for key in params} <= members, operation
