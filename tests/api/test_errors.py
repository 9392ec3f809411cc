"""The HTTP layer's edges: AWS's error body in one place, body limits, unknown operations, bugs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_kit import PASS, ROLE, Api, with_api

from stepforge import bodies
from stepforge.api.operations import READ_OPERATIONS


async def post(api: Api, body: bytes, target: str = "AWSStepFunctions.ListStateMachines") -> Any:
    return await api.http.post("/", headers={"X-Amz-Target": target}, content=body)


@with_api
async def test_an_api_error_is_awss_json_body_with_its_status_and_type_header(api: Api) -> None:
    response = await api.call("DescribeActivity", activityArn="arn:aws:states:us-east-1:000000000000:activity:x")
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "ActivityDoesNotExist"
    assert response.headers["content-type"] == "application/x-amz-json-1.0"
    assert response.json() == {"__type": "com.amazonaws.states#ActivityDoesNotExist",
                               "message": "Activity Does Not Exist: 'arn:aws:states:us-east-1:000000000000:activity:x'"}


@with_api
async def test_a_body_past_the_limit_is_refused(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bodies, "MAX_BODY_BYTES", 64)
    response = await post(api, b'{"maxResults": 1, "nextToken": "' + b"x" * 100 + b'"}')
    assert (response.status_code, response.json()["__type"]) == (400, "com.amazonaws.states#ValidationException")
    assert "larger than 64 bytes" in response.json()["message"]


@pytest.mark.parametrize("body", [b"{nope", b"[1, 2]"])
@with_api
async def test_a_body_that_is_no_json_object_is_a_serialization_error(api: Api, body: bytes) -> None:
    response = await post(api, body)
    assert response.json()["__type"] == "com.amazonaws.states#SerializationException"


@with_api
async def test_an_empty_body_is_an_empty_request(api: Api) -> None:
    assert (await post(api, b"")).json() == {"stateMachines": []}


@with_api
async def test_an_unknown_target_is_an_unknown_operation(api: Api) -> None:
    response = await post(api, b"{}", target="AWSStepFunctions.Teleport")
    assert response.json()["__type"] == "com.amazonaws.states#UnknownOperationException"


@with_api
async def test_a_bug_is_an_internal_failure_without_a_stack_trace(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: Any, req: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setitem(READ_OPERATIONS, "ListActivities", broken)
    response = await api.call("ListActivities")
    assert response.status_code == 500
    assert response.json() == {"__type": "InternalFailure", "message": "Internal failure"}


@with_api
async def test_every_answer_carries_a_request_id_as_aws_does(api: Api) -> None:
    """SDKs read ``x-amzn-RequestId`` into ResponseMetadata and error causes ("Request ID: ...")."""
    ok, error = await api.call("ListStateMachines"), await api.call("DescribeStateMachine", stateMachineArn="nope")
    assert (ok.status_code, error.status_code) == (200, 400)
    ids = [ok.headers["x-amzn-RequestId"], error.headers["x-amzn-RequestId"]]
    assert all(len(i) == 36 for i in ids) and ids[0] != ids[1]


@pytest.mark.parametrize("body", [b'{"maxResults": NaN}', b'{"maxResults": Infinity}', b'{"maxResults": -Infinity}',
                                  b'{"nextToken": "x", "n": [1, NaN]}'])
@with_api
async def test_nan_and_infinity_are_not_json_and_are_refused_as_aws_does(api: Api, body: bytes) -> None:
    response = await post(api, body)
    assert (response.status_code, response.json()["__type"]) == (400, "com.amazonaws.states#SerializationException")
    assert "not a JSON number" in response.json()["message"]


@with_api
async def test_ten_thousand_levels_of_nesting_are_a_serialization_error_not_a_failure(api: Api) -> None:
    body = b'{"tags": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    response = await post(api, body)
    assert (response.status_code, response.json()["__type"]) == (400, "com.amazonaws.states#SerializationException")
    assert "nested too deeply" in response.json()["message"]


@pytest.mark.parametrize("text", ['{"n": NaN}', '{"n": -Infinity}', "[" * 10_000 + "]" * 10_000])
@with_api
async def test_an_execution_input_that_is_not_strict_json_is_refused(api: Api, text: str) -> None:
    machine = await api.ok("CreateStateMachine", name="m", definition=PASS, roleArn=ROLE)
    response = await api.call("StartExecution", stateMachineArn=machine["stateMachineArn"], input=text)
    assert (response.status_code, response.json()["__type"]) == (400, "com.amazonaws.states#InvalidExecutionInput")
    assert (await api.ok("ListExecutions", stateMachineArn=machine["stateMachineArn"]))["executions"] == []


@with_api
async def test_a_task_output_with_nan_is_refused_and_the_task_stays_open(api: Api) -> None:
    activity = (await api.ok("CreateActivity", name="a"))["activityArn"]
    definition = json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": True}}})
    machine = await api.ok("CreateStateMachine", name="m", definition=definition, roleArn=ROLE)
    await api.ok("StartExecution", stateMachineArn=machine["stateMachineArn"])
    api.engine.run_once(api.engine.clock.now())
    token = (await api.ok("GetActivityTask", activityArn=activity))["taskToken"]
    response = await api.call("SendTaskSuccess", taskToken=token, output='{"n": NaN}')
    assert response.json()["__type"] == "com.amazonaws.states#InvalidOutput"
    assert await api.ok("SendTaskSuccess", taskToken=token, output='{"n": 1}') == {}


@with_api
async def test_a_body_within_the_limit_is_read_whole(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bodies, "MAX_BODY_BYTES", 64)
    response = await post(api, b'{"maxResults": 1}')
    assert response.status_code == 200
