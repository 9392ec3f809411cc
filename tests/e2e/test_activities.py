"""Activities end to end: a boto3 worker polls for tasks and closes them by token."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

Wait = Callable[..., dict[str, Any]]
History = Callable[[str], list[dict[str, Any]]]
Handler = Callable[[Any, dict[str, Any]], None]  # (client, task) -> closes the task
HEARTBEAT_INTERVAL = 0.3


def asl(states: dict[str, Any], **top: Any) -> str:
    """A definition (JSON text) starting at its first state."""
    return json.dumps({"StartAt": next(iter(states)), "States": states, **top})


class Worker:
    """A thread that takes ``len(handlers)`` tasks from one activity, one handler per task, in order."""

    def __init__(self, sfn: Any, activity_arn: str, handlers: list[Handler]) -> None:
        self.sfn, self.activity_arn, self.handlers = sfn, activity_arn, handlers
        self.tasks: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._work, name="activity-worker", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        try:
            for handler in self.handlers:
                task = self.sfn.get_activity_task(activityArn=self.activity_arn, workerName="e2e-worker")
                self.tasks.append(task)
                if not task.get("taskToken"):
                    raise AssertionError("the long poll ended without a task")
                handler(self.sfn, task)
        except Exception as error:  # noqa: BLE001 -- re-raised by join() in the test's thread
            self.errors.append(error)

    def join(self, timeout: float = 15.0) -> list[dict[str, Any]]:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the worker is still waiting for a task"
        if self.errors:
            raise self.errors[0]
        return self.tasks


def succeed_with(output: Any) -> Handler:
    return lambda sfn, task: sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps(output))


def fail_with(error: str, cause: str) -> Handler:
    return lambda sfn, task: sfn.send_task_failure(taskToken=task["taskToken"], error=error, cause=cause)


def echo_doubled(sfn: Any, task: dict[str, Any]) -> None:
    value = json.loads(task["input"])["value"]
    sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"doubled": value * 2}))


def ignore(sfn: Any, task: dict[str, Any]) -> None:
    """Takes the task and never answers."""


@pytest.fixture
def activity(sfn: Any, unique_name: Callable[[str], str]) -> Iterator[str]:
    arn = str(sfn.create_activity(name=unique_name("activity"))["activityArn"])
    yield arn
    sfn.delete_activity(activityArn=arn)


@pytest.fixture
def start(sfn: Any, create_machine: Callable[..., str]) -> Callable[..., str]:
    """``start(definition_text, input)`` -> the ARN of a new execution of a new machine."""

    def run(text: str, payload: Any = None) -> str:
        machine = create_machine(text)
        return str(sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload or {}))["executionArn"])

    return run


def task_state(activity: str, **fields: Any) -> dict[str, Any]:
    """A Task state on ``activity``; it ends the machine unless ``Next`` is given."""
    return {"Type": "Task", "Resource": activity, **({} if "Next" in fields else {"End": True}), **fields}


# -- the activity resource -------------------------------------------------------------------------


def test_an_activity_can_be_created_described_listed_and_deleted(
        sfn: Any, unique_name: Callable[[str], str]) -> None:
    name = unique_name("crud")
    created = sfn.create_activity(name=name)
    arn = created["activityArn"]
    assert arn == f"arn:aws:states:us-east-1:000000000000:activity:{name}"
    assert sfn.create_activity(name=name)["activityArn"] == arn
    assert sfn.describe_activity(activityArn=arn)["name"] == name
    listed = sfn.get_paginator("list_activities").paginate().build_full_result()["activities"]
    assert arn in [a["activityArn"] for a in listed]
    sfn.delete_activity(activityArn=arn)
    with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
        sfn.describe_activity(activityArn=arn)


def test_polling_an_activity_that_does_not_exist_is_activity_does_not_exist(sfn: Any) -> None:
    with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
        sfn.get_activity_task(activityArn="arn:aws:states:us-east-1:000000000000:activity:never-created")


# -- tasks closed by a worker ----------------------------------------------------------------------


def test_a_workers_output_becomes_the_task_states_result(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait,
        execution_history: History) -> None:
    machine = asl({"Double": task_state(activity, Parameters={"value.$": "$.n"}, ResultPath="$.result")})
    execution = start(machine, {"n": 21})
    tasks = Worker(sfn, activity, [echo_doubled]).join()

    assert json.loads(tasks[0]["input"]) == {"value": 21}
    described = wait_for_execution(execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"n": 21, "result": {"doubled": 42}}
    events = execution_history(execution)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
        "TaskStateExited", "ExecutionSucceeded",
    ]
    scheduled, started = events[2], events[3]
    assert scheduled["activityScheduledEventDetails"]["resource"] == activity
    assert json.loads(scheduled["activityScheduledEventDetails"]["input"]) == {"value": 21}
    assert started["activityStartedEventDetails"]["workerName"] == "e2e-worker"


def test_a_task_scheduled_while_a_poll_is_waiting_is_handed_to_that_poll(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait) -> None:
    worker = Worker(sfn, activity, [succeed_with("late but fine")])
    time.sleep(HEARTBEAT_INTERVAL)  # let the worker's long poll reach the server first
    execution = start(asl({"Work": task_state(activity)}))
    worker.join()
    assert wait_for_execution(execution)["output"] == '"late but fine"'


def test_catch_routes_a_failed_activity_to_the_handler_state(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait) -> None:
    machine = asl({
        "Charge": task_state(activity, Next="Charged", Catch=[
            {"ErrorEquals": ["CardDeclined"], "ResultPath": "$.failure", "Next": "Declined"},
        ]),
        "Charged": {"Type": "Succeed"},
        "Declined": {"Type": "Pass", "End": True},
    })
    execution = start(machine, {"card": "4111"})
    Worker(sfn, activity, [fail_with("CardDeclined", "insufficient funds")]).join()
    described = wait_for_execution(execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {
        "card": "4111", "failure": {"Error": "CardDeclined", "Cause": "insufficient funds"},
    }


def test_an_uncaught_activity_failure_fails_the_execution_with_the_workers_error_and_cause(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait,
        execution_history: History) -> None:
    execution = start(asl({"Work": task_state(activity)}))
    Worker(sfn, activity, [fail_with("Exploded", "the worker blew up")]).join()
    described = wait_for_execution(execution)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Exploded",
                                                                              "the worker blew up")
    failed = [e for e in execution_history(execution) if e["type"] == "ActivityFailed"]
    assert failed[0]["activityFailedEventDetails"] == {"error": "Exploded", "cause": "the worker blew up"}


def test_retry_runs_a_failed_activity_task_again(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait,
        execution_history: History) -> None:
    machine = asl({"Work": task_state(activity, Retry=[
        {"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2},
    ])})
    execution = start(machine)
    Worker(sfn, activity, [fail_with("Flaky", "first try"), succeed_with({"attempt": 2})]).join()
    described = wait_for_execution(execution)
    assert json.loads(described["output"]) == {"attempt": 2}
    types = [e["type"] for e in execution_history(execution)]
    assert types.count("ActivityScheduled") == 2
    assert types.index("ActivityFailed") < types.index("ActivitySucceeded")


# -- heartbeats and timeouts -----------------------------------------------------------------------


def test_heartbeats_keep_a_task_alive_past_its_heartbeat_seconds(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait,
        execution_history: History) -> None:
    def slow_but_alive(client: Any, task: dict[str, Any]) -> None:
        until = time.monotonic() + 2.2  # more than twice HeartbeatSeconds
        while time.monotonic() < until:
            client.send_task_heartbeat(taskToken=task["taskToken"])
            time.sleep(HEARTBEAT_INTERVAL)
        client.send_task_success(taskToken=task["taskToken"], output='"finished"')

    execution = start(asl({"Slow": task_state(activity, HeartbeatSeconds=1, TimeoutSeconds=10)}))
    Worker(sfn, activity, [slow_but_alive]).join()
    described = wait_for_execution(execution)
    assert (described["status"], described["output"]) == ("SUCCEEDED", '"finished"')
    scheduled = next(e for e in execution_history(execution) if e["type"] == "ActivityScheduled")
    details = scheduled["activityScheduledEventDetails"]
    assert (details["heartbeatInSeconds"], details["timeoutInSeconds"]) == (1, 10)


def test_a_task_without_heartbeats_fails_with_states_heartbeat_timeout(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait,
        execution_history: History) -> None:
    execution = start(asl({"Silent": task_state(activity, HeartbeatSeconds=1, TimeoutSeconds=30)}))
    Worker(sfn, activity, [ignore]).join()
    described = wait_for_execution(execution, timeout=10)
    assert (described["status"], described["error"]) == ("FAILED", "States.HeartbeatTimeout")
    assert "ActivityTimedOut" in [e["type"] for e in execution_history(execution)]


def test_a_task_past_its_timeout_seconds_fails_with_states_timeout(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait,
        execution_history: History) -> None:
    execution = start(asl({"TooLong": task_state(activity, TimeoutSeconds=1)}))
    Worker(sfn, activity, [ignore]).join()
    described = wait_for_execution(execution, timeout=10)
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
    events = execution_history(execution)
    assert [e["type"] for e in events][-2:] == ["ActivityTimedOut", "ExecutionFailed"]
    assert events[-2]["activityTimedOutEventDetails"]["error"] == "States.Timeout"


def test_answering_a_task_that_already_timed_out_is_task_timed_out(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait) -> None:
    execution = start(asl({"TooLong": task_state(activity, TimeoutSeconds=1)}))
    task = Worker(sfn, activity, [ignore]).join()[0]
    assert wait_for_execution(execution, timeout=10)["status"] == "FAILED"
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")


# -- bad answers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["unknown", "x" * 120])
def test_a_token_no_task_was_given_is_refused(sfn: Any, token: str) -> None:
    refused = (sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist)
    with pytest.raises(refused):
        sfn.send_task_success(taskToken=token, output="{}")
    with pytest.raises(refused):
        sfn.send_task_heartbeat(taskToken=token)


def test_output_that_is_not_json_is_invalid_output_and_leaves_the_task_open(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait) -> None:
    def answer_badly_then_well(client: Any, task: dict[str, Any]) -> None:
        with pytest.raises(client.exceptions.InvalidOutput):
            client.send_task_success(taskToken=task["taskToken"], output="{not json")
        client.send_task_success(taskToken=task["taskToken"], output='{"fixed": true}')

    execution = start(asl({"Work": task_state(activity)}))
    Worker(sfn, activity, [answer_badly_then_well]).join()
    assert json.loads(wait_for_execution(execution)["output"]) == {"fixed": True}


# -- tasks whose execution moved on ----------------------------------------------------------------


def test_stopping_an_execution_withdraws_its_pending_activity_task(
        sfn: Any, activity: str, create_machine: Callable[..., str], wait_for_execution: Wait) -> None:
    machine = create_machine(asl({"Work": task_state(activity)}))
    stopped = sfn.start_execution(stateMachineArn=machine, input='{"execution": "stopped"}')["executionArn"]
    sfn.stop_execution(executionArn=stopped)
    assert wait_for_execution(stopped)["status"] == "ABORTED"

    live = sfn.start_execution(stateMachineArn=machine, input='{"execution": "live"}')["executionArn"]
    tasks = Worker(sfn, activity, [succeed_with("done")]).join()
    assert json.loads(tasks[0]["input"]) == {"execution": "live"}
    assert wait_for_execution(live)["status"] == "SUCCEEDED"


def test_a_failing_parallel_branch_closes_the_activity_task_of_its_sibling(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait) -> None:
    machine = asl({"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Work", "States": {"Work": task_state(activity)}},
        {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 1, "Next": "Break"},
                                        "Break": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}},
    ]}})
    execution = start(machine)
    task = Worker(sfn, activity, [ignore]).join()[0]
    described = wait_for_execution(execution)
    assert (described["status"], described["error"]) == ("FAILED", "Broken")
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")


def test_a_second_answer_to_the_same_task_is_refused(
        sfn: Any, activity: str, start: Callable[..., str], wait_for_execution: Wait) -> None:
    execution = start(asl({"Work": task_state(activity)}))
    task = Worker(sfn, activity, [succeed_with("first")]).join()[0]
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_failure(taskToken=task["taskToken"], error="Late", cause="second answer")
    assert wait_for_execution(execution)["output"] == '"first"'
