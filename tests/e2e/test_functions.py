"""Task integrations against a real server started with ``--functions`` and ``--config``.

The seed talk's examples with Python functions (the video pipeline, the encoder decider, a human
approval approved, rejected and timed out), a MockConfigFile suite written for Step Functions Local,
child executions, and ``stepforge worker``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_kit import finish

from tests.e2e.conftest import REGION, ROLE_ARN, _client
from tests.server_kit import serve

APPS = Path(__file__).parent / "apps"
FN = "arn:aws:lambda:us-east-1:000000000000:function:"
INVOKE = "arn:aws:states:::lambda:invoke"

MOCK_CONFIG = {
    "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
        "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
        "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
        "HybridPath": {"LambdaState": "MockedLambdaSuccess"},
    }}},
    "MockedResponses": {
        "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200,
                                                 "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
        "LambdaMockedResourceNotReady": {"0": {"Throw": {"Error": "Lambda.ResourceNotReadyException",
                                                         "Cause": "Lambda resource is not ready."}}},
        "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
                                              "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
        "MockedLambdaRetry": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
            "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}},
        },
    },
}

LAMBDA_SQS = {
    "Comment": "This state machine is called: LambdaSQSIntegration",
    "StartAt": "LambdaState",
    "States": {
        "LambdaState": {"Type": "Task", "Resource": INVOKE,
                        "Parameters": {"Payload.$": "$", "FunctionName": "HelloWorldFunction"},
                        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3,
                                   "BackoffRate": 1}],
                        "Next": "SQSState"},
        "SQSState": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                     "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue",
                                    "MessageBody.$": "$"}, "End": True},
    },
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with the test functions and the MockConfigFile."""
    workdir = tmp_path_factory.mktemp("functions-server")
    (workdir / "MockConfigFile.json").write_text(json.dumps(MOCK_CONFIG))
    (workdir / "stepforge.toml").write_text('[mocks]\nfile = "MockConfigFile.json"\n')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(APPS), os.environ.get("PYTHONPATH", "")])}
    arguments = ["--data-dir", str(workdir / "data"), "--functions", "functions_app",
                 "--config", str(workdir / "stepforge.toml")]
    with serve(arguments, log=workdir / "stderr.log", env=env) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def sfn(server: str) -> Any:
    return _client(server, REGION)


def create(sfn: Any, definition: dict[str, Any], name: str | None = None) -> str:
    name = name or f"m-{time.monotonic_ns()}"
    return str(sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)[
        "stateMachineArn"])


def run(sfn: Any, definition: dict[str, Any], value: Any, timeout: float = 20.0) -> dict[str, Any]:
    started = sfn.start_execution(stateMachineArn=create(sfn, definition), input=json.dumps(value))
    return finish(sfn, started["executionArn"], timeout)


def history(sfn: Any, arn: str) -> list[str]:
    return [e["type"] for e in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]


VIDEO_PIPELINE = {"StartAt": "Split", "States": {
    "Split": {"Type": "Task", "Resource": FN + "split", "Next": "StartEncode"},
    "StartEncode": {"Type": "Task", "Resource": INVOKE, "OutputPath": "$.Payload", "Next": "Wait",
                    "Parameters": {"FunctionName": "start-encode", "Payload.$": "$"}},
    "Wait": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Check"},
    "Check": {"Type": "Task", "Resource": FN + "check-encode", "Next": "Done?"},
    "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.status", "StringEquals": "DONE", "Next": "Concat"}],
              "Default": "Wait"},
    "Concat": {"Type": "Task", "Resource": FN + "concat", "End": True},
}}


def test_the_video_pipeline_splits_polls_and_concatenates(sfn: Any) -> None:
    described = run(sfn, VIDEO_PIPELINE, {"video": "talk.mp4", "parts": 3, "polls": 3, "wait": 0})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"output": "talk.encoded.mp4", "parts": 3}
    events = history(sfn, described["executionArn"])
    assert events.count("LambdaFunctionSucceeded") == 5 and events.count("WaitStateEntered") == 3


ENCODER_DECIDER = {"StartAt": "Decide", "States": {
    "Decide": {"Type": "Task", "Resource": FN + "decide_encoder", "Next": "WaitForEncoder",
               "Retry": [{"ErrorEquals": ["EncoderBusy"], "IntervalSeconds": 1, "MaxAttempts": 3,
                          "BackoffRate": 1.0}]},
    "WaitForEncoder": {"Type": "Wait", "SecondsPath": "$.wait", "End": True},
}}


def test_the_encoder_decider_retries_a_custom_error_then_waits_seconds_path(sfn: Any) -> None:
    described = run(sfn, ENCODER_DECIDER, {"id": f"enc-{time.monotonic_ns()}"})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"encoder": "x264", "wait": 1, "attempts": 3}
    events = sfn.get_execution_history(executionArn=described["executionArn"])["events"]
    failed = [e["lambdaFunctionFailedEventDetails"] for e in events if e["type"] == "LambdaFunctionFailed"]
    assert [f["error"] for f in failed] == ["EncoderBusy", "EncoderBusy"]
    assert json.loads(failed[0]["cause"])["errorMessage"] == "all encoders busy (attempt 1)"


def approval(timeout: int) -> dict[str, Any]:
    return {"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": INVOKE + ".waitForTaskToken", "TimeoutSeconds": timeout,
                "Parameters": {"FunctionName": "ask_approval",
                               "Payload": {"token.$": "$$.Task.Token", "outbox.$": "$.outbox"}},
                "Next": "Approved",
                "Catch": [{"ErrorEquals": ["Rejected"], "Next": "Rejected"},
                          {"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}]},
        "Approved": {"Type": "Pass", "Result": "approved", "End": True},
        "Rejected": {"Type": "Pass", "Result": "rejected", "End": True},
        "TimedOut": {"Type": "Pass", "Result": "timed out", "End": True},
    }}


def ask(sfn: Any, tmp_path: Path, timeout: int = 60) -> tuple[str, dict[str, str]]:
    outbox = tmp_path / "links.json"
    started = sfn.start_execution(stateMachineArn=create(sfn, approval(timeout)),
                                  input=json.dumps({"outbox": str(outbox)}))
    deadline = time.monotonic() + 10
    while not outbox.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return started["executionArn"], json.loads(outbox.read_text()) if outbox.exists() else {}


def click(url: str) -> int:
    """What an approver does: open the link, then confirm on the page it shows."""
    page = httpx.get(url)
    assert page.status_code == 200 and "<form" in page.text
    query = dict(httpx.URL(url).params)
    return httpx.post(url.split("?")[0], data=query).status_code


@pytest.mark.parametrize(("action", "expected"), [("approve", "approved"), ("reject", "rejected")])
def test_a_human_approval_link(sfn: Any, tmp_path: Path, action: str, expected: str) -> None:
    arn, links = ask(sfn, tmp_path)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    assert click(links[action]) == 200
    assert json.loads(finish(sfn, arn)["output"]) == expected
    assert click(links[action]) == 410  # single use


def test_a_human_approval_that_nobody_answers_times_out(sfn: Any, tmp_path: Path) -> None:
    arn, links = ask(sfn, tmp_path, timeout=1)
    assert links
    assert json.loads(finish(sfn, arn)["output"]) == "timed out"


def test_a_mock_config_file_suite_for_step_functions_local_runs_unchanged(sfn: Any) -> None:
    machine = create(sfn, LAMBDA_SQS, name="LambdaSQSIntegration")
    outcomes = {}
    for case in ("HappyPath", "RetryPath", "HybridPath"):
        started = sfn.start_execution(stateMachineArn=f"{machine}#{case}", name=f"{case}-run", input="{}")
        outcomes[case] = finish(sfn, started["executionArn"])
    assert outcomes["HappyPath"]["status"] == "SUCCEEDED"
    assert json.loads(outcomes["HappyPath"]["output"])["MessageId"].startswith("3bcb6e8e")
    assert outcomes["RetryPath"]["status"] == "SUCCEEDED"
    retry_events = history(sfn, outcomes["RetryPath"]["executionArn"])
    assert retry_events.count("TaskFailed") == 3
    hybrid = outcomes["HybridPath"]  # SQSState is not mocked: the real SQS needs the pass-through
    assert (hybrid["status"], hybrid["error"]) == ("FAILED", "States.TaskFailed")
    assert "passthrough" in hybrid["cause"]


def test_a_child_execution_with_sync2(sfn: Any) -> None:
    child = create(sfn, {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN + "noop", "End": True}}})
    parent = {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": True,
        "Parameters": {"StateMachineArn": child, "Input": {"v": 1,
                       "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}}}}}
    described = run(sfn, parent, {})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["Output"]["v"] == 1


def test_stepforge_worker_runs_activity_handlers_and_stops_gracefully(sfn: Any, server: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(APPS), os.environ.get("PYTHONPATH", "")]),
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    worker = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "worker", "--activities", "worker_app",
                               "--endpoint", server, "--concurrency", "2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        activity = f"arn:aws:states:{REGION}:000000000000:activity:e2e-greeter"
        task = {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 5, "TimeoutSeconds": 20, "End": True}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            names = [a["name"] for a in sfn.list_activities()["activities"]]
            if "e2e-greeter" in names:
                break
            time.sleep(0.05)
        ok = run(sfn, {"StartAt": "G", "States": {"G": task}}, {"who": "ann"})
        assert json.loads(ok["output"]) == {"greeting": "hello ann"}
        failed = run(sfn, {"StartAt": "G", "States": {"G": task}}, {"fail": True})
        assert (failed["status"], failed["error"]) == ("FAILED", "LookupError")
        worker.send_signal(signal.SIGTERM)  # it exits once its polls in flight end: a task each ends them
        machine = create(sfn, {"StartAt": "G", "States": {"G": task}})
        late = [sfn.start_execution(stateMachineArn=machine, input='{"who": "late"}')["executionArn"] for _ in "ab"]
        assert worker.wait(timeout=20) == 0
        for arn in late:  # run before it exited, or never handed out (a poller had ended between polls)
            if "ActivityStarted" in history(sfn, arn):
                assert finish(sfn, arn, 10)["status"] == "SUCCEEDED"
            else:
                sfn.stop_execution(executionArn=arn)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
