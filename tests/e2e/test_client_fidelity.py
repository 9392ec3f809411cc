"""What boto3 (and Terraform, through the same API) sees of the details issue 12 lists, against a real server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import botocore.session
import pytest

from stepforge.api.shapes import MODEL
from stepforge.api.validation import SENSITIVE_SHAPES

WAITS = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 300, "End": True}}})
HELLO = json.dumps({"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}})


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def test_deleting_a_machine_ends_its_running_executions_so_the_delete_completes(
        sfn: Any, create_machine: Callable[..., str], wait_for_execution: Callable[..., dict[str, Any]],
        wait_until: Callable[..., Any], execution_history: Callable[[str], list[dict[str, Any]]]) -> None:
    machine_arn = create_machine(WAITS)
    name = machine_arn.rsplit(":", 1)[1]
    execution_arn = sfn.start_execution(stateMachineArn=machine_arn)["executionArn"]
    wait_until(lambda: sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING")
    sfn.delete_state_machine(stateMachineArn=machine_arn)

    def gone() -> bool:  # what `terraform destroy` polls for
        try:
            sfn.describe_state_machine(stateMachineArn=machine_arn)
        except sfn.exceptions.StateMachineDoesNotExist:
            return True
        return False

    wait_until(gone, timeout=5.0, what="the deleted machine to go")
    ended = wait_for_execution(execution_arn)
    assert (ended["status"], ended["error"], ended["cause"]) == (
        "FAILED", "States.Runtime", f"State machine {name} has been deleted.")
    assert execution_history(execution_arn)[-1]["type"] == "ExecutionFailed"


def test_an_execution_arn_is_in_its_machine_s_region_whatever_region_the_caller_signs_for(
        make_client: Callable[[str], Any], role_arn: str, unique_name: Callable[[str], str]) -> None:
    west, east = make_client("eu-west-1"), make_client("us-east-1")
    machine_arn = west.create_state_machine(name=unique_name("m"), definition=HELLO, roleArn=role_arn)[
        "stateMachineArn"]
    execution_arn = east.start_execution(stateMachineArn=machine_arn)["executionArn"]
    assert execution_arn.split(":")[3] == "eu-west-1"
    assert west.describe_execution(executionArn=execution_arn)["stateMachineArn"] == machine_arn


@pytest.mark.parametrize("role", ["nope", "arn:aws:iam::aws:policy/AWSBatchFullAccess",
                                  "arn:aws:states:us-east-1:000000000000:stateMachine:x"])
def test_a_role_arn_that_names_no_iam_role_is_refused(sfn: Any, unique_name: Callable[[str], str],
                                                       role: str) -> None:
    code, message = error_of(lambda: sfn.create_state_machine(name=unique_name("m"), definition=HELLO, roleArn=role))
    assert (code, message) == ("InvalidArn", f"Invalid Role Arn: '{role}'")


def test_an_update_to_a_role_arn_that_names_no_iam_role_is_refused(
        sfn: Any, create_machine: Callable[..., str]) -> None:
    machine_arn = create_machine(HELLO)
    assert error_of(lambda: sfn.update_state_machine(stateMachineArn=machine_arn, roleArn="nope")) == (
        "InvalidArn", "Invalid Role Arn: 'nope'")


def test_an_oversized_sensitive_value_is_not_echoed_in_the_validation_error(
        sfn: Any, create_machine: Callable[..., str]) -> None:
    machine_arn = create_machine(HELLO)
    secret = json.dumps({"secret": "s3cr3t" * 50_000})
    code, message = error_of(lambda: sfn.start_execution(stateMachineArn=machine_arn, input=secret))
    assert code == "ValidationException" and "s3cr3t" not in message
    assert "Value at 'input' failed to satisfy constraint: Member must have length less than or equal to" in message


def test_the_sensitive_shapes_are_those_botocore_marks_sensitive() -> None:
    model = botocore.session.get_session().get_service_model("stepfunctions")
    marked = {name for name in model.shape_names if model.shape_for(name).serialization.get("sensitive")
              or model.shape_for(name).metadata.get("sensitive")}
    assert SENSITIVE_SHAPES == marked & set(MODEL["shapes"])
