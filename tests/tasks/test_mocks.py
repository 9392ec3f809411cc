"""Step Functions Local's MockConfigFile: test cases chosen by ``#TestCaseName``, Return/Throw per invocation."""

from __future__ import annotations

from typing import Any

import pytest

from stepforge.tasks.config import TaskConfig
from stepforge.tasks.mocks import MockConfigError, Mocks
from stepforge.testing import Harness

MOCKS = {
    "StateMachines": {"m1": {"TestCases": {
        "HappyPath": {"Charge": "ChargeOk", "Notify": "Sent"},
        "RetryPath": {"Charge": "ThrottledThenOk", "Notify": "Sent"},
        "FailPath": {"Charge": "Declined"},
    }}},
    "MockedResponses": {
        "ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": True}}}},
        "ThrottledThenOk": {"0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow"}},
                            "2": {"Return": {"StatusCode": 200, "Payload": {"charged": "late"}}}},
        "Declined": {"0": {"Throw": {"Error": "CardDeclined", "Cause": "no funds"}}},
        "Sent": {"0": {"Return": {"MessageId": "m-1"}}},
    },
}

MACHINE = {"StartAt": "Charge", "States": {
    "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Notify",
               "Parameters": {"FunctionName": "charge", "Payload.$": "$"}, "ResultSelector": {"c.$": "$.Payload"},
               "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 1,
                          "MaxAttempts": 3}]},
    "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
               "Parameters": {"QueueUrl": "https://sqs/q", "MessageBody": {"t.$": "$$.Task.Token"}},
               "ResultPath": "$.sent", "End": True},
}}


@pytest.fixture
def harness() -> Harness:
    return Harness(tasks=TaskConfig(inline=True, mocks=MOCKS))


def run_case(harness: Harness, case: str) -> Any:
    machine_arn = harness.create(MACHINE)
    arn = harness.call(__import__("stepforge.service.executions", fromlist=["start"]).start,
                       stateMachineArn=f"{machine_arn}#{case}", input="{}")["executionArn"]
    return harness.run_until_done(arn)


def test_the_happy_path_answers_every_state_from_the_mocks(harness: Harness) -> None:
    result = run_case(harness, "HappyPath")
    assert (result.status, result.output) == ("SUCCEEDED", {"c": {"charged": True}, "sent": {"MessageId": "m-1"}})
    assert result.arn.endswith("#HappyPath")


def test_invocation_ranges_drive_retries(harness: Harness) -> None:
    result = run_case(harness, "RetryPath")
    assert result.output["c"] == {"charged": "late"}
    assert result.event_types.count("TaskFailed") == 2


def test_a_thrown_error_fails_the_state(harness: Harness) -> None:
    result = run_case(harness, "FailPath")
    assert (result.error, result.cause) == ("CardDeclined", "no funds")


def test_without_a_test_case_the_real_resource_is_called(harness: Harness) -> None:
    result = harness.run(MACHINE)
    assert result.error == "Lambda.ResourceNotFoundException"


def test_a_test_case_naming_an_unknown_response_is_refused() -> None:
    with pytest.raises(MockConfigError):
        Mocks({"StateMachines": {"m": {"TestCases": {"T": {"S": "Missing"}}}}, "MockedResponses": {}})
