"""Event rules: a matching event starts exactly one execution per target, a non-matching one none;
Step Functions' status-change events reach rules; scheduled rules fire on the clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepforge.service import executions, rules
from stepforge.service.errors import ApiError
from stepforge.service.firing import fire_due
from stepforge.testing import Harness

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}}
T0 = 1_700_000_000.0


def rule(harness: Harness, name: str, target: str, pattern: dict[str, Any] | None = None, **target_extra: Any) -> str:
    params: dict[str, Any] = {"Name": name}
    if pattern is not None:
        params["EventPattern"] = json.dumps(pattern)
    arn = str(harness.call(rules.put_rule, **params)["RuleArn"])
    put = harness.call(rules.put_targets, Rule=name, Targets=[{"Id": "t1", "Arn": target, **target_extra}])
    assert put["FailedEntryCount"] == 0, put
    return arn


def put_event(harness: Harness, detail: dict[str, Any], source: str = "com.shop") -> dict[str, Any]:
    answer: dict[str, Any] = harness.call(rules.put_events, Entries=[
        {"Source": source, "DetailType": "Order", "Detail": json.dumps(detail)}])
    harness.settle()
    return answer


def started_by(harness: Harness, arn: str) -> list[str]:
    return [s.execution_arn for s in harness.store.trigger_starts(arn, limit=100)]


def test_a_matching_event_starts_exactly_one_execution_and_a_non_matching_one_none() -> None:
    harness = Harness(T0)
    arn = rule(harness, "big-orders", harness.create(PASS),
               {"source": ["com.shop"], "detail": {"total": [{"numeric": [">=", 100]}]}},
               InputPath="$.detail")
    answer = put_event(harness, {"total": 250})
    assert answer["FailedEntryCount"] == 0 and "EventId" in answer["Entries"][0]
    [execution] = started_by(harness, arn)
    assert harness.result(execution).output == {"total": 250}
    put_event(harness, {"total": 5})
    put_event(harness, {"total": 500}, source="com.other")
    assert len(started_by(harness, arn)) == 1


def test_an_input_transformer_shapes_the_execution_input() -> None:
    harness = Harness(T0)
    arn = rule(harness, "shaped", harness.create(PASS), {"source": ["com.shop"]},
               InputTransformer={"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": "<id>"}'})
    put_event(harness, {"id": "o-17"})
    [execution] = started_by(harness, arn)
    assert harness.result(execution).output == {"order": "o-17"}


def test_a_failed_execution_status_change_event_starts_a_handler_machine() -> None:
    harness = Harness(T0)
    failing = harness.create(FAIL)
    handler = harness.create(PASS)
    arn = rule(harness, "on-failure", handler, {
        "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["FAILED"], "stateMachineArn": [failing]}})
    started = harness.call(executions.start, stateMachineArn=failing, input="{}")["executionArn"]
    harness.settle()
    harness.run_until_done(harness.start(PASS))  # a success of another machine starts nothing
    [handled] = started_by(harness, arn)
    event = harness.result(handled).output
    assert event["source"] == "aws.states" and event["resources"] == [started]
    assert event["detail"]["status"] == "FAILED" and event["detail"]["error"] == "Broken"
    assert event["detail"]["executionArn"] == started and isinstance(event["detail"]["startDate"], int)


def test_an_execution_sends_a_running_event_when_it_starts_and_another_when_it_ends() -> None:
    harness = Harness(T0)
    watched = harness.create(PASS)
    handler = harness.create(PASS)
    arn = rule(harness, "on-any-status", handler, {
        "source": ["aws.states"], "detail": {"stateMachineArn": [watched]}})
    started = harness.call(executions.start, stateMachineArn=watched, input='{"n": 1}')["executionArn"]
    harness.settle()
    events = {(event := harness.result(handled).output)["detail"]["status"]: event
              for handled in started_by(harness, arn)}
    assert sorted(events) == ["RUNNING", "SUCCEEDED"]
    running = events["RUNNING"]["detail"]
    assert running["executionArn"] == started and running["stopDate"] is None and running["output"] is None
    assert running["input"] == '{"n": 1}'


def test_a_rule_put_after_executions_ran_without_one_hears_the_next_batches() -> None:
    harness = Harness(T0)
    watched = harness.create(PASS)
    handler = harness.create(PASS)
    harness.run_until_done(harness.call(executions.start, stateMachineArn=watched, input="{}")["executionArn"])
    arn = rule(harness, "late", handler, {"source": ["aws.states"], "detail": {"stateMachineArn": [watched]}})
    started = harness.call(executions.start, stateMachineArn=watched, input="{}")["executionArn"]
    harness.settle()
    statuses = sorted(harness.result(handled).output["detail"]["status"] for handled in started_by(harness, arn))
    assert statuses == ["RUNNING", "SUCCEEDED"]
    assert {harness.result(h).output["detail"]["executionArn"] for h in started_by(harness, arn)} == {started}


def test_a_scheduled_rule_fires_its_targets_with_a_scheduled_event() -> None:
    harness = Harness(T0)
    machine = harness.create(PASS)
    harness.call(rules.put_rule, Name="tick", ScheduleExpression="rate(5 minutes)")
    harness.call(rules.put_targets, Rule="tick", Targets=[{"Id": "m", "Arn": machine}])
    harness.clock.advance(300)
    assert fire_due(harness.ctx, harness.clock.now()) == 1
    harness.settle()
    [execution] = started_by(harness, "arn:aws:events:us-east-1:000000000000:rule/tick")
    assert harness.result(execution).output["detail-type"] == "Scheduled Event"


def test_a_disabled_rule_starts_nothing() -> None:
    harness = Harness(T0)
    arn = rule(harness, "off", harness.create(PASS), {"source": ["com.shop"]})
    harness.call(rules.disable_rule, Name="off")
    put_event(harness, {})
    assert started_by(harness, arn) == []


def test_rules_are_described_listed_and_deleted_once_their_targets_are_removed() -> None:
    harness = Harness(T0)
    machine = harness.create(PASS)
    rule(harness, "a-rule", machine, {"source": ["x"]})
    assert harness.call(rules.describe_rule, Name="a-rule")["EventPattern"] == '{"source": ["x"]}'
    assert [r["Name"] for r in harness.call(rules.list_rules, NamePrefix="a-")["Rules"]] == ["a-rule"]
    assert harness.call(rules.list_targets, Rule="a-rule")["Targets"] == [{"Id": "t1", "Arn": machine}]
    with pytest.raises(ApiError, match="has targets"):
        harness.call(rules.delete_rule, Name="a-rule")
    harness.call(rules.remove_targets, Rule="a-rule", Ids=["t1"])
    harness.call(rules.delete_rule, Name="a-rule")
    with pytest.raises(ApiError) as raised:
        harness.call(rules.describe_rule, Name="a-rule")
    assert raised.value.code == "ResourceNotFoundException"


def test_bad_patterns_and_targets_are_refused_in_aws_shape() -> None:
    harness = Harness(T0)
    with pytest.raises(ApiError) as raised:
        harness.call(rules.put_rule, Name="bad", EventPattern='{"source": "not-a-list"}')
    assert raised.value.code == "InvalidEventPatternException"
    harness.call(rules.put_rule, Name="ok", EventPattern='{"source": ["x"]}')
    answer = harness.call(rules.put_targets, Rule="ok", Targets=[
        {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:queue"}])
    assert answer["FailedEntryCount"] == 1 and answer["FailedEntries"][0]["TargetId"] == "q"
    malformed = harness.call(rules.put_events, Entries=[{"Source": "s", "DetailType": "d", "Detail": "[1]"}])
    assert malformed["FailedEntryCount"] == 1 and malformed["Entries"][0]["ErrorCode"] == "MalformedDetail"
