"""Child executions: states:startExecution plain, .sync, .sync:2 and with a callback token."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from stepforge.asl.records import Stop
from stepforge.service import aliases, executions, ports, versions
from stepforge.store.base import ExecutionQuery
from stepforge.tasks.children import StartRefused
from stepforge.testing import Harness, write

START = "arn:aws:states:::states:startExecution"
CHILD = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$.n"}, "End": True}}}
FAILING = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "child says no"}}}


def parent(resource: str, child_arn: str, **params: Any) -> dict[str, Any]:
    return {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": resource, "End": True,
        "Parameters": {"StateMachineArn": child_arn, "Input": {"n.$": "$.n",
                       "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}, **params}}}}


@pytest.fixture
def harness() -> Harness:
    return Harness()


def test_start_execution_returns_the_child_arn_at_once(harness: Harness) -> None:
    child = harness.create(CHILD)
    result = harness.run(parent(START, child, Name="kid-1"), {"n": 5})
    assert result.output["ExecutionArn"].endswith(":kid-1")
    kid = harness.run_until_done(result.output["ExecutionArn"])
    assert kid.output == {"got": 5}
    assert json.loads(kid.events[0]["executionStartedEventDetails"]["input"])[
        "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == result.arn


def test_sync_waits_for_the_child_and_returns_its_output_as_text(harness: Harness) -> None:
    result = harness.run(parent(START + ".sync", harness.create(CHILD)), {"n": 5})
    assert result.status == "SUCCEEDED"
    assert (result.output["Status"], result.output["Output"]) == ("SUCCEEDED", '{"got":5}')


def test_sync2_returns_the_output_as_json(harness: Harness) -> None:
    result = harness.run(parent(START + ".sync:2", harness.create(CHILD)), {"n": 5})
    assert result.output["Output"] == {"got": 5}
    assert result.event_types.count("TaskSucceeded") == 1


def test_a_failed_child_fails_the_sync_task_with_its_description(harness: Harness) -> None:
    result = harness.run(parent(START + ".sync", harness.create(FAILING)), {"n": 1})
    assert (result.status, result.error) == ("FAILED", "States.TaskFailed")
    assert json.loads(result.cause or "")["Error"] == "Nope"


def test_a_missing_state_machine_fails_the_task(harness: Harness) -> None:
    ghost = "arn:aws:states:us-east-1:000000000000:stateMachine:ghost"
    result = harness.run(parent(START + ".sync", ghost), {"n": 1})
    assert result.error == "StepFunctions.StateMachineDoesNotExistException"


def test_a_child_can_answer_its_parent_by_token(harness: Harness) -> None:
    child = harness.create({"StartAt": "W", "States": {"W": {"Type": "Pass", "End": True}}})
    machine = {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": START + ".waitForTaskToken", "End": True,
        "Parameters": {"StateMachineArn": child, "Name": "answering", "Input": {"token.$": "$$.Task.Token"}}}}}
    arn = harness.start(machine)
    harness.settle()
    kid = harness.store.list_executions(ExecutionQuery(state_machine_arn=child), limit=1).items[0]
    harness.succeed(json.loads(kid.input)["token"], {"from": "child"})
    assert harness.run_until_done(arn).output == {"from": "child"}


def test_stopping_the_parent_stops_its_sync_child(harness: Harness) -> None:
    slow = harness.create({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    arn = harness.start(parent(START + ".sync", slow, Name="slow-kid"), {"n": 1})
    harness.settle()
    kid = slow.replace(":stateMachine:", ":execution:") + ":slow-kid"
    assert harness.result(kid).status == "RUNNING"
    write(harness.store, lambda tx: tx.push_signal(arn, Stop("Halt", "by a test")))
    harness.settle()
    assert harness.result(arn).status == "ABORTED"
    assert harness.result(kid).status == "ABORTED"


def test_a_sync_task_timing_out_stops_its_child(harness: Harness) -> None:
    slow = harness.create({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    machine = parent(START + ".sync", slow, Name="late-kid")
    machine["States"]["Run"]["TimeoutSeconds"] = 5
    arn = harness.start(machine, {"n": 1})
    harness.settle()
    harness.advance(5)
    assert harness.result(arn).error == "States.Timeout"
    assert harness.result(slow.replace(":stateMachine:", ":execution:") + ":late-kid").status == "ABORTED"


def test_a_sync_task_records_the_submitted_child_in_its_history(harness: Harness) -> None:
    child = harness.create(CHILD)
    result = harness.run(parent(START + ".sync", child, Name="seen-kid"), {"n": 2})
    tasks = [t for t in result.event_types if t.startswith("Task") and not t.startswith("TaskState")]
    assert tasks == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    submitted = json.loads(result.details("TaskSubmitted")[0]["output"])
    assert submitted["ExecutionArn"].endswith(":seen-kid")


# -- a child starts as StartExecution does (through the service layer's port) -----------------------


def test_a_child_starts_on_a_version_arn(harness: Harness) -> None:
    child = harness.create(CHILD)
    version = harness.call(versions.publish_version, stateMachineArn=child)["stateMachineVersionArn"]
    result = harness.run(parent(START + ".sync", version, Name="versioned"), {"n": 3})
    assert (result.status, json.loads(result.output["Output"])) == ("SUCCEEDED", {"got": 3})
    kid = harness.call(executions.describe, executionArn=result.output["ExecutionArn"])
    assert kid["stateMachineVersionArn"] == version


def test_a_child_starts_on_an_alias_arn(harness: Harness) -> None:
    child = harness.create(CHILD)
    version = harness.call(versions.publish_version, stateMachineArn=child)["stateMachineVersionArn"]
    alias = harness.call(aliases.create, name="live", routingConfiguration=[
        {"stateMachineVersionArn": version, "weight": 100}])["stateMachineAliasArn"]
    result = harness.run(parent(START + ".sync", alias, Name="aliased"), {"n": 4})
    assert result.status == "SUCCEEDED"
    kid = harness.call(executions.describe, executionArn=result.output["ExecutionArn"])
    assert (kid["stateMachineAliasArn"], kid["stateMachineVersionArn"]) == (alias, version)


def test_a_child_counts_against_the_open_execution_quota(harness: Harness) -> None:
    harness.ctx = ports.connect(dataclasses.replace(harness.ctx, max_open_executions=1))
    result = harness.run(parent(START, harness.create(CHILD)), {"n": 1})  # the parent is the one open execution
    assert (result.status, result.error) == ("FAILED", "StepFunctions.ExecutionLimitExceededException")
    assert "Status Code: 400; Error Code: ExecutionLimitExceeded" in (result.cause or "")


def test_a_child_of_a_machine_being_deleted_is_refused(harness: Harness) -> None:
    slow = harness.create({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    harness.call(executions.start, stateMachineArn=slow, name="still-running")
    # DeleteStateMachine's state until its running execution's next step ends that execution
    record = harness.store.get_state_machine(slow)
    assert record is not None
    record.status = "DELETING"
    with harness.store.transaction() as tx:
        tx.put_state_machine(record)
    result = harness.run(parent(START, slow, Name="too-late"), {"n": 1})
    assert (result.status, result.error) == ("FAILED", "StepFunctions.StateMachineDeletingException")
    assert harness.store.get_execution(slow.replace(":stateMachine:", ":execution:") + ":too-late") is None


def test_a_child_started_twice_is_the_same_child(harness: Harness) -> None:
    """A task may be dispatched again after a crash (at-least-once): it must find its first child."""
    child = harness.create(CHILD)
    start = harness.ctx.engine.dispatcher.start_execution
    first = start(child, '{"n": 1}', "again")
    harness.settle()
    assert harness.result(first).status == "SUCCEEDED"
    assert start(child, '{"n": 1}', "again") == first
    with pytest.raises(StartRefused, match="Execution Already Exists"):
        start(child, '{"n": 2}', "again")
