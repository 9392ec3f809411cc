"""The dashboard's figures: executions per minute per machine over the last hour, the slowest states."""

from __future__ import annotations

import json

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


def test_express_executions_are_charted_as_their_steps_run(harness: Harness, observed: Observatory) -> None:
    machine = harness.call(statemachines.create, name="express", definition=json.dumps(FAIL), roleArn=ROLE,
                           type="EXPRESS")["stateMachineArn"]
    for _ in range(2):
        harness.call(executions.start, stateMachineArn=machine, input="{}")
    assert observed.dashboard is not None
    figures = observed.dashboard.snapshot(harness.clock.now())["machines"][machine]
    assert (sum(figures["started"]), sum(figures["failed"])) == (2, 2)
