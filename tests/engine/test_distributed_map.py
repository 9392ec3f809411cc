"""Distributed Map: items run as child executions of a Map Run, durable across restarts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from stepforge.engine.clock import ManualClock
from stepforge.engine.lease import NodeSettings
from stepforge.service import executions, maprun
from stepforge.service.errors import InvalidArn
from stepforge.store.base import Store
from stepforge.store.memory import MemoryStore
from stepforge.testing import Harness

START = 1_700_000_000.0


def machine(processor: dict[str, Any], execution_type: str = "STANDARD", **fields: Any) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type}, **processor},
        "End": True, **fields}}}


PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
FAIL_ON_BAD = {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.bad", "BooleanEquals": True, "Next": "F"}], "Default": "P"},
    "F": {"Type": "Fail", "Error": "Bad", "Cause": "bad item"},
    "P": {"Type": "Pass", "End": True}}}


def activity_processor(activity: str) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": True}}}


def only_run(h: Harness, arn: str) -> dict[str, Any]:
    runs = h.call(maprun.list_, executionArn=arn)["mapRuns"]
    assert len(runs) == 1
    return dict(h.call(maprun.describe, mapRunArn=runs[0]["mapRunArn"]))


def test_items_run_as_child_executions_and_results_keep_item_order() -> None:
    h = Harness()
    result = h.run(machine(PASS, ItemSelector={"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                           Label="Work"), [10, 20, 30])
    assert result.status == "SUCCEEDED"
    assert result.output == [{"v": 10, "i": 0}, {"v": 20, "i": 1}, {"v": 30, "i": 2}]
    assert result.event_types == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted",
                                  "MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    run_arn = result.details("MapRunStarted")[0]["mapRunArn"]
    assert run_arn.startswith("arn:aws:states:us-east-1:000000000000:mapRun:m1/Work:")
    described = only_run(h, result.arn)
    assert described["status"] == "SUCCEEDED"
    assert described["itemCounts"]["succeeded"] == 3 and described["executionCounts"]["total"] == 3
    children = h.call(executions.list_, mapRunArn=run_arn)["executions"]
    assert len(children) == 3
    assert all(c["stateMachineArn"].endswith(":stateMachine:m1/Work") and c["mapRunArn"] == run_arn
               for c in children)
    assert all(":execution:m1/Work:" in c["executionArn"] for c in children)
    top = h.call(executions.list_, stateMachineArn=result.arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0])
    assert [e["executionArn"] for e in top["executions"]] == [result.arn]


def test_the_label_defaults_to_the_state_name_and_express_children_get_express_arns() -> None:
    h = Harness()
    result = h.run(machine(PASS, "EXPRESS"), [1])
    run_arn = result.details("MapRunStarted")[0]["mapRunArn"]
    assert ":mapRun:m1/M:" in run_arn
    children = h.call(executions.list_, mapRunArn=run_arn)["executions"]
    assert ":express:m1/M:" in children[0]["executionArn"]


def test_max_concurrency_limits_running_children_and_update_map_run_raises_it() -> None:
    h = Harness()
    activity = h.create_activity("work")
    arn = h.start(machine(activity_processor(activity), MaxConcurrency=2), [1, 2, 3, 4, 5])
    h.settle()
    counts = only_run(h, arn)["executionCounts"]
    assert (counts["running"], counts["pending"]) == (2, 3)
    run_arn = only_run(h, arn)["mapRunArn"]
    h.call(maprun.update, mapRunArn=run_arn, maxConcurrency=0)
    h.settle()
    assert only_run(h, arn)["executionCounts"]["running"] == 5
    assert only_run(h, arn)["maxConcurrency"] == 0
    while (task := h.poll(activity)) is not None:
        h.succeed(task[0], task[1] * 2)
    result = h.run_until_done(arn)
    assert (result.status, result.output) == ("SUCCEEDED", [2, 4, 6, 8, 10])


def test_a_failed_item_fails_the_map_run_and_the_map_state() -> None:
    h = Harness()
    result = h.run(machine(FAIL_ON_BAD), [{"bad": False}, {"bad": True}])
    assert (result.status, result.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert result.event_types[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    described = only_run(h, result.arn)
    assert described["status"] == "FAILED"
    assert described["itemCounts"]["failed"] == 1


def test_tolerated_failures_keep_the_run_going_and_show_in_the_results() -> None:
    h = Harness()
    result = h.run(machine(FAIL_ON_BAD, ToleratedFailureCount=1), [{"bad": True}, {"bad": False}])
    assert result.status == "SUCCEEDED"
    assert result.output == [{"Error": "Bad", "Cause": "bad item"}, {"bad": False}]
    assert only_run(h, result.arn)["toleratedFailureCount"] == 1


def test_a_map_run_failure_can_be_caught() -> None:
    h = Harness()
    definition = machine(FAIL_ON_BAD, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}])
    del definition["States"]["M"]["End"]
    definition["States"]["M"]["Next"] = "Done"
    definition["States"]["Done"] = {"Type": "Succeed"}
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    result = h.run(definition, [{"bad": True}])
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.ExceedToleratedFailureThreshold"


def test_stopping_the_parent_aborts_the_map_run_and_its_children() -> None:
    h = Harness()
    activity = h.create_activity("slow")
    arn = h.start(machine(activity_processor(activity)), [1, 2])
    h.settle()
    h.call(executions.stop, executionArn=arn)
    h.settle()
    described = only_run(h, arn)
    assert described["status"] == "ABORTED"
    assert described["executionCounts"]["aborted"] == 2
    assert h.result(arn).status == "ABORTED"


def test_an_empty_item_list_succeeds_with_an_empty_result() -> None:
    result = Harness().run(machine(PASS), [])
    assert (result.status, result.output) == ("SUCCEEDED", [])


def test_a_map_run_survives_a_restart(open_durable_store: Callable[[], Store]) -> None:
    before = Harness(start=START, store=open_durable_store())
    activity = before.create_activity("durable")
    arn = before.start(machine(activity_processor(activity), MaxConcurrency=1), ["a", "b"])
    before.settle()
    token, value = before.poll(activity) or ("", None)
    before.store.close()

    after = Harness(start=START + 10, store=open_durable_store())
    after.succeed(token, value.upper())
    token, value = after.poll(activity) or ("", None)
    after.succeed(token, value.upper())
    result = after.run_until_done(arn)
    assert (result.status, result.output) == ("SUCCEEDED", ["A", "B"])
    assert json.loads(json.dumps(only_run(after, arn)["itemCounts"]))["succeeded"] == 2


WAIT_10 = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}


def test_express_children_keep_no_execution_nor_history_and_are_described_from_their_items() -> None:
    h = Harness()
    result = h.run(machine(FAIL_ON_BAD, "EXPRESS", ToleratedFailureCount=1), [{"bad": True}, {"bad": False}])
    assert (result.status, result.output) == ("SUCCEEDED", [{"Error": "Bad", "Cause": "bad item"}, {"bad": False}])
    run_arn = result.details("MapRunStarted")[0]["mapRunArn"]
    children = h.call(executions.list_, mapRunArn=run_arn)["executions"]
    assert sorted(c["status"] for c in children) == ["FAILED", "SUCCEEDED"]
    assert all(h.store.get_execution(c["executionArn"]) is None for c in children)
    assert all(h.store.get_events(c["executionArn"]) == [] for c in children)
    failed = h.call(executions.list_, mapRunArn=run_arn, statusFilter="FAILED")["executions"]
    described = h.call(executions.describe, executionArn=failed[0]["executionArn"])
    assert (described["status"], described["error"], described["mapRunArn"]) == ("FAILED", "Bad", run_arn)
    assert json.loads(described["input"]) == {"bad": True}
    with pytest.raises(InvalidArn):
        h.call(executions.history, executionArn=failed[0]["executionArn"])
    counts = only_run(h, result.arn)
    assert (counts["itemCounts"]["failed"], counts["itemCounts"]["succeeded"]) == (1, 1)


def test_express_children_list_a_page_at_a_time() -> None:
    h = Harness()
    result = h.run(machine(PASS, "EXPRESS"), list(range(5)))
    run_arn = result.details("MapRunStarted")[0]["mapRunArn"]
    first = h.call(executions.list_, mapRunArn=run_arn, maxResults=3)
    rest = h.call(executions.list_, mapRunArn=run_arn, maxResults=3, nextToken=first["nextToken"])
    assert [len(first["executions"]), len(rest["executions"])] == [3, 2] and "nextToken" not in rest
    outputs = [h.call(executions.describe, executionArn=c["executionArn"])["output"]
               for c in first["executions"] + rest["executions"]]
    assert outputs == [str(n) for n in range(5)]


def test_stopping_the_parent_aborts_its_running_express_children() -> None:
    h = Harness()
    arn = h.start(machine(WAIT_10, "EXPRESS"), [1, 2])
    h.settle()
    assert len(h.engine.express.running()) == 2
    h.call(executions.stop, executionArn=arn)
    h.settle()
    assert h.engine.express.running() == []
    assert only_run(h, arn)["executionCounts"]["aborted"] == 2
    assert h.result(arn).status == "ABORTED"


def test_express_children_running_when_the_server_stopped_start_again(
        open_durable_store: Callable[[], Store]) -> None:
    before = Harness(start=START, store=open_durable_store())
    arn = before.start(machine(WAIT_10, "EXPRESS", MaxConcurrency=2, ItemSelector={"v.$": "$$.Map.Item.Value"}),
                       [1, 2, 3])
    before.settle()
    assert only_run(before, arn)["executionCounts"]["running"] == 2
    before.store.close()  # the server stops: its EXPRESS children die with it

    after = Harness(start=START + 1, store=open_durable_store())
    after.engine.recover(after.clock.now())
    assert len(after.engine.express.running()) == 2
    for _ in range(2):
        after.clock.advance(10)
        after.engine.express.fire_due(after.clock.now())
        after.settle()
    result = after.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", [{"v": 1}, {"v": 2}, {"v": 3}])
    counts = only_run(after, arn)["itemCounts"]
    assert (counts["succeeded"], counts["running"], counts["total"]) == (3, 0, 3)


def test_the_express_children_of_a_dead_node_run_again_on_a_live_one_and_only_then() -> None:
    store, clock = MemoryStore(), ManualClock(START)
    shared = NodeSettings(kind="engine", lease_ttl=3.0, shared=True)
    a, b = Harness(store=store, clock=clock, node=shared), Harness(store=store, clock=clock, node=shared)
    for node in (a, b):
        node.engine.recover(clock.now())
    arn = a.start(machine(WAIT_10, "EXPRESS"), [1, 2])
    a.settle()
    assert len(a.engine.express.running()) == 2
    for _ in range(4):  # both live: b adopts nothing
        clock.advance(0.75)
        a.settle()
        b.settle()
    assert b.engine.express.running() == []
    for _ in range(8):  # a died (it runs no batch, its lease expires): b runs its children again
        clock.advance(0.75)
        b.settle()
    assert len(b.engine.express.running()) == 2
    clock.advance(10)
    b.engine.express.fire_due(clock.now())
    b.settle()
    result = b.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", [1, 2])
    assert only_run(b, arn)["itemCounts"]["succeeded"] == 2
