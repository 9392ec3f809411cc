"""For every operation: AWS's error for a missing resource and for a malformed request."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import botocore.session
import pytest

ACCOUNT = "arn:aws:states:us-east-1:000000000000"
SM = f"{ACCOUNT}:stateMachine:missing-machine"
EXE = f"{ACCOUNT}:execution:missing-machine:missing"
ACT = f"{ACCOUNT}:activity:missing-activity"
MAP_RUN = f"{ACCOUNT}:mapRun:missing-machine/label:11111111-1111-1111-1111-111111111111"
DEF = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
TOKEN = "x" * 100

#: operation -> (parameters naming a resource that does not exist, AWS's error code); None: no such case.
MISSING: dict[str, tuple[dict[str, Any], str] | None] = {
    "CreateActivity": None,
    "CreateStateMachine": None,
    "CreateStateMachineAlias": ({"name": "a", "routingConfiguration": [
        {"stateMachineVersionArn": f"{SM}:1", "weight": 100}]}, "StateMachineDoesNotExist"),
    "DeleteActivity": None,
    "DeleteStateMachine": None,
    "DeleteStateMachineAlias": ({"stateMachineAliasArn": f"{SM}:alias"}, "ResourceNotFound"),
    "DeleteStateMachineVersion": None,
    "DescribeActivity": ({"activityArn": ACT}, "ActivityDoesNotExist"),
    "DescribeExecution": ({"executionArn": EXE}, "ExecutionDoesNotExist"),
    "DescribeMapRun": ({"mapRunArn": MAP_RUN}, "ResourceNotFound"),
    "DescribeStateMachine": ({"stateMachineArn": SM}, "StateMachineDoesNotExist"),
    "DescribeStateMachineAlias": ({"stateMachineAliasArn": f"{SM}:alias"}, "ResourceNotFound"),
    "DescribeStateMachineForExecution": ({"executionArn": EXE}, "ExecutionDoesNotExist"),
    "GetActivityTask": ({"activityArn": ACT}, "ActivityDoesNotExist"),
    "GetExecutionHistory": ({"executionArn": EXE}, "ExecutionDoesNotExist"),
    "ListActivities": None,
    "ListExecutions": ({"stateMachineArn": SM}, "StateMachineDoesNotExist"),
    "ListMapRuns": ({"executionArn": EXE}, "ExecutionDoesNotExist"),
    "ListStateMachineAliases": ({"stateMachineArn": SM}, "StateMachineDoesNotExist"),
    "ListStateMachineVersions": ({"stateMachineArn": SM}, "StateMachineDoesNotExist"),
    "ListStateMachines": None,
    "ListTagsForResource": ({"resourceArn": SM}, "ResourceNotFound"),
    "PublishStateMachineVersion": ({"stateMachineArn": SM}, "StateMachineDoesNotExist"),
    "RedriveExecution": ({"executionArn": EXE}, "ExecutionDoesNotExist"),
    "SendTaskFailure": ({"taskToken": TOKEN}, "TaskDoesNotExist"),
    "SendTaskHeartbeat": ({"taskToken": TOKEN}, "TaskDoesNotExist"),
    "SendTaskSuccess": ({"taskToken": TOKEN, "output": "{}"}, "TaskDoesNotExist"),
    "StartExecution": ({"stateMachineArn": SM}, "StateMachineDoesNotExist"),
    "StartSyncExecution": ({"stateMachineArn": SM}, "StateMachineDoesNotExist"),
    "StopExecution": ({"executionArn": EXE}, "ExecutionDoesNotExist"),
    "TagResource": ({"resourceArn": ACT, "tags": [{"key": "k", "value": "v"}]}, "ResourceNotFound"),
    "TestState": None,
    "UntagResource": ({"resourceArn": SM, "tagKeys": ["k"]}, "ResourceNotFound"),
    "UpdateMapRun": ({"mapRunArn": MAP_RUN, "maxConcurrency": 1}, "ResourceNotFound"),
    "UpdateStateMachine": ({"stateMachineArn": SM, "definition": DEF}, "StateMachineDoesNotExist"),
    "UpdateStateMachineAlias": ({"stateMachineAliasArn": f"{SM}:alias", "description": "d"}, "ResourceNotFound"),
    "ValidateStateMachineDefinition": None,
}

OPERATIONS = botocore.session.get_session().get_service_model("stepfunctions").operation_names


def call(endpoint: str, operation: str, body: bytes | dict[str, Any]) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(endpoint + "/", data=data, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSStepFunctions.{operation}",
        "Host": "sync-states.us-east-1.amazonaws.com"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def code(answer: dict[str, Any]) -> str:
    return str(answer.get("__type", "")).rsplit("#", 1)[-1]


def test_the_table_covers_every_operation() -> None:
    assert sorted(MISSING) == sorted(OPERATIONS)


@pytest.mark.parametrize("operation", [op for op in OPERATIONS if MISSING[op] is not None])
def test_a_missing_resource_gets_awss_error(endpoint: str, operation: str) -> None:
    entry = MISSING[operation]
    assert entry is not None
    status, answer = call(endpoint, operation, entry[0])
    assert (status, code(answer)) == (400, entry[1]), answer


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_request_without_its_required_members_is_a_validation_error(endpoint: str, operation: str) -> None:
    model = botocore.session.get_session().get_service_model("stepfunctions").operation_model(operation)
    status, answer = call(endpoint, operation, {})
    if not model.input_shape.required_members:
        assert status == 200 or code(answer) == "ValidationException"
        return
    assert (status, code(answer)) == (400, "ValidationException"), answer
    assert "Member must not be null" in answer["message"]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_body_that_is_not_json_is_a_serialization_error(endpoint: str, operation: str) -> None:
    status, answer = call(endpoint, operation, b"{not json")
    assert (status, code(answer)) == (400, "SerializationException")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_member_of_the_wrong_type_is_a_serialization_error(endpoint: str, operation: str) -> None:
    model = botocore.session.get_session().get_service_model("stepfunctions").operation_model(operation)
    member = next(iter(model.input_shape.members))
    status, answer = call(endpoint, operation, {member: {"not": "this"}})
    assert (status, code(answer)) == (400, "SerializationException"), answer


def test_an_unknown_target_is_an_unknown_operation(endpoint: str) -> None:
    status, answer = call(endpoint, "NoSuchThing", {})
    assert (status, code(answer)) == (400, "UnknownOperationException")


@pytest.mark.parametrize("params, error", [
    ({"stateMachineArn": "not-an-arn"}, "InvalidArn"),
    ({"stateMachineArn": f"{ACCOUNT}:activity:x"}, "InvalidArn"),
])
def test_malformed_arns_are_invalid_arn(endpoint: str, params: dict[str, Any], error: str) -> None:
    status, answer = call(endpoint, "DescribeStateMachine", params)
    assert (status, code(answer)) == (400, error)


def test_out_of_range_values_list_every_violation(endpoint: str) -> None:
    status, answer = call(endpoint, "ListStateMachines", {"maxResults": 5000})
    assert (status, code(answer)) == (400, "ValidationException")
    assert answer["message"].startswith("1 validation error detected: Value '5000' at 'maxResults'")
    status, answer = call(endpoint, "CreateStateMachine", {"name": "x", "type": "BATCH"})
    assert answer["message"].startswith("3 validation errors detected")
