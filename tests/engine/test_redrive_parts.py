"""Redrive of a failed Parallel or Map reruns only the branches or iterations that failed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from stepforge.service import redrive
from stepforge.testing import Harness

FLAKY = "arn:aws:lambda:us-east-1:000000000000:function:flaky"
COUNT = "arn:aws:lambda:us-east-1:000000000000:function:count"


class Calls:
    """Python functions registered as Lambdas: ``flaky`` fails the first time for each value."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def flaky(self, event: Any, context: Any) -> Any:
        event = event["v"]
        self.seen[f"flaky:{event}"] += 1
        if event == "bad" and self.seen[f"flaky:{event}"] == 1:
            raise RuntimeError("first time fails")
        return f"flaky:{event}"

    def count(self, event: Any, context: Any) -> Any:
        event = event["v"]
        self.seen[f"count:{event}"] += 1
        return f"count:{event}"

    def harness(self) -> Harness:
        return Harness(functions={"flaky": self.flaky, "count": self.count})


def task(resource: str, value: str) -> dict[str, Any]:
    name = f"T{value}"
    return {"StartAt": name, "States": {name: {"Type": "Task", "Resource": resource, "Parameters": {"v": value},
                                               "End": True}}}


def redriven(h: Harness, arn: str) -> Any:
    h.call(redrive.redrive_execution, executionArn=arn)
    return h.run_until_done(arn)


def test_redriving_a_failed_parallel_reruns_only_the_failed_branch() -> None:
    calls = Calls()
    h = calls.harness()
    arn = h.start({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        task(COUNT, "a"), task(FLAKY, "bad"), task(COUNT, "b")]}}})
    first = h.run_until_done(arn)
    assert (first.status, first.error) == ("FAILED", "RuntimeError")

    result = redriven(h, arn)
    assert (result.status, result.output) == ("SUCCEEDED", ["count:a", "flaky:bad", "count:b"])
    assert calls.seen["flaky:bad"] == 2
    redriven_at = result.event_types.index("ExecutionRedriven")
    succeeded_before = result.event_types[:redriven_at].count("TaskStateExited")
    assert succeeded_before >= 1
    assert result.event_types[redriven_at:].count("LambdaFunctionScheduled") == 3 - succeeded_before
    assert calls.seen["count:a"] + calls.seen["count:b"] == 2 + (2 - succeeded_before)


def test_redriving_a_failed_map_reruns_only_the_failed_iterations() -> None:
    calls = Calls()
    h = calls.harness()
    arn = h.start({"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 1, "End": True, "ItemSelector": {"v.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FLAKY, "End": True}}}}}},
        ["a", "bad", "c", "d"])
    first = h.run_until_done(arn)
    assert first.status == "FAILED"
    assert calls.seen["flaky:a"] == 1 and calls.seen["flaky:c"] == 0

    result = redriven(h, arn)
    assert (result.status, result.output) == ("SUCCEEDED", ["flaky:a", "flaky:bad", "flaky:c", "flaky:d"])
    assert calls.seen["flaky:a"] == 1  # kept from the first run
    assert (calls.seen["flaky:bad"], calls.seen["flaky:c"], calls.seen["flaky:d"]) == (2, 1, 1)
    after = result.details("MapIterationStarted")[-3:]
    assert [d["index"] for d in after] == [1, 2, 3]


def test_a_state_that_failed_otherwise_still_reruns_as_a_whole() -> None:
    calls = Calls()
    h = calls.harness()
    arn = h.start({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "T", "Branches": [task(COUNT, "a")]},
        "T": {"Type": "Task", "Resource": FLAKY, "Parameters": {"v": "bad"}, "End": True}}})
    assert h.run_until_done(arn).status == "FAILED"
    result = redriven(h, arn)
    assert result.status == "SUCCEEDED"
    assert calls.seen["count:a"] == 1



def test_a_redriven_execution_sees_its_redrive_count_in_the_context_object() -> None:
    def first_run_fails(event: Any, context: Any) -> Any:
        if event["count"] == 0:
            raise RuntimeError("the first run fails")
        return event

    h = Harness(functions={"check": first_run_fails})
    arn = h.start({"StartAt": "Check", "States": {"Check": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:check",
        "Parameters": {"count.$": "$$.Execution.RedriveCount"}, "End": True}}})
    assert h.run_until_done(arn).error == "RuntimeError"
    result = redriven(h, arn)
    assert (result.status, result.output) == ("SUCCEEDED", {"count": 1})
