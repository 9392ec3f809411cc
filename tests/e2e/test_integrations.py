"""A ``stepforge serve`` whose AWS integrations reach a real moto server, driven as a user would.

The server's ``[passthrough] endpoint_url`` names moto; the test plays the services' other side:
it reads what the tasks sent (a callback token in an SQS message) and answers through the
Step Functions API.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from e2e_kit import finish

from tests.e2e.conftest import REGION, ROLE_ARN, _client
from tests.server_kit import free_port, serve


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def sfn(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    workdir = tmp_path_factory.mktemp("integrations-server")
    (workdir / "stepforge.toml").write_text(f'[passthrough]\nendpoint_url = "{moto_url}"\n')
    arguments = ["--data-dir", str(workdir / "data"), "--config", str(workdir / "stepforge.toml")]
    with serve(arguments, log=workdir / "stderr.log") as port:
        yield _client(f"http://127.0.0.1:{port}", REGION)


@pytest.fixture(scope="module")
def sqs(moto_url: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_url, region_name=REGION, aws_access_key_id="t",
                        aws_secret_access_key="t")


def start(sfn: Any, states: dict[str, Any], value: Any) -> str:
    definition = json.dumps({"StartAt": next(iter(states)), "States": states})
    machine = sfn.create_state_machine(name=f"m-{time.monotonic_ns()}", definition=definition, roleArn=ROLE_ARN)
    return str(sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(value))["executionArn"])


def test_a_callback_over_sqs_carries_its_token_in_a_json_message_body(sfn: Any, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="approvals")["QueueUrl"]
    arn = start(sfn, {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": url, "MessageBody": {"TaskToken.$": "$$.Task.Token", "order.$": "$.order"}}}},
        {"order": 42})
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    body = json.loads(messages[0]["Body"])
    assert body["order"] == 42
    sfn.send_task_success(taskToken=body["TaskToken"], output=json.dumps({"approved": body["order"]}))
    described = finish(sfn, arn)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"approved": 42})


def test_dynamodb_results_carry_the_http_metadata_and_errors_are_aws_names(sfn: Any, moto_url: str) -> None:
    boto3.client("dynamodb", endpoint_url=moto_url, region_name=REGION, aws_access_key_id="t",
                 aws_secret_access_key="t").create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    arn = start(sfn, {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "ResultPath": "$.put",
                "Parameters": {"TableName": "orders", "Item": {"id": {"S": "o1"}}}, "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "ResultPath": "$.got",
                "Parameters": {"TableName": "orders", "Key": {"id": {"S": "o1"}}}, "Next": "Missing"},
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "End": True,
                    "Parameters": {"TableName": "absent", "Key": {"id": {"S": "o1"}}},
                    "Catch": [{"ErrorEquals": ["DynamoDB.ResourceNotFoundException"], "ResultPath": "$.error",
                               "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}}, {})
    described = finish(sfn, arn)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    assert output["got"]["Item"] == {"id": {"S": "o1"}}
    assert output["put"]["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException" in (
        output["error"]["Cause"])


def test_a_function_that_is_not_registered_is_looked_for_on_the_endpoint(sfn: Any) -> None:
    arn = start(sfn, {"Call": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:nowhere", "End": True,
        "Catch": [{"ErrorEquals": ["Lambda.ResourceNotFoundException"], "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}}, {})
    described = finish(sfn, arn)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"])["Error"] == "Lambda.ResourceNotFoundException"
    types = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
    assert types[2:5] == ["LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed"]
