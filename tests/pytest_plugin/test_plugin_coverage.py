"""Coverage items of a definition and the ones a run hits, read from its history."""

from __future__ import annotations

from typing import Any

from stepforge.pytest_plugin import StepForge, Throw
from stepforge.pytest_plugin.coverage import Coverage, hits, items

FN = "arn:aws:lambda:us-east-1:000000000000:function:f"
ROUTER: dict[str, Any] = {"StartAt": "Route", "States": {
    "Route": {"Type": "Choice", "Default": "Small", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 100, "Next": "Big"},
        {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Small"}]},
    "Big": {"Type": "Task", "Resource": FN, "End": True,
            "Retry": [{"ErrorEquals": ["Slow"], "MaxAttempts": 1}, {"ErrorEquals": ["Other"]}],
            "Catch": [{"ErrorEquals": ["Fatal"], "Next": "Small"}, {"ErrorEquals": ["States.ALL"], "Next": "Small"}]},
    "Small": {"Type": "Pass", "End": True}}}


def test_a_definitions_items_name_each_state_rule_clause_and_transition() -> None:
    assert items(ROUTER) == ["state:Route", "choice:Route:0", "choice:Route:1", "default:Route",
                             "state:Big", "end:Big", "retry:Big:0", "retry:Big:1", "catch:Big:0", "catch:Big:1",
                             "state:Small", "end:Small"]


def test_two_rules_to_one_state_are_told_apart_by_evaluating_them_on_the_recorded_input(
        stepforge: StepForge) -> None:
    machine = stepforge.load(ROUTER)
    assert hits(ROUTER, machine.run({"n": 50}).events) == ["state:Route", "choice:Route:1", "state:Small",
                                                           "end:Small"]
    assert hits(ROUTER, machine.run({"n": 5}).events)[1] == "default:Route"


def test_retries_and_the_catch_that_handled_the_error(stepforge: StepForge) -> None:
    stepforge.mock("Big", Throw("Slow"), Throw("Other"), Throw("Fatal"))
    found = hits(ROUTER, stepforge.load(ROUTER).run({"n": 500}).events)
    assert [h for h in found if h.startswith(("retry", "catch"))] == ["retry:Big:0", "retry:Big:1", "catch:Big:0"]
    assert "end:Big" not in found


def test_coverage_counts_per_machine_and_merges_what_workers_dumped(stepforge: StepForge) -> None:
    machine = stepforge.load(ROUTER, name="router")
    first, second = Coverage(), Coverage()
    first.record("router", ROUTER, machine.run({"n": 50}).events)
    second.record("router", ROUTER, machine.run({"n": 5}).events)
    first.merge(second.dump())
    router = first.machines["router"]
    assert router.runs == 2 and router.category("choices") == (2, 3) and router.category("states") == (2, 3)
    assert router.missed == ["choice:Route:0", "state:Big", "end:Big", "retry:Big:0", "retry:Big:1",
                             "catch:Big:0", "catch:Big:1"]
    assert first.total() == (5, 12)


def test_a_changed_definition_under_the_same_name_is_counted_apart() -> None:
    coverage = Coverage()
    coverage.record("m", ROUTER, [])
    coverage.record("m", {**ROUTER, "Comment": "v2"}, [])
    assert len(coverage.machines) == 2 and "m" in coverage.machines
