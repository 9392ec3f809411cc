"""The dashboard's figures: executions per minute per machine over the last hour, the slowest states."""

from __future__ import annotations

import json
from typing import Any

from stepforge.observe.follow import Follower
from stepforge.observe.observatory import Observatory
from stepforge.service import executions, statemachines
from stepforge.testing import ROLE, Harness

SLOW = {"StartAt": "Quick", "States": {"Quick": {"Type": "Pass", "Next": "Slow"},
                                       "Slow": {"Type": "Wait", "Seconds": 120, "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "No"}}}


def test_executions_are_counted_in_the_minute_they_started_and_ended(harness: Harness, observed: Observatory) -> None:
    slow = harness.run(SLOW)  # starts at minute 0, ends two minutes later
    failed = harness.run(FAIL)
    assert observed.dashboard is not None
    figures = observed.dashboard.snapshot(harness.clock.now())
    assert len(figures["minutes"]) == 60 and figures["minutes"][-1] == int(harness.clock.now() // 60) * 60
    machines = figures["machines"]
    slow_machine = harness.store.get_execution(slow.arn).state_machine_arn  # type: ignore[union-attr]
    failed_machine = harness.store.get_execution(failed.arn).state_machine_arn  # type: ignore[union-attr]
    assert machines[slow_machine]["started"][-3:] == [1, 0, 0]
    assert machines[slow_machine]["succeeded"][-3:] == [0, 0, 1]
    assert sum(machines[failed_machine]["failed"]) == 1 and sum(machines[failed_machine]["succeeded"]) == 0


def test_the_slowest_states_come_first_with_their_average_and_longest(harness: Harness,
                                                                       observed: Observatory) -> None:
    harness.run(SLOW)
    assert observed.dashboard is not None
    slowest = observed.dashboard.snapshot(harness.clock.now())["slowest"]
    assert [row["state"] for row in slowest] == ["Slow", "Quick"]
    assert slowest[0]["averageSeconds"] == slowest[0]["longestSeconds"] == 120
    assert slowest[1]["count"] == 1


def test_the_window_forgets_what_is_older_than_an_hour(harness: Harness, observed: Observatory) -> None:
    harness.run(FAIL)
    harness.clock.advance(3 * 3600)
    harness.run(FAIL)
    assert observed.dashboard is not None
    machines = observed.dashboard.snapshot(harness.clock.now())["machines"]
    assert [sum(series["started"]) for series in machines.values()] == [1]


def test_states_are_timed_in_every_execution_started_a_tenth_of_a_second_after_the_last_timed(
        harness: Harness, observed: Observatory) -> None:
    for _ in range(3):  # each waits two minutes: the next starts long after it
        harness.run(SLOW)
    assert observed.dashboard is not None
    slowest = observed.dashboard.snapshot(harness.clock.now())["slowest"]
    assert sorted(row["count"] for row in slowest) == [1] * 6  # three machines, two states each


def test_of_executions_started_together_one_is_timed(harness: Harness, observed: Observatory) -> None:
    quick = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}}
    for _ in range(8):  # all at the same time
        harness.run(quick)
    harness.clock.advance(0.5)
    harness.run(quick)
    assert observed.dashboard is not None
    figures = observed.dashboard.snapshot(harness.clock.now())
    # each starts and ends in one step, the first eight at one time: the first and the ninth are timed
    assert sorted(row["count"] for row in figures["slowest"]) == [1, 1, 1, 1]
    assert sum(sum(series["succeeded"]) for series in figures["machines"].values()) == 9


def chain(length: int, then: dict[str, Any] | None = None) -> dict[str, Any]:
    """``length`` Pass states in a row (two events each), then the states of ``then`` (from its StartAt)."""
    states: dict[str, Any] = {f"P{i}": {"Type": "Pass", "Next": f"P{i + 1}"} for i in range(length)}
    states[f"P{length - 1}"] = {"Type": "Pass", **({"Next": then["StartAt"]} if then else {"End": True})}
    return {"StartAt": "P0", "States": {**states, **(then or {}).get("States", {})}}


def timed_states(observed: Observatory, harness: Harness) -> dict[str, set[str]]:
    """Each state timed -> the machines it was timed in (``harness.run`` makes a machine per run)."""
    assert observed.dashboard is not None
    timed: dict[str, set[str]] = {}
    for row in observed.dashboard.snapshot(harness.clock.now(), slowest=1000)["slowest"]:
        timed.setdefault(row["state"], set()).add(row["stateMachineArn"])
    return timed


def test_a_large_timed_execution_pays_for_its_events_with_the_next_seconds_samples(
        harness: Harness, observed: Observatory) -> None:
    observed.follower = Follower(observed.follower.listeners, sample_every=0.1, sampled_events_per_second=100)
    large = chain(60)  # about 120 events in its one step: 20 past a second's allowance
    first = harness.run(large)
    harness.clock.advance(0.15)  # a tenth of a second later, but the allowance is still overdrawn
    harness.run(large)
    harness.clock.advance(1)  # paid back
    third = harness.run(large)
    machines = {harness.store.get_execution(run.arn).state_machine_arn for run in (first, third)}  # type: ignore[union-attr]
    timed = timed_states(observed, harness)
    assert len(timed) == 60 and all(found == machines for found in timed.values())


def test_a_timed_execution_that_overdraws_the_allowance_is_not_followed_past_that_step(
        harness: Harness, observed: Observatory) -> None:
    observed.follower = Follower(observed.follower.listeners, sample_every=0.1, sampled_events_per_second=100)
    harness.run(chain(60, {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 10, "Next": "After"},
                                                         "After": {"Type": "Pass", "End": True}}}))
    timed = timed_states(observed, harness)
    assert len(timed) == 60 and "Nap" not in timed and "After" not in timed


def test_a_parallel_in_an_execution_not_timed_is_counted_without_following_it(
        harness: Harness, observed: Observatory) -> None:
    both = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "L", "States": {"L": {"Type": "Pass", "End": True}}},
        {"StartAt": "R", "States": {"R": {"Type": "Pass", "End": True}}}]}}}
    for _ in range(3):  # at one time: only the first is timed
        harness.run(both)
    assert observed.dashboard is not None
    figures = observed.dashboard.snapshot(harness.clock.now())
    assert sum(sum(series["succeeded"]) for series in figures["machines"].values()) == 3
    assert sorted(row["count"] for row in figures["slowest"]) == [1, 1, 1]


def test_express_executions_are_charted_as_their_steps_run(harness: Harness, observed: Observatory) -> None:
    machine = harness.call(statemachines.create, name="express", definition=json.dumps(FAIL), roleArn=ROLE,
                           type="EXPRESS")["stateMachineArn"]
    for _ in range(2):
        harness.call(executions.start, stateMachineArn=machine, input="{}")
    assert observed.dashboard is not None
    figures = observed.dashboard.snapshot(harness.clock.now())["machines"][machine]
    assert (sum(figures["started"]), sum(figures["failed"])) == (2, 2)
