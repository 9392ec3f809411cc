"""The Step Functions API as a boto3 user sees it, against a real ``stepforge serve``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

Runner = Callable[..., dict[str, Any]]

HELLO = json.dumps({"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}})
# Waits when the input says so: {"wait": true} keeps the execution RUNNING for 30 s.
MAYBE_WAIT = json.dumps({
    "StartAt": "Should wait?",
    "States": {
        "Should wait?": {"Type": "Choice", "Default": "Done",
                         "Choices": [{"Variable": "$.wait", "BooleanEquals": True, "Next": "Wait"}]},
        "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
})


def asl(states: dict[str, Any], **top: Any) -> str:
    """A definition (JSON text) starting at its first state."""
    return json.dumps({"StartAt": next(iter(states)), "States": states, **top})


def raw_call(endpoint: str, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST ``body`` as-is with ``X-Amz-Target: target``; the status and the decoded JSON answer."""
    request = urllib.request.Request(endpoint + "/", data=body, method="POST", headers={
        "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0",
    })
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def missing(kind: str, name: str) -> str:
    return f"arn:aws:states:us-east-1:000000000000:{kind}:{name}"


# -- state machines --------------------------------------------------------------------------------


def test_a_state_machine_can_be_created_described_listed_and_deleted(
        sfn: Any, role_arn: str, unique_name: Callable[[str], str]) -> None:
    name = unique_name("crud")
    created = sfn.create_state_machine(name=name, definition=HELLO, roleArn=role_arn)
    arn = created["stateMachineArn"]
    assert arn == f"arn:aws:states:us-east-1:000000000000:stateMachine:{name}"

    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["name"], described["status"], described["type"]) == (name, "ACTIVE", "STANDARD")
    assert (described["definition"], described["roleArn"]) == (HELLO, role_arn)
    assert described["creationDate"] == created["creationDate"]
    listed = sfn.get_paginator("list_state_machines").paginate().build_full_result()["stateMachines"]
    assert arn in [m["stateMachineArn"] for m in listed]

    sfn.delete_state_machine(stateMachineArn=arn)
    listed = sfn.get_paginator("list_state_machines").paginate().build_full_result()["stateMachines"]
    assert arn not in [m["stateMachineArn"] for m in listed]
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=arn)


def test_creating_the_same_state_machine_twice_returns_the_same_arn(
        sfn: Any, role_arn: str, unique_name: Callable[[str], str]) -> None:
    name = unique_name("twice")
    first = sfn.create_state_machine(name=name, definition=HELLO, roleArn=role_arn)
    second = sfn.create_state_machine(name=name, definition=HELLO, roleArn=role_arn)
    assert second["stateMachineArn"] == first["stateMachineArn"]
    assert second["creationDate"] == first["creationDate"]


def test_reusing_a_name_with_another_definition_is_state_machine_already_exists(
        sfn: Any, role_arn: str, unique_name: Callable[[str], str]) -> None:
    name = unique_name("taken")
    sfn.create_state_machine(name=name, definition=HELLO, roleArn=role_arn)
    other = asl({"Other": {"Type": "Succeed"}})
    with pytest.raises(sfn.exceptions.StateMachineAlreadyExists):
        sfn.create_state_machine(name=name, definition=other, roleArn=role_arn)


def test_a_next_target_that_does_not_exist_is_an_invalid_definition_naming_its_json_pointer(
        sfn: Any, role_arn: str, unique_name: Callable[[str], str]) -> None:
    broken = asl({"First": {"Type": "Pass", "Next": "Nowhere"}})
    with pytest.raises(sfn.exceptions.InvalidDefinition) as caught:
        sfn.create_state_machine(name=unique_name("broken"), definition=broken, roleArn=role_arn)
    message = caught.value.response["Error"]["Message"]
    assert "/States/First/Next" in message
    assert "Nowhere" in message


def test_a_missing_next_target_is_reported_with_aws_error_code(
        sfn: Any, role_arn: str, unique_name: Callable[[str], str]) -> None:
    broken = asl({"First": {"Type": "Pass", "Next": "Nowhere"}})
    with pytest.raises(sfn.exceptions.InvalidDefinition) as caught:
        sfn.create_state_machine(name=unique_name("broken"), definition=broken, roleArn=role_arn)
    assert "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/First/Next" in \
        caught.value.response["Error"]["Message"]


def test_a_definition_that_is_not_json_is_an_invalid_definition(
        sfn: Any, role_arn: str, unique_name: Callable[[str], str]) -> None:
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.create_state_machine(name=unique_name("notjson"), definition="{not json", roleArn=role_arn)


def test_a_malformed_arn_is_invalid_arn(sfn: Any) -> None:
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_state_machine(stateMachineArn="not-an-arn")
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_execution(executionArn=missing("stateMachine", "a-machine-not-an-execution"))


def test_describing_an_unknown_state_machine_is_state_machine_does_not_exist(sfn: Any) -> None:
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=missing("stateMachine", "never-created"))
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.start_execution(stateMachineArn=missing("stateMachine", "never-created"))


def test_describing_an_unknown_execution_is_execution_does_not_exist(sfn: Any) -> None:
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn=missing("execution", "never-created:nor-this"))


def test_arns_carry_the_region_the_client_signs_for(
        make_client: Callable[[str], Any], role_arn: str, unique_name: Callable[[str], str]) -> None:
    ireland = make_client("eu-west-1")
    name = unique_name("ireland")
    arn = ireland.create_state_machine(name=name, definition=HELLO, roleArn=role_arn)["stateMachineArn"]
    assert arn == f"arn:aws:states:eu-west-1:000000000000:stateMachine:{name}"
    execution = ireland.start_execution(stateMachineArn=arn, name="run")["executionArn"]
    assert execution == f"arn:aws:states:eu-west-1:000000000000:execution:{name}:run"


# -- executions: what the language computes --------------------------------------------------------


def test_pass_with_parameters_and_intrinsics_produces_the_exact_output(run_machine: Runner) -> None:
    machine = asl({"Shape": {"Type": "Pass", "End": True, "Parameters": {
        "constant": 1,
        "copied.$": "$.user.name",
        "greeting.$": "States.Format('Hello, {}!', $.user.name)",
        "pair.$": "States.Array($.user.id, 'x')",
        "count.$": "States.ArrayLength($.tags)",
        "total.$": "States.MathAdd($.user.id, 10)",
        "parsed.$": "States.StringToJson($.encoded)",
        "nested": {"first.$": "$.tags[0]"},
    }}})
    described = run_machine(machine, {"user": {"name": "Ada", "id": 7}, "tags": ["a", "b"], "encoded": "{\"k\":[1]}"})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {
        "constant": 1, "copied": "Ada", "greeting": "Hello, Ada!", "pair": [7, "x"], "count": 2,
        "total": 17, "parsed": {"k": [1]}, "nested": {"first": "a"},
    }


def test_choice_takes_the_first_matching_rule_and_otherwise_the_default(run_machine: Runner) -> None:
    machine = asl({
        "Route": {"Type": "Choice", "Default": "Small", "Choices": [
            {"And": [{"Variable": "$.n", "IsNumeric": True}, {"Variable": "$.n", "NumericGreaterThan": 10}],
             "Next": "Big"},
            {"Variable": "$.kind", "StringMatches": "sp*al", "Next": "Special"},
        ]},
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "Special": {"Type": "Pass", "Result": "special", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "End": True},
    })
    assert run_machine(machine, {"n": 11})["output"] == '"big"'
    assert run_machine(machine, {"n": 3, "kind": "special"})["output"] == '"special"'
    assert run_machine(machine, {"n": 3, "kind": "plain"})["output"] == '"small"'


def test_an_inline_map_applies_its_item_selector_with_the_item_index(run_machine: Runner) -> None:
    machine = asl({"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "unit.$": "$.unit"},
        "ItemProcessor": {"StartAt": "Label", "States": {"Label": {
            "Type": "Pass", "End": True,
            "Parameters": {"label.$": "States.Format('{}:{}{}', $.index, $.value, $.unit)"},
        }}},
    }})
    described = run_machine(machine, {"items": [5, 6, 7], "unit": "kg"})
    assert json.loads(described["output"]) == [{"label": "0:5kg"}, {"label": "1:6kg"}, {"label": "2:7kg"}]


def test_parallel_returns_its_branch_outputs_in_branch_order(run_machine: Runner) -> None:
    def branch(name: str, result: Any) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Pass", "Result": result, "End": True}}}

    machine = asl({"Both": {
        "Type": "Parallel", "End": True, "ResultPath": "$.results",
        "Branches": [branch("Left", "left"), branch("Right", {"right": True}), {
            "StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "InputPath": "$.seed", "End": True}},
        }],
    }})
    described = run_machine(machine, {"seed": 3})
    assert json.loads(described["output"]) == {"seed": 3, "results": ["left", {"right": True}, 3]}


def test_a_choice_on_a_variable_missing_from_the_input_fails_with_states_runtime(run_machine: Runner) -> None:
    machine = asl({
        "Route": {"Type": "Choice", "Default": "Done",
                  "Choices": [{"Variable": "$.absent", "StringEquals": "x", "Next": "Done"}]},
        "Done": {"Type": "Succeed"},
    })
    described = run_machine(machine, {"present": 1})
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert "$.absent" in described["cause"]


def test_a_one_second_wait_delays_the_execution_by_at_least_a_second(run_machine: Runner) -> None:
    machine = asl({"Pause": {"Type": "Wait", "Seconds": 1, "End": True}})
    described = run_machine(machine, {"kept": True})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"kept": True}
    assert (described["stopDate"] - described["startDate"]).total_seconds() >= 1.0


def test_a_fail_state_fails_the_execution_with_its_error_and_cause(run_machine: Runner) -> None:
    described = run_machine(asl({"Refuse": {"Type": "Fail", "Error": "Refused", "Cause": "not today"}}))
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Refused", "not today")
    assert "output" not in described


def test_catch_routes_an_error_to_its_handler_with_the_error_at_result_path(run_machine: Runner) -> None:
    failing_branch = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom", "Cause": "bang"}}}
    machine = asl({
        "Try": {"Type": "Parallel", "Branches": [failing_branch], "Next": "Unreachable",
                "Catch": [{"ErrorEquals": ["Other"], "Next": "Unreachable"},
                          {"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Handler"}]},
        "Unreachable": {"Type": "Fail", "Error": "WrongRoute"},
        "Handler": {"Type": "Pass", "End": True},
    })
    described = run_machine(machine, {"order": 1})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"order": 1, "caught": {"Error": "Boom", "Cause": "bang"}}


# -- executions: the API around them ---------------------------------------------------------------


def test_starting_the_same_name_and_input_while_running_returns_the_same_execution(
        sfn: Any, create_machine: Callable[..., str]) -> None:
    machine = create_machine(MAYBE_WAIT)
    first = sfn.start_execution(stateMachineArn=machine, name="once", input='{"wait": true}')
    again = sfn.start_execution(stateMachineArn=machine, name="once", input='{"wait": true}')
    assert again["executionArn"] == first["executionArn"]
    assert again["startDate"] == first["startDate"]
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1
    sfn.stop_execution(executionArn=first["executionArn"])


def test_reusing_a_running_executions_name_with_other_input_is_execution_already_exists(
        sfn: Any, create_machine: Callable[..., str]) -> None:
    machine = create_machine(MAYBE_WAIT)
    first = sfn.start_execution(stateMachineArn=machine, name="once", input='{"wait": true}')
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=machine, name="once", input='{"wait": true, "other": 1}')
    sfn.stop_execution(executionArn=first["executionArn"])


def test_reusing_a_finished_executions_name_is_execution_already_exists(
        sfn: Any, create_machine: Callable[..., str], wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    machine = create_machine(HELLO)
    first = sfn.start_execution(stateMachineArn=machine, name="done", input="{}")
    wait_for_execution(first["executionArn"])
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=machine, name="done", input="{}")


def test_an_execution_name_with_a_space_is_invalid_name(sfn: Any, create_machine: Callable[..., str]) -> None:
    with pytest.raises(sfn.exceptions.InvalidName):
        sfn.start_execution(stateMachineArn=create_machine(HELLO), name="has a space")


def test_a_running_execution_fails_when_its_state_machine_is_deleted(
        sfn: Any, create_machine: Callable[..., str], wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    machine = create_machine(asl({"Pause": {"Type": "Wait", "Seconds": 1, "End": True}}))
    arn = sfn.start_execution(stateMachineArn=machine, input='{"still": "here"}')["executionArn"]
    sfn.delete_state_machine(stateMachineArn=machine)
    described = wait_for_execution(arn)
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert json.loads(described["input"]) == {"still": "here"}


def test_input_that_is_not_json_is_invalid_execution_input(sfn: Any, create_machine: Callable[..., str]) -> None:
    machine = create_machine(HELLO)
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=machine, input="{not json")
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []


def test_describe_execution_reports_status_dates_input_and_output(
        sfn: Any, create_machine: Callable[..., str], wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    machine = create_machine(HELLO)
    started = sfn.start_execution(stateMachineArn=machine, name="described", input='{"a": [1, 2]}')
    described = wait_for_execution(started["executionArn"])
    assert described["executionArn"] == started["executionArn"]
    assert (described["stateMachineArn"], described["name"]) == (machine, "described")
    assert described["status"] == "SUCCEEDED"
    assert described["startDate"] == started["startDate"] <= described["stopDate"]
    assert json.loads(described["input"]) == {"a": [1, 2]}
    assert json.loads(described["output"]) == {"a": [1, 2]}
    assert "error" not in described and "cause" not in described


def test_list_executions_filters_by_status_and_pages_newest_first(
        sfn: Any, create_machine: Callable[..., str], wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    machine = create_machine(MAYBE_WAIT)
    quick = [sfn.start_execution(stateMachineArn=machine, name=f"quick-{i}", input='{"wait": false}')["executionArn"]
             for i in range(2)]
    for arn in quick:
        wait_for_execution(arn)
    waiting = sfn.start_execution(stateMachineArn=machine, name="waiting", input='{"wait": true}')["executionArn"]

    running = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
    assert [e["executionArn"] for e in running] == [waiting]
    succeeded = sfn.list_executions(stateMachineArn=machine, statusFilter="SUCCEEDED")["executions"]
    assert sorted(e["executionArn"] for e in succeeded) == sorted(quick)
    assert all(e["status"] == "SUCCEEDED" and "stopDate" in e for e in succeeded)

    pages, token = [], None
    while True:
        page = sfn.list_executions(stateMachineArn=machine, maxResults=1, **({"nextToken": token} if token else {}))
        pages.append([e["name"] for e in page["executions"]])
        token = page.get("nextToken")
        if token is None:
            break
    assert pages == [["waiting"], ["quick-1"], ["quick-0"]]
    sfn.stop_execution(executionArn=waiting)


def test_history_of_a_pass_machine_is_a_gap_free_chain_of_four_events(
        sfn: Any, run_machine: Runner, execution_history: Callable[[str], list[dict[str, Any]]]) -> None:
    described = run_machine(asl({"Only": {"Type": "Pass", "Result": {"r": 1}, "End": True}}), {"in": 0})
    events = execution_history(described["executionArn"])
    assert [e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                           "ExecutionSucceeded"]
    assert [e["id"] for e in events] == [1, 2, 3, 4]
    assert [e["previousEventId"] for e in events][2:] == [2, 3]
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"in": 0}
    assert events[1]["stateEnteredEventDetails"]["name"] == "Only"
    assert json.loads(events[2]["stateExitedEventDetails"]["output"]) == {"r": 1}
    assert json.loads(events[3]["executionSucceededEventDetails"]["output"]) == {"r": 1}
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)


def test_the_first_state_entered_event_has_previous_event_id_zero_as_on_aws(
        run_machine: Runner, execution_history: Callable[[str], list[dict[str, Any]]]) -> None:
    described = run_machine(asl({"Only": {"Type": "Pass", "End": True}}))
    events = execution_history(described["executionArn"])
    assert [(e["id"], e["previousEventId"]) for e in events] == [(1, 0), (2, 0), (3, 2), (4, 3)]


def test_history_reverse_order_and_pagination_cover_every_event_once(
        sfn: Any, run_machine: Runner, execution_history: Callable[[str], list[dict[str, Any]]]) -> None:
    chain = {f"S{i}": {"Type": "Pass", **({"Next": f"S{i + 1}"} if i < 4 else {"End": True})} for i in range(5)}
    arn = run_machine(asl(chain))["executionArn"]
    forward = execution_history(arn)
    assert [e["id"] for e in forward] == list(range(1, 13))

    reverse = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert reverse == forward[::-1]

    first = sfn.get_execution_history(executionArn=arn, maxResults=5)
    assert [e["id"] for e in first["events"]] == [1, 2, 3, 4, 5]
    second = sfn.get_execution_history(executionArn=arn, maxResults=5, nextToken=first["nextToken"])
    assert [e["id"] for e in second["events"]] == [6, 7, 8, 9, 10]
    third = sfn.get_execution_history(executionArn=arn, maxResults=5, nextToken=second["nextToken"])
    assert [e["id"] for e in third["events"]] == [11, 12]
    assert "nextToken" not in third


def test_stop_execution_aborts_it_with_the_given_error_and_cause(
        sfn: Any, create_machine: Callable[..., str], wait_for_execution: Callable[..., dict[str, Any]],
        execution_history: Callable[[str], list[dict[str, Any]]]) -> None:
    machine = create_machine(MAYBE_WAIT)
    arn = sfn.start_execution(stateMachineArn=machine, input='{"wait": true}')["executionArn"]
    sfn.stop_execution(executionArn=arn, error="Operator", cause="changed my mind")
    described = wait_for_execution(arn)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Operator", "changed my mind")
    last = execution_history(arn)[-1]
    assert last["type"] == "ExecutionAborted"
    assert last["executionAbortedEventDetails"] == {"error": "Operator", "cause": "changed my mind"}


def test_an_execution_past_its_timeout_seconds_is_timed_out(
        run_machine: Runner, execution_history: Callable[[str], list[dict[str, Any]]]) -> None:
    machine = asl({"Long": {"Type": "Wait", "Seconds": 30, "End": True}}, TimeoutSeconds=1)
    described = run_machine(machine, timeout=10)
    assert described["status"] == "TIMED_OUT"
    assert (described["stopDate"] - described["startDate"]).total_seconds() < 10
    assert execution_history(described["executionArn"])[-1]["type"] == "ExecutionTimedOut"


def test_a_task_on_an_activity_that_does_not_exist_fails_with_states_runtime(run_machine: Runner) -> None:
    ghost = missing("activity", "never-created")
    described = run_machine(asl({"Work": {"Type": "Task", "Resource": ghost, "End": True}}))
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert described["cause"] == ("An error occurred while executing the state 'Work' (entered at the event id #2). "
                                  f"The activity {ghost} does not exist.")


def test_a_task_whose_function_cannot_be_reached_is_an_ordinary_catchable_failure(run_machine: Runner) -> None:
    resource = "arn:aws:lambda:us-east-1:000000000000:function:nope"
    machine = asl({"Work": {"Type": "Task", "Resource": resource, "End": True,
                            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Swallowed"}]},
                   "Swallowed": {"Type": "Succeed"}})
    described = run_machine(machine)
    assert described["status"] == "SUCCEEDED"
    error = json.loads(described["output"])["error"]
    assert error["Error"] == "Lambda.ResourceNotFoundException"
    assert error["Cause"].startswith(f"Function not found: {resource}:$LATEST")


# -- the wire protocol -----------------------------------------------------------------------------


def test_a_request_body_that_is_not_json_gets_an_aws_shaped_400(endpoint: str) -> None:
    status, body = raw_call(endpoint, "AWSStepFunctions.ListStateMachines", b"{this is not json")
    assert status == 400
    assert body["__type"].endswith("SerializationException")
    assert body["message"]


def test_a_request_body_that_is_not_an_object_gets_an_aws_shaped_400(endpoint: str) -> None:
    status, body = raw_call(endpoint, "AWSStepFunctions.ListStateMachines", b"[1, 2]")
    assert status == 400
    assert body["__type"].endswith("SerializationException")


def test_an_oversized_request_body_is_refused_without_harm(endpoint: str) -> None:
    # 24 MiB, far past the 4 MiB limit: the client is still sending when the refusal is ready, and
    # hears it only because the server reads the rest of the body instead of resetting the connection.
    status, body = raw_call(endpoint, "AWSStepFunctions.ListStateMachines", b" " * (24 * 1024 * 1024) + b"{}")
    assert status == 400
    assert body["__type"].endswith("ValidationException")
    assert raw_call(endpoint, "AWSStepFunctions.ListStateMachines", b"{}")[0] == 200


def test_an_unknown_target_gets_an_aws_shaped_400(endpoint: str) -> None:
    status, body = raw_call(endpoint, "AWSStepFunctions.FlyToTheMoon", b"{}")
    assert status == 400
    assert body["__type"].endswith("UnknownOperationException")
    assert "FlyToTheMoon" in body["message"]


def test_a_parameter_of_the_wrong_type_is_a_validation_error_not_a_500(endpoint: str) -> None:
    status, body = raw_call(endpoint, "AWSStepFunctions.CreateStateMachine",
                            json.dumps({"name": 5, "definition": HELLO, "roleArn": []}).encode())
    assert status == 400
    assert "__type" in body
