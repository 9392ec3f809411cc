"""``eks:call`` and ``eks:runJob(.sync)`` against a local Kubernetes API (the routes a batch/v1 Job uses):
requests, the IAM-authenticator bearer token, Job completion and failure, logs, deleting a left Job."""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from local_http import Handler, serving

from stepforge.tasks.aws import eks, sync
from stepforge.tasks.config import HttpSettings, TaskConfig
from stepforge.testing import Harness, Result

CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n").decode()


class Cluster(Handler):
    """Jobs run for two reads, then complete (a name starting with ``fail`` fails); one pod per Job."""

    seen: list[dict[str, Any]]
    jobs: dict[str, dict[str, Any]]

    def answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
        path, _, query = self.path.partition("?")
        self.seen.append({"method": self.command, "path": path, "query": urllib.parse.parse_qs(query),
                          "authorization": self.headers.get("authorization"), "body": body})
        parts = path.strip("/").split("/")
        if path.endswith("/jobs") and self.command == "POST":
            job = json.loads(body)
            job["metadata"]["namespace"], job["reads"] = parts[-2], 0
            self.jobs[job["metadata"]["name"]] = job
            return self._json(201, job)
        if "/jobs/" in path:
            return self._job(parts[-1])
        if path.endswith("/pods"):
            name = urllib.parse.parse_qs(query)["labelSelector"][0].removeprefix("job-name=")
            return self._json(200, {"items": [{"metadata": {"name": f"{name}-pod"},
                                               "spec": {"containers": [{"name": "pi"}, {"name": "sidecar"}]}}]})
        if path.endswith("/log"):
            container = urllib.parse.parse_qs(query)["container"][0]
            return self._text(200, '{"digits": 3.14159}' if container == "pi" else "plain text")
        self._json(404, {"kind": "Status", "reason": "NotFound"})

    def _job(self, name: str) -> None:
        job = self.jobs.get(name)
        if job is None:
            return self._json(404, {"kind": "Status", "reason": "NotFound"})
        if self.command == "DELETE":
            return self._json(200, self.jobs.pop(name))
        job["reads"] += 1
        if job["reads"] > 2:
            kind = "Failed" if name.startswith("fail") else "Complete"
            job["status"] = {"conditions": [{"type": kind, "status": "True"}]}
        else:
            job["status"] = {"active": 1}
        self._json(200, job)

    def _json(self, status: int, value: Any) -> None:
        self._text(status, json.dumps(value), "application/json")

    def _text(self, status: int, text: str, content_type: str = "text/plain") -> None:
        self.reply(status, text.encode(), [("Content-Type", content_type)])


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def cluster(seen: list[dict[str, Any]]) -> Iterator[str]:
    with serving(Cluster, seen=seen, jobs={}) as address:
        yield address


def job(name: str) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": {"template": {"spec": {
        "containers": [{"name": "pi", "image": "perl"}], "restartPolicy": "Never"}}}}


def run(cluster: str, resource: str, **params: Any) -> Result:
    config = TaskConfig(inline=True, http=HttpSettings(allow=[cluster]), poll_seconds=0.01)
    state = {"Type": "Task", "Resource": f"arn:aws:states:::eks:{resource}", "End": True, "Parameters": {
        "ClusterName": "MyCluster", "CertificateAuthority": CA, "Endpoint": f"http://{cluster}", **params}}
    return Harness(tasks=config).run({"StartAt": "K", "States": {"K": state}})


def test_call_sends_the_request_with_a_bearer_token_and_answers_the_response_body(cluster: str,
                                                                                  seen: list[Any]) -> None:
    result = run(cluster, "call", Method="GET", Path="/api/v1/namespaces/default/pods",
                 QueryParameters={"labelSelector": ["job-name=example-job"]})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"ResponseBody": {"items": [{"metadata": {"name": "example-job-pod"}, "spec": {
        "containers": [{"name": "pi"}, {"name": "sidecar"}]}}]}, "StatusCode": 200, "StatusText": "OK"}
    assert seen[0]["query"] == {"labelSelector": ["job-name=example-job"]}
    token = seen[0]["authorization"].removeprefix("Bearer k8s-aws-v1.")
    presigned = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    assert presigned.startswith("https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity")
    assert "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id" in presigned


def test_a_status_outside_2xx_fails_with_eks_and_the_status(cluster: str) -> None:
    result = run(cluster, "call", Method="GET", Path="/apis/batch/v1/namespaces/default/jobs/nope")
    assert result.error == "EKS.404"
    assert json.loads(result.cause) == {"ResponseBody": {"kind": "Status", "reason": "NotFound"}, "StatusCode": 404,
                                        "StatusText": "Not Found"}


def test_run_job_creates_the_job_and_answers_it(cluster: str, seen: list[Any]) -> None:
    result = run(cluster, "runJob", Namespace="batch", Job=job("example-job"))
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["ResponseBody"]["metadata"] == {"name": "example-job", "namespace": "batch"}
    assert (result.output["StatusCode"], result.output["StatusText"]) == (201, "Created")
    assert [(s["method"], s["path"]) for s in seen] == [("POST", "/apis/batch/v1/namespaces/batch/jobs")]


def test_run_job_sync_waits_for_completion_and_retrieves_logs(cluster: str, seen: list[Any]) -> None:
    result = run(cluster, "runJob.sync", Job=json.dumps(job("pi-job")), LogOptions={
        "RetrieveLogs": True, "LogParameters": {"tailLines": ["6"]}})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["ResponseBody"]["status"]["conditions"][0]["type"] == "Complete"
    assert result.output["logs"] == {"pods": {"pi-job-pod": {"containers": {
        "pi": {"log": {"digits": 3.14159}}, "sidecar": {"log": "plain text"}}}}}
    assert [s["method"] for s in seen if s["path"].endswith("/jobs/pi-job")] == ["GET"] * 3
    assert seen[-1]["query"] == {"container": ["sidecar"], "tailLines": ["6"]}


def test_raw_logs_stay_text(cluster: str) -> None:
    result = run(cluster, "runJob.sync", Job=job("raw-job"), LogOptions={"RetrieveLogs": True, "RawLogs": True})
    assert result.output["logs"]["pods"]["raw-job-pod"]["containers"]["pi"] == {"log": '{"digits": 3.14159}'}


def test_a_failed_job_fails_the_task(cluster: str) -> None:
    result = run(cluster, "runJob.sync", Job=job("fail-job"))
    assert result.error == "States.TaskFailed"
    assert json.loads(result.cause)["ResponseBody"]["status"]["conditions"][0]["type"] == "Failed"


def test_a_job_left_waiting_is_deleted(cluster: str, seen: list[Any]) -> None:
    polls = iter([True, False])
    waiting = sync.Waiting(lambda: next(polls), interval=0.01)
    outcome = eks.run_job({"ClusterName": "c", "CertificateAuthority": CA, "Endpoint": f"http://{cluster}",
                           "Job": job("left-job")}, HttpSettings(allow=[cluster]), "us-east-1", waiting)
    assert outcome.error == "States.TaskFailed"
    assert [(s["method"], s["path"].rsplit("/", 1)[-1]) for s in seen] == [
        ("POST", "jobs"), ("GET", "left-job"), ("DELETE", "left-job")]
    assert seen[-1]["query"] == {"propagationPolicy": ["Foreground"]}


@pytest.mark.parametrize("missing", ["ClusterName", "CertificateAuthority", "Endpoint"])
def test_the_cluster_parameters_are_required(cluster: str, missing: str) -> None:
    harness_params = {"ClusterName": "MyCluster", "CertificateAuthority": CA, "Endpoint": f"http://{cluster}"}
    del harness_params[missing]
    outcome = eks.call({**harness_params, "Method": "GET", "Path": "/"}, HttpSettings(allow=[cluster]), "us-east-1")
    assert outcome.error == "States.Runtime" and f"'{missing}'" in outcome.cause


def test_the_network_guard_applies(cluster: str, seen: list[Any]) -> None:
    outcome = eks.call({"ClusterName": "c", "CertificateAuthority": CA, "Endpoint": f"http://{cluster}",
                        "Method": "GET", "Path": "/"}, HttpSettings(), "us-east-1")
    assert outcome.error == "EKS.Refused" and seen == []


def test_wait_for_task_token_sends_the_token_and_waits_for_it(cluster: str, seen: list[Any]) -> None:
    config = TaskConfig(inline=True, http=HttpSettings(allow=[cluster]))
    harness = Harness(tasks=config)
    body = {**job("callback"), "metadata": {"name": "callback", "annotations": {"token.$": "$$.Task.Token"}}}
    execution = harness.start({"StartAt": "K", "States": {"K": {
        "Type": "Task", "Resource": "arn:aws:states:::eks:call.waitForTaskToken", "End": True, "Parameters": {
            "ClusterName": "MyCluster", "CertificateAuthority": CA, "Endpoint": f"http://{cluster}",
            "Method": "POST", "Path": "/apis/batch/v1/namespaces/default/jobs", "RequestBody": body}}}})
    harness.settle()
    assert harness.result(execution).status == "RUNNING"
    harness.succeed(json.loads(seen[0]["body"])["metadata"]["annotations"]["token"], {"ran": True})
    assert harness.result(execution).output == {"ran": True}
