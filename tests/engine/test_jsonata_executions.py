"""JSONata and Variables end to end in-process: data flow, Choice, Map, Catch, scopes, the guard."""

from __future__ import annotations

import threading
import time
from typing import Any

from stepforge.testing import Harness


def jsonata(states: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": start or next(iter(states)), "States": states}


def test_output_and_assign_see_the_state_entry_values() -> None:
    result = Harness().run(jsonata({
        "A": {"Type": "Pass", "Assign": {"n": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"n": "{% $n + 1 %}", "old": "{% $n %}"},
              "Output": {"n": "{% $n %}", "in": "{% $states.input.x %}"}, "Next": "C"},
        "C": {"Type": "Pass", "Output": "{% [$n, $old] %}", "End": True},
    }), {"x": 5})
    assert (result.status, result.output) == ("SUCCEEDED", [2, 1])
    exited = result.details("PassStateExited")
    assert exited[1]["assignedVariables"] == {"n": "2", "old": "1"}
    assert "assignedVariables" not in exited[2]


def test_choice_conditions_with_rule_output_and_assign() -> None:
    definition = jsonata({
        "C": {"Type": "Choice", "Default": "D", "Output": "default", "Assign": {"path": "default"},
              "Choices": [{"Condition": "{% $states.input.n > 10 %}", "Next": "D",
                           "Output": "{% $states.input.n * 2 %}", "Assign": {"path": "big"}}]},
        "D": {"Type": "Pass", "Output": "{% [$states.input, $path] %}", "End": True},
    })
    assert Harness().run(definition, {"n": 11}).output == [22, "big"]
    assert Harness().run(definition, {"n": 1}).output == ["default", "default"]


def test_map_items_selector_and_outer_variables() -> None:
    result = Harness().run(jsonata({
        "A": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "M"},
        "M": {"Type": "Map", "Items": "{% $states.input.xs %}",
              "ItemSelector": {"v": "{% $states.context.Map.Item.Value * $factor %}"},
              "ItemProcessor": {"StartAt": "P", "States": {
                  "P": {"Type": "Pass", "Assign": {"inner": "{% $factor %}"}, "Output": "{% $states.input.v %}",
                        "End": True}}},
              "Output": {"results": "{% $states.result %}", "leaked": "{% $exists($inner) %}"}, "End": True},
    }), {"xs": [1, 2]})
    assert result.output == {"results": [10, 20], "leaked": False}


def test_catch_output_and_assign_see_the_error_output() -> None:
    result = Harness().run(jsonata({
        "T": {"Type": "Parallel", "Next": "Done", "Branches": [
                  {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "{% 'bad' %}"}}}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done",
                         "Output": "{% $states.errorOutput.Error %}",
                         "Assign": {"failed": "{% $states.input.id %}"}}]},
        "Done": {"Type": "Pass", "Output": "{% [$states.input, $failed] %}", "End": True},
    }), {"id": 7})
    assert (result.status, result.output) == ("SUCCEEDED", ["Boom", 7])


def test_an_undefined_result_fails_with_evaluation_failed() -> None:
    result = Harness().run(jsonata({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                          "Arguments": {"FunctionName": "{% $nope %}"}, "End": True}}))
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
    assert result.event_types == ["ExecutionStarted", "TaskStateEntered", "EvaluationFailed", "ExecutionFailed"]
    assert result.details("EvaluationFailed")[0]["location"] == "Arguments/FunctionName"


def test_jsonpath_states_read_and_assign_variables() -> None:
    result = Harness().run({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"v": 42}, "Assign": {"x.$": "$.v"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"x.$": "$x", "s.$": "States.Format('{}', $x)"}, "Next": "W"},
        "W": {"Type": "Wait", "SecondsPath": "$x", "End": True},
    }})
    assert (result.status, result.output) == ("SUCCEEDED", {"x": 42, "s": "42"})


def test_parallel_branches_read_outer_variables_and_their_own_vanish() -> None:
    def branch(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Pass", "Assign": {"mine": 1},
                                                   "Output": "{% $x %}", "End": True}}}

    result = Harness().run(jsonata({
        "A": {"Type": "Pass", "Assign": {"x": 3}, "Next": "P"},
        "P": {"Type": "Parallel", "Branches": [branch("B1"), branch("B2")], "Next": "E"},
        "E": {"Type": "Pass", "Output": {"out": "{% $states.input %}", "leaked": "{% $exists($mine) %}"},
              "End": True},
    }))
    assert result.output == {"out": [3, 3], "leaked": False}


RUNAWAY = jsonata({"R": {"Type": "Pass", "Output": "{% ($f := function($n){ $f($n + 1) }; $f(0)) %}",
                         "End": True}})
CHAIN = {"StartAt": "S0", "States": {
    **{f"S{i}": {"Type": "Pass", "Result": i, "Next": f"S{i + 1}"} for i in range(30)},
    "S30": {"Type": "Pass", "End": True},
}}


def test_a_runaway_expression_fails_its_state_quickly() -> None:
    harness = Harness()
    runaway, other = harness.start(RUNAWAY), harness.start(CHAIN)
    started = time.monotonic()
    harness.settle()
    assert time.monotonic() - started < 3.0
    assert harness.result(runaway).error == "States.QueryEvaluationError"
    assert harness.result(other).status == "SUCCEEDED"


def test_another_execution_keeps_running_while_an_expression_runs_away() -> None:
    slow, fast = Harness(), Harness()
    runaway = slow.start(RUNAWAY)
    engine_thread = threading.Thread(target=slow.settle)
    engine_thread.start()
    time.sleep(0.05)  # the runaway expression is now evaluating on the other engine thread
    finished = [fast.run(CHAIN).status for _ in range(5)]
    still_evaluating = engine_thread.is_alive()
    engine_thread.join(timeout=5)
    assert finished == ["SUCCEEDED"] * 5 and still_evaluating
    assert slow.result(runaway).error == "States.QueryEvaluationError"
