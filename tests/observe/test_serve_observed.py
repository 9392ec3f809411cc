"""A real ``stepforge serve --config`` observed from outside: /metrics parsed by prometheus-client, spans
arriving at an OTLP collector, the audit trail with its actors, and ``stepforge audit`` reading it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from tests.api.test_console_login import KEY as LOGIN_KEY
from tests.api.test_console_login import SECRET as LOGIN_SECRET
from tests.api.test_console_login import call as console_call
from tests.api.test_console_login import config as login_config
from tests.api.test_console_login import session_of
from tests.e2e.conftest import ROLE_ARN, configured_server
from tests.observe.collector import Collected, otlp_collector

FN = "arn:aws:lambda:us-east-1:000000000000:function:traced"
TRACE_ID, PARENT_ID = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
KEY, SECRET, TOKEN = "AKIDOBSERVE", "observe-secret", "scrape-token"
MACHINE = json.dumps({"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Next": "Call"},
    "Call": {"Type": "Task", "Resource": FN, "End": True}}})


def client(endpoint: str, key: str = "testing", secret: str = "testing") -> Any:
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))


def eventually(condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)
    return found


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def trail(data: Path, containing: str) -> list[dict[str, Any]]:
    """The audit trail's events whose line contains ``containing`` (none while the file does not exist)."""
    path = data / "audit.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line) for line in lines if containing in line]


def metric(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


@pytest.fixture(scope="module")
def traced_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Collected, Path]]:
    """A server with a Python function, tracing to a collector, metrics under the node name ``e2e-node``."""
    workdir = tmp_path_factory.mktemp("observed")
    with otlp_collector() as (url, collected), pytest.MonkeyPatch.context() as env:
        env.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")  # export every 0.1 s rather than every 5 s
        config = f"""
[functions]
traced = "tests.observe.trace_app:traced"

[metrics]
node = "e2e-node"

[tracing]
otlp_endpoint = "{url}"
"""
        with configured_server(workdir, config, "observed server") as endpoint:
            yield endpoint, collected, workdir / "data"


def start_with_traceparent(endpoint: str, machine: str) -> str:
    request = urllib.request.Request(endpoint + "/", data=json.dumps({"stateMachineArn": machine}).encode(), headers={
        "X-Amz-Target": "AWSStepFunctions.StartExecution", "Content-Type": "application/x-amz-json-1.0",
        "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["executionArn"])


def test_a_trace_runs_from_the_starting_request_through_execution_state_and_task(
        traced_server: tuple[str, Collected, Path]) -> None:
    endpoint, collected, _ = traced_server
    sfn = client(endpoint)
    machine = sfn.create_state_machine(name="traced", definition=MACHINE, roleArn=ROLE_ARN)["stateMachineArn"]
    arn = start_with_traceparent(endpoint, machine)
    done = eventually(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
                      "the execution ended")
    assert done["status"] == "SUCCEEDED", done
    spans = eventually(lambda: (s := collected.of_trace(TRACE_ID)) and len(s) >= 4 and s, "four spans arrived")
    named = {span["name"]: span for span in spans}
    execution, state, task = named["traced"], named["Call"], named[f"LambdaFunction {FN}"]
    assert execution["parent"] == PARENT_ID
    assert execution["attributes"]["stepforge.execution_arn"] == arn
    assert named["Prepare"]["parent"] == state["parent"] == execution["span_id"]
    assert task["parent"] == state["span_id"]
    sent = json.loads(done["output"])["traceparent"]
    assert sent.startswith(f"00-{TRACE_ID}-{task['span_id']}-")


def test_metrics_count_the_executions_of_each_machine(traced_server: tuple[str, Collected, Path]) -> None:
    endpoint, _, _ = traced_server
    sfn = client(endpoint)
    passing = sfn.create_state_machine(name="counted-pass", roleArn=ROLE_ARN, definition=json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    failing = sfn.create_state_machine(name="counted-fail", roleArn=ROLE_ARN, definition=json.dumps(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "No"}}}))["stateMachineArn"]
    arns = [sfn.start_execution(stateMachineArn=passing)["executionArn"] for _ in range(3)]
    arns.append(sfn.start_execution(stateMachineArn=failing)["executionArn"])
    eventually(lambda: all(sfn.describe_execution(executionArn=arn)["status"] != "RUNNING" for arn in arns),
               "the executions ended")
    status, text = http_get(endpoint + "/metrics")
    assert status == 200
    node = {"node": "e2e-node"}
    assert metric(text, "stepforge_ExecutionsStarted_total", StateMachineArn=passing, **node) == 3
    assert metric(text, "stepforge_ExecutionsSucceeded_total", StateMachineArn=passing, **node) == 3
    assert metric(text, "stepforge_ExecutionsFailed_total", StateMachineArn=failing, **node) == 1
    assert metric(text, "stepforge_ExecutionsSucceeded_total", StateMachineArn=failing, **node) == 0


def test_the_audit_trail_records_writes_and_refusals_and_the_cli_reads_it(
        traced_server: tuple[str, Collected, Path]) -> None:
    endpoint, _, data = traced_server
    sfn = client(endpoint)
    machine = sfn.create_state_machine(name="audited", definition=MACHINE, roleArn=ROLE_ARN)["stateMachineArn"]
    sfn.list_state_machines()  # a read: not recorded
    with pytest.raises(ClientError):
        sfn.start_execution(stateMachineArn=machine + "-missing")
    lines = trail(data, "audited")  # a client that has its answer finds its call in the trail
    created = next(e for e in lines if e["eventName"] == "CreateStateMachine")
    assert created["eventSource"] == "states.amazonaws.com"
    assert created["userIdentity"]["accessKeyId"] == "testing"
    assert created["sourceIPAddress"] == "127.0.0.1"
    assert created["requestParameters"]["definition"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert {"ARN": machine, "type": "AWS::StepFunctions::StateMachine"} in created["resources"]
    refused = [e for e in lines if e["eventName"] == "StartExecution"]
    assert refused[0]["errorCode"] == "StateMachineDoesNotExist"
    assert not any(e["eventName"] == "ListStateMachines" for e in lines)
    shown = subprocess.run([sys.executable, "-m", "stepforge.cli", "audit", "--data-dir", str(data),
                            "--resource", "audited", "--since", "1h"],
                           check=False, capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "250"})
    assert shown.returncode == 0, shown.stderr
    assert "CreateStateMachine" in shown.stdout and "StateMachineDoesNotExist" in shown.stdout
    assert "ListStateMachines" not in shown.stdout


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    workdir = tmp_path_factory.mktemp("secured-observed")
    config = f"""
[auth.keys]
{KEY} = "{SECRET}"

[metrics]
bearer_token = "{TOKEN}"
"""
    with configured_server(workdir, config, "secured observed server") as endpoint:
        yield endpoint, workdir / "data"


def test_with_keys_the_trail_names_the_key_of_accepted_and_refused_calls(secured_server: tuple[str, Path]) -> None:
    endpoint, data = secured_server
    client(endpoint, KEY, SECRET).create_activity(name="audited-activity")
    with pytest.raises(ClientError):
        client(endpoint, KEY, "a-wrong-secret").create_activity(name="refused-activity")
    events = trail(data, "CreateActivity")  # both answered: both in the trail
    accepted = [e for e in events if "errorCode" not in e]
    refused = [e for e in events if e.get("errorCode") == "InvalidSignatureException"]
    assert accepted and refused
    assert accepted[0]["userIdentity"]["accessKeyId"] == refused[0]["userIdentity"]["accessKeyId"] == KEY
    assert accepted[0]["awsRegion"] == "us-east-1"


def test_with_keys_metrics_want_the_bearer_token(secured_server: tuple[str, Path]) -> None:
    endpoint, _ = secured_server
    status, body = http_get(endpoint + "/metrics")
    assert status == 401 and "bearer_token" in body
    assert http_get(endpoint + "/metrics", {"Authorization": "Bearer wrong"})[0] == 401
    status, text = http_get(endpoint + "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and "stepforge_engine_open_executions" in text


def test_a_console_users_write_is_audited_under_their_name(tmp_path: Path) -> None:
    with configured_server(tmp_path, login_config(), "server with console users") as endpoint:
        machine = client(endpoint, LOGIN_KEY, LOGIN_SECRET).create_state_machine(
            name="console-audited", definition=MACHINE, roleArn=ROLE_ARN)["stateMachineArn"]
        session, csrf = session_of(endpoint, "otto")
        assert console_call(session, "StartExecution", {"stateMachineArn": machine}, csrf).status_code == 200
        assert console_call(session, "StartExecution", {"stateMachineArn": machine}, None).status_code >= 400
        events = eventually(lambda: len(found := trail(tmp_path / "data", "StartExecution")) >= 2 and found,
                            "both starts were written")
    accepted, refused = events
    assert accepted["userIdentity"] == {"type": "ConsoleUser", "accountId": "000000000000", "userName": "otto"}
    assert "errorCode" not in accepted and refused["errorCode"]
    created = trail(tmp_path / "data", "CreateStateMachine")
    assert created[0]["userIdentity"]["accessKeyId"] == LOGIN_KEY
