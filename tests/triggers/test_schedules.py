"""Schedules fire on the engine's clock: once per firing, across a restart, on every kind of expression."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from stepforge.service import schedules
from stepforge.service.errors import ApiError
from stepforge.service.firing import fire_due
from stepforge.store.sqlite import SqliteStore
from stepforge.testing import ROLE, Harness

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def create(harness: Harness, machine: str, expression: str, **extra: Any) -> str:
    params = {"Name": extra.pop("Name", "every"), "ScheduleExpression": expression,
              "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": {"Arn": machine, "RoleArn": ROLE}, **extra}
    return str(harness.call(schedules.create, **params)["ScheduleArn"])


def started_by(harness: Harness, arn: str) -> list[str]:
    return [s.execution_arn for s in harness.store.trigger_starts(arn, limit=1000)]


def tick(harness: Harness, seconds: float) -> int:
    harness.clock.advance(seconds)
    fired = fire_due(harness.ctx, harness.clock.now())
    harness.settle()
    return fired


def test_rate_one_minute_fires_exactly_once_per_minute_across_a_restart(tmp_path: Path) -> None:
    first = Harness(T0, store=SqliteStore(tmp_path))
    machine = first.create(PASS)
    arn = create(first, machine, "rate(1 minute)")
    assert [tick(first, 30), tick(first, 30), tick(first, 30), tick(first, 30)] == [0, 1, 0, 1]
    assert fire_due(first.ctx, first.clock.now()) == 0  # a second pass at the same instant starts nothing
    first.store.close()

    second = Harness(first.clock.now(), store=SqliteStore(tmp_path))  # the server restarts
    assert [tick(second, 60), tick(second, 60)] == [1, 1]
    started = started_by(second, arn)
    assert len(started) == len(set(started)) == 4
    names = sorted(second.store.get_execution(a, with_run=False).name for a in started)  # type: ignore[union-attr]
    assert [n.split("-")[1] for n in names] == ["20231114T221420Z", "20231114T221520Z", "20231114T221620Z",
                                                "20231114T221720Z"]
    assert {second.result(a).status for a in started} == {"SUCCEEDED"}
    second.store.close()


def test_two_nodes_firing_the_same_schedule_start_one_execution(tmp_path: Path) -> None:
    node_a = Harness(T0, store=SqliteStore(tmp_path))
    arn = create(node_a, node_a.create(PASS), "rate(1 minute)")
    node_b = Harness(T0, store=SqliteStore(tmp_path))
    node_a.clock.advance(60)
    node_b.clock.advance(60)
    due = node_b.store.due_schedules(node_b.clock.now(), 10)  # node b read the row before a fired it
    assert fire_due(node_a.ctx, node_a.clock.now()) == 1
    with node_b.store.transaction() as tx:  # b fires its stale copy: the execution name is taken
        from stepforge.service.firing import _fire_schedule
        _fire_schedule(node_b.ctx.within(tx), due[0], node_b.clock.now())
    assert len(started_by(node_a, arn)) == 1
    node_a.store.close()
    node_b.store.close()


def test_missed_firings_during_downtime_fire_once_for_the_latest() -> None:
    harness = Harness(T0)
    arn = create(harness, harness.create(PASS), "rate(1 minute)")
    assert tick(harness, 3600 + 30) == 1  # an hour down: one firing, for 23:13:20
    assert len(started_by(harness, arn)) == 1
    assert "20231114T231320Z" in started_by(harness, arn)[0]
    assert tick(harness, 30) == 1  # then back on the minute


def test_a_firing_older_than_the_retry_policy_allows_is_skipped() -> None:
    harness = Harness(T0)
    target = {"Arn": harness.create(PASS), "RoleArn": ROLE, "RetryPolicy": {"MaximumEventAgeInSeconds": 60}}
    arn = str(harness.call(schedules.create, Name="daily", ScheduleExpression="cron(0 0 * * ? *)",
                           FlexibleTimeWindow={"Mode": "OFF"}, Target=target)["ScheduleArn"])
    tick(harness, 86400 * 2)  # both midnights passed long ago
    assert started_by(harness, arn) == []
    assert harness.store.get_schedule(arn).next_firing > harness.clock.now()  # type: ignore[union-attr]


def test_at_fires_once_with_its_input_template_and_deletes_itself_after_completion() -> None:
    harness = Harness(T0)
    target = {"Arn": harness.create(PASS), "RoleArn": ROLE,
              "Input": '{"at": "<aws.scheduler.scheduled-time>", "by": "<aws.scheduler.schedule-arn>"}'}
    arn = str(harness.call(schedules.create, Name="once", ScheduleExpression="at(2023-11-15T00:00:00)",
                           FlexibleTimeWindow={"Mode": "OFF"}, Target=target,
                           ActionAfterCompletion="DELETE")["ScheduleArn"])
    tick(harness, 7200)
    [execution] = started_by(harness, arn)
    assert harness.result(execution).output == {"at": "2023-11-15T00:00:00Z", "by": arn}
    assert harness.store.get_schedule(arn) is None


def test_start_and_end_dates_bound_the_firings() -> None:
    harness = Harness(T0)
    arn = create(harness, harness.create(PASS), "rate(10 minutes)", StartDate=T0 + 3600, EndDate=T0 + 3600 + 1200)
    fired = [tick(harness, 600) for _ in range(12)]
    assert sum(fired) == 3  # at the start date, +10 and +20 minutes; then none
    assert harness.store.get_schedule(arn).next_firing is None  # type: ignore[union-attr]


def test_a_flexible_window_delays_each_firing_within_the_window() -> None:
    harness = Harness(T0)
    arn = create(harness, harness.create(PASS), "rate(1 hour)",
                 FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15})
    record = harness.store.get_schedule(arn)
    assert record is not None and record.next_firing == T0 + 3600
    assert record.due is not None and T0 + 3600 <= record.due < T0 + 3600 + 900


def test_a_disabled_schedule_does_not_fire() -> None:
    harness = Harness(T0)
    arn = create(harness, harness.create(PASS), "rate(1 minute)", State="DISABLED")
    assert tick(harness, 600) == 0
    assert started_by(harness, arn) == []


def test_update_replaces_the_expression_and_get_shows_it() -> None:
    harness = Harness(T0)
    machine = harness.create(PASS)
    create(harness, machine, "rate(1 minute)")
    harness.call(schedules.update, Name="every", ScheduleExpression="rate(5 minutes)",
                 FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": machine, "RoleArn": ROLE, "Input": "{}"})
    shown = harness.call(schedules.get, Name="every")
    assert shown["ScheduleExpression"] == "rate(5 minutes)" and shown["Target"]["Input"] == "{}"
    assert [tick(harness, 60) for _ in range(5)] == [0, 0, 0, 0, 1]


@pytest.mark.parametrize(("change", "code"), [
    ({"ScheduleExpression": "rate(0 minutes)"}, "ValidationException"),
    ({"ScheduleExpressionTimezone": "Nowhere/Land"}, "ValidationException"),
    ({"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}}, "ValidationException"),
    ({"Target": {"Arn": "arn:aws:lambda:us-east-1:000000000000:function:f", "RoleArn": ROLE}}, "ValidationException"),
    ({"Name": "has space"}, "ValidationException"),
    ({"Name": "every"}, "ConflictException"),
    ({"Target": {"Arn": "arn:aws:states:us-east-1:000000000000:stateMachine:m1", "RoleArn": ROLE,
                 "Input": '{"at": <aws.scheduler.scheduled-time>}'}}, "ValidationException"),
    ({"GroupName": "nobody"}, "ResourceNotFoundException"),
])
def test_bad_schedules_are_refused_in_aws_shape(change: dict[str, Any], code: str) -> None:
    harness = Harness(T0)
    machine = harness.create(PASS)
    create(harness, machine, "rate(1 minute)")
    params = {"Name": "other", "ScheduleExpression": "rate(1 minute)", "FlexibleTimeWindow": {"Mode": "OFF"},
              "Target": {"Arn": machine, "RoleArn": ROLE}, **change}
    with pytest.raises(ApiError) as raised:
        harness.call(schedules.create, **params)
    assert raised.value.code == code


def test_a_deleted_target_machine_does_not_stop_the_schedule() -> None:
    harness = Harness(T0)
    missing = harness.create(PASS).replace(":m1", ":gone")
    arn = create(harness, missing, "rate(1 minute)")
    assert tick(harness, 60) == 1
    assert started_by(harness, arn) == []
    assert harness.store.get_schedule(arn).next_firing == T0 + 120  # type: ignore[union-attr]
    assert json.loads(json.dumps(harness.call(schedules.list_)))["Schedules"][0]["Name"] == "every"


def test_a_schedule_that_cannot_fire_is_retried_later_and_does_not_hold_up_the_others() -> None:
    harness = Harness(T0)
    machine = harness.create(PASS)
    good = create(harness, machine, "rate(1 minute)", Name="good")
    broken = create(harness, machine, "rate(1 minute)", Name="broken")
    with harness.store.transaction() as tx:  # a row no API call can write
        record = tx.get_schedule(broken)
        assert record is not None
        record.body["ScheduleExpression"] = "every now and then"
        tx.put_schedule(record)
    assert tick(harness, 60) == 2
    assert len(started_by(harness, good)) == 1 and started_by(harness, broken) == []
    assert harness.store.get_schedule(broken).due == harness.clock.now() + 60  # type: ignore[union-attr]


def test_a_flexible_window_longer_than_the_rate_still_fires_every_firing_once_in_order() -> None:
    harness = Harness(T0)
    arn = create(harness, harness.create(PASS), "rate(1 minute)",
                 FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15})
    for _ in range(60):
        tick(harness, 10)
    stamps = sorted(harness.store.get_execution(a, with_run=False).name.split("-")[1]  # type: ignore[union-attr]
                    for a in started_by(harness, arn))
    # every minute from 22:14:20 on, none skipped nor coalesced; the 22:23:20 firing may still wait in its window
    assert stamps == [f"20231114T22{m}20Z" for m in range(14, 14 + len(stamps))] and len(stamps) >= 9


def test_missed_firings_never_go_past_the_end_date() -> None:
    harness = Harness(T0)
    arn = create(harness, harness.create(PASS), "rate(10 minutes)", EndDate=T0 + 1800)
    assert tick(harness, 7200) == 1  # down for two hours: one firing, the last before the end date
    [execution] = started_by(harness, arn)
    assert "20231114T224320Z" in execution  # T0 + 30 min
    assert tick(harness, 7200) == 0


def test_the_firing_thread_fires_on_the_engine_clock_and_stops() -> None:
    from stepforge.service.firing import Firing

    harness = Harness(T0)
    arn = create(harness, harness.create(PASS), "rate(1 minute)")
    firing = Firing(harness.ctx, harness.clock)
    firing.start()
    try:
        harness.clock.advance(60)
        deadline = time.monotonic() + 30
        while not harness.store.trigger_starts(arn, limit=1) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        firing.stop()
    assert len(started_by(harness, arn)) == 1
