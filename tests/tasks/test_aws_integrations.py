"""Optimized integrations and aws-sdk tasks against a real moto server: requests, results, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from stepforge.tasks.aws.errors import sdk_v2_name
from stepforge.tasks.config import TaskConfig
from stepforge.testing import Harness, Result

Aws = Callable[[str], Any]
METADATA = {"SdkHttpMetadata", "SdkResponseMetadata"}


def task(resource: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": resource,
                                                   "Parameters": parameters, "End": True, **fields}}}


def caught(resource: str, parameters: dict[str, Any]) -> dict[str, Any]:
    machine = task(resource, parameters, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handled"}])
    machine["States"]["Handled"] = {"Type": "Pass", "End": True}
    return machine


def run(moto_url: str, machine: dict[str, Any], value: Any = None) -> Result:
    return Harness(tasks=TaskConfig(inline=True, endpoint_url=moto_url)).run(machine, value)


def test_an_object_message_body_is_sent_as_its_json_text_with_the_http_metadata(moto_url: str, aws: Aws) -> None:
    url = aws("sqs").create_queue(QueueName="bodies")["QueueUrl"]
    result = run(moto_url, task("arn:aws:states:::sqs:sendMessage",
                                {"QueueUrl": url, "MessageBody": {"order": 7, "items": ["a"]}}))
    assert result.status == "SUCCEEDED", result.cause
    assert set(result.output) == {"MD5OfMessageBody", "MessageId", *METADATA}
    assert result.output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert result.output["SdkResponseMetadata"]["RequestId"]
    [message] = aws("sqs").receive_message(QueueUrl=url)["Messages"]
    assert message["Body"] == '{"order":7,"items":["a"]}'


def test_an_object_sns_message_is_published_as_json(moto_url: str, aws: Aws) -> None:
    topic = aws("sns").create_topic(Name="news")["TopicArn"]
    result = run(moto_url, task("arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": {"hello": "world"}}))
    assert result.status == "SUCCEEDED", result.cause
    assert set(result.output) == {"MessageId", *METADATA}


def test_event_details_are_serialised_and_a_failed_entry_fails_the_task(moto_url: str) -> None:
    entries = [{"Detail": {"n": 1}, "DetailType": "t", "Source": "s"}, {"Detail": {"n": 2}, "DetailType": "t"}]
    resource = "arn:aws:states:::events:putEvents"
    succeeded = run(moto_url, task(resource, {"Entries": entries[:1]}))
    assert succeeded.output["FailedEntryCount"] == 0 and not METADATA & set(succeeded.output)
    failed = run(moto_url, task(resource, {"Entries": entries}))
    assert failed.error == "EventBridge.FailedEntry"
    cause = json.loads(failed.cause or "")
    assert (cause["FailedEntryCount"], cause["Entries"][1]["ErrorCode"]) == (1, "InvalidArgument")


def test_an_optimized_integration_names_service_errors_as_the_java_sdk_v1(moto_url: str) -> None:
    result = run(moto_url, task("arn:aws:states:::dynamodb:putItem", {"TableName": "absent", "Item": {"id": {"S": "1"}}}))
    assert result.error == "DynamoDB.ResourceNotFoundException"
    assert (result.cause or "").startswith("Requested resource not found")
    assert "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: " in (
        result.cause or "")
    assert (result.cause or "").endswith("; Proxy: null)")


def test_an_aws_sdk_task_names_service_errors_as_the_java_sdk_v2(moto_url: str) -> None:
    result = run(moto_url, task("arn:aws:states:::aws-sdk:dynamodb:putItem",
                                {"TableName": "absent", "Item": {"id": {"S": "1"}}}))
    assert result.error == "DynamoDb.ResourceNotFoundException"
    assert "(Service: DynamoDb, Status Code: 400, Request ID: " in (result.cause or "")
    assert (result.cause or "").endswith(") (SDK Attempt Count: 1)")
    bucket = run(moto_url, caught("arn:aws:states:::aws-sdk:s3:listObjects", {"Bucket": "no-such-bucket"}))
    assert bucket.output["Error"] == "S3.NoSuchBucketException"
    assert bucket.output["Cause"].startswith("The specified bucket does not exist (Service: S3, Status Code: 404")


def test_an_error_the_model_does_not_declare_is_the_services_generic_exception(moto_url: str, aws: Aws) -> None:
    topic = aws("sns").create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    result = run(moto_url, task("arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": "no group id"}))
    assert result.error == "SNS.AmazonSNSException"
    assert "Status Code: 400; Error Code: MissingParameter;" in (result.cause or "")
    sdk = run(moto_url, task("arn:aws:states:::aws-sdk:dynamodb:describeTable", {}))
    assert sdk.error is not None and sdk.error.startswith("DynamoDb.")


def test_a_query_compatible_error_code_finds_its_declared_exception(moto_url: str) -> None:
    missing = moto_url + "/123456789012/no-such-queue"
    result = run(moto_url, task("arn:aws:states:::sqs:sendMessage", {"QueueUrl": missing, "MessageBody": "x"}))
    assert result.error == "SQS.QueueDoesNotExistException"
    assert "Error Code: AWS.SimpleQueueService.NonExistentQueue;" in (result.cause or "")


def test_bad_parameters_reach_the_service_instead_of_failing_in_the_client(moto_url: str) -> None:
    result = run(moto_url, task("arn:aws:states:::aws-sdk:sqs:getQueueUrl", {}))  # QueueName is required
    assert result.error == "Sqs.QueueDoesNotExistException", result.cause
    assert (result.cause or "").startswith("The specified queue does not exist. (Service: Sqs, Status Code: 400")


def test_an_endpoint_that_does_not_answer_is_an_sdk_client_exception() -> None:
    machine = task("arn:aws:states:::sqs:sendMessage", {"QueueUrl": "http://127.0.0.1:9/q", "MessageBody": "x"})
    result = run("http://127.0.0.1:9", machine)
    assert result.error == "SQS.SdkClientException"
    assert (result.cause or "").startswith("Unable to execute HTTP request")
    assert "SDK Attempt Count" not in (result.cause or "")
    sdk = run("http://127.0.0.1:9", task("arn:aws:states:::aws-sdk:sqs:listQueues", {}))
    assert sdk.error == "Sqs.SdkClientException"
    assert (sdk.cause or "").startswith("Unable to execute HTTP request")
    assert (sdk.cause or "").endswith(" (SDK Attempt Count: 1)")


def test_only_the_java_sdk_v2_of_aws_sdk_tasks_counts_attempts_in_the_cause(moto_url: str) -> None:
    resource, parameters = "dynamodb:getItem", {"TableName": "absent", "Key": {"id": {"S": "1"}}}
    optimized = run(moto_url, task(f"arn:aws:states:::{resource}", parameters))
    sdk = run(moto_url, task(f"arn:aws:states:::aws-sdk:{resource}", parameters))
    assert (optimized.error, sdk.error) == ("DynamoDB.ResourceNotFoundException", "DynamoDb.ResourceNotFoundException")
    assert (optimized.cause or "").endswith("; Proxy: null)")
    assert (sdk.cause or "").endswith(") (SDK Attempt Count: 1)") and (sdk.cause or "").count("SDK Attempt Count") == 1


def test_without_an_endpoint_a_service_task_is_an_ordinary_catchable_and_retryable_failure() -> None:
    machine = caught("arn:aws:states:::sqs:sendMessage", {"QueueUrl": "q", "MessageBody": "x"})
    machine["States"]["Call"]["Retry"] = [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1}]
    result = Harness().run(machine)
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.TaskFailed" and "[passthrough] endpoint_url" in result.output["Cause"]
    assert result.event_types.count("TaskScheduled") == 2 and result.event_types.count("TaskFailed") == 2


@pytest.mark.parametrize(("service_id", "name"), [("DynamoDB", "DynamoDb"), ("SFN", "Sfn"), ("S3", "S3"),
                                                  ("Secrets Manager", "SecretsManager"), ("EventBridge", "EventBridge"),
                                                  ("API Gateway", "ApiGateway"), ("SQS", "Sqs")])
def test_service_names_follow_the_java_sdk_v2(service_id: str, name: str) -> None:
    assert sdk_v2_name(service_id) == name


def test_without_an_endpoint_a_jsonata_task_is_caught_by_states_all_too() -> None:
    machine = {"QueryLanguage": "JSONata", "StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True,
                 "Arguments": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "{% $states.input %}"},
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput.Error %}",
                            "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True}}}
    result = Harness().run(machine, {"hello": 1})
    assert (result.status, result.output) == ("SUCCEEDED", "States.TaskFailed")
    assert "TaskFailed" in result.event_types


def test_a_result_over_256_kib_is_a_data_limit_error(moto_url: str, aws: Aws) -> None:
    aws("s3").create_bucket(Bucket="big-objects")
    aws("s3").put_object(Bucket="big-objects", Key="big", Body=b"a" * (257 * 1024))
    result = run(moto_url, task("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "big-objects", "Key": "big"}))
    assert result.error == "States.DataLimitExceeded"
    assert (result.cause or "").startswith("The state/task 'aws-sdk:s3' returned a result with a size exceeding")
