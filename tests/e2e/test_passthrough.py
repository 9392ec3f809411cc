"""The AWS pass-through against a real AWS-compatible endpoint: another stepforge server.

``aws-sdk:sfn:*`` calls go through boto3 to the configured ``endpoint_url`` — here the e2e
server, standing in for AWS — and come back as AWS's aws-sdk integration shapes them.
"""

from __future__ import annotations

import json
from typing import Any

from stepforge.tasks.config import TaskConfig
from stepforge.testing import Harness


def sdk_task(action: str, **fields: Any) -> dict[str, Any]:
    return {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": f"arn:aws:states:::aws-sdk:sfn:{action}", "End": True, **fields}}}


def test_an_aws_sdk_task_calls_the_configured_endpoint(endpoint: str, sfn: Any, unique_name: Any) -> None:
    name = unique_name("passthrough")
    arn = sfn.create_activity(name=name)["activityArn"]
    harness = Harness(tasks=TaskConfig(inline=True, endpoint_url=endpoint))
    result = harness.run(sdk_task("describeActivity", Parameters={"ActivityArn.$": "$.arn"}), {"arn": arn})
    assert result.status == "SUCCEEDED", result.cause
    assert (result.output["ActivityArn"], result.output["Name"]) == (arn, name)


def test_a_service_error_is_the_tasks_error_and_can_be_caught(endpoint: str) -> None:
    missing = "arn:aws:states:us-east-1:000000000000:activity:never-created"
    machine = sdk_task("describeActivity", Parameters={"ActivityArn": missing},
                       Catch=[{"ErrorEquals": ["Sfn.ActivityDoesNotExistException"], "Next": "Handled"}])
    machine["States"]["Call"].pop("End")
    machine["States"]["Call"]["Next"] = "Done"
    machine["States"].update({"Done": {"Type": "Succeed"}, "Handled": {"Type": "Pass", "End": True}})
    result = Harness(tasks=TaskConfig(inline=True, endpoint_url=endpoint)).run(machine)
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "Sfn.ActivityDoesNotExistException"


def test_an_input_object_of_aws_sdk_start_execution_is_sent_as_json_text(
        endpoint: str, sfn: Any, create_machine: Any, wait_for_execution: Any) -> None:
    child = create_machine(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    machine = sdk_task("startExecution", Parameters={"StateMachineArn": child, "Input": {"order": 7, "tags": ["a"]}})
    result = Harness(tasks=TaskConfig(inline=True, endpoint_url=endpoint)).run(machine)
    assert result.status == "SUCCEEDED", result.cause
    assert not {"SdkHttpMetadata", "SdkResponseMetadata"} & set(result.output)  # aws-sdk results carry none
    described = wait_for_execution(result.output["ExecutionArn"])
    assert described["input"] == '{"order":7,"tags":["a"]}'
