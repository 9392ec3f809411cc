"""The ``stepforge`` fixture, tested with itself: time travel, tasks answered by hand, the outcome read back."""

from __future__ import annotations

from typing import Any

import pytest

from stepforge.pytest_plugin import Return, StepForge, Throw

FN = "arn:aws:lambda:us-east-1:000000000000:function:"
YEAR = 365 * 86400


def wait_then(seconds: int) -> dict[str, Any]:
    return {"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": seconds, "Next": "Wake"},
                                           "Wake": {"Type": "Pass", "Result": "awake", "End": True}}}


def flaky(max_attempts: int = 20) -> dict[str, Any]:
    return {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": FN + "call", "Next": "Done",
                 "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "BackoffRate": 2.0,
                            "MaxAttempts": max_attempts}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}]},
        "Recover": {"Type": "Pass", "Result": "recovered", "ResultPath": "$.note", "End": True},
        "Done": {"Type": "Succeed"}}}


def test_a_year_long_wait_runs_at_once_on_the_manual_clock(stepforge: StepForge) -> None:
    run = stepforge.load(wait_then(YEAR)).run({"x": 1})
    assert (run.status, run.output, run.path) == ("SUCCEEDED", "awake", ["Sleep", "Wake"])
    assert run.seconds == YEAR


def test_the_clock_moves_by_hand_to_see_what_happens_in_between(stepforge: StepForge) -> None:
    run = stepforge.load(wait_then(3600)).start()
    assert run.status == "RUNNING" and run.waiting() == ["Sleep"]
    run.advance(3599)
    assert run.status == "RUNNING" and run.path == ["Sleep"]
    run.advance(1)
    assert run.status == "SUCCEEDED" and run.path == ["Sleep", "Wake"]


def test_twenty_retries_with_exponential_back_off_are_counted(stepforge: StepForge) -> None:
    stepforge.mock("Call", *[Throw("Busy", "try later")] * 20, Return({"ok": True}))
    run = stepforge.load(flaky()).run()
    assert run.status == "SUCCEEDED" and run.output == {"ok": True}
    assert run.state("Call").retries == 20 and run.retried == {"Call": 20}
    assert run.seconds == sum(2**n for n in range(20))
    assert run.state("Call").failures[0] == ("Busy", "try later")


def test_an_error_no_retrier_takes_is_caught(stepforge: StepForge) -> None:
    stepforge.mock("Call", Throw("Broken", "for good"))
    run = stepforge.load(flaky()).run({"id": 3})
    assert run.path == ["Call", "Recover"] and run.caught == [("Call", "Broken")]
    assert run.state("Recover").input == {"id": 3, "error": {"Error": "Broken", "Cause": "for good"}}
    assert run.state("Recover").output["note"] == "recovered"


def test_retries_exhausted_then_caught(stepforge: StepForge) -> None:
    stepforge.mock("Call", *[Throw("Busy")] * 4)
    run = stepforge.load(flaky(max_attempts=3)).run()
    assert run.retried == {"Call": 3} and run.caught == [("Call", "Busy")]


def test_a_mock_past_its_last_response_fails_the_task_with_states_runtime(stepforge: StepForge) -> None:
    stepforge.mock("Call", Throw("Busy"))
    run = stepforge.load(flaky()).run()
    assert (run.status, run.error) == ("FAILED", "States.Runtime")  # States.ALL does not catch it
    assert "no entry for invocation 1" in str(run.cause)


def test_a_mock_by_resource_answers_every_state_calling_it(stepforge: StepForge) -> None:
    machine = stepforge.load({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": FN + "shared", "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Task", "Resource": FN + "shared", "ResultPath": "$.b", "End": True}}})
    stepforge.mock(FN + "shared", {"n": 1})
    stepforge.mock("B", {"n": 2})  # a state's mock wins over its resource's
    assert machine.run({}).output == {"a": {"n": 1}, "b": {"n": 2}}


def test_python_functions_run_as_lambda_functions(stepforge: StepForge) -> None:
    @stepforge.function("double")
    def double(event: Any, context: Any) -> Any:
        return {"value": event["value"] * 2, "function": context.function_name}

    machine = stepforge.load({"StartAt": "D", "States": {"D": {"Type": "Task", "Resource": FN + "double",
                                                              "End": True}}})
    assert machine.run({"value": 21}).output == {"value": 42, "function": "double"}


def test_an_activity_task_is_answered_by_the_test(stepforge: StepForge) -> None:
    machine = stepforge.load({"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "arn:aws:states:us-east-1:000000000000:activity:approve",
        "TimeoutSeconds": 600, "End": True}}})
    run = machine.start({"amount": 90})
    token, task_input = run.task("Approve")
    assert token and task_input == {"amount": 90}
    run.succeed("Approve", {"approved": True})
    assert run.status == "SUCCEEDED" and run.output == {"approved": True}
    assert "ActivityStarted" in run.event_types


def test_an_unanswered_activity_times_out_when_the_clock_passes_its_timeout(stepforge: StepForge) -> None:
    machine = stepforge.load({"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "arn:aws:states:us-east-1:000000000000:activity:approve",
        "TimeoutSeconds": 600, "End": True}}})
    run = machine.run()
    assert (run.status, run.error, run.seconds) == ("FAILED", "States.Timeout", 600)


def test_a_callback_task_waits_for_the_token_the_test_sends(stepforge: StepForge) -> None:
    sent: list[Any] = []
    stepforge.function("notify", lambda event, context: sent.append(event))
    machine = stepforge.load({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "notify", "Payload": {"token.$": "$$.Task.Token"}}, "End": True}}})
    run = machine.start()
    assert run.status == "RUNNING" and sent[0]["token"] == run.task("Ask")[0]
    run.fail("Ask", "Rejected", "no")
    assert (run.status, run.error, run.cause) == ("FAILED", "Rejected", "no")


def test_until_jumps_the_clock_to_the_state_that_waits_on_the_test(stepforge: StepForge) -> None:
    machine = stepforge.load({"StartAt": "Sleep", "States": {
        "Sleep": {"Type": "Wait", "Seconds": 86400, "Next": "Approve"},
        "Approve": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:000000000000:activity:ok", "End": True}}})
    run = machine.start().until("Approve")
    assert run.seconds == 86400 and run.waiting() == ["Approve"]
    with pytest.raises(AssertionError, match="waiting in \\['Approve'\\]"):
        run.finish()


def test_parallel_branches_and_map_iterations_are_in_the_path(stepforge: StepForge) -> None:
    machine = stepforge.load({"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Next": "Each", "Branches": [
            {"StartAt": "L", "States": {"L": {"Type": "Pass", "Result": 1, "End": True}}},
            {"StartAt": "R", "States": {"R": {"Type": "Pass", "Result": 2, "End": True}}}]},
        "Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Item", "States": {
            "Item": {"Type": "Pass", "End": True}}}, "End": True}}})
    run = machine.run()
    assert run.output == [1, 2] and sorted(run.path) == ["Both", "Each", "Item", "Item", "L", "R"]
    assert run.entered("Item") == 2 and run.state("L").parent is run.state("Both")


def test_a_state_never_entered_is_an_assertion_error_naming_the_path(stepforge: StepForge) -> None:
    run = stepforge.load(wait_then(1)).run()
    with pytest.raises(AssertionError, match="never entered 'Nope'"):
        run.state("Nope")


def test_two_machines_loaded_without_names_get_their_own(stepforge: StepForge) -> None:
    first, second = stepforge.load(wait_then(1)), stepforge.load(wait_then(2))
    assert (first.name, second.name) == ("machine", "machine-2")
    assert (first.run().seconds, second.run().seconds) == (1, 2)


def test_a_callback_through_a_service_out_of_reach_counts_as_sent_and_waits_for_its_token(
        stepforge: StepForge) -> None:
    machine = stepforge.load({"StartAt": "Notify", "States": {"Notify": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "TimeoutSeconds": 3600,
        "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/q",
                       "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}}, "End": True}}})
    run = machine.start({"order": 7})
    token, message = run.task("Notify")
    assert message["MessageBody"] == {"token": token, "order": 7}
    run.succeed("Notify", {"shipped": True})
    assert run.status == "SUCCEEDED" and run.output == {"shipped": True}
    assert machine.run({"order": 8}).error == "States.Timeout"  # nobody answered within the hour
