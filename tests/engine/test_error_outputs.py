"""What a catcher sees of an error, and the errors no catcher sees (as AWS's recordings show)."""

from __future__ import annotations

from typing import Any

from stepforge.testing import Harness


def slow_task(activity: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": activity, "TimeoutSeconds": 5, **fields}


def test_a_caught_task_timeout_has_an_empty_cause() -> None:
    harness = Harness()
    activity = harness.create_activity("slow")
    catch = [{"ErrorEquals": ["States.Timeout"], "Next": "Handler"}]
    arn = harness.start({"StartAt": "T", "States": {
        "T": slow_task(activity, Catch=catch, End=True), "Handler": {"Type": "Pass", "End": True}}})
    harness.settle()
    harness.advance(5)
    result = harness.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", {"Error": "States.Timeout", "Cause": ""})


def test_an_uncaught_task_timeout_has_no_cause() -> None:
    harness = Harness()
    activity = harness.create_activity("slow")
    arn = harness.start({"StartAt": "T", "States": {"T": slow_task(activity, End=True)}})
    harness.settle()
    harness.advance(5)
    result = harness.result(arn)
    assert (result.status, result.error, result.cause) == ("FAILED", "States.Timeout", None)


def test_a_catcher_naming_states_runtime_does_not_catch_a_failing_output_path() -> None:
    harness = Harness()
    catch = [{"ErrorEquals": ["States.Runtime"], "Next": "Caught"}]
    retry = [{"ErrorEquals": ["States.Runtime"], "MaxAttempts": 3}]
    activity = harness.create_activity("answers")
    arn = harness.start({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": activity, "OutputPath": "$.no.such.path", "Retry": retry,
              "Catch": catch, "End": True},
        "Caught": {"Type": "Pass", "End": True}}})
    harness.settle()
    token, _ = harness.poll(activity) or ("", None)
    harness.succeed(token, {"x": 1})
    result = harness.result(arn)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert (result.cause or "").endswith("Invalid path '$.no.such.path' : Missing property in path $['no']")
    assert "PassStateEntered" not in [event["type"] for event in result.events]
