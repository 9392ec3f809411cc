"""EXPRESS executions at the API: what AWS answers for them, and nothing in the store."""

from __future__ import annotations

import json
from typing import Any

import anyio
from api_kit import PASS, ROLE, Api, with_api

from stepforge.engine.express import MAX_SECONDS

WAITS = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})


async def machine(api: Api, definition: str = PASS, kind: str = "EXPRESS", name: str = "x") -> str:
    created = await api.ok("CreateStateMachine", name=name, definition=definition, roleArn=ROLE, type=kind)
    return str(created["stateMachineArn"])


def error(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["__type"].rpartition("#")[2], body["message"]


@with_api
async def test_start_sync_execution_answers_with_an_express_arn_and_stores_nothing(api: Api) -> None:
    arn = await machine(api, json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}}))
    answer = await api.ok("StartSyncExecution", stateMachineArn=arn, name="one", input='{"a": 1}')
    assert answer["executionArn"].startswith("arn:aws:states:us-east-1:000000000000:express:x:one:")
    assert (answer["status"], answer["output"], answer["input"], answer["name"]) == ("SUCCEEDED", "1", '{"a": 1}', "one")
    assert answer["billingDetails"] == {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100}
    assert api.store.get_execution(answer["executionArn"]) is None
    assert api.store.get_events(answer["executionArn"]) == []


@with_api
async def test_start_execution_of_an_express_machine_runs_it_in_memory(api: Api) -> None:
    arn = await machine(api)
    started = await api.ok("StartExecution", stateMachineArn=arn, name="same")
    again = await api.ok("StartExecution", stateMachineArn=arn, name="same")  # Express names need not be unique
    assert started["executionArn"].startswith("arn:aws:states:us-east-1:000000000000:express:x:same:")
    assert again["executionArn"] != started["executionArn"]
    assert api.store.get_execution(started["executionArn"]) is None


@with_api
async def test_describe_history_and_stop_refuse_an_express_arn_as_aws_does(api: Api) -> None:
    arn = await machine(api, WAITS)
    execution = (await api.ok("StartExecution", stateMachineArn=arn))["executionArn"]
    for operation in ("DescribeExecution", "GetExecutionHistory", "StopExecution", "DescribeStateMachineForExecution"):
        assert error(await api.call(operation, executionArn=execution)) == (
            400, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'"), operation
    assert error(await api.call("ListExecutions", stateMachineArn=arn)) == (
        400, "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")


@with_api
async def test_start_sync_execution_refuses_a_standard_machine(api: Api) -> None:
    arn = await machine(api, kind="STANDARD")
    assert error(await api.call("StartSyncExecution", stateMachineArn=arn))[:2] == (
        400, "StateMachineTypeNotSupported")


@with_api
async def test_start_sync_execution_answers_a_failure_with_200(api: Api) -> None:
    arn = await machine(api, json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}}))
    answer = await api.ok("StartSyncExecution", stateMachineArn=arn, includedData="METADATA_ONLY")
    assert (answer["status"], answer["error"], answer["cause"]) == ("FAILED", "E", "c")
    assert "input" not in answer and "output" not in answer


@with_api
async def test_start_sync_execution_answers_timed_out_at_the_five_minute_limit(api: Api) -> None:
    arn = await machine(api, WAITS)
    answers: list[Any] = []

    async def start() -> None:
        answers.append(await api.ok("StartSyncExecution", stateMachineArn=arn))

    async with anyio.create_task_group() as group:
        group.start_soon(start)
        with anyio.fail_after(10):
            while not api.engine.express.running():
                await anyio.sleep(0.001)
        assert api.engine.express.fire_due(api.engine.clock.now() + MAX_SECONDS) == 1
    assert answers[0]["status"] == "TIMED_OUT" and answers[0]["stopDate"] >= answers[0]["startDate"]


@with_api
async def test_a_start_right_after_update_or_delete_sees_the_change(api: Api) -> None:
    arn = await machine(api)
    assert json.loads((await api.ok("StartSyncExecution", stateMachineArn=arn, input='{"v": 1}'))["output"]) == {"v": 1}
    await api.ok("UpdateStateMachine", stateMachineArn=arn, definition=json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "new", "End": True}}}))
    assert (await api.ok("StartSyncExecution", stateMachineArn=arn))["output"] == '"new"'
    await api.ok("DeleteStateMachine", stateMachineArn=arn)
    assert error(await api.call("StartExecution", stateMachineArn=arn))[1] == "StateMachineDoesNotExist"
