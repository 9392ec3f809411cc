"""Executions end to end in-process: every state type, data flow, Retry/Catch timing, timeouts.

Time is a manual clock (stepforge.testing.Harness): no test sleeps.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from backends import BACKENDS, store_opener

from stepforge.asl.records import Stop
from stepforge.service.errors import ApiError
from stepforge.testing import Harness, write


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def pass_state(**fields: Any) -> dict[str, Any]:
    return {"Type": "Pass", "End": True, **fields}


def activity_task(arn: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": arn, "End": True, **fields}


@pytest.fixture(params=["memory", *BACKENDS])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    """Every behaviour holds on the memory store and on the durable stores (SQLite, PostgreSQL)."""
    if request.param == "memory":
        return Harness()
    return Harness(store=store_opener(request, request.param, tmp_path)())


# -- Pass and the data flow ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "given", "expected"),
    [
        ({}, {"a": 1}, {"a": 1}),
        ({"Result": {"r": 1}}, {"a": 1}, {"r": 1}),
        ({"Result": 7, "ResultPath": "$.x.y"}, {"a": 1}, {"a": 1, "x": {"y": 7}}),
        ({"Result": 7, "ResultPath": None}, {"a": 1}, {"a": 1}),
        ({"InputPath": "$.a", "ResultPath": "$.copy"}, {"a": {"b": 2}}, {"a": {"b": 2}, "copy": {"b": 2}}),
        ({"InputPath": None}, {"a": 1}, {}),
        ({"OutputPath": None}, {"a": 1}, {}),
        ({"OutputPath": "$.a"}, {"a": [1, 2]}, [1, 2]),
        ({"Parameters": {"n.$": "$.a", "k": "v", "len.$": "States.ArrayLength($.l)"}}, {"a": 1, "l": [1, 2]},
         {"n": 1, "k": "v", "len": 2}),
        ({"Parameters": {"name.$": "$$.State.Name"}}, {}, {"name": "P"}),
    ],
)
def test_pass_applies_the_data_flow_stages(harness: Harness, fields: dict[str, Any], given: Any,
                                           expected: Any) -> None:
    result = harness.run(machine({"P": pass_state(**fields)}), given)
    assert (result.status, result.output) == ("SUCCEEDED", expected)


def test_a_missing_input_path_fails_with_aws_cause(harness: Harness) -> None:
    result = harness.run(machine({"P": pass_state(InputPath="$.missing")}), {})
    assert result.error == "States.Runtime"
    assert result.cause == ("An error occurred while executing the state 'P' (entered at the event id #2). "
                            "Invalid path '$.missing' : No results for path: $['missing']")


def test_history_ids_are_gap_free_and_chained(harness: Harness) -> None:
    result = harness.run(machine({"A": {"Type": "Pass", "Next": "B"}, "B": pass_state()}))
    assert result.event_types == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                  "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in result.events] == list(range(1, 7))
    assert [e["previousEventId"] for e in result.events] == [0, 0, 2, 3, 4, 5]


def test_an_oversized_output_fails_with_data_limit_exceeded(harness: Harness) -> None:
    result = harness.run(machine({"P": pass_state(Result="x" * 300_000)}))
    assert result.error == "States.DataLimitExceeded"
    assert result.event_types == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


# -- Choice, Succeed, Fail -----------------------------------------------------------------------


def choice_machine(default: bool = True) -> dict[str, Any]:
    states: dict[str, Any] = {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
            {"And": [{"Variable": "$.n", "IsNumeric": True}, {"Variable": "$.n", "NumericLessThan": 0}],
             "Next": "Negative"},
        ]},
        "Big": {"Type": "Succeed"},
        "Negative": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
        "Other": pass_state(Result="other"),
    }
    if default:
        states["C"]["Default"] = "Other"
    else:
        del states["Other"]
    return machine(states)


@pytest.mark.parametrize(("n", "status", "output"), [
    (11, "SUCCEEDED", {"n": 11}), (5, "SUCCEEDED", "other"), (-1, "FAILED", None),
])
def test_choice_follows_the_first_matching_rule(harness: Harness, n: int, status: str, output: Any) -> None:
    result = harness.run(choice_machine(), {"n": n})
    assert (result.status, result.output) == (status, output)


def test_choice_without_a_match_or_default_fails(harness: Harness) -> None:
    result = harness.run(choice_machine(default=False), {"n": 5})
    assert result.error == "States.NoChoiceMatched"


def test_fail_reads_error_and_cause_from_paths(harness: Harness) -> None:
    result = harness.run(machine({"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$$.State.Name"}}),
                         {"e": "Boom"})
    assert (result.status, result.error, result.cause) == ("FAILED", "Boom", "F")


# -- Wait ----------------------------------------------------------------------------------------


def test_wait_seconds_fires_on_time_and_not_before(harness: Harness) -> None:
    arn = harness.start(machine({"W": {"Type": "Wait", "Seconds": 30, "End": True}}))
    harness.settle()
    harness.advance(29.9)
    assert harness.result(arn).status == "RUNNING"
    harness.advance(0.1)
    assert harness.result(arn).status == "SUCCEEDED"


def test_a_wait_of_one_year_ends_when_the_clock_reaches_it(harness: Harness) -> None:
    year = 365 * 86400
    arn = harness.start(machine({"W": {"Type": "Wait", "TimestampPath": "$.until", "End": True}}),
                        {"until": "2024-11-14T22:13:20Z"})  # clock starts 2023-11-14T22:13:20Z
    harness.settle()
    harness.advance(year - 1)
    assert harness.result(arn).status == "RUNNING"
    harness.advance(1 + 86400)  # 2024 is a leap year: one more day
    assert harness.result(arn).status == "SUCCEEDED"


@pytest.mark.parametrize(("seconds", "message"), [
    (-1, "The SecondsPath parameter references a negative value: $.s == -1"),
    (1.5, "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5"),
    ("3", 'The SecondsPath parameter cannot be parsed as a long value: $.s == 3'),
])
def test_wait_seconds_path_refuses_what_is_not_a_whole_number(harness: Harness, seconds: Any,
                                                              message: str) -> None:
    result = harness.run(machine({"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}), {"s": seconds})
    assert result.error == "States.Runtime"
    assert result.cause is not None and result.cause.endswith(message)


# -- Task on an activity: success, failure, Retry timing, Catch, timeouts -----------------------


def test_an_activity_task_passes_its_input_and_takes_the_worker_output(harness: Harness) -> None:
    activity = harness.create_activity("work")
    arn = harness.start(machine({"T": activity_task(activity, Parameters={"x.$": "$.x"},
                                                    ResultSelector={"y.$": "$.y"}, ResultPath="$.r")}), {"x": 1})
    harness.settle()
    token, task_input = harness.poll(activity) or ("", None)
    assert task_input == {"x": 1}
    harness.succeed(token, {"y": 2, "z": 3})
    result = harness.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", {"x": 1, "r": {"y": 2}})
    assert result.event_types == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
                                  "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]
    assert result.details("ActivityStarted") == [{"workerName": "worker"}]


def test_retry_waits_interval_times_backoff_between_attempts(harness: Harness) -> None:
    activity = harness.create_activity("flaky")
    retry = [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxAttempts": 2}]
    arn = harness.start(machine({"T": activity_task(activity, Retry=retry)}))
    harness.settle()
    token, _ = harness.poll(activity) or ("", None)
    harness.fail(token, "Flaky")
    harness.advance(1.99)
    assert harness.poll(activity) is None
    harness.advance(0.01)
    token, _ = harness.poll(activity) or ("", None)
    harness.fail(token, "Flaky")
    harness.advance(5.99)
    assert harness.poll(activity) is None
    harness.advance(0.01)
    token, _ = harness.poll(activity) or ("", None)
    harness.fail(token, "Flaky", "third time")
    result = harness.result(arn)
    assert (result.status, result.error, result.cause) == ("FAILED", "Flaky", "third time")
    assert result.event_types.count("ActivityScheduled") == 3


@pytest.mark.parametrize(("retrier", "first_delay", "second_delay"), [
    ({"IntervalSeconds": 10, "BackoffRate": 5, "MaxDelaySeconds": 20}, 10, 20),
    ({"IntervalSeconds": 1, "BackoffRate": 1}, 1, 1),
])
def test_retry_delay_is_capped_by_max_delay_seconds(harness: Harness, retrier: dict[str, Any],
                                                    first_delay: float, second_delay: float) -> None:
    activity = harness.create_activity("capped")
    retry = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3, **retrier}]
    harness.start(machine({"T": activity_task(activity, Retry=retry)}))
    harness.settle()
    token, _ = harness.poll(activity) or ("", None)
    harness.fail(token, "E")
    harness.advance(first_delay)
    token, _ = harness.poll(activity) or ("", None)
    harness.fail(token, "E")
    harness.advance(second_delay - 0.01)
    assert harness.poll(activity) is None
    harness.advance(0.01)
    assert harness.poll(activity) is not None


def test_full_jitter_waits_a_random_part_of_the_delay(harness: Harness) -> None:
    harness.engine.rng = random.Random(7)
    delay = 8 * random.Random(7).random()  # the first draw of the engine's random source
    activity = harness.create_activity("jitter")
    retry = [{"ErrorEquals": ["E"], "IntervalSeconds": 8, "MaxAttempts": 1, "JitterStrategy": "FULL"}]
    harness.start(machine({"T": activity_task(activity, Retry=retry)}))
    harness.settle()
    token, _ = harness.poll(activity) or ("", None)
    harness.fail(token, "E")
    harness.advance(delay - 0.01)
    assert harness.poll(activity) is None
    harness.advance(0.01)
    assert harness.poll(activity) is not None


def test_max_attempts_zero_never_retries(harness: Harness) -> None:
    activity = harness.create_activity("once")
    retry = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]
    arn = harness.start(machine({"T": activity_task(activity, Retry=retry)}))
    harness.settle()
    token, _ = harness.poll(activity) or ("", None)
    harness.fail(token, "E")
    assert harness.result(arn).status == "FAILED"


def test_catch_routes_the_error_output_to_the_handler(harness: Harness) -> None:
    activity = harness.create_activity("caught")
    catch = [{"ErrorEquals": ["Other"], "Next": "Never"},
             {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.err", "Next": "Handler"}]
    arn = harness.start(machine({"T": {**activity_task(activity, Catch=catch)},
                                 "Never": pass_state(), "Handler": pass_state()}), {"k": 1})
    harness.settle()
    token, _ = harness.poll(activity) or ("", None)
    harness.fail(token, "Boom", "it broke")
    result = harness.result(arn)
    assert result.output == {"k": 1, "err": {"Error": "Boom", "Cause": "it broke"}}
    assert result.event_types[-5:-1] == ["ActivityFailed", "TaskStateExited", "PassStateEntered", "PassStateExited"]


def test_states_all_does_not_catch_states_runtime(harness: Harness) -> None:
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]
    result = harness.run(machine({"T": {**activity_task("arn:aws:states:us-east-1:000000000000:activity:none",
                                                        Catch=catch)}, "Handler": pass_state()}))
    assert (result.status, result.error) == ("FAILED", "States.Runtime")


def test_task_timeout_fails_with_states_timeout(harness: Harness) -> None:
    activity = harness.create_activity("slow")
    arn = harness.start(machine({"T": activity_task(activity, TimeoutSeconds=5)}))
    harness.settle()
    assert harness.poll(activity) is not None
    harness.advance(5)
    result = harness.result(arn)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert "ActivityTimedOut" in result.event_types


def test_heartbeats_keep_a_task_alive_until_they_stop(harness: Harness) -> None:
    activity = harness.create_activity("beating")
    arn = harness.start(machine({"T": activity_task(activity, HeartbeatSeconds=3)}))
    harness.settle()
    token, _ = harness.poll(activity) or ("", None)
    for _ in range(3):
        harness.advance(2)
        harness.heartbeat(token)
    assert harness.result(arn).status == "RUNNING"
    harness.advance(3)
    assert harness.result(arn).error == "States.HeartbeatTimeout"


def test_a_token_of_a_finished_task_is_refused(harness: Harness) -> None:
    activity = harness.create_activity("done")
    harness.start(machine({"T": activity_task(activity)}))
    harness.settle()
    token, _ = harness.poll(activity) or ("", None)
    harness.succeed(token, {})
    with pytest.raises(ApiError) as refused:
        harness.succeed(token, {})
    assert refused.value.code == "TaskTimedOut"


# -- Parallel and Map ----------------------------------------------------------------------------


def branch(states: dict[str, Any]) -> dict[str, Any]:
    return machine(states)


def test_parallel_outputs_branch_results_in_branch_order(harness: Harness) -> None:
    result = harness.run(machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        branch({"W": {"Type": "Wait", "Seconds": 5, "End": True, "OutputPath": "$.a"}}),
        branch({"X": pass_state(Result="second")}),
    ]}}), {"a": "first"})
    assert result.output == ["first", "second"]
    assert result.event_types[-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]


def test_a_failing_branch_stops_the_others_and_cancels_their_tasks(harness: Harness) -> None:
    activity = harness.create_activity("sibling")
    arn = harness.start(machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        branch({"T": activity_task(activity)}),
        branch({"W": {"Type": "Wait", "Seconds": 1, "Next": "F"}, "F": {"Type": "Fail", "Error": "Branch"}}),
    ]}}))
    harness.settle()
    task = harness.poll(activity)
    assert task is not None
    harness.advance(1)
    result = harness.result(arn)
    assert (result.status, result.error) == ("FAILED", "Branch")
    with pytest.raises(ApiError):
        harness.succeed(task[0], {})


def test_map_results_follow_item_order_with_the_item_context(harness: Harness) -> None:
    result = harness.run(machine({"M": {
        "Type": "Map", "End": True, "ItemsPath": "$.items",
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "k.$": "$.k"},
        "ItemProcessor": branch({"W": {"Type": "Wait", "SecondsPath": "$.value", "End": True}}),
    }}), {"items": [3, 1, 2], "k": "v"})
    assert result.output == [{"index": i, "value": v, "k": "v"} for i, v in enumerate([3, 1, 2])]


def test_map_max_concurrency_one_runs_one_iteration_at_a_time(harness: Harness) -> None:
    activity = harness.create_activity("serial")
    arn = harness.start(machine({"M": {"Type": "Map", "End": True, "MaxConcurrency": 1,
                                       "ItemProcessor": branch({"T": activity_task(activity)})}}), [1, 2, 3])
    harness.settle()
    seen = []
    for _ in range(3):
        token, value = harness.poll(activity) or ("", None)
        assert harness.poll(activity) is None
        seen.append(value)
        harness.succeed(token, value * 10)
    result = harness.result(arn)
    assert seen == [1, 2, 3]
    assert result.output == [10, 20, 30]


def test_map_tolerates_failures_up_to_the_count(harness: Harness) -> None:
    processor = branch({"C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "F"}],
                              "Default": "OK"}, "F": {"Type": "Fail", "Error": "Zero"}, "OK": pass_state()})
    tolerant = machine({"M": {"Type": "Map", "End": True, "ToleratedFailureCount": 1, "ItemProcessor": processor}})
    assert harness.run(tolerant, [1, 0, 2]).status == "SUCCEEDED"
    strict = machine({"M": {"Type": "Map", "End": True, "ItemProcessor": processor}})
    failed = harness.run(strict, [1, 0, 2])
    assert (failed.status, failed.error) == ("FAILED", "Zero")
    assert "MapIterationFailed" in failed.event_types


def test_map_over_an_empty_array_succeeds_with_an_empty_array(harness: Harness) -> None:
    result = harness.run(machine({"M": {"Type": "Map", "End": True, "ItemProcessor": branch({"P": pass_state()})}}),
                         [])
    assert (result.status, result.output) == ("SUCCEEDED", [])


def test_retry_of_a_parallel_state_restarts_its_branches(harness: Harness) -> None:
    result = harness.run(machine({"P": {"Type": "Parallel", "End": True,
                                        "Retry": [{"ErrorEquals": ["B"], "MaxAttempts": 2, "IntervalSeconds": 1}],
                                        "Branches": [branch({"F": {"Type": "Fail", "Error": "B"}})]}}))
    assert result.event_types.count("ParallelStateStarted") == 3
    assert result.error == "B"


# -- execution-level ----------------------------------------------------------------------------


def test_execution_timeout_ends_a_long_wait_as_timed_out(harness: Harness) -> None:
    result = harness.run(machine({"W": {"Type": "Wait", "Seconds": 60, "End": True}}, TimeoutSeconds=5))
    assert result.status == "TIMED_OUT"
    assert result.event_types[-1] == "ExecutionTimedOut"


def test_stop_aborts_a_waiting_execution(harness: Harness) -> None:
    arn = harness.start(machine({"W": {"Type": "Wait", "Seconds": 60, "End": True}}))
    harness.settle()
    write(harness.store, lambda tx: tx.push_signal(arn, Stop("Stopped", "by a test")))
    harness.settle()
    result = harness.result(arn)
    assert (result.status, result.error, result.cause) == ("ABORTED", "Stopped", "by a test")
    assert harness.store.next_due() is None
